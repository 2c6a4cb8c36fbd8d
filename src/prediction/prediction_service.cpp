#include "galfriday/prediction/prediction_service.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <optional>
#include <set>

#include "galfriday/prediction/xgboost_model.hpp"

namespace galfriday {

MomentumModel::MomentumModel(std::string id, double sensitivity, std::string spread_feature)
    : id_(std::move(id)), sensitivity_(sensitivity), feature_names_{std::move(spread_feature)} {}

Result<double> MomentumModel::predict(const std::vector<double>& inputs) const {
  if (inputs.size() != 1) return invalid_argument("momentum model expects 1 input");
  if (!std::isfinite(inputs[0])) {
    return invalid_argument(feature_names_[0] + " is not a finite number");
  }
  return 1.0 / (1.0 + std::exp(-sensitivity_ * inputs[0]));
}

Result<std::unique_ptr<PredictionModel>> make_model(const config::PredictionConfig& config,
                                                    const config::FeaturesConfig& features) {
  if (config.model_type == "momentum") {
    const std::string spread = "ma_spread_" + std::to_string(features.fast_window) + "_" +
                               std::to_string(features.slow_window);
    return std::unique_ptr<PredictionModel>(
        std::make_unique<MomentumModel>(config.model_id, config.momentum_sensitivity, spread));
  }
  if (config.model_type == "xgboost") {
    auto model = XGBoostModel::load(config.model_path);
    if (!model)
      return model.status().with_context("prediction.model_path " + config.model_path.string());
    return std::unique_ptr<PredictionModel>(std::move(*model));
  }
  return invalid_argument("prediction.model_type '" + config.model_type +
                          "' is not supported (use 'momentum' or 'xgboost')");
}

// --- Plan: what to compute for one FeatureEvent ------------------------------------------------

struct PredictionService::Plan {
  struct Member {
    std::shared_ptr<const PredictionModel> model;
    double weight = 1.0;
    std::vector<size_t> input_indices;  // model input i is feature input_indices[i]
  };
  std::vector<Member> members;
  bool ensemble = false;
  EnsembleMethod method = EnsembleMethod::kAverage;
  std::string model_id;  // published: the model's id, or "ensemble:<target>"
  std::string target;
};

struct PredictionService::Counters {
  std::atomic<uint64_t> predictions{0};
  std::atomic<uint64_t> model_failures{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> submitted{0};
  std::atomic<uint64_t> settled{0};
};

namespace {

using Plan = PredictionService::Plan;
using Counters = PredictionService::Counters;

constexpr std::string_view kSource = "prediction_service";

std::string describe(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return std::to_string(value);
}

std::string milliseconds_text(Duration duration) {
  const double ms = std::chrono::duration<double, std::milli>(duration).count();
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3gms", ms);
  return buffer;
}

// Maps each input of `model` to its index in the engine's features, naming every missing one.
Result<std::vector<size_t>> map_inputs(const PredictionModel& model,
                                       const std::vector<std::string>& available_features) {
  std::vector<size_t> indices;
  std::vector<std::string> missing;
  for (const std::string& name : model.feature_names()) {
    const auto it = std::find(available_features.begin(), available_features.end(), name);
    if (it == available_features.end()) {
      missing.push_back(name);
      continue;
    }
    indices.push_back(static_cast<size_t>(it - available_features.begin()));
  }
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing) names += (names.empty() ? "'" : ", '") + name + "'";
    return invalid_argument("model '" + model.id() + "' needs feature" +
                            (missing.size() > 1 ? "s " : " ") + names +
                            ", which the feature engine does not produce");
  }
  return indices;
}

Status check_target(const PredictionModel& model, const std::string& target) {
  const auto trained_for = model.target();
  if (trained_for && *trained_for != target) {
    return invalid_argument("model '" + model.id() + "' predicts '" + *trained_for +
                            "', but the service target is '" + target + "'");
  }
  return Status::ok();
}

Result<Plan::Member> make_member(std::unique_ptr<PredictionModel> model, double weight,
                                 const std::string& target,
                                 const std::vector<std::string>& available_features) {
  if (model == nullptr) return invalid_argument("no model given");
  auto indices = map_inputs(*model, available_features);
  if (!indices) return indices.status();
  GF_RETURN_IF_ERROR(check_target(*model, target));
  return Plan::Member{std::shared_ptr<const PredictionModel>(std::move(model)), weight,
                      std::move(*indices)};
}

// Runs every member on `features` and combines them. `threw` reports a model that broke its
// contract by throwing (a bug, reported as critical).
Result<double> run_plan(const Plan& plan, const FeatureVector& features,
                        std::vector<double>& inputs, bool& threw) {
  threw = false;
  double weighted_sum = 0.0;
  double weight_sum = 0.0;
  for (const Plan::Member& member : plan.members) {
    const std::string prefix = plan.ensemble ? "member '" + member.model->id() + "': " : "";
    const auto& names = member.model->feature_names();
    inputs.clear();
    for (size_t i = 0; i < member.input_indices.size(); ++i) {
      const size_t index = member.input_indices[i];
      if (index >= features.values.size()) {
        return invalid_argument(prefix + "feature '" + names[i] +
                                "' is missing from the feature vector (" +
                                std::to_string(features.values.size()) + " values)");
      }
      const double value = features.values[index];
      // Policy: a non-finite feature is a broken pipeline; the row is rejected, never predicted.
      if (!std::isfinite(value)) {
        return invalid_argument(prefix + "feature '" + names[i] + "' is not a finite number (" +
                                describe(value) + ")");
      }
      inputs.push_back(value);
    }
    std::optional<Result<double>> value;
    try {
      value.emplace(member.model->predict(inputs));
    } catch (const std::exception& e) {
      threw = true;
      return internal_error(prefix + "model threw: " + e.what());
    } catch (...) {
      threw = true;
      return internal_error(prefix + "model threw an unknown exception");
    }
    if (!value->is_ok()) {
      return Status(value->status().code(), prefix + value->status().message());
    }
    const double p = **value;
    if (!std::isfinite(p) || p < 0.0 || p > 1.0) {
      return out_of_range(prefix + "model output " + describe(p) + " is not a probability");
    }
    const double weight = plan.method == EnsembleMethod::kWeightedAverage ? member.weight : 1.0;
    weighted_sum += weight * p;
    weight_sum += weight;
  }
  return weighted_sum / weight_sum;
}

PredictionEvent make_prediction(const Plan& plan, const FeatureEvent& event, FeatureVector features,
                                double value) {
  PredictionEvent prediction;
  prediction.meta.ts_event = event.meta.ts_event;
  prediction.instrument = event.instrument;
  prediction.model_id = plan.model_id;
  prediction.target = plan.target;
  prediction.value = value;
  prediction.confidence = std::abs(value - 0.5) * 2.0;
  prediction.feature_event_sequence = event.meta.sequence;
  prediction.features = std::move(features);
  return prediction;
}

SystemErrorEvent make_error(std::string message, bool critical) {
  SystemErrorEvent error;
  error.source = std::string(kSource);
  error.message = std::move(message);
  error.critical = critical;
  return error;
}

std::string failure_message(const Plan& plan, const FeatureEvent& event, const Status& status) {
  return "model '" + plan.model_id + "' failed on " + event.instrument.str() + ": " +
         status.message();
}

// One FeatureEvent on its way through the pool. compute() writes only result_/threw_/inputs_;
// expire() reads only what the constructor set, so the two may overlap (InferenceTask).
class PredictionTask final : public InferenceTask {
 public:
  PredictionTask(std::shared_ptr<const Plan> plan, FeatureEvent event, PubSubManager& bus,
                 Counters& counters, Duration deadline)
      : plan_(std::move(plan)),
        event_(std::move(event)),
        bus_(bus),
        counters_(counters),
        deadline_(deadline) {}

