#pragma once
// RetrainingPipeline: history → labelled dataset (the live FeatureEngine code) → XGBoost (the C
// API training code) → validation → registry (staging) → production only when it beats the
// current production model by a margin.
//
// Validation is chronological, never shuffled: the last validation_fraction of the rows is held
// out; before the final fit, walk-forward folds over the training part (train on rows [0, b_k),
// validate on [b_k, b_{k+1})) measure how stable the model is through time. Recorded metrics:
// walk-forward AUCs, holdout AUC / log loss / precision / recall, and the strategy's backtest
// result on the holdout window (through an injected callable, so this module does not depend on
// the app that runs backtests). The production model is evaluated on the same holdout rows, so
// the comparison is like for like.
//
// RetrainingWorker runs the pipeline on its own thread: requests come from a Scheduler timer,
// from the CLI/on demand, or from the drift detector's sink; the engine thread only enqueues.
// Results are post()ed to the bus (a LogEvent, or a SystemErrorEvent on failure); a promotion
// reaches the PredictionService through the RegistryWatcher.

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/models/dataset.hpp"
#include "galfriday/models/model_registry.hpp"

namespace galfriday::models {

struct BacktestFigures {
  Money net_pnl;  // final equity − initial equity
  double total_return_pct = 0.0;
  int64_t trades = 0;
  double win_rate_pct = 0.0;
};

// Runs the strategy with the model file `model_path` over `bars` (warm-up included).
using BacktestFn = std::function<Result<BacktestFigures>(
    const std::filesystem::path& model_path, const std::vector<MarketDataOHLCVEvent>& bars)>;
// The history to train on: one instrument's bars in time order.
using BarSource = std::function<Result<std::vector<MarketDataOHLCVEvent>>()>;

struct RetrainingOptions {
  std::string target = "prob_price_up";
  LabelSpec label;
  config::FeaturesConfig features;
  TrainingParams params;
  double validation_fraction = 0.2;
  int walk_forward_folds = 3;
  double promotion_margin = 0.005;  // holdout AUC over production's
  size_t min_training_rows = 200;
};

RetrainingOptions retraining_options_from(const config::Config& config);

struct RetrainingReport {
  int64_t job_id = 0;
  std::string trigger;
  std::string model_id;
  size_t training_rows = 0;
  size_t validation_rows = 0;
  std::vector<double> fold_aucs;  // walk-forward, in time order (folds with one class skipped)
  ClassificationMetrics validation;
  std::optional<BacktestFigures> backtest;
  std::optional<std::string> production_id;  // the production model compared against
  std::optional<double> production_auc;      // its AUC on the same holdout rows
  bool promoted = false;
  std::string decision;  // why it was or was not promoted
};

class RetrainingPipeline {
 public:
  // `backtest` may be empty (no backtest figure is recorded then).
  RetrainingPipeline(ModelRegistry& registry, persistence::Database& db, const Clock& clock,
                     RetrainingOptions options, BarSource bars, BacktestFn backtest = {});

  // One full run; recorded in retraining_jobs whatever the outcome.
  Result<RetrainingReport> run(std::string_view trigger);

 private:
  Result<RetrainingReport> run_job(int64_t job_id, std::string_view trigger);

  ModelRegistry& registry_;
  RetrainingJobStore jobs_;
  const Clock& clock_;
  RetrainingOptions options_;
  BarSource bars_;
  BacktestFn backtest_;
};

std::string describe(const RetrainingReport& report);

class RetrainingWorker {
 public:
  // Runs on the worker thread; builds its own connection, registry and pipeline.
  using RunFn = std::function<Result<RetrainingReport>(const std::string& trigger)>;

  // `bus` (optional) receives the outcome of every run through post().
  static Result<std::unique_ptr<RetrainingWorker>> create(RunFn run, PubSubManager* bus);
  ~RetrainingWorker();  // finishes the running job, drops a queued one
  RetrainingWorker(const RetrainingWorker&) = delete;
  RetrainingWorker& operator=(const RetrainingWorker&) = delete;

  // Any thread. Requests coalesce: while a run is queued another request is dropped (returns
  // false); a request during a run queues one more run.
  bool request(std::string trigger);
  // Engine thread: request("schedule") every `period`.
  TimerId schedule(Scheduler& scheduler, Duration period);

  void wait_idle();
  uint64_t runs() const;
  // The outcome of the latest run.
  std::optional<Result<RetrainingReport>> last() const;

 private:
  RetrainingWorker(RunFn run, PubSubManager* bus) : run_(std::move(run)), bus_(bus) {}
  void loop();

  RunFn run_;
  PubSubManager* bus_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<std::string> queued_;
  bool busy_ = false;
  bool stop_ = false;
  uint64_t runs_ = 0;
  std::optional<Result<RetrainingReport>> last_;
  std::thread thread_;
};

}  // namespace galfriday::models
