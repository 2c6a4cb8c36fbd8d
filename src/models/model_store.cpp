#include "galfriday/models/model_store.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace galfriday::models {
namespace {

using persistence::Row;
using persistence::SqlParams;
using persistence::SqlValue;

std::string real_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return {buffer, result.ptr};
}

SqlValue nanos(std::optional<Timestamp> ts) {
  if (!ts) return {};
  return to_nanos(*ts);
}

// Reads one row's columns; the first problem is remembered as a kDataLoss naming the table, key
// and column, so a reader checks once at the end.
class Columns {
 public:
  Columns(const Row& row, std::string_view table, std::string key)
      : row_(row), table_(table), key_(std::move(key)) {}

  std::string text(size_t column, std::string_view name) {
    auto value = row_.text(column);
    if (!value) fail(name, "is NULL or not text");
    return value.value_or("");
  }
  std::optional<std::string> optional_text(size_t column) { return row_.text(column); }
  int64_t integer(size_t column, std::string_view name) {
    auto value = row_.integer(column);
    if (!value) fail(name, "is NULL or not an integer");
    return value.value_or(0);
  }
  Timestamp time(size_t column, std::string_view name) {
    return timestamp_from_nanos(integer(column, name));
  }
  std::optional<Timestamp> optional_time(size_t column) {
    auto value = row_.integer(column);
    if (!value) return std::nullopt;
    return timestamp_from_nanos(*value);
  }
  double real(size_t column, std::string_view name) {
    const std::string value = text(column, name);
    double out = 0.0;
    const auto result = std::from_chars(value.data(), value.data() + value.size(), out);
    if (result.ec != std::errc() || result.ptr != value.data() + value.size()) {
      fail(name, "is not a number: '" + value + "'");
    }
    return out;
  }
  template <typename E>
  E enumeration(size_t column, std::string_view name, std::initializer_list<E> values) {
    const std::string value = text(column, name);
    for (E candidate : values) {
      if (to_string(candidate) == value) return candidate;
    }
    fail(name, "has unknown value '" + value + "'");
    return *values.begin();
  }
  void fail(std::string_view column, const std::string& problem) {
    if (!status_.is_ok()) return;
    status_ = data_loss(std::string(table_) + " '" + key_ + "': column " + std::string(column) +
                        " " + problem);
  }
  const Status& status() const { return status_; }

 private:
  const Row& row_;
  std::string_view table_;
  std::string key_;
  Status status_;
};

// The next id of a table with a BIGINT id column, read inside the caller's transaction (which
// holds the write lock), so ids need no backend-specific auto-increment.
Result<int64_t> next_id(persistence::Database& db, std::string_view purpose, std::string_view sql) {
  auto rows = db.query({purpose, sql});
  if (!rows) return rows.status();
  if (rows->size() != 1 || !rows->front().integer(0)) {
    return internal_error(std::string(purpose) + ": no id returned");
  }
  return *rows->front().integer(0);
}

Status insert_stage_change(persistence::Database& db, std::string_view model_id, SqlValue from,
                           std::string_view to, std::string_view reason, Timestamp at) {
  auto id = next_id(db, "next stage change id",
                    "SELECT COALESCE(MAX(id), 0) + 1 FROM model_stage_history");
  if (!id) return id.status();
  return db
      .execute({"insert stage change",
                "INSERT INTO model_stage_history (id, model_id, from_stage, to_stage, reason, "
                "changed_at_ns) VALUES (?, ?, ?, ?, ?, ?)"},
               {*id, model_id, std::move(from), to, reason, to_nanos(at)})
      .status();
}

constexpr std::initializer_list<ModelStage> kStages = {
    ModelStage::kDevelopment, ModelStage::kStaging, ModelStage::kProduction, ModelStage::kArchived};

constexpr std::string_view kModelColumns =
    "model_id, target, stage, artifact_path, sha256, feature_names, training_start_ns, "
    "training_end_ns, params_json, metrics_json, distribution_json, created_at_ns, "
    "stage_changed_at_ns";

