#include "galfriday/models/experiments.hpp"

#include <cmath>
#include <sstream>
#include <vector>

namespace galfriday::models {
namespace {

uint64_t fnv1a64(std::string_view a, std::string_view b) {
  uint64_t hash = 14695981039346656037ULL;
  const auto mix = [&](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
  };
  mix(a);
  mix("\n");
  mix(b);
  return hash;
}

std::string fixed(double value, int decimals = 4) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

}  // namespace

ExperimentSettings experiment_settings_from(const config::ModelsConfig& config) {
  ExperimentSettings out;
  out.traffic_split = config.experiment_traffic_split;
  out.significance = config.experiment_significance;
  out.min_samples = static_cast<uint64_t>(config.experiment_min_samples);
  out.max_duration = std::chrono::hours(config.experiment_max_duration_hours);
  out.max_loss = config.experiment_max_loss;
  return out;
}

Arm route(std::string_view experiment, std::string_view key, double traffic_split) {
  constexpr uint64_t kBuckets = 1'000'000;
  const uint64_t bucket = fnv1a64(experiment, key) % kBuckets;
  const auto threshold = static_cast<uint64_t>(std::llround(traffic_split * kBuckets));
  return bucket < threshold ? Arm::kB : Arm::kA;
}

std::string_view to_string(ExperimentDecision decision) {
  switch (decision) {
    case ExperimentDecision::kContinue:
      return "continue";
    case ExperimentDecision::kWinnerA:
      return "winner a";
    case ExperimentDecision::kWinnerB:
      return "winner b";
    case ExperimentDecision::kStopNoWinner:
      return "stop without a winner";
  }
  return "?";
}

std::string describe(const ExperimentStatus& status) {
  const auto arm = [](std::string_view label, const std::string& model, const ArmSummary& s) {
    std::string out = std::string(label) + " " + model + ": " + std::to_string(s.assigned) +
                      " assigned, " + std::to_string(s.outcomes) + " outcomes";
    if (s.accuracy) out += ", accuracy " + fixed(*s.accuracy);
    out += ", " + std::to_string(s.trades) + " trades, P&L " + s.total_pnl.to_string();
    return out + "\n";
  };
  std::string out = "experiment " + status.record.name + " (" +
                    std::string(to_string(status.record.state)) + ", split " +
                    fixed(status.record.traffic_split, 2) + " to b)\n";
  out += arm("a", status.record.model_a, status.a);
  out += arm("b", status.record.model_b, status.b);
  if (status.accuracy_test) {
    out += "accuracy z-test: z = " + fixed(status.accuracy_test->statistic) +
           ", p = " + fixed(status.accuracy_test->p_value, 6) + "\n";
  }
  if (status.pnl_test) {
    out += "P&L Welch t-test: t = " + fixed(status.pnl_test->statistic) +
           ", df = " + fixed(status.pnl_test->degrees_of_freedom, 1) +
           ", p = " + fixed(status.pnl_test->p_value, 6) + "\n";
  }
  out += "decision: " + std::string(to_string(status.decision)) + " (" + status.reason + ")";
  if (status.record.winner) out += "\nwinner: " + *status.record.winner;
  return out;
}

ExperimentManager::ExperimentManager(ModelRegistry& registry, persistence::Database& db,
                                     const Clock& clock, ExperimentSettings defaults)
    : registry_(registry), store_(db), clock_(clock), defaults_(defaults) {}

Result<ExperimentRecord> ExperimentManager::start(std::string_view name, std::string_view model_a,
                                                  std::string_view model_b,
                                                  std::optional<double> traffic_split) {
  GF_RETURN_IF_ERROR(check_model_id(name).with_context("experiment name"));
  if (model_a == model_b) {
    return invalid_argument("experiment '" + std::string(name) + "': both arms are model '" +
                            std::string(model_a) + "'");
  }
  const double split = traffic_split.value_or(defaults_.traffic_split);
  if (!(split > 0.0 && split < 1.0)) {
    return invalid_argument("experiment traffic split must be between 0 and 1 (exclusive)");
  }
  auto a = registry_.get(model_a);
  if (!a) return a.status();
  auto b = registry_.get(model_b);
  if (!b) return b.status();
  if (a->target != b->target) {
    return invalid_argument("experiment '" + std::string(name) + "': model '" + a->model_id +
                            "' predicts " + a->target + " but '" + b->model_id + "' predicts " +
                            b->target);
  }
  for (const auto* model : {&*a, &*b}) {
    if (model->stage == ModelStage::kArchived) {
      return failed_precondition("model '" + model->model_id +
                                 "' is archived; move it to staging first");
    }
  }
  ExperimentRecord record;
  record.name = std::string(name);
  record.model_a = a->model_id;
  record.model_b = b->model_id;
  record.traffic_split = split;
  record.started_at = clock_.now();
  const Status inserted = store_.insert(record);
  if (inserted.code() == StatusCode::kAlreadyExists) {
    return Status(StatusCode::kAlreadyExists,
                  "an experiment named '" + record.name + "' already exists");
  }
  GF_RETURN_IF_ERROR(inserted);
  return record;
}

Result<Arm> ExperimentManager::assign(std::string_view name, std::string_view key) {
  auto record = store_.find(name);
  if (!record) return record.status();
  if (!record->has_value()) return not_found("no experiment named '" + std::string(name) + "'");
  if ((*record)->state != ExperimentState::kRunning) {
    return failed_precondition("experiment '" + std::string(name) + "' is stopped");
  }
  return store_.assign(name, key, route(name, key, (*record)->traffic_split), clock_.now());
}

Status ExperimentManager::record_outcome(std::string_view name, std::string_view key,
                                         std::optional<bool> correct, std::optional<Money> pnl) {
  return store_.record_outcome(name, key, correct, pnl, clock_.now());
}

Result<ExperimentStatus> ExperimentManager::status(std::string_view name) {
  auto record = store_.find(name);
  if (!record) return record.status();
  if (!record->has_value()) return not_found("no experiment named '" + std::string(name) + "'");
  auto outcomes = store_.outcomes(name);
  if (!outcomes) return outcomes.status();
  ExperimentStatus status;
  status.record = std::move(**record);
  std::vector<double> pnl_a;
  std::vector<double> pnl_b;
  for (const ArmOutcome& outcome : *outcomes) {
    ArmSummary& arm = outcome.arm == Arm::kA ? status.a : status.b;
    ++arm.assigned;
    if (outcome.correct) {
      ++arm.outcomes;
      arm.correct += *outcome.correct ? 1 : 0;
    }
    if (outcome.pnl) {
      ++arm.trades;
      arm.total_pnl = arm.total_pnl + *outcome.pnl;
      (outcome.arm == Arm::kA ? pnl_a : pnl_b).push_back(outcome.pnl->to_double());
    }
  }
  for (ArmSummary* arm : {&status.a, &status.b}) {
    if (arm->outcomes > 0) {
      arm->accuracy = static_cast<double>(arm->correct) / static_cast<double>(arm->outcomes);
    }
    if (arm->trades > 0) {
      arm->mean_pnl = arm->total_pnl.to_double() / static_cast<double>(arm->trades);
    }
  }
  if (status.a.outcomes > 0 && status.b.outcomes > 0) {
    status.accuracy_test = two_proportion_z_test(status.a.correct, status.a.outcomes,
                                                 status.b.correct, status.b.outcomes)
                               .value();
  }
  if (pnl_a.size() >= 2 && pnl_b.size() >= 2) {
    auto test = welch_t_test(pnl_a, pnl_b);
    if (test) status.pnl_test = *test;
  }

  if (status.record.state != ExperimentState::kRunning) {
    status.decision = !status.record.winner ? ExperimentDecision::kStopNoWinner
                      : *status.record.winner == status.record.model_a
                          ? ExperimentDecision::kWinnerA
                          : ExperimentDecision::kWinnerB;
    status.reason = status.record.stop_reason;
    return status;
  }
  const Money loss_limit = -defaults_.max_loss;
  const bool a_lost = status.a.total_pnl <= loss_limit;
  const bool b_lost = status.b.total_pnl <= loss_limit;
  if (a_lost || b_lost) {
    status.decision = ExperimentDecision::kStopNoWinner;
    status.reason = std::string("max loss: arm ") + (a_lost ? "a" : "b") + " lost " +
                    (a_lost ? status.a : status.b).total_pnl.to_string() + " (limit " +
                    defaults_.max_loss.to_string() + ")";
    return status;
  }
  const double alpha = defaults_.significance;
  const bool enough =
      status.a.outcomes >= defaults_.min_samples && status.b.outcomes >= defaults_.min_samples;
  if (enough) {
    const bool pnl_significant = status.pnl_test && status.pnl_test->p_value < alpha;
    const bool accuracy_significant = status.accuracy_test && status.accuracy_test->p_value < alpha;
    if (accuracy_significant) {
      const bool a_better = status.accuracy_test->statistic > 0.0;
      const bool pnl_disagrees =
          pnl_significant && ((status.pnl_test->statistic > 0.0) != a_better);
      if (!pnl_disagrees) {
        status.decision = a_better ? ExperimentDecision::kWinnerA : ExperimentDecision::kWinnerB;
        status.reason = std::string("arm ") + (a_better ? "a" : "b") +
                        " is more accurate (z-test p = " + fixed(status.accuracy_test->p_value, 6) +
                        " < " + fixed(alpha, 4) + ")";
        return status;
      }
      status.reason = "accuracy and P&L disagree significantly; collecting more outcomes";
    } else if (pnl_significant) {
      const bool a_better = status.pnl_test->statistic > 0.0;
      status.decision = a_better ? ExperimentDecision::kWinnerA : ExperimentDecision::kWinnerB;
      status.reason = std::string("arm ") + (a_better ? "a" : "b") +
                      " earns more per trade (Welch p = " + fixed(status.pnl_test->p_value, 6) +
                      " < " + fixed(alpha, 4) + ")";
      return status;
    } else {
      status.reason = "no significant difference yet";
    }
  } else {
    status.reason = "waiting for " + std::to_string(defaults_.min_samples) +
                    " outcomes per arm (a " + std::to_string(status.a.outcomes) + ", b " +
                    std::to_string(status.b.outcomes) + ")";
  }
  if (clock_.now() - status.record.started_at >= defaults_.max_duration) {
    status.decision = ExperimentDecision::kStopNoWinner;
    status.reason = "max duration reached without a significant difference";
  }
  return status;
}

Result<ExperimentStatus> ExperimentManager::finish(ExperimentStatus status, std::string reason,
                                                   bool promote) {
  std::optional<std::string> winner;
  if (status.decision == ExperimentDecision::kWinnerA) winner = status.record.model_a;
  if (status.decision == ExperimentDecision::kWinnerB) winner = status.record.model_b;
  const Timestamp now = clock_.now();
  GF_RETURN_IF_ERROR(store_.stop(status.record.name, now, winner, reason));
  status.record.state = ExperimentState::kStopped;
  status.record.stopped_at = now;
  status.record.winner = winner;
  status.record.stop_reason = reason;
  if (promote && winner) {
    auto model = registry_.get(*winner);
    if (!model) return model.status();
    const std::string why = "won experiment " + status.record.name + ": " + reason;
    if (model->stage == ModelStage::kDevelopment) {
      auto staged = registry_.move(*winner, ModelStage::kStaging, why);
      if (!staged) return staged.status();
    }
    if (model->stage != ModelStage::kProduction) {
      auto promoted = registry_.promote_to_production(*winner, why);
      if (!promoted) return promoted.status();
    }
  }
  return status;
}

Result<ExperimentStatus> ExperimentManager::evaluate(std::string_view name, bool promote_winner) {
  auto current = status(name);
  if (!current) return current;
  if (current->record.state != ExperimentState::kRunning ||
      current->decision == ExperimentDecision::kContinue) {
    return current;
  }
  const std::string reason = current->reason;
  return finish(std::move(*current), reason, promote_winner);
}

Result<ExperimentStatus> ExperimentManager::stop(std::string_view name, std::string_view reason,
                                                 bool promote_winner) {
  auto current = status(name);
  if (!current) return current;
  if (current->record.state != ExperimentState::kRunning) {
    return failed_precondition("experiment '" + std::string(name) + "' is already stopped");
  }
  if (current->decision == ExperimentDecision::kContinue) {
    current->decision = ExperimentDecision::kStopNoWinner;
  }
  std::string why = std::string(reason);
  if (!current->reason.empty()) why += " (" + current->reason + ")";
  return finish(std::move(*current), why, promote_winner);
}

}  // namespace galfriday::models
