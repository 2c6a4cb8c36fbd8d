#include "galfriday/models/drift_detector.hpp"

#include <charconv>
#include <cmath>

namespace galfriday::models {
namespace {

using fixed_point_detail::Int128;

std::string number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return {buffer, result.ptr};
}

void push_bounded(std::deque<double>& window, double value, size_t limit) {
  window.push_back(value);
  while (window.size() > limit) window.pop_front();
}

}  // namespace

DriftThresholds drift_thresholds_from(const config::ModelsConfig& config) {
  DriftThresholds out;
  out.psi = config.drift_psi_threshold;
  out.ks_pvalue = config.drift_ks_pvalue;
  out.min_hit_rate = config.drift_min_hit_rate;
  out.min_outcomes = static_cast<size_t>(config.drift_min_outcomes);
  out.window = static_cast<size_t>(config.drift_window);
  out.min_samples = std::min<size_t>(out.window, 100);
  return out;
}

Status store_drift_events(DriftEventStore& store, const DriftReport& report) {
  for (const auto& event : report.events) {
    auto id = store.insert(event);
    if (!id) return id.status();
  }
  return Status::ok();
}

Result<std::unique_ptr<DriftDetector>> DriftDetector::create(std::string model_id,
                                                             TrainingDistribution reference,
                                                             DriftThresholds thresholds,
                                                             LabelSpec label) {
  if (reference.features.empty()) {
    return invalid_argument("drift detector for '" + model_id +
                            "': the training distribution has no features");
  }
  if (thresholds.window < thresholds.min_samples || thresholds.min_samples == 0) {
    return invalid_argument("drift detector: window (" + std::to_string(thresholds.window) +
                            ") must be at least min_samples (" +
                            std::to_string(thresholds.min_samples) + "), which must be positive");
  }
  if (label.horizon_bars < 1) return invalid_argument("drift detector: label horizon < 1 bar");
  return std::unique_ptr<DriftDetector>(
      new DriftDetector(std::move(model_id), std::move(reference), thresholds, label));
}

DriftDetector::DriftDetector(std::string model_id, TrainingDistribution reference,
                             DriftThresholds thresholds, LabelSpec label)
    : model_id_(std::move(model_id)),
      reference_(std::move(reference)),
      thresholds_(thresholds),
      label_(label),
      live_features_(reference_.features.size()) {}

Status DriftDetector::observe_features(const FeatureVector& features) {
  std::vector<double> values;
  values.reserve(reference_.features.size());
  for (const auto& reference : reference_.features) {
    const auto value = features.get(reference.name);
    if (!value) {
      return invalid_argument("drift detector for '" + model_id_ + "': live features lack '" +
                              reference.name + "'");
    }
    if (!std::isfinite(*value)) {
      // A NaN would make every later comparison meaningless; the feature engine never emits one.
      return invalid_argument("drift detector for '" + model_id_ + "': live feature '" +
                              reference.name + "' is not a finite number");
    }
    values.push_back(*value);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    push_bounded(live_features_[i], values[i], thresholds_.window);
  }
  return Status::ok();
}

Status DriftDetector::observe_prediction(double probability) {
  if (!std::isfinite(probability)) {
    return invalid_argument("drift detector for '" + model_id_ +
                            "': a prediction is not a finite number");
  }
  push_bounded(live_predictions_, probability, thresholds_.window);
  return Status::ok();
}

void DriftDetector::observe_outcome(bool hit) {
  outcomes_.push_back(hit);
  while (outcomes_.size() > std::max(thresholds_.window, thresholds_.min_outcomes)) {
    outcomes_.pop_front();
  }
}