Result<ModelVersionRecord> read_model(const Row& row) {
  ModelVersionRecord record;
  record.model_id = row.text(0).value_or("?");
  Columns c(row, "model_versions", record.model_id);
  record.target = c.text(1, "target");
  record.stage = c.enumeration(2, "stage", kStages);
  record.artifact_path = c.text(3, "artifact_path");
  record.sha256 = c.text(4, "sha256");
  const std::string features = c.text(5, "feature_names");
  record.training_start = c.optional_time(6);
  record.training_end = c.optional_time(7);
  record.params_json = c.text(8, "params_json");
  const std::string metrics = c.text(9, "metrics_json");
  record.distribution_json = c.optional_text(10);
  record.created_at = c.time(11, "created_at_ns");
  record.stage_changed_at = c.time(12, "stage_changed_at_ns");
  GF_RETURN_IF_ERROR(c.status());
  const auto names = nlohmann::json::parse(features, nullptr, false);
  if (!names.is_array()) c.fail("feature_names", "is not a JSON array");
  for (const auto& name : names) {
    if (!name.is_string()) {
      c.fail("feature_names", "holds a non-string");
      break;
    }
    record.feature_names.push_back(name.get<std::string>());
  }
  const auto parsed_metrics = nlohmann::json::parse(metrics, nullptr, false);
  if (!parsed_metrics.is_object()) c.fail("metrics_json", "is not a JSON object");
  for (const auto& [key, value] : parsed_metrics.items()) {
    if (!value.is_number()) {
      c.fail("metrics_json", "metric '" + key + "' is not a number");
      break;
    }
    record.metrics[key] = value.get<double>();
  }
  GF_RETURN_IF_ERROR(c.status());
  return record;
}

Result<std::vector<ModelVersionRecord>> read_models(Result<std::vector<Row>> rows) {
  if (!rows) return rows.status();
  std::vector<ModelVersionRecord> out;
  for (const Row& row : *rows) {
    auto record = read_model(row);
    if (!record) return record.status();
    out.push_back(std::move(*record));
  }
  return out;
}

}  // namespace

std::string_view to_string(ModelStage stage) {
  switch (stage) {
    case ModelStage::kDevelopment:
      return "development";
    case ModelStage::kStaging:
      return "staging";
    case ModelStage::kProduction:
      return "production";
    case ModelStage::kArchived:
      return "archived";
  }
  return "?";
}

Result<ModelStage> parse_model_stage(std::string_view text) {
  for (ModelStage stage : kStages) {
    if (to_string(stage) == text) return stage;
  }
  return invalid_argument("unknown model stage '" + std::string(text) +
                          "' (expected development, staging, production or archived)");
}

std::string_view to_string(Arm arm) { return arm == Arm::kA ? "a" : "b"; }
std::string_view to_string(ExperimentState state) {
  return state == ExperimentState::kRunning ? "running" : "stopped";
}
std::string_view to_string(JobStatus status) {
  switch (status) {
    case JobStatus::kRunning:
      return "running";
    case JobStatus::kSucceeded:
      return "succeeded";
    case JobStatus::kFailed:
      return "failed";
  }
  return "?";
}
std::string_view to_string(DriftKind kind) {
  switch (kind) {
    case DriftKind::kFeature:
      return "feature";
    case DriftKind::kPrediction:
      return "prediction";
    case DriftKind::kPerformance:
      return "performance";
  }
  return "?";
}

// ---- Model versions -----------------------------------------------------------------------

Status ModelVersionStore::insert(const ModelVersionRecord& record, std::string_view reason) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [key, value] : record.metrics) metrics[key] = value;
  const std::string features = nlohmann::json(record.feature_names).dump();
  return db_.transaction("register model", [&](persistence::Database& db) -> Status {
    auto inserted = db.execute(
        {"insert model version",
         "INSERT INTO model_versions (model_id, target, stage, artifact_path, sha256, "
         "feature_names, training_start_ns, training_end_ns, params_json, metrics_json, "
         "distribution_json, created_at_ns, stage_changed_at_ns) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {record.model_id, record.target, to_string(record.stage), record.artifact_path,
         record.sha256, features, nanos(record.training_start), nanos(record.training_end),
         record.params_json, metrics.dump(), SqlValue(record.distribution_json),
         to_nanos(record.created_at), to_nanos(record.stage_changed_at)});
    if (!inserted) return inserted.status();
    return insert_stage_change(db, record.model_id, SqlValue(), to_string(record.stage), reason,
                               record.created_at);
  });
}

Result<std::optional<ModelVersionRecord>> ModelVersionStore::find(std::string_view model_id) {
  const std::string sql =
      "SELECT " + std::string(kModelColumns) + " FROM model_versions WHERE model_id = ?";
  auto rows = read_models(db_.query({"find model version", sql}, {model_id}));
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<ModelVersionRecord>();
  return std::optional<ModelVersionRecord>(std::move(rows->front()));
}

