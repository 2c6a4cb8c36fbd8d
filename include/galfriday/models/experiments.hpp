#pragma once
// ExperimentManager: A/B experiments between two registered models of one target.
//
// Routing: each key (a signal id, or "<pair>@<bar time>") goes to arm b when
// FNV-1a-64(experiment name + '\n' + key) mod 10^6 < traffic_split · 10^6, else to arm a. The
// hash makes routing deterministic (a replayed key lands on the same arm, across restarts and
// processes) and independent between experiments. The first assignment of a key is stored, so
// it can never switch arms.
//
// Outcomes per arm: prediction accuracy (did the predicted direction happen) and the realised
// P&L of the trades that followed. Decision (evaluate()):
//   - an arm's total P&L at or below −max_loss: stop, the other arm wins only if it is not
//     losing too; no promotion either way (a loss stop is a safety stop, not evidence);
//   - both arms with at least min_samples outcomes: the two-proportion z-test on accuracy at the
//     significance level picks the more accurate arm, unless Welch's t-test on P&L (when both arms
//     have ≥ 2 trades) is significant the other way, which makes it undecided; when accuracy does
//     not differ significantly, a significant P&L difference decides;
//   - past max_duration without a significant difference: stop, no winner.
// stop() with promote promotes the winner to production through the registry.
//
// One manager per Database connection; use it from the thread that owns the connection.

#include <optional>
#include <string>
#include <string_view>

#include "galfriday/config/config.hpp"
#include "galfriday/models/model_registry.hpp"
#include "galfriday/models/statistics.hpp"

namespace galfriday::models {

struct ExperimentSettings {
  double traffic_split = 0.5;
  double significance = 0.05;
  uint64_t min_samples = 200;
  Duration max_duration = std::chrono::hours(168);
  Money max_loss = Money::from_raw(1000, 0);
};

ExperimentSettings experiment_settings_from(const config::ModelsConfig& config);

// The arm of `key` in `experiment` (see above).
Arm route(std::string_view experiment, std::string_view key, double traffic_split);

struct ArmSummary {
  uint64_t assigned = 0;
  uint64_t outcomes = 0;  // keys with a known accuracy
  uint64_t correct = 0;
  std::optional<double> accuracy;
  uint64_t trades = 0;  // keys with a realised P&L
  Money total_pnl = Money::from_raw(0, 8);
  std::optional<double> mean_pnl;
};

enum class ExperimentDecision { kContinue, kWinnerA, kWinnerB, kStopNoWinner };
std::string_view to_string(ExperimentDecision decision);

struct ExperimentStatus {
  ExperimentRecord record;
  ArmSummary a;
  ArmSummary b;
  std::optional<TestResult> accuracy_test;  // z > 0: a more accurate
  std::optional<TestResult> pnl_test;       // t > 0: a earns more per trade
  ExperimentDecision decision = ExperimentDecision::kContinue;
  std::string reason;
};

std::string describe(const ExperimentStatus& status);

class ExperimentManager {
 public:
  ExperimentManager(ModelRegistry& registry, persistence::Database& db, const Clock& clock,
                    ExperimentSettings defaults);

  // Both models registered, distinct, same target, neither archived; the name unused.
  Result<ExperimentRecord> start(std::string_view name, std::string_view model_a,
                                 std::string_view model_b,
                                 std::optional<double> traffic_split = std::nullopt);
  // The arm (and its model id) for `key`; FAILED_PRECONDITION once the experiment stopped.
  Result<Arm> assign(std::string_view name, std::string_view key);
  Status record_outcome(std::string_view name, std::string_view key, std::optional<bool> correct,
                        std::optional<Money> pnl);

  // Summaries, tests and the decision the rules give now.
  Result<ExperimentStatus> status(std::string_view name);
  // status(); when the decision is to stop, stops the experiment (promoting the winner when
  // `promote_winner`). Returns the status it acted on.
  Result<ExperimentStatus> evaluate(std::string_view name, bool promote_winner);
  // Stops now, whatever the rules say; the winner is the one the rules give (if any), promoted
  // when asked.
  Result<ExperimentStatus> stop(std::string_view name, std::string_view reason,
                                bool promote_winner);

 private:
  Result<ExperimentStatus> finish(ExperimentStatus status, std::string reason, bool promote);

  ModelRegistry& registry_;
  ExperimentStore store_;
  const Clock& clock_;
  ExperimentSettings defaults_;
};

}  // namespace galfriday::models
