#include "galfriday/models/retraining.hpp"

#include <cmath>
#include <sstream>
#include <system_error>

#include "galfriday/features/feature_engine.hpp"

namespace galfriday::models {
namespace {

// "2024-01-01T00:00:00.123Z" -> "20240101T000000Z": a time, to the second, for a model id (the
// job id in the model id keeps it unique).
std::string compact_time(Timestamp ts) {
  std::string out;
  bool fraction = false;
  for (char c : format_iso8601(ts)) {
    if (c == '.') fraction = true;
    if (c == 'Z') fraction = false;
    if (!fraction && c != '-' && c != ':') out.push_back(c);
  }
  return out;
}

std::string fixed(double value, int decimals = 4) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

}  // namespace

RetrainingOptions retraining_options_from(const config::Config& config) {
  RetrainingOptions out;
  const config::ModelsConfig& models = config.models;
  out.target = models.target;
  out.label = label_spec_from(models);
  out.features = config.features;
  out.params.rounds = models.rounds;
  out.params.max_depth = models.max_depth;
  out.params.eta = models.eta;
  out.validation_fraction = models.validation_fraction;
  out.walk_forward_folds = models.walk_forward_folds;
  out.promotion_margin = models.promotion_margin;
  return out;
}

RetrainingPipeline::RetrainingPipeline(ModelRegistry& registry, persistence::Database& db,
                                       const Clock& clock, RetrainingOptions options,
                                       BarSource bars, BacktestFn backtest)
    : registry_(registry),
      jobs_(db),
      clock_(clock),
      options_(std::move(options)),
      bars_(std::move(bars)),
      backtest_(std::move(backtest)) {}

Result<RetrainingReport> RetrainingPipeline::run(std::string_view trigger) {
  auto job = jobs_.start(trigger, clock_.now());
  if (!job) return job.status().with_context("retraining");
  auto report = run_job(*job, trigger);
  const Status finished = report
                              ? jobs_.finish(*job, JobStatus::kSucceeded, clock_.now(),
                                             report->model_id, report->promoted, report->decision)
                              : jobs_.finish(*job, JobStatus::kFailed, clock_.now(), std::nullopt,
                                             false, report.status().to_string());
  if (!finished.is_ok()) return finished.with_context("recording retraining job");
  return report;
}

Result<RetrainingReport> RetrainingPipeline::run_job(int64_t job_id, std::string_view trigger) {
  GF_RETURN_IF_ERROR(options_.params.validate());
  if (!(options_.validation_fraction > 0.0 && options_.validation_fraction < 1.0)) {
    return invalid_argument("retraining: validation_fraction must be in (0, 1)");
  }
  RetrainingReport report;
  report.job_id = job_id;
  report.trigger = std::string(trigger);

  auto bars = bars_();
  if (!bars) return bars.status().with_context("retraining: reading history");
  auto dataset = build_labelled_dataset(*bars, options_.features, options_.label);
  if (!dataset) return dataset.status().with_context("retraining");
  const size_t rows = dataset->data.rows();
  const auto holdout =
      static_cast<size_t>(std::ceil(static_cast<double>(rows) * options_.validation_fraction));
  const size_t split = rows - std::min(rows, holdout);
  if (split < options_.min_training_rows || holdout < 2) {
    return failed_precondition("retraining: " + std::to_string(rows) + " labelled rows from " +
                               std::to_string(bars->size()) + " bars leave " +
                               std::to_string(split) + " for training (need " +
                               std::to_string(options_.min_training_rows) +
                               "); give it more history");
  }
  const Dataset train = slice_rows(dataset->data, 0, split);
  const Dataset valid = slice_rows(dataset->data, split, rows);
  report.training_rows = train.rows();
  report.validation_rows = valid.rows();

  // Walk-forward over the training part: expanding window, each fold validated on the next block.
  const auto folds = static_cast<size_t>(options_.walk_forward_folds);
  for (size_t k = 1; k <= folds; ++k) {
    const size_t begin = split * k / (folds + 1);
    const size_t end = split * (k + 1) / (folds + 1);
    const Dataset fold_train = slice_rows(train, 0, begin);
    const Dataset fold_valid = slice_rows(train, begin, end);
    if (!fold_train.validate().is_ok() || !fold_valid.validate().is_ok()) continue;  // one class
    auto fold_model = train_xgboost(fold_train, options_.params);
    if (!fold_model)
      return fold_model.status().with_context("walk-forward fold " + std::to_string(k));
    auto scores = fold_model->predict_rows(fold_valid.values);
    if (!scores) return scores.status();
    auto auc = roc_auc(fold_valid.labels, *scores);
    if (!auc) return auc.status();
    report.fold_aucs.push_back(*auc);
  }

  auto trained = train_xgboost(train, options_.params);
  if (!trained) return trained.status().with_context("retraining: training");
  auto valid_scores = trained->predict_rows(valid.values);
  if (!valid_scores) return valid_scores.status();
  auto metrics = classification_metrics(valid.labels, *valid_scores);
  if (!metrics) return metrics.status().with_context("retraining: holdout metrics");
  report.validation = *metrics;
  auto train_scores = trained->predict_rows(train.values);
  if (!train_scores) return train_scores.status();
  auto distribution = training_distribution(train, &*train_scores);
  if (!distribution) return distribution.status();

  ModelMetadata& meta = trained->metadata();
  meta.model_id =
      options_.target + "_j" + std::to_string(job_id) + "_" + compact_time(clock_.now());
  meta.target = options_.target;
  meta.target_description = "P(some close within " + std::to_string(options_.label.horizon_bars) +
                            " bars >= close * (1 + " + fixed(options_.label.min_return_pct, 3) +
                            " %))";
  meta.training_start = dataset->times.front();
  meta.training_end = dataset->times[split - 1];
  meta.created_at = clock_.now();
  meta.metrics["valid_rows"] = static_cast<double>(valid.rows());
  meta.metrics["valid_auc"] = metrics->auc;
  meta.metrics["valid_log_loss"] = metrics->log_loss;
  if (metrics->at_threshold.precision)
    meta.metrics["valid_precision"] = *metrics->at_threshold.precision;
  if (metrics->at_threshold.recall) meta.metrics["valid_recall"] = *metrics->at_threshold.recall;
  if (!report.fold_aucs.empty()) {
    double sum = 0.0;
    for (double auc : report.fold_aucs) sum += auc;
    meta.metrics["walk_forward_auc_mean"] = sum / static_cast<double>(report.fold_aucs.size());
    meta.metrics["walk_forward_folds"] = static_cast<double>(report.fold_aucs.size());
  }
  report.model_id = meta.model_id;

  if (backtest_) {
    // The holdout window's bars, preceded by enough bars to warm the features up.
    auto engine = FeatureEngine::create(options_.features);
    if (!engine) return engine.status();
    const Timestamp first_valid = dataset->times[split];
    size_t start = 0;
    while (start < bars->size() && (*bars)[start].meta.ts_event < first_valid) ++start;
    start -= std::min(start, static_cast<size_t>((*engine)->warmup_bars()));
    const std::vector<MarketDataOHLCVEvent> window(
        bars->begin() + static_cast<std::ptrdiff_t>(start), bars->end());
    const std::filesystem::path candidate_dir = registry_.directory() / ".candidates";
    std::error_code ec;
    std::filesystem::create_directories(candidate_dir, ec);
    if (ec) return unavailable("cannot create " + candidate_dir.string() + ": " + ec.message());
    const std::filesystem::path candidate = candidate_dir / (meta.model_id + ".json");
    GF_RETURN_IF_ERROR(trained->save(candidate));
    auto figures = backtest_(candidate, window);
    std::filesystem::remove(candidate, ec);
    std::filesystem::remove(metadata_path_for(candidate), ec);
    if (!figures) return figures.status().with_context("retraining: holdout backtest");
    report.backtest = *figures;
    meta.metrics["valid_backtest_return_pct"] = figures->total_return_pct;
    meta.metrics["valid_backtest_trades"] = static_cast<double>(figures->trades);
    meta.metrics["valid_backtest_win_rate_pct"] = figures->win_rate_pct;
  }

  auto registered = registry_.register_trained(
      *trained, ModelStage::kStaging,
      "retraining job " + std::to_string(job_id) + " (" + std::string(trigger) + ")",
      *distribution);
  if (!registered) return registered.status();

  auto production = registry_.production(options_.target);
  if (!production) return production.status();
  bool promote = false;
  if (!production->has_value()) {
    promote = true;
    report.decision = "no production model for " + options_.target + "; promoted";
  } else {
    report.production_id = (*production)->model_id;
    auto current = registry_.load((*production)->model_id);
    Result<ClassificationMetrics> current_metrics =
        current ? evaluate(**current, valid) : Result<ClassificationMetrics>(current.status());
    if (!current_metrics) {
      report.decision = "kept in staging: production model '" + *report.production_id +
                        "' could not be evaluated on the holdout (" +
                        current_metrics.status().to_string() + ")";
    } else {
      report.production_auc = current_metrics->auc;
      promote = metrics->auc >= current_metrics->auc + options_.promotion_margin;
      report.decision = "holdout AUC " + fixed(metrics->auc) + " vs production '" +
                        *report.production_id + "' " + fixed(current_metrics->auc) +
                        (promote ? " (+" : " (needs +") + fixed(options_.promotion_margin) +
                        (promote ? "): promoted" : "): kept in staging");
    }
  }
  if (promote) {
    auto moved = registry_.promote_to_production(
        report.model_id, "retraining job " + std::to_string(job_id) + ": " + report.decision);
    if (!moved) return moved.status();
    report.promoted = true;
  }
  return report;
}

std::string describe(const RetrainingReport& report) {
  std::string out = "retraining job " + std::to_string(report.job_id) + " (" + report.trigger +
                    "): model " + report.model_id + ", " + std::to_string(report.training_rows) +
                    " training rows, " + std::to_string(report.validation_rows) +
                    " holdout rows, holdout AUC " + fixed(report.validation.auc) + ", log loss " +
                    fixed(report.validation.log_loss);
  if (report.validation.at_threshold.precision) {
    out += ", precision " + fixed(*report.validation.at_threshold.precision);
  }
  if (report.validation.at_threshold.recall) {
    out += ", recall " + fixed(*report.validation.at_threshold.recall);
  }
  if (!report.fold_aucs.empty()) {
    out += ", walk-forward AUC";
    for (double auc : report.fold_aucs) out += " " + fixed(auc);
  }
  if (report.backtest) {
    out += ", holdout backtest " + report.backtest->net_pnl.to_string() + " (" +
           fixed(report.backtest->total_return_pct, 2) + " %, " +
           std::to_string(report.backtest->trades) + " trades)";
  }
  return out + "; " + report.decision;
}

// ---- Worker -------------------------------------------------------------------------------

Result<std::unique_ptr<RetrainingWorker>> RetrainingWorker::create(RunFn run, PubSubManager* bus) {
  if (!run) return invalid_argument("retraining worker: nothing to run");
  std::unique_ptr<RetrainingWorker> worker(new RetrainingWorker(std::move(run), bus));
  try {
    worker->thread_ = std::thread([w = worker.get()] { w->loop(); });
  } catch (const std::system_error& e) {
    return unavailable(std::string("retraining worker: cannot start its thread: ") + e.what());
  }
  return worker;
}

RetrainingWorker::~RetrainingWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    queued_.reset();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RetrainingWorker::request(std::string trigger) {
  {
    std::lock_guard lock(mutex_);
    if (queued_ || stop_) return false;
    queued_ = std::move(trigger);
  }
  cv_.notify_all();
  return true;
}

TimerId RetrainingWorker::schedule(Scheduler& scheduler, Duration period) {
  return scheduler.schedule_every(period, [this] { request("schedule"); });
}

void RetrainingWorker::wait_idle() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return stop_ || (!queued_ && !busy_); });
}

uint64_t RetrainingWorker::runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

std::optional<Result<RetrainingReport>> RetrainingWorker::last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

void RetrainingWorker::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || queued_.has_value(); });
    if (stop_) return;
    const std::string trigger = std::move(*queued_);
    queued_.reset();
    busy_ = true;
    lock.unlock();
    Result<RetrainingReport> result = run_(trigger);
    if (bus_ != nullptr) {
      if (result) {
        LogEvent log;
        log.severity = LogSeverity::kInfo;
        log.source = "models.retraining";
        log.message = describe(*result);
        bus_->post(std::move(log));
      } else {
        SystemErrorEvent error;
        error.source = "models.retraining";
        error.message = "retraining (" + trigger + ") failed: " + result.status().to_string();
        bus_->post(std::move(error));
      }
    }
    lock.lock();
    last_ = std::move(result);
    ++runs_;
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace galfriday::models
