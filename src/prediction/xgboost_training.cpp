#include "galfriday/prediction/xgboost_training.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "files.hpp"
#include "sha256.hpp"
#include "xgboost_booster.hpp"

namespace galfriday {

namespace {

constexpr int kMaxDepthLimit = 32;
constexpr int kMaxRounds = 100000;

// Shortest text that reads back as the same double (XGBoost parses parameters from text).
std::string exact_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

bool in_unit_interval(double value) { return value > 0.0 && value <= 1.0; }

Result<std::string> format_for(const std::filesystem::path& model_path) {
  const std::string extension = model_path.extension().string();
  if (extension == ".json") return std::string("json");
  if (extension == ".ubj") return std::string("ubj");
  return invalid_argument("model path " + model_path.string() +
                          " must end in .json (XGBoost JSON) or .ubj (universal binary JSON)");
}

}  // namespace

// --- Dataset ---------------------------------------------------------------------------------

Status Dataset::add_row(std::span<const double> features, double label) {
  if (features.size() != feature_names.size()) {
    return invalid_argument("row has " + std::to_string(features.size()) + " values for " +
                            std::to_string(feature_names.size()) + " features");
  }
  values.insert(values.end(), features.begin(), features.end());
  labels.push_back(label);
  return Status::ok();
}

Status Dataset::validate() const {
  if (feature_names.empty()) return invalid_argument("dataset has no features");
  std::set<std::string> seen;
  for (const std::string& name : feature_names) {
    if (name.empty()) return invalid_argument("dataset has a feature with an empty name");
    if (!seen.insert(name).second)
      return invalid_argument("dataset names feature '" + name + "' twice");
  }
  if (labels.empty()) return invalid_argument("dataset has no rows");
  if (values.size() != labels.size() * feature_names.size()) {
    return invalid_argument("dataset has " + std::to_string(values.size()) + " values for " +
                            std::to_string(labels.size()) + " rows of " +
                            std::to_string(feature_names.size()) + " features");
  }
  size_t positives = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] != 0.0 && labels[r] != 1.0) {
      return invalid_argument("label of row " + std::to_string(r) + " is " +
                              std::to_string(labels[r]) + ", not 0 or 1");
    }
    positives += labels[r] == 1.0 ? 1 : 0;
    const auto values_of_row = row(r);
    for (size_t f = 0; f < values_of_row.size(); ++f) {
      if (!std::isfinite(values_of_row[f])) {
        return invalid_argument("feature '" + feature_names[f] + "' of row " + std::to_string(r) +
                                " is not a finite number");
      }
    }
  }
  if (positives == 0 || positives == labels.size()) {
    return invalid_argument("dataset labels are all " + std::string(positives == 0 ? "0" : "1") +
                            "; a classifier needs both classes");
  }
  return Status::ok();
}

// --- TrainingParams --------------------------------------------------------------------------

Status TrainingParams::validate() const {
  if (objective != "binary:logistic") {
    return invalid_argument("training objective '" + objective +
                            "' is not supported (use binary:logistic)");
  }
  if (!in_unit_interval(eta))
    return invalid_argument("eta must be in (0, 1], got " + exact_text(eta));
  if (max_depth < 1 || max_depth > kMaxDepthLimit) {
    return invalid_argument("max_depth must be in [1, " + std::to_string(kMaxDepthLimit) +
                            "], got " + std::to_string(max_depth));
  }
  if (!in_unit_interval(subsample)) {
    return invalid_argument("subsample must be in (0, 1], got " + exact_text(subsample));
  }
  if (!in_unit_interval(colsample_bytree)) {
    return invalid_argument("colsample_bytree must be in (0, 1], got " +
                            exact_text(colsample_bytree));
  }
  if (rounds < 1 || rounds > kMaxRounds) {
    return invalid_argument("rounds must be in [1, " + std::to_string(kMaxRounds) + "], got " +
                            std::to_string(rounds));
  }
  if (nthread < 1)
    return invalid_argument("nthread must be at least 1, got " + std::to_string(nthread));
  if (tree_method != "hist" && tree_method != "approx" && tree_method != "exact") {
    return invalid_argument("tree_method '" + tree_method +
                            "' is not supported (hist, approx, exact)");
  }
  return Status::ok();
}