  void compute() noexcept override {
    try {
      result_.emplace(run_plan(*plan_, event_.features, inputs_, threw_));
    } catch (...) {  // allocation failure while building a message
      threw_ = true;
      result_.emplace(internal_error("prediction failed: out of memory"));
    }
  }

  void commit() noexcept override {
    try {
      if (result_->is_ok()) {
        counters_.predictions.fetch_add(1, std::memory_order_relaxed);
        const double value = **result_;
        bus_.post(make_prediction(*plan_, event_, std::move(event_.features), value));
      } else {
        counters_.model_failures.fetch_add(1, std::memory_order_relaxed);
        bus_.post(make_error(failure_message(*plan_, event_, result_->status()), threw_));
      }
    } catch (...) {
      // Only allocation can fail here; there is nothing left to report it with.
    }
    counters_.settled.fetch_add(1, std::memory_order_release);
  }

  void expire(Duration waited) noexcept override {
    counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
    try {
      bus_.post(make_error("model '" + plan_->model_id + "' missed its " +
                               milliseconds_text(deadline_) + " deadline on " +
                               event_.instrument.str() + " (FeatureEvent #" +
                               std::to_string(event_.meta.sequence) + ", " +
                               milliseconds_text(waited) + " after dispatch): no prediction",
                           false));
    } catch (...) {
      // As in commit().
    }
    counters_.settled.fetch_add(1, std::memory_order_release);
  }

