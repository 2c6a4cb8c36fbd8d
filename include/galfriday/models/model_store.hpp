#pragma once
// The model lifecycle's tables (migration 004_models): registered model versions and their stage
// history, A/B experiments with per-key assignments and outcomes, retraining jobs and drift
// events. The SQL is portable and runs on any persistence::Database migrated to version 4.
//
// Storage follows the persistence rules: timestamps are INTEGER nanoseconds, money is exact
// decimal text, enums are their to_string() text; doubles (metrics, statistics) are shortest
// round-trip text; lists and maps are JSON text. A row that cannot be read back is kDataLoss
// naming the table, key and column.
//
// Each store holds a reference to its Database and nothing else; use it from the thread that
// owns the connection.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::models {

// development → staging → production → archived (docs/models.md has the allowed moves).
enum class ModelStage { kDevelopment, kStaging, kProduction, kArchived };
std::string_view to_string(ModelStage stage);
// INVALID_ARGUMENT naming the accepted words.
Result<ModelStage> parse_model_stage(std::string_view text);

struct ModelVersionRecord {
  std::string model_id;
  std::string target;
  ModelStage stage = ModelStage::kDevelopment;
  std::string artifact_path;  // the model file inside the registry directory
  std::string sha256;         // of the model file's bytes, recorded at registration
  std::vector<std::string> feature_names;
  std::optional<Timestamp> training_start;
  std::optional<Timestamp> training_end;
  std::string params_json = "{}";
  std::map<std::string, double> metrics;
  std::optional<std::string> distribution_json;  // TrainingDistribution, for drift detection
  Timestamp created_at{};
  Timestamp stage_changed_at{};
  friend bool operator==(const ModelVersionRecord&, const ModelVersionRecord&) = default;
};

struct StageChange {
  std::string model_id;
  std::optional<ModelStage> from;  // nullopt for the registration itself
  ModelStage to = ModelStage::kDevelopment;
  std::string reason;
  Timestamp at{};
  friend bool operator==(const StageChange&, const StageChange&) = default;
};

class ModelVersionStore {
 public:
  explicit ModelVersionStore(persistence::Database& db) : db_(db) {}
  // kAlreadyExists when the model id is taken. Records the registration in the history.
  Status insert(const ModelVersionRecord& record, std::string_view reason);
  Result<std::optional<ModelVersionRecord>> find(std::string_view model_id);
  // All versions (of one target when given), newest registration first.
  Result<std::vector<ModelVersionRecord>> list(std::optional<std::string_view> target = {});
  // Versions of `target` in `stage`, newest first.
  Result<std::vector<ModelVersionRecord>> in_stage(std::string_view target, ModelStage stage);
  // Sets the stage and appends the history row. No rule checks here (ModelRegistry has them).
  Status set_stage(std::string_view model_id, ModelStage from, ModelStage to,
                   std::string_view reason, Timestamp at);
  // Oldest first.
  Result<std::vector<StageChange>> history(std::string_view model_id);

 private:
  persistence::Database& db_;
};

// ---- Experiments --------------------------------------------------------------------------

enum class Arm { kA, kB };
std::string_view to_string(Arm arm);

enum class ExperimentState { kRunning, kStopped };
std::string_view to_string(ExperimentState state);

struct ExperimentRecord {
  std::string name;
  std::string model_a;         // usually the production model (control)
  std::string model_b;         // the challenger
  double traffic_split = 0.5;  // share of keys routed to b
  ExperimentState state = ExperimentState::kRunning;
  Timestamp started_at{};
  std::optional<Timestamp> stopped_at;
  std::optional<std::string> winner;  // model id
  std::string stop_reason;
  friend bool operator==(const ExperimentRecord&, const ExperimentRecord&) = default;
};

// One routed key with its outcome once known.
struct ArmOutcome {
  Arm arm = Arm::kA;
  std::optional<bool> correct;  // prediction matched the realised label
  std::optional<Money> pnl;     // realised P&L of the resulting trade, when one was made
};

class ExperimentStore {
 public:
  explicit ExperimentStore(persistence::Database& db) : db_(db) {}
  // kAlreadyExists when the name is taken.
  Status insert(const ExperimentRecord& record);
  Result<std::optional<ExperimentRecord>> find(std::string_view name);
  Result<std::vector<ExperimentRecord>> list();
  // Records the arm of `key`; when the key is already assigned, keeps (and returns) the stored
  // arm, so a replayed key never switches arms.
  Result<Arm> assign(std::string_view experiment, std::string_view key, Arm arm, Timestamp at);
  // kNotFound when the key was never assigned. A second outcome for the same key replaces the
  // first (a trade's P&L is known after its accuracy).
  Status record_outcome(std::string_view experiment, std::string_view key,
                        std::optional<bool> correct, std::optional<Money> pnl, Timestamp at);
  Result<std::vector<ArmOutcome>> outcomes(std::string_view experiment);
  Status stop(std::string_view name, Timestamp at, std::optional<std::string> winner,
              std::string_view reason);

 private:
  persistence::Database& db_;
};

// ---- Retraining jobs ----------------------------------------------------------------------

enum class JobStatus { kRunning, kSucceeded, kFailed };
std::string_view to_string(JobStatus status);

struct RetrainingJobRecord {
  int64_t id = 0;
  std::string trigger;  // "schedule", "on demand", "drift: ..."
  JobStatus status = JobStatus::kRunning;
  Timestamp started_at{};
  std::optional<Timestamp> finished_at;
  std::optional<std::string> model_id;
  bool promoted = false;
  std::string message;
  friend bool operator==(const RetrainingJobRecord&, const RetrainingJobRecord&) = default;
};

class RetrainingJobStore {
 public:
  explicit RetrainingJobStore(persistence::Database& db) : db_(db) {}
  // The new job's id.
  Result<int64_t> start(std::string_view trigger, Timestamp at);
  Status finish(int64_t id, JobStatus status, Timestamp at, std::optional<std::string> model_id,
                bool promoted, std::string_view message);
  // Newest first.
  Result<std::vector<RetrainingJobRecord>> recent(int64_t limit);

 private:
  persistence::Database& db_;
};

// ---- Drift events -------------------------------------------------------------------------

enum class DriftKind { kFeature, kPrediction, kPerformance };
std::string_view to_string(DriftKind kind);

struct DriftEventRecord {
  int64_t id = 0;  // assigned on insert
  std::string model_id;
  DriftKind kind = DriftKind::kFeature;
  std::string subject;    // the feature name, "prediction" or "hit_rate"
  std::string statistic;  // "psi", "ks_pvalue", "hit_rate"
  double value = 0.0;
  double threshold = 0.0;
  Timestamp detected_at{};
  std::string message;
  friend bool operator==(const DriftEventRecord&, const DriftEventRecord&) = default;
};

class DriftEventStore {
 public:
  explicit DriftEventStore(persistence::Database& db) : db_(db) {}
  Result<int64_t> insert(const DriftEventRecord& event);
  // Oldest first.
  Result<std::vector<DriftEventRecord>> for_model(std::string_view model_id);

 private:
  persistence::Database& db_;
};

}  // namespace galfriday::models
