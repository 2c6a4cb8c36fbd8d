#pragma once
// ModelRegistry: the versions of every model, their stage, their artifacts and their metadata.
//
// Stages and the allowed moves (anything else is FAILED_PRECONDITION naming the allowed moves):
//
//   development → staging | archived
//   staging     → production | development | archived
//   production  → archived
//   archived    → staging            (bring an old model back for another evaluation)
//
// Promoting to production archives the previous production model of the same target in the same
// transaction, so a target has at most one production model at any time.
//
// Artifacts: registering copies the model file and its sidecar into
// <directory>/<model_id>/<model_id>.<ext> (+ .meta.json), so the registry owns its copy; the
// SHA-256 of the model bytes is stored in the database and verified on every load (a file
// changed behind the registry's back is refused with DATA_LOSS, never served). Metadata —
// features, target, training window, parameters, metrics, the training distribution for drift
// detection — lives in the database (model_versions, migration 004).
//
// One registry per Database connection; use it from the thread that owns the connection.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/models/dataset.hpp"
#include "galfriday/models/model_store.hpp"
#include "galfriday/prediction/xgboost_model.hpp"
#include "galfriday/prediction/xgboost_training.hpp"

namespace galfriday::models {

// OK when `from` → `to` is an allowed move; FAILED_PRECONDITION otherwise, naming the moves
// allowed from `from`.
Status check_stage_move(std::string_view model_id, ModelStage from, ModelStage to);

// Model ids name directories: letters, digits, '_', '-', '.', not starting with '.'.
Status check_model_id(std::string_view model_id);

class ModelRegistry {
 public:
  ModelRegistry(persistence::Database& db, const Clock& clock, std::filesystem::path directory);

  // Registers the model file `model_path` (+ its sidecar) in `stage` (development or staging).
  // The artifact must load (XGBoostModel::load checks). ALREADY_EXISTS when the id is taken.
  Result<ModelVersionRecord> register_artifact(
      const std::filesystem::path& model_path, ModelStage stage, std::string_view reason,
      const std::optional<TrainingDistribution>& distribution = std::nullopt);

  // Saves a freshly trained model into the registry directory and registers it.
  Result<ModelVersionRecord> register_trained(
      const TrainedModel& model, ModelStage stage, std::string_view reason,
      const std::optional<TrainingDistribution>& distribution = std::nullopt);

  // Moves a model to `to` under the rules above. Returns the model archived by a promotion to
  // production, if any.
  Result<std::optional<std::string>> move(std::string_view model_id, ModelStage to,
                                          std::string_view reason);
  Result<std::optional<std::string>> promote_to_production(std::string_view model_id,
                                                           std::string_view reason) {
    return move(model_id, ModelStage::kProduction, reason);
  }
  Status archive(std::string_view model_id, std::string_view reason) {
    return move(model_id, ModelStage::kArchived, reason).status();
  }

  // NOT_FOUND when unknown.
  Result<ModelVersionRecord> get(std::string_view model_id);
  Result<std::vector<ModelVersionRecord>> list(std::optional<std::string_view> target = {});
  Result<std::optional<ModelVersionRecord>> production(std::string_view target);
  Result<std::vector<StageChange>> history(std::string_view model_id);
  // The training distribution saved at registration; NOT_FOUND when it has none.
  Result<TrainingDistribution> distribution(std::string_view model_id);

  // Loads a registered model for serving: the file's SHA-256 must equal the registered one
  // (DATA_LOSS otherwise), then the usual XGBoostModel checks.
  Result<std::unique_ptr<XGBoostModel>> load(std::string_view model_id);

  const std::filesystem::path& directory() const { return directory_; }
  ModelVersionStore& store() { return versions_; }

 private:
  Result<ModelVersionRecord> insert_artifact(const std::filesystem::path& dest_model,
                                             const ModelMetadata& metadata, std::string sha256,
                                             ModelStage stage, std::string_view reason,
                                             const std::optional<TrainingDistribution>& dist);
  Status check_new(std::string_view model_id, ModelStage stage);

  persistence::Database& db_;
  const Clock& clock_;
  std::filesystem::path directory_;
  ModelVersionStore versions_;
};

}  // namespace galfriday::models
