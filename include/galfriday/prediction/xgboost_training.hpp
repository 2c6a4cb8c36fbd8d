#pragma once
// Training XGBoost models through the C API, for the retraining pipeline and for tests and
// benchmarks that need a real model. The artifact (model JSON + metadata sidecar) is the same
// one a user's own Python xgboost script produces (docs/models.md), and loads with
// XGBoostModel::load.
//
// Determinism: with a fixed seed and nthread = 1, training the same Dataset twice gives
// byte-identical model files (tested). More threads may reorder floating-point sums.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/prediction/metrics.hpp"
#include "galfriday/prediction/model_metadata.hpp"
#include "galfriday/prediction/xgboost_model.hpp"

namespace galfriday {

// Rows of features with a 0/1 label each.
struct Dataset {
  std::vector<std::string> feature_names;
  std::vector<double> values;  // row-major: feature f of row r at r * feature_names.size() + f
  std::vector<double> labels;  // one per row, 0 or 1

  size_t rows() const { return labels.size(); }
  std::span<const double> row(size_t r) const {
    return std::span<const double>(values).subspan(r * feature_names.size(), feature_names.size());
  }
  // Appends a row; INVALID_ARGUMENT when its size is not feature_names.size().
  Status add_row(std::span<const double> features, double label);
  // Names unique and non-empty, shape consistent, every value finite (a NaN in training data is
  // as much a pipeline bug as at inference), labels 0/1, both classes present.
  Status validate() const;
};

struct TrainingParams {
  std::string objective = "binary:logistic";  // the only objective supported: a probability
  double eta = 0.1;                           // learning rate, in (0, 1]
  int max_depth = 6;                          // in [1, 32]
  double subsample = 1.0;                     // row sampling per tree, in (0, 1]
  double colsample_bytree = 1.0;              // feature sampling per tree, in (0, 1]
  int rounds = 100;                           // boosting rounds (trees), in [1, 100000]
  uint64_t seed = 0;
  int nthread = 1;                   // training threads, >= 1; 1 for reproducible models
  std::string tree_method = "hist";  // hist, approx or exact

  Status validate() const;
};

// A booster fresh from training, with its metadata. Use it from one thread; serve predictions
// through an XGBoostModel (to_model(), or save() then XGBoostModel::load()).
class TrainedModel {
 public:
  TrainedModel(TrainedModel&&) noexcept;
  TrainedModel& operator=(TrainedModel&&) noexcept;
  ~TrainedModel();

  // Prefilled by training: feature_names, objective, params_json, metrics ("train_auc",
  // "train_log_loss", "train_precision", "train_recall", "train_rows", "train_positive_rate"),
  // xgboost_version. The caller sets model_id and target (required to save), and may set
  // target_description, the training window, created_at and more metrics (holdout figures).
  ModelMetadata& metadata();
  const ModelMetadata& metadata() const;

  // Predictions of the in-memory booster, with XGBoostModel's input and output checks.
  Result<double> predict(std::span<const double> row) const;
  Result<std::vector<double>> predict_rows(std::span<const double> values) const;

  // The model file's bytes, "json" or "ubj".
  Result<std::string> serialize(std::string_view format = "json") const;

  // Writes the model (JSON for a .json path, UBJ for .ubj) and its sidecar at
  // metadata_path_for(model_path), which records the model's SHA-256. Each file is replaced
  // atomically (temporary file, fsync, rename), the model first; the digest makes a reader that
  // catches the pair between the two renames fail instead of misreading.
  Status save(const std::filesystem::path& model_path) const;

  // A serving model over a copy of this booster, through the same checks as loading a file.
  Result<std::unique_ptr<XGBoostModel>> to_model() const;

 private:
  struct Impl;
  explicit TrainedModel(std::unique_ptr<Impl> impl);
  friend Result<TrainedModel> train_xgboost(const Dataset& data, const TrainingParams& params);
  std::unique_ptr<Impl> impl_;
};

Result<TrainedModel> train_xgboost(const Dataset& data, const TrainingParams& params);

// Metrics of any model on a dataset; the model's features are looked up in the dataset by name,
// so the dataset may hold more columns, in any order. A failed prediction fails the evaluation.
Result<ClassificationMetrics> evaluate(const PredictionModel& model, const Dataset& data);

}  // namespace galfriday
