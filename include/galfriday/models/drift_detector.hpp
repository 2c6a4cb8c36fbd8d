#pragma once
// DriftDetector: is live data still like the data the production model was trained on, and is
// the model still right?
//
// Compared against the TrainingDistribution saved with the model at registration:
// - each feature: Population Stability Index over the training quantile bins, and the
//   two-sample Kolmogorov-Smirnov test between the training reference sample and the latest
//   `window` live values;
// - the model's predictions: PSI and KS against its predictions on the training rows;
// - performance: the hit rate of live predictions against realised outcomes (the same label
//   rule as training: did price rise min_return within horizon bars; a hit is p >= 0.5 and up,
//   or p < 0.5 and not up).
// Each crossed threshold becomes one DriftEventRecord; check() is a pure function of what was
// observed, run_check() also publishes a LogEvent (warning, source "models.drift") per event and
// hands the report to the sink (store the events, trigger retraining).
//
// Engine thread only (observe_* and run_check are called from bus handlers and timers).

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/models/dataset.hpp"
#include "galfriday/models/model_store.hpp"

namespace galfriday::models {

struct DriftThresholds {
  double psi = 0.2;
  double ks_pvalue = 0.01;
  double min_hit_rate = 0.5;
  size_t min_outcomes = 200;
  size_t window = 1440;
  // Live samples needed before distributions are compared: fewer say little.
  size_t min_samples = 100;
};

DriftThresholds drift_thresholds_from(const config::ModelsConfig& config);

struct FeatureDrift {
  std::string name;
  double psi = 0.0;
  TestResult ks;
  bool drifted = false;
};

struct DriftReport {
  std::string model_id;
  Timestamp at{};
  size_t samples = 0;  // live feature vectors compared
  std::vector<FeatureDrift> features;
  std::optional<double> prediction_psi;
  std::optional<TestResult> prediction_ks;
  size_t predictions = 0;
  std::optional<double> hit_rate;  // once min_outcomes outcomes are known
  size_t outcomes = 0;
  std::vector<DriftEventRecord> events;  // one per threshold crossed
  bool drifted() const { return !events.empty(); }
};

// Stores every event of a report.
Status store_drift_events(DriftEventStore& store, const DriftReport& report);

class DriftDetector {
 public:
  using Sink = std::function<void(const DriftReport&)>;

  // INVALID_ARGUMENT when the reference has no features or the window is smaller than
  // min_samples.
  static Result<std::unique_ptr<DriftDetector>> create(std::string model_id,
                                                       TrainingDistribution reference,
                                                       DriftThresholds thresholds,
                                                       LabelSpec label = {});

  // Live features; values are looked up by the reference's names. INVALID_ARGUMENT naming the
  // first feature the vector lacks or holds as NaN/infinity (nothing is recorded then).
  Status observe_features(const FeatureVector& features);
  // INVALID_ARGUMENT for a non-finite value (not recorded).
  Status observe_prediction(double probability);
  void observe_outcome(bool hit);

  // Compares what was observed with the reference; `at` stamps the events.
  DriftReport check(Timestamp at) const;

  // Subscribes to bars (for outcomes), features, and this model's predictions.
  void attach(PubSubManager& bus);
  void set_sink(Sink sink) { sink_ = std::move(sink); }
  // check() at the bus clock's time, publishes a LogEvent per event and calls the sink.
  DriftReport run_check();
  TimerId schedule(Scheduler& scheduler, Duration interval);

  const std::string& model_id() const { return model_id_; }

 private:
  DriftDetector(std::string model_id, TrainingDistribution reference, DriftThresholds thresholds,
                LabelSpec label);
  void on_bar(const MarketDataOHLCVEvent& bar);
  void on_prediction(const PredictionEvent& prediction);

  struct PendingOutcome {
    Price close;  // at prediction time
    double probability = 0.0;
    int bars_seen = 0;
  };

  std::string model_id_;
  TrainingDistribution reference_;
  DriftThresholds thresholds_;
  LabelSpec label_;
  std::vector<std::deque<double>> live_features_;  // per reference feature
  std::deque<double> live_predictions_;
  std::deque<bool> outcomes_;
  std::unordered_map<InstrumentId, Price> last_close_;
  std::unordered_map<InstrumentId, std::vector<PendingOutcome>> pending_;
  PubSubManager* bus_ = nullptr;
  Sink sink_;
};

}  // namespace galfriday::models
