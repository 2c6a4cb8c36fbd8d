#include "galfriday/models/model_registry.hpp"

#include <system_error>

#include "files.hpp"   // src/prediction: whole-file reads, atomic replacement
#include "sha256.hpp"  // src/prediction: the digest that binds a model file to its metadata

namespace galfriday::models {
namespace {

using prediction_internal::read_whole_file;
using prediction_internal::sha256_hex;

std::vector<ModelStage> allowed_from(ModelStage from) {
  switch (from) {
    case ModelStage::kDevelopment:
      return {ModelStage::kStaging, ModelStage::kArchived};
    case ModelStage::kStaging:
      return {ModelStage::kProduction, ModelStage::kDevelopment, ModelStage::kArchived};
    case ModelStage::kProduction:
      return {ModelStage::kArchived};
    case ModelStage::kArchived:
      return {ModelStage::kStaging};
  }
  return {};
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

Status check_stage_move(std::string_view model_id, ModelStage from, ModelStage to) {
  if (from == to) {
    return failed_precondition("model " + in_quotes(model_id) + " is already in " +
                               std::string(to_string(to)));
  }
  const auto allowed = allowed_from(from);
  for (ModelStage stage : allowed) {
    if (stage == to) return Status::ok();
  }
  std::string moves;
  for (ModelStage stage : allowed) {
    if (!moves.empty()) moves += " or ";
    moves += to_string(stage);
  }
  return failed_precondition("model " + in_quotes(model_id) + " cannot move from " +
                             std::string(to_string(from)) + " to " + std::string(to_string(to)) +
                             " (from " + std::string(to_string(from)) + " it can move to " + moves +
                             ")");
}

Status check_model_id(std::string_view model_id) {
  if (model_id.empty()) return invalid_argument("model id is empty");
  if (model_id.front() == '.') {
    return invalid_argument("model id " + in_quotes(model_id) + " must not start with '.'");
  }
  for (char c : model_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      return invalid_argument("model id " + in_quotes(model_id) +
                              " may only hold letters, digits, '_', '-' and '.'");
    }
  }
  return Status::ok();
}

ModelRegistry::ModelRegistry(persistence::Database& db, const Clock& clock,
                             std::filesystem::path directory)
    : db_(db), clock_(clock), directory_(std::move(directory)), versions_(db) {}

Status ModelRegistry::check_new(std::string_view model_id, ModelStage stage) {
  GF_RETURN_IF_ERROR(check_model_id(model_id));
  if (stage != ModelStage::kDevelopment && stage != ModelStage::kStaging) {
    return invalid_argument("a model is registered in development or staging, not " +
                            std::string(to_string(stage)) + " (promote it afterwards)");
  }
  auto existing = versions_.find(model_id);
  if (!existing) return existing.status();
  if (existing->has_value()) {
    return {StatusCode::kAlreadyExists,
            "model " + in_quotes(model_id) + " is already registered (stage " +
                std::string(to_string((*existing)->stage)) + "); give the new model another id"};
  }
  return Status::ok();
}

Result<ModelVersionRecord> ModelRegistry::insert_artifact(
    const std::filesystem::path& dest_model, const ModelMetadata& metadata, std::string sha256,
    ModelStage stage, std::string_view reason, const std::optional<TrainingDistribution>& dist) {
  ModelVersionRecord record;
  record.model_id = metadata.model_id;
  record.target = metadata.target;
  record.stage = stage;
  record.artifact_path = dest_model.string();
  record.sha256 = std::move(sha256);
  record.feature_names = metadata.feature_names;
  record.training_start = metadata.training_start;
  record.training_end = metadata.training_end;
  record.params_json = metadata.params_json;
  record.metrics = metadata.metrics;
  if (dist) {
    if (dist->features.size() != metadata.feature_names.size()) {
      return invalid_argument("model " + in_quotes(metadata.model_id) +
                              ": the training distribution has " +
                              std::to_string(dist->features.size()) + " features, the model " +
                              std::to_string(metadata.feature_names.size()));
    }
    for (size_t i = 0; i < dist->features.size(); ++i) {
      if (dist->features[i].name != metadata.feature_names[i]) {
        return invalid_argument("model " + in_quotes(metadata.model_id) +
                                ": training distribution feature " + std::to_string(i) + " is " +
                                in_quotes(dist->features[i].name) + ", the model's is " +
                                in_quotes(metadata.feature_names[i]));
      }
    }
    record.distribution_json = serialize_distribution(*dist);
  }
  record.created_at = clock_.now();
  record.stage_changed_at = record.created_at;
  GF_RETURN_IF_ERROR(versions_.insert(record, reason));
  return record;
}

Result<ModelVersionRecord> ModelRegistry::register_artifact(
    const std::filesystem::path& model_path, ModelStage stage, std::string_view reason,
    const std::optional<TrainingDistribution>& distribution) {
  auto model = XGBoostModel::load(model_path);
  if (!model) return model.status().with_context("registering " + model_path.string());
  const ModelMetadata& metadata = (*model)->metadata();
  GF_RETURN_IF_ERROR(check_new(metadata.model_id, stage));
  auto bytes = read_whole_file(model_path);
  if (!bytes) return bytes.status();
  auto sidecar = read_whole_file(metadata_path_for(model_path));
  if (!sidecar) return sidecar.status();
  const std::filesystem::path dest_dir = directory_ / metadata.model_id;
  const std::filesystem::path dest_model =
      dest_dir / (metadata.model_id + model_path.extension().string());
  std::error_code ec;
  std::filesystem::create_directories(dest_dir, ec);
  if (ec) {
    return unavailable("cannot create the registry directory " + dest_dir.string() + ": " +
                       ec.message());
  }
  GF_RETURN_IF_ERROR(prediction_internal::replace_files_atomically(
      {{dest_model, *bytes}, {metadata_path_for(dest_model), *sidecar}}));
  return insert_artifact(dest_model, metadata, sha256_hex(*bytes), stage, reason, distribution);
}

Result<ModelVersionRecord> ModelRegistry::register_trained(
    const TrainedModel& model, ModelStage stage, std::string_view reason,
    const std::optional<TrainingDistribution>& distribution) {
  const ModelMetadata& metadata = model.metadata();
  GF_RETURN_IF_ERROR(check_new(metadata.model_id, stage));
  const std::filesystem::path dest_dir = directory_ / metadata.model_id;
  const std::filesystem::path dest_model = dest_dir / (metadata.model_id + ".json");
  std::error_code ec;
  std::filesystem::create_directories(dest_dir, ec);
  if (ec) {
    return unavailable("cannot create the registry directory " + dest_dir.string() + ": " +
                       ec.message());
  }
  GF_RETURN_IF_ERROR(model.save(dest_model));
  auto bytes = read_whole_file(dest_model);
  if (!bytes) return bytes.status();
  return insert_artifact(dest_model, metadata, sha256_hex(*bytes), stage, reason, distribution);
}

Result<std::optional<std::string>> ModelRegistry::move(std::string_view model_id, ModelStage to,
                                                       std::string_view reason) {
  auto record = get(model_id);
  if (!record) return record.status();
  GF_RETURN_IF_ERROR(check_stage_move(model_id, record->stage, to));
  std::optional<std::string> archived;
  const Timestamp now = clock_.now();
  const Status moved = db_.transaction("move model stage", [&](persistence::Database&) -> Status {
    if (to == ModelStage::kProduction) {
      auto current = versions_.in_stage(record->target, ModelStage::kProduction);
      if (!current) return current.status();
      for (const auto& previous : *current) {
        GF_RETURN_IF_ERROR(
            versions_.set_stage(previous.model_id, ModelStage::kProduction, ModelStage::kArchived,
                                "replaced in production by " + record->model_id, now));
        archived = previous.model_id;
      }
    }
    return versions_.set_stage(model_id, record->stage, to, reason, now);
  });
  if (!moved.is_ok()) return moved;
  return archived;
}

Result<ModelVersionRecord> ModelRegistry::get(std::string_view model_id) {
  auto record = versions_.find(model_id);
  if (!record) return record.status();
  if (!record->has_value()) {
    return not_found("model " + in_quotes(model_id) + " is not registered");
  }
  return std::move(**record);
}

Result<std::vector<ModelVersionRecord>> ModelRegistry::list(
    std::optional<std::string_view> target) {
  return versions_.list(target);
}

Result<std::optional<ModelVersionRecord>> ModelRegistry::production(std::string_view target) {
  auto current = versions_.in_stage(target, ModelStage::kProduction);
  if (!current) return current.status();
  if (current->empty()) return std::optional<ModelVersionRecord>();
  return std::optional<ModelVersionRecord>(std::move(current->front()));
}

Result<std::vector<StageChange>> ModelRegistry::history(std::string_view model_id) {
  return versions_.history(model_id);
}

Result<TrainingDistribution> ModelRegistry::distribution(std::string_view model_id) {
  auto record = get(model_id);
  if (!record) return record.status();
  if (!record->distribution_json) {
    return not_found("model " + in_quotes(model_id) +
                     " has no training distribution (it was registered without one; models "
                     "trained by the retraining pipeline have one)");
  }
  return parse_distribution(*record->distribution_json,
                            "model_versions '" + std::string(model_id) + "'");
}

Result<std::unique_ptr<XGBoostModel>> ModelRegistry::load(std::string_view model_id) {
  auto record = get(model_id);
  if (!record) return record.status();
  const std::filesystem::path path = record->artifact_path;
  auto bytes = read_whole_file(path);
  if (!bytes) return bytes.status().with_context("loading model " + in_quotes(model_id));
  const std::string digest = sha256_hex(*bytes);
  if (digest != record->sha256) {
    return data_loss("model " + in_quotes(model_id) + ": " + path.string() + " has SHA-256 " +
                     digest + " but the registry recorded " + record->sha256 +
                     " at registration; the artifact changed, refusing to load it");
  }
  const std::filesystem::path sidecar_path = metadata_path_for(path);
  auto sidecar = read_whole_file(sidecar_path);
  if (!sidecar) return sidecar.status().with_context("loading model " + in_quotes(model_id));
  auto metadata = parse_model_metadata(*sidecar, sidecar_path.string());
  if (!metadata) return metadata.status();
  if (metadata->model_id != record->model_id) {
    return data_loss(sidecar_path.string() + " names model " + in_quotes(metadata->model_id) +
                     ", the registry " + in_quotes(record->model_id));
  }
  return XGBoostModel::from_bytes(*bytes, std::move(*metadata), path.string());
}

}  // namespace galfriday::models