// --- TrainedModel ----------------------------------------------------------------------------

struct TrainedModel::Impl {
  prediction_internal::Booster booster;
  ModelMetadata metadata;
};

TrainedModel::TrainedModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainedModel::TrainedModel(TrainedModel&&) noexcept = default;
TrainedModel& TrainedModel::operator=(TrainedModel&&) noexcept = default;
TrainedModel::~TrainedModel() = default;

ModelMetadata& TrainedModel::metadata() { return impl_->metadata; }
const ModelMetadata& TrainedModel::metadata() const { return impl_->metadata; }

Result<double> TrainedModel::predict(std::span<const double> row) const {
  const auto& names = impl_->metadata.feature_names;
  if (row.size() != names.size()) {
    return invalid_argument("model expects " + std::to_string(names.size()) + " inputs, got " +
                            std::to_string(row.size()));
  }
  for (size_t i = 0; i < row.size(); ++i) {
    if (!std::isfinite(row[i])) {
      return invalid_argument("feature '" + names[i] + "' is not a finite number");
    }
  }
  auto value = impl_->booster.predict_row(row);
  if (!value) return value.status();
  if (!std::isfinite(*value) || *value < 0.0 || *value > 1.0) {
    return out_of_range("model output " + std::to_string(*value) + " is not a probability");
  }
  return *value;
}

Result<std::vector<double>> TrainedModel::predict_rows(std::span<const double> values) const {
  const size_t cols = impl_->metadata.feature_names.size();
  if (values.size() % cols != 0) {
    return invalid_argument(std::to_string(values.size()) + " values are not whole rows of " +
                            std::to_string(cols));
  }
  if (std::any_of(values.begin(), values.end(), [](double v) { return !std::isfinite(v); })) {
    return invalid_argument("an input is not a finite number");
  }
  std::vector<double> out;
  GF_RETURN_IF_ERROR(impl_->booster.predict_dense(values, values.size() / cols, cols, out));
  return out;
}

Result<std::string> TrainedModel::serialize(std::string_view format) const {
  if (format != "json" && format != "ubj") {
    return invalid_argument("model format '" + std::string(format) + "' is not json or ubj");
  }
  return impl_->booster.save_model(format);
}

Status TrainedModel::save(const std::filesystem::path& model_path) const {
  auto format = format_for(model_path);
  if (!format) return format.status();
  auto bytes = serialize(*format);
  if (!bytes) return bytes.status();
  ModelMetadata metadata = impl_->metadata;
  metadata.model_sha256 = prediction_internal::sha256_hex(*bytes);
  const std::filesystem::path sidecar_path = metadata_path_for(model_path);
  auto sidecar = serialize_model_metadata(metadata);
  if (!sidecar) return sidecar.status();
  // What is written must load: this catches a missing model_id or target before any file changes.
  if (auto check = parse_model_metadata(*sidecar, sidecar_path.string()); !check) {
    return check.status().with_context("refusing to save model");
  }
  return prediction_internal::replace_files_atomically(
      {{model_path, *bytes}, {sidecar_path, *sidecar}});
}

Result<std::unique_ptr<XGBoostModel>> TrainedModel::to_model() const {
  auto bytes = serialize("json");
  if (!bytes) return bytes.status();
  ModelMetadata metadata = impl_->metadata;
  metadata.model_sha256 = prediction_internal::sha256_hex(*bytes);
  return XGBoostModel::from_bytes(*bytes, std::move(metadata),
                                  "trained model '" + impl_->metadata.model_id + "'");
}

// --- Training --------------------------------------------------------------------------------