Result<std::vector<ModelVersionRecord>> ModelVersionStore::list(
    std::optional<std::string_view> target) {
  if (target) {
    const std::string sql = "SELECT " + std::string(kModelColumns) +
                            " FROM model_versions WHERE target = ? "
                            "ORDER BY created_at_ns DESC, model_id DESC";
    return read_models(db_.query({"list model versions", sql}, {*target}));
  }
  const std::string sql = "SELECT " + std::string(kModelColumns) +
                          " FROM model_versions ORDER BY created_at_ns DESC, model_id DESC";
  return read_models(db_.query({"list model versions", sql}));
}

Result<std::vector<ModelVersionRecord>> ModelVersionStore::in_stage(std::string_view target,
                                                                    ModelStage stage) {
  const std::string sql = "SELECT " + std::string(kModelColumns) +
                          " FROM model_versions WHERE target = ? AND stage = ? "
                          "ORDER BY stage_changed_at_ns DESC, model_id DESC";
  return read_models(db_.query({"models in stage", sql}, {target, to_string(stage)}));
}

Status ModelVersionStore::set_stage(std::string_view model_id, ModelStage from, ModelStage to,
                                    std::string_view reason, Timestamp at) {
  return db_.transaction("change model stage", [&](persistence::Database& db) -> Status {
    auto changed = db.execute({"update model stage",
                               "UPDATE model_versions SET stage = ?, stage_changed_at_ns = ? "
                               "WHERE model_id = ? AND stage = ?"},
                              {to_string(to), to_nanos(at), model_id, to_string(from)});
    if (!changed) return changed.status();
    if (*changed != 1) {
      return failed_precondition("model '" + std::string(model_id) + "' is no longer in stage " +
                                 std::string(to_string(from)) + " (changed concurrently?)");
    }
    return insert_stage_change(db, model_id, to_string(from), to_string(to), reason, at);
  });
}

Result<std::vector<StageChange>> ModelVersionStore::history(std::string_view model_id) {
  auto rows = db_.query({"model stage history",
                         "SELECT from_stage, to_stage, reason, changed_at_ns "
                         "FROM model_stage_history WHERE model_id = ? ORDER BY id"},
                        {model_id});
  if (!rows) return rows.status();
  std::vector<StageChange> out;
  for (const Row& row : *rows) {
    Columns c(row, "model_stage_history", std::string(model_id));
    StageChange change;
    change.model_id = std::string(model_id);
    if (!row.is_null(0)) change.from = c.enumeration(0, "from_stage", kStages);
    change.to = c.enumeration(1, "to_stage", kStages);
    change.reason = c.text(2, "reason");
    change.at = c.time(3, "changed_at_ns");
    GF_RETURN_IF_ERROR(c.status());
    out.push_back(std::move(change));
  }
  return out;
}

// ---- Experiments --------------------------------------------------------------------------