 private:
  const std::shared_ptr<const Plan> plan_;
  FeatureEvent event_;
  PubSubManager& bus_;
  Counters& counters_;
  const Duration deadline_;
  std::vector<double> inputs_;
  std::optional<Result<double>> result_;
  bool threw_ = false;
};

Status validate_options(const PredictionServiceOptions& options) {
  if (options.mode == InferenceMode::kSynchronous) return Status::ok();
  if (options.worker_threads == 0)
    return invalid_argument("prediction needs at least one worker thread");
  if (options.queue_capacity == 0)
    return invalid_argument("prediction queue capacity must be at least 1");
  if (options.deadline < Duration::zero()) {
    return invalid_argument("prediction deadline must not be negative (0 disables it)");
  }
  if (options.deadline > Duration::zero() && options.watchdog_interval <= Duration::zero()) {
    return invalid_argument("prediction watchdog interval must be positive");
  }
  return Status::ok();
}

}  // namespace

// --- PredictionService -----------------------------------------------------------------------

Result<std::unique_ptr<PredictionService>> PredictionService::create(
    std::unique_ptr<PredictionModel> model, std::string target,
    const std::vector<std::string>& available_features, PredictionServiceOptions options) {
  std::vector<EnsembleMember> members;
  members.push_back(EnsembleMember{std::move(model), 1.0});
  return build(std::move(members), false, EnsembleMethod::kAverage, std::move(target),
               available_features, options);
}

Result<std::unique_ptr<PredictionService>> PredictionService::create_ensemble(
    std::vector<EnsembleMember> members, EnsembleMethod method, std::string target,
    const std::vector<std::string>& available_features, PredictionServiceOptions options) {
  if (members.empty()) return invalid_argument("ensemble for '" + target + "' has no models");
  return build(std::move(members), true, method, std::move(target), available_features, options);
}

Result<std::unique_ptr<PredictionService>> PredictionService::build(
    std::vector<EnsembleMember> members, bool ensemble, EnsembleMethod method, std::string target,
    const std::vector<std::string>& available_features, PredictionServiceOptions options) {
  GF_RETURN_IF_ERROR(validate_options(options));
  auto plan = std::make_shared<Plan>();
  plan->ensemble = ensemble;
  plan->method = method;
  plan->target = target;
  std::set<std::string> ids;
  for (EnsembleMember& member : members) {
    if (ensemble && method == EnsembleMethod::kWeightedAverage &&
        (!std::isfinite(member.weight) || member.weight <= 0.0)) {
      return invalid_argument("ensemble for '" + target + "': weight of model '" +
                              (member.model ? member.model->id() : std::string("?")) +
                              "' must be a finite number > 0, got " + describe(member.weight));
    }
    auto made = make_member(std::move(member.model), member.weight, target, available_features);
    if (!made) return made.status();
    if (!ids.insert(made->model->id()).second) {
      return invalid_argument("ensemble for '" + target + "' has model '" + made->model->id() +
                              "' twice");
    }
    plan->members.push_back(std::move(*made));
  }
  plan->model_id = ensemble ? "ensemble:" + target : plan->members.front().model->id();
  return std::unique_ptr<PredictionService>(
      new PredictionService(std::move(plan), std::move(target), available_features, options));
}

PredictionService::PredictionService(std::shared_ptr<const Plan> plan, std::string target,
                                     std::vector<std::string> available_features,
                                     PredictionServiceOptions options)
    : plan_(std::move(plan)),
      target_(std::move(target)),
      available_features_(std::move(available_features)),
      options_(options),
      counters_(std::make_unique<Counters>()) {}

PredictionService::~PredictionService() {
  // Workers first: their tasks use the bus and the counters.
  pool_.reset();
  if (bus_ != nullptr) bus_->unsubscribe(subscription_);
}

void PredictionService::attach(PubSubManager& bus) {
  bus_ = &bus;
  if (options_.mode == InferenceMode::kAsynchronous && pool_ == nullptr) {
    InferencePoolOptions pool_options;
    pool_options.threads = options_.worker_threads;
    pool_options.queue_capacity = options_.queue_capacity;
    pool_options.deadline = options_.deadline;
    pool_options.watchdog_interval = options_.watchdog_interval;
    auto pool = InferencePool::create(pool_options, bus.clock());
    if (pool) {
      pool_ = std::move(*pool);
    } else {
      pool_status_ = pool.status();
    }
  }
  subscription_ = bus.subscribe<FeatureEvent>([this](const FeatureEvent& e) { on_features(e); },
                                              std::string(kSource));
}