DriftReport DriftDetector::check(Timestamp at) const {
  DriftReport report;
  report.model_id = model_id_;
  report.at = at;
  report.samples = live_features_.front().size();
  report.predictions = live_predictions_.size();
  report.outcomes = outcomes_.size();
  const auto event = [&](DriftKind kind, const std::string& subject, const std::string& statistic,
                         double value, double threshold, const std::string& message) {
    DriftEventRecord record;
    record.model_id = model_id_;
    record.kind = kind;
    record.subject = subject;
    record.statistic = statistic;
    record.value = value;
    record.threshold = threshold;
    record.detected_at = at;
    record.message = message;
    report.events.push_back(std::move(record));
  };
  // PSI and KS of one live window against its reference; events when a threshold is crossed.
  const auto compare = [&](const ReferenceDistribution& reference, const std::deque<double>& live,
                           DriftKind kind) {
    const std::vector<double> values(live.begin(), live.end());
    FeatureDrift drift;
    drift.name = reference.name;
    const auto shares = bin_proportions(reference.bins.edges, values);
    drift.psi = population_stability_index(reference.bins.proportions, shares).value();
    drift.ks = ks_two_sample(reference.sample, values).value();
    const std::string what =
        kind == DriftKind::kPrediction ? "predictions" : "feature " + drift.name;
    if (drift.psi > thresholds_.psi) {
      drift.drifted = true;
      event(kind, reference.name, "psi", drift.psi, thresholds_.psi,
            what + ": PSI " + number(drift.psi) + " > " + number(thresholds_.psi) + " over " +
                std::to_string(values.size()) + " live values");
    }
    if (drift.ks.p_value < thresholds_.ks_pvalue) {
      drift.drifted = true;
      event(kind, reference.name, "ks_pvalue", drift.ks.p_value, thresholds_.ks_pvalue,
            what + ": KS D = " + number(drift.ks.statistic) + ", p = " + number(drift.ks.p_value) +
                " < " + number(thresholds_.ks_pvalue));
    }
    return drift;
  };
  if (report.samples >= thresholds_.min_samples) {
    for (size_t i = 0; i < reference_.features.size(); ++i) {
      report.features.push_back(
          compare(reference_.features[i], live_features_[i], DriftKind::kFeature));
    }
  }
  if (reference_.prediction && report.predictions >= thresholds_.min_samples) {
    const FeatureDrift drift =
        compare(*reference_.prediction, live_predictions_, DriftKind::kPrediction);
    report.prediction_psi = drift.psi;
    report.prediction_ks = drift.ks;
  }
  if (report.outcomes >= thresholds_.min_outcomes) {
    size_t hits = 0;
    for (bool hit : outcomes_) hits += hit ? 1 : 0;
    const double rate = static_cast<double>(hits) / static_cast<double>(report.outcomes);
    report.hit_rate = rate;
    if (rate < thresholds_.min_hit_rate) {
      event(DriftKind::kPerformance, "hit_rate", "hit_rate", rate, thresholds_.min_hit_rate,
            "live hit rate " + number(rate) + " < " + number(thresholds_.min_hit_rate) + " over " +
                std::to_string(report.outcomes) + " realised outcomes");
    }
  }
  return report;
}

void DriftDetector::attach(PubSubManager& bus) {
  bus_ = &bus;
  bus.subscribe<MarketDataOHLCVEvent>([this](const MarketDataOHLCVEvent& bar) { on_bar(bar); },
                                      "models.drift");
  bus.subscribe<FeatureEvent>(
      [this](const FeatureEvent& event) {
        const Status observed = observe_features(event.features);
        if (!observed.is_ok() && bus_ != nullptr) {
          SystemErrorEvent error;
          error.source = "models.drift";
          error.message = observed.message();
          bus_->publish(std::move(error));
        }
      },
      "models.drift");
  bus.subscribe<PredictionEvent>(
      [this](const PredictionEvent& prediction) { on_prediction(prediction); }, "models.drift");
}

void DriftDetector::on_prediction(const PredictionEvent& prediction) {
  if (prediction.model_id != model_id_) return;
  if (!observe_prediction(prediction.value).is_ok()) return;  // the service never publishes one
  const auto close = last_close_.find(prediction.instrument);
  if (close == last_close_.end()) return;
  pending_[prediction.instrument].push_back({close->second, prediction.value, 0});
}

void DriftDetector::on_bar(const MarketDataOHLCVEvent& bar) {
  last_close_.insert_or_assign(bar.instrument, bar.close);
  auto it = pending_.find(bar.instrument);
  if (it == pending_.end()) return;
  const auto ppm = static_cast<int64_t>(std::llround(label_.min_return_pct / 100.0 * 1e6));
  auto& pending = it->second;
  size_t kept = 0;
  for (auto& outcome : pending) {
    ++outcome.bars_seen;
    const Price later = bar.close.rescaled(outcome.close.precision(), Rounding::kHalfEven);
    const bool up = static_cast<Int128>(later.raw()) * 1'000'000 >=
                    static_cast<Int128>(outcome.close.raw()) * (1'000'000 + ppm);
    if (up || outcome.bars_seen >= label_.horizon_bars) {
      observe_outcome((outcome.probability >= 0.5) == up);
    } else {
      pending[kept++] = outcome;
    }
  }
  pending.resize(kept);
}

DriftReport DriftDetector::run_check() {
  const Timestamp now = bus_ != nullptr ? bus_->clock().now() : Timestamp{};
  DriftReport report = check(now);
  if (bus_ != nullptr) {
    for (const auto& event : report.events) {
      LogEvent log;
      log.severity = LogSeverity::kWarning;
      log.source = "models.drift";
      log.message = "drift of model '" + model_id_ + "': " + event.message;
      bus_->publish(std::move(log));
    }
  }
  if (sink_) sink_(report);
  return report;
}

TimerId DriftDetector::schedule(Scheduler& scheduler, Duration interval) {
  return scheduler.schedule_every(interval, [this] { run_check(); });
}

}  // namespace galfriday::models