namespace {

constexpr std::string_view kExperimentColumns =
    "name, model_a, model_b, traffic_split, status, started_at_ns, stopped_at_ns, winner, "
    "stop_reason";

Result<std::vector<ExperimentRecord>> read_experiments(Result<std::vector<Row>> rows) {
  if (!rows) return rows.status();
  std::vector<ExperimentRecord> out;
  for (const Row& row : *rows) {
    ExperimentRecord record;
    record.name = row.text(0).value_or("?");
    Columns c(row, "experiments", record.name);
    record.model_a = c.text(1, "model_a");
    record.model_b = c.text(2, "model_b");
    record.traffic_split = c.real(3, "traffic_split");
    record.state =
        c.enumeration(4, "status", {ExperimentState::kRunning, ExperimentState::kStopped});
    record.started_at = c.time(5, "started_at_ns");
    record.stopped_at = c.optional_time(6);
    record.winner = c.optional_text(7);
    record.stop_reason = c.optional_text(8).value_or("");
    GF_RETURN_IF_ERROR(c.status());
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace

Status ExperimentStore::insert(const ExperimentRecord& record) {
  return db_
      .execute({"insert experiment",
                "INSERT INTO experiments (name, model_a, model_b, traffic_split, status, "
                "started_at_ns, stopped_at_ns, winner, stop_reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"},
               {record.name, record.model_a, record.model_b, real_text(record.traffic_split),
                to_string(record.state), to_nanos(record.started_at), nanos(record.stopped_at),
                SqlValue(record.winner), record.stop_reason})
      .status();
}

Result<std::optional<ExperimentRecord>> ExperimentStore::find(std::string_view name) {
  const std::string sql =
      "SELECT " + std::string(kExperimentColumns) + " FROM experiments WHERE name = ?";
  auto rows = read_experiments(db_.query({"find experiment", sql}, {name}));
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<ExperimentRecord>();
  return std::optional<ExperimentRecord>(std::move(rows->front()));
}

Result<std::vector<ExperimentRecord>> ExperimentStore::list() {
  const std::string sql = "SELECT " + std::string(kExperimentColumns) +
                          " FROM experiments ORDER BY started_at_ns DESC, name";
  return read_experiments(db_.query({"list experiments", sql}));
}

Result<Arm> ExperimentStore::assign(std::string_view experiment, std::string_view key, Arm arm,
                                    Timestamp at) {
  auto inserted = db_.execute(
      {"assign experiment arm",
       "INSERT INTO experiment_assignments (experiment, assignment_key, arm, assigned_at_ns) "
       "VALUES (?, ?, ?, ?) ON CONFLICT (experiment, assignment_key) DO NOTHING"},
      {experiment, key, to_string(arm), to_nanos(at)});
  if (!inserted) return inserted.status();
  if (*inserted == 1) return arm;
  auto rows = db_.query({"find experiment arm",
                         "SELECT arm FROM experiment_assignments WHERE experiment = ? AND "
                         "assignment_key = ?"},
                        {experiment, key});
  if (!rows) return rows.status();
  if (rows->empty()) return internal_error("experiment assignment vanished after a conflict");
  Columns c(rows->front(), "experiment_assignments", std::string(key));
  const Arm stored = c.enumeration(0, "arm", {Arm::kA, Arm::kB});
  GF_RETURN_IF_ERROR(c.status());
  return stored;
}

Status ExperimentStore::record_outcome(std::string_view experiment, std::string_view key,
                                       std::optional<bool> correct, std::optional<Money> pnl,
                                       Timestamp at) {
  SqlValue correct_value;
  if (correct) correct_value = SqlValue(int64_t{*correct ? 1 : 0});
  SqlValue pnl_value;
  if (pnl) pnl_value = SqlValue(pnl->to_string());
  auto changed = db_.execute(
      {"record experiment outcome",
       "UPDATE experiment_assignments SET correct = COALESCE(?, correct), pnl = COALESCE(?, pnl), "
       "outcome_at_ns = ? WHERE experiment = ? AND assignment_key = ?"},
      {correct_value, pnl_value, to_nanos(at), experiment, key});
  if (!changed) return changed.status();
  if (*changed == 0) {
    return not_found("experiment '" + std::string(experiment) + "': key '" + std::string(key) +
                     "' was never assigned an arm");
  }
  return Status::ok();
}

Result<std::vector<ArmOutcome>> ExperimentStore::outcomes(std::string_view experiment) {
  auto rows = db_.query({"experiment outcomes",
                         "SELECT assignment_key, arm, correct, pnl FROM experiment_assignments "
                         "WHERE experiment = ? ORDER BY assigned_at_ns, assignment_key"},
                        {experiment});
  if (!rows) return rows.status();
  std::vector<ArmOutcome> out;
  out.reserve(rows->size());
  for (const Row& row : *rows) {
    Columns c(row, "experiment_assignments", row.text(0).value_or("?"));
    ArmOutcome outcome;
    outcome.arm = c.enumeration(1, "arm", {Arm::kA, Arm::kB});
    if (auto correct = row.integer(2)) outcome.correct = *correct != 0;
    if (auto pnl = row.text(3)) {
      auto parsed = Money::parse(*pnl);
      if (!parsed)
        c.fail("pnl", "is not a decimal: '" + *pnl + "'");
      else
        outcome.pnl = *parsed;
    }
    GF_RETURN_IF_ERROR(c.status());
    out.push_back(outcome);
  }
  return out;
}

Status ExperimentStore::stop(std::string_view name, Timestamp at, std::optional<std::string> winner,
                             std::string_view reason) {
  auto changed = db_.execute({"stop experiment",
                              "UPDATE experiments SET status = 'stopped', stopped_at_ns = ?, "
                              "winner = ?, stop_reason = ? WHERE name = ? AND status = 'running'"},
                             {to_nanos(at), SqlValue(winner), reason, name});
  if (!changed) return changed.status();
  if (*changed == 0) {
    return failed_precondition("experiment '" + std::string(name) + "' is not running");
  }
  return Status::ok();
}

// ---- Retraining jobs ----------------------------------------------------------------------

Result<int64_t> RetrainingJobStore::start(std::string_view trigger, Timestamp at) {
  int64_t id = 0;
  const Status started = db_.transaction("start retraining job", [&](persistence::Database& db) {
    auto next = next_id(db, "next retraining job id",
                        "SELECT COALESCE(MAX(id), 0) + 1 FROM retraining_jobs");
    if (!next) return next.status();
    id = *next;
    return db
        .execute({"start retraining job",
                  "INSERT INTO retraining_jobs (id, trigger_reason, status, started_at_ns) "
                  "VALUES (?, ?, 'running', ?)"},
                 {id, trigger, to_nanos(at)})
        .status();
  });
  if (!started.is_ok()) return started;
  return id;
}

Status RetrainingJobStore::finish(int64_t id, JobStatus status, Timestamp at,
                                  std::optional<std::string> model_id, bool promoted,
                                  std::string_view message) {
  auto changed = db_.execute({"finish retraining job",
                              "UPDATE retraining_jobs SET status = ?, finished_at_ns = ?, "
                              "model_id = ?, promoted = ?, message = ? WHERE id = ?"},
                             {to_string(status), to_nanos(at), SqlValue(model_id),
                              int64_t{promoted ? 1 : 0}, message, id});
  if (!changed) return changed.status();
  if (*changed != 1) return not_found("retraining job " + std::to_string(id) + " does not exist");
  return Status::ok();
}

Result<std::vector<RetrainingJobRecord>> RetrainingJobStore::recent(int64_t limit) {
  auto rows = db_.query({"recent retraining jobs",
                         "SELECT id, trigger_reason, status, started_at_ns, finished_at_ns, "
                         "model_id, promoted, message FROM retraining_jobs "
                         "ORDER BY id DESC LIMIT ?"},
                        {limit});
  if (!rows) return rows.status();
  std::vector<RetrainingJobRecord> out;
  for (const Row& row : *rows) {
    Columns c(row, "retraining_jobs", std::to_string(row.integer(0).value_or(0)));
    RetrainingJobRecord job;
    job.id = c.integer(0, "id");
    job.trigger = c.text(1, "trigger_reason");
    job.status = c.enumeration(2, "status",
                               {JobStatus::kRunning, JobStatus::kSucceeded, JobStatus::kFailed});
    job.started_at = c.time(3, "started_at_ns");
    job.finished_at = c.optional_time(4);
    job.model_id = c.optional_text(5);
    job.promoted = c.integer(6, "promoted") != 0;
    job.message = c.text(7, "message");
    GF_RETURN_IF_ERROR(c.status());
    out.push_back(std::move(job));
  }
  return out;
}

// ---- Drift events -------------------------------------------------------------------------

Result<int64_t> DriftEventStore::insert(const DriftEventRecord& event) {
  int64_t id = 0;
  const Status inserted = db_.transaction("insert drift event", [&](persistence::Database& db) {
    auto next =
        next_id(db, "next drift event id", "SELECT COALESCE(MAX(id), 0) + 1 FROM drift_events");
    if (!next) return next.status();
    id = *next;
    return db
        .execute({"insert drift event",
                  "INSERT INTO drift_events (id, model_id, kind, subject, statistic, value, "
                  "threshold, detected_at_ns, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"},
                 {id, event.model_id, to_string(event.kind), event.subject, event.statistic,
                  real_text(event.value), real_text(event.threshold), to_nanos(event.detected_at),
                  event.message})
        .status();
  });
  if (!inserted.is_ok()) return inserted;
  return id;
}

Result<std::vector<DriftEventRecord>> DriftEventStore::for_model(std::string_view model_id) {
  auto rows = db_.query({"drift events of a model",
                         "SELECT id, model_id, kind, subject, statistic, value, threshold, "
                         "detected_at_ns, message FROM drift_events WHERE model_id = ? "
                         "ORDER BY detected_at_ns, id"},
                        {model_id});
  if (!rows) return rows.status();
  std::vector<DriftEventRecord> out;
  for (const Row& row : *rows) {
    Columns c(row, "drift_events", std::to_string(row.integer(0).value_or(0)));
    DriftEventRecord event;
    event.id = c.integer(0, "id");
    event.model_id = c.text(1, "model_id");
    event.kind = c.enumeration(
        2, "kind", {DriftKind::kFeature, DriftKind::kPrediction, DriftKind::kPerformance});
    event.subject = c.text(3, "subject");
    event.statistic = c.text(4, "statistic");
    event.value = c.real(5, "value");
    event.threshold = c.real(6, "threshold");
    event.detected_at = c.time(7, "detected_at_ns");
    event.message = c.text(8, "message");
    GF_RETURN_IF_ERROR(c.status());
    out.push_back(std::move(event));
  }
  return out;
}

}  // namespace galfriday::models