Result<TrainedModel> train_xgboost(const Dataset& data, const TrainingParams& params) {
  GF_RETURN_IF_ERROR(data.validate().with_context("training data"));
  GF_RETURN_IF_ERROR(params.validate().with_context("training parameters"));

  using prediction_internal::Booster;
  using prediction_internal::DMatrix;
  auto matrix =
      DMatrix::from_dense(data.values, data.rows(), data.feature_names.size(), params.nthread);
  if (!matrix) return matrix.status();
  GF_RETURN_IF_ERROR(matrix->set_labels(data.labels));
  GF_RETURN_IF_ERROR(matrix->set_feature_names(data.feature_names));

  const DMatrixHandle cache[] = {matrix->handle()};
  auto booster = Booster::create(cache);
  if (!booster) return booster.status();
  GF_RETURN_IF_ERROR(booster->set_param("objective", params.objective));
  GF_RETURN_IF_ERROR(booster->set_param("eta", exact_text(params.eta)));
  GF_RETURN_IF_ERROR(booster->set_param("max_depth", std::to_string(params.max_depth)));
  GF_RETURN_IF_ERROR(booster->set_param("subsample", exact_text(params.subsample)));
  GF_RETURN_IF_ERROR(booster->set_param("colsample_bytree", exact_text(params.colsample_bytree)));
  GF_RETURN_IF_ERROR(booster->set_param("seed", std::to_string(params.seed)));
  GF_RETURN_IF_ERROR(booster->set_param("nthread", std::to_string(params.nthread)));
  GF_RETURN_IF_ERROR(booster->set_param("tree_method", params.tree_method));
  // Warnings only go to stderr; every failure comes back through the C API's return codes.
  GF_RETURN_IF_ERROR(booster->set_param("verbosity", "0"));
  for (int round = 0; round < params.rounds; ++round) {
    GF_RETURN_IF_ERROR(booster->update_one_iter(round, *matrix));
  }
  // The booster keeps the names in the saved model, so loading can check the sidecar against them.
  GF_RETURN_IF_ERROR(booster->set_feature_names(data.feature_names));

  std::vector<double> fitted;
  GF_RETURN_IF_ERROR(
      booster->predict_dense(data.values, data.rows(), data.feature_names.size(), fitted));
  auto metrics = classification_metrics(data.labels, fitted);
  if (!metrics) return metrics.status().with_context("in-sample metrics");

  nlohmann::ordered_json json_params;
  json_params["objective"] = params.objective;
  json_params["eta"] = params.eta;
  json_params["max_depth"] = params.max_depth;
  json_params["subsample"] = params.subsample;
  json_params["colsample_bytree"] = params.colsample_bytree;
  json_params["rounds"] = params.rounds;
  json_params["seed"] = params.seed;
  json_params["nthread"] = params.nthread;
  json_params["tree_method"] = params.tree_method;

  ModelMetadata metadata;
  metadata.objective = params.objective;
  metadata.feature_names = data.feature_names;
  metadata.params_json = json_params.dump();
  metadata.xgboost_version = prediction_internal::xgboost_version();
  metadata.metrics["train_rows"] = static_cast<double>(metrics->rows);
  metadata.metrics["train_positive_rate"] = metrics->positive_rate;
  metadata.metrics["train_auc"] = metrics->auc;
  metadata.metrics["train_log_loss"] = metrics->log_loss;
  if (metrics->at_threshold.precision) {
    metadata.metrics["train_precision"] = *metrics->at_threshold.precision;
  }
  if (metrics->at_threshold.recall)
    metadata.metrics["train_recall"] = *metrics->at_threshold.recall;

  return TrainedModel(std::make_unique<TrainedModel::Impl>(
      TrainedModel::Impl{std::move(*booster), std::move(metadata)}));
}

Result<ClassificationMetrics> evaluate(const PredictionModel& model, const Dataset& data) {
  GF_RETURN_IF_ERROR(data.validate().with_context("evaluation data"));
  std::vector<size_t> columns;
  for (const std::string& name : model.feature_names()) {
    const auto it = std::find(data.feature_names.begin(), data.feature_names.end(), name);
    if (it == data.feature_names.end()) {
      return invalid_argument("model '" + model.id() + "' needs feature '" + name +
                              "', which the evaluation data does not have");
    }
    columns.push_back(static_cast<size_t>(it - data.feature_names.begin()));
  }
  std::vector<double> inputs(columns.size());
  std::vector<double> predictions;
  predictions.reserve(data.rows());
  for (size_t r = 0; r < data.rows(); ++r) {
    const auto row = data.row(r);
    for (size_t i = 0; i < columns.size(); ++i) inputs[i] = row[columns[i]];
    auto p = model.predict(inputs);
    if (!p) return p.status().with_context("evaluating row " + std::to_string(r));
    predictions.push_back(*p);
  }
  return classification_metrics(data.labels, predictions);
}

}  // namespace galfriday
