#pragma once
// PredictionService: runs a model (or an ensemble of models) on each FeatureEvent and publishes
// one PredictionEvent, or one SystemErrorEvent saying why there is none. Models sit behind
// PredictionModel so backends (momentum rule, XGBoost) are interchangeable.
//
// Modes:
// - synchronous (default; backtests): the prediction is computed inside the FeatureEvent
//   handler and published right after it, so a run is deterministic.
// - asynchronous (live, paper): the handler copies the inputs into a task for an InferencePool
//   and returns; a worker computes and post()s the PredictionEvent (or a SystemErrorEvent) back
//   to the bus. The engine thread never waits on a model: a full queue is a SystemErrorEvent at
//   once (counted as rejected), and a result later than the deadline is a SystemErrorEvent
//   (counted as a timeout) instead of a stale prediction.
//
// Either way each FeatureEvent yields exactly one PredictionEvent or exactly one
// SystemErrorEvent (non-critical; monitoring decides what error rates mean).
//
// Ordering (asynchronous mode): with more than one worker, predictions are not guaranteed to
// arrive in FeatureEvent order, not even for one instrument. A consumer that needs the latest
// prediction per instrument compares PredictionEvent::feature_event_sequence (or ts_event).
//
// Ensembles: several models for one target, combined by average or weighted average, published
// as one PredictionEvent with model_id "ensemble:<target>". If any member fails (bad input,
// error, output outside [0, 1]) there is no prediction for that event, only a SystemErrorEvent
// naming the member: averaging the survivors would silently change the model being traded.
//
// Lifetime: the bus must outlive the service; destroying the service stops its workers (queued
// work is dropped, running predictions finish).

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/prediction/inference_pool.hpp"
#include "galfriday/prediction/prediction_model.hpp"

namespace galfriday {

// Builds the configured model; the momentum model reads the ma_spread feature of `features`.
// An unknown model type is an error.
Result<std::unique_ptr<PredictionModel>> make_model(const config::PredictionConfig& config,
                                                    const config::FeaturesConfig& features);

enum class InferenceMode { kSynchronous, kAsynchronous };
enum class EnsembleMethod { kAverage, kWeightedAverage };

struct PredictionServiceOptions {
  InferenceMode mode = InferenceMode::kSynchronous;
  // Asynchronous mode only:
  size_t worker_threads = 2;
  size_t queue_capacity = 256;  // FeatureEvents waiting for a worker
  // From the FeatureEvent's dispatch to the result, on the bus's clock; zero disables.
  Duration deadline = std::chrono::milliseconds(50);
  // Real time between the watchdog's deadline checks (bounds how late a hung model is reported).
  Duration watchdog_interval = std::chrono::milliseconds(5);
};

struct EnsembleMember {
  std::unique_ptr<PredictionModel> model;
  double weight = 1.0;  // used by kWeightedAverage; finite and > 0
};

struct PredictionServiceStats {
  uint64_t predictions = 0;     // PredictionEvents produced
  uint64_t model_failures = 0;  // a model failed: bad input, error, output not a probability
  uint64_t timeouts = 0;        // the deadline passed first (asynchronous mode)
  uint64_t rejected = 0;        // the queue was full (asynchronous mode)
};

class PredictionService {
 public:
  // Fails when the model needs a feature the engine does not produce (naming every missing
  // feature), or when the model says it was trained for another target.
  static Result<std::unique_ptr<PredictionService>> create(
      std::unique_ptr<PredictionModel> model, std::string target,
      const std::vector<std::string>& available_features, PredictionServiceOptions options = {});

  // An ensemble for `target`; the same checks for every member, plus: at least one member,
  // unique model ids, weights finite and > 0. Options are checked too (asynchronous mode: at
  // least one thread and one queue slot, deadline not negative).
  static Result<std::unique_ptr<PredictionService>> create_ensemble(
      std::vector<EnsembleMember> members, EnsembleMethod method, std::string target,
      const std::vector<std::string>& available_features, PredictionServiceOptions options = {});

  ~PredictionService();
  PredictionService(const PredictionService&) = delete;
  PredictionService& operator=(const PredictionService&) = delete;

  // Subscribes to FeatureEvents; in asynchronous mode also starts the worker pool (deadlines
  // read bus.clock()). Options are validated by create(), so the only failure left is the system
  // refusing threads: then every FeatureEvent gets a SystemErrorEvent saying so.
  void attach(PubSubManager& bus);

  // Engine thread (hot reload, called by the model registry): swaps the model between two
  // events. Predictions already submitted finish with the model they started with (and name it).
  // The single-model form replaces the only model; the other replaces the member `current_id`.
  // On error (missing features, wrong target, unknown id) the current model stays.
  Status replace_model(std::unique_ptr<PredictionModel> replacement);
  Status replace_model(std::string_view current_id, std::unique_ptr<PredictionModel> replacement);

  // The model_id published: the model's id, or "ensemble:<target>".
  std::string model_id() const;
  const std::string& target() const { return target_; }
  InferenceMode mode() const { return options_.mode; }

  // Every FeatureEvent that produced an error instead of a prediction.
  uint64_t failures() const;
  PredictionServiceStats stats() const;
  // Submitted to the pool and not yet settled (asynchronous mode). A task is settled just after
  // its outcome is posted, so 0 means every outcome is on the bus (maybe not yet dispatched).
  uint64_t in_flight() const;

  struct Plan;      // models, input mapping and combination; immutable, shared with tasks
  struct Counters;  // atomics, written by workers

 private:
  PredictionService(std::shared_ptr<const Plan> plan, std::string target,
                    std::vector<std::string> available_features, PredictionServiceOptions options);
  static Result<std::unique_ptr<PredictionService>> build(
      std::vector<EnsembleMember> members, bool ensemble, EnsembleMethod method, std::string target,
      const std::vector<std::string>& available_features, PredictionServiceOptions options);
  Status swap_member(size_t index, std::unique_ptr<PredictionModel> replacement);
  void on_features(const FeatureEvent& event);
  void report_rejected(const FeatureEvent& event, const Status& status);

  std::shared_ptr<const Plan> plan_;
  std::string target_;
  std::vector<std::string> available_features_;
  PredictionServiceOptions options_;
  std::vector<double> inputs_;  // synchronous mode scratch
  PubSubManager* bus_ = nullptr;
  SubscriptionId subscription_ = 0;
  std::unique_ptr<Counters> counters_;
  Status pool_status_;                   // why the pool did not start, if it did not
  std::unique_ptr<InferencePool> pool_;  // last: stopped before anything its tasks use
};

}  // namespace galfriday