void PredictionService::on_features(const FeatureEvent& event) {
  const Plan& plan = *plan_;
  if (options_.mode == InferenceMode::kSynchronous) {
    bool threw = false;
    auto value = run_plan(plan, event.features, inputs_, threw);
    if (!value) {
      // A model that cannot answer must be visible, not silently skipped.
      counters_->model_failures.fetch_add(1, std::memory_order_relaxed);
      bus_->publish(make_error(failure_message(plan, event, value.status()), threw));
      return;
    }
    counters_->predictions.fetch_add(1, std::memory_order_relaxed);
    bus_->publish(make_prediction(plan, event, event.features, *value));
    return;
  }
  if (pool_ == nullptr) {
    report_rejected(event, pool_status_);
    return;
  }
  counters_->submitted.fetch_add(1, std::memory_order_relaxed);
  Status submitted = pool_->submit(
      std::make_shared<PredictionTask>(plan_, event, *bus_, *counters_, options_.deadline));
  if (!submitted.is_ok()) {
    counters_->submitted.fetch_sub(1, std::memory_order_relaxed);
    report_rejected(event, submitted);
  }
}

void PredictionService::report_rejected(const FeatureEvent& event, const Status& status) {
  counters_->rejected.fetch_add(1, std::memory_order_relaxed);
  bus_->publish(make_error("model '" + plan_->model_id + "' skipped " + event.instrument.str() +
                               " (FeatureEvent #" + std::to_string(event.meta.sequence) +
                               "): " + status.message(),
                           false));
}

Status PredictionService::replace_model(std::unique_ptr<PredictionModel> replacement) {
  if (plan_->members.size() != 1) {
    return failed_precondition("the service for '" + target_ + "' runs an ensemble of " +
                               std::to_string(plan_->members.size()) +
                               " models; name the member to replace");
  }
  return swap_member(0, std::move(replacement));
}

Status PredictionService::replace_model(std::string_view current_id,
                                        std::unique_ptr<PredictionModel> replacement) {
  const auto& members = plan_->members;
  const auto it = std::find_if(members.begin(), members.end(),
                               [&](const Plan::Member& m) { return m.model->id() == current_id; });
  if (it == members.end()) {
    return not_found("the service for '" + target_ + "' has no model '" + std::string(current_id) +
                     "'");
  }
  return swap_member(static_cast<size_t>(it - members.begin()), std::move(replacement));
}

Status PredictionService::swap_member(size_t index, std::unique_ptr<PredictionModel> replacement) {
  const double weight = plan_->members[index].weight;
  auto member = make_member(std::move(replacement), weight, target_, available_features_);
  if (!member) return member.status();
  for (size_t i = 0; i < plan_->members.size(); ++i) {
    if (i != index && plan_->members[i].model->id() == member->model->id()) {
      return invalid_argument("the ensemble for '" + target_ + "' already has model '" +
                              member->model->id() + "'");
    }
  }
  auto next = std::make_shared<Plan>(*plan_);
  next->members[index] = std::move(*member);
  if (!next->ensemble) next->model_id = next->members.front().model->id();
  // Tasks already submitted hold the previous plan and finish with it.
  plan_ = std::move(next);
  return Status::ok();
}

std::string PredictionService::model_id() const { return plan_->model_id; }

uint64_t PredictionService::failures() const {
  const PredictionServiceStats s = stats();
  return s.model_failures + s.timeouts + s.rejected;
}

PredictionServiceStats PredictionService::stats() const {
  PredictionServiceStats s;
  s.predictions = counters_->predictions.load(std::memory_order_relaxed);
  s.model_failures = counters_->model_failures.load(std::memory_order_relaxed);
  s.timeouts = counters_->timeouts.load(std::memory_order_relaxed);
  s.rejected = counters_->rejected.load(std::memory_order_relaxed);
  return s;
}

uint64_t PredictionService::in_flight() const {
  const uint64_t settled = counters_->settled.load(std::memory_order_acquire);
  const uint64_t submitted = counters_->submitted.load(std::memory_order_relaxed);
  return submitted > settled ? submitted - settled : 0;
}

}  // namespace galfriday
