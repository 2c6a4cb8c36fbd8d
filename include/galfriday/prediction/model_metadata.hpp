#pragma once
// ModelMetadata: the sidecar that travels with every model file. The model file (XGBoost JSON
// or UBJ) holds trees; the sidecar says what they mean: which features in which order, which
// target, how the model was trained and how well it did. `models/btc_up_v3.json` has its
// sidecar at `models/btc_up_v3.meta.json` (docs/models.md has the format and an example).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday {

inline constexpr int kModelMetadataFormatVersion = 1;

struct ModelMetadata {
  std::string model_id;                     // unique per trained artifact, e.g. "btc_up_v3"
  std::string target;                       // PredictionEvent.target, e.g. "prob_price_up"
  std::string target_description;           // human words: "P(close[t+5m] > close[t])"
  std::string objective;                    // the XGBoost objective, e.g. "binary:logistic"
  std::vector<std::string> feature_names;   // model input i is feature_names[i]
  std::optional<Timestamp> training_start;  // first sample of the training window
  std::optional<Timestamp> training_end;    // last sample of the training window
  std::string params_json = "{}";           // training parameters, a JSON object (for audit)
  std::map<std::string, double> metrics;    // e.g. "train_auc", "valid_log_loss"
  // Lower-case hex SHA-256 of the model file's bytes. When present, loading verifies it, so a
  // model replaced without its sidecar (or the reverse) is refused instead of misread.
  std::optional<std::string> model_sha256;
  std::string xgboost_version;  // of the library that trained it, informative
  std::optional<Timestamp> created_at;

  friend bool operator==(const ModelMetadata&, const ModelMetadata&) = default;
};

// Parses and validates a sidecar. `source` names it in errors (a path). Required keys:
// format_version (1), model_id, target, objective, feature_names (non-empty, unique, non-empty
// names). Unknown keys are errors, so a misspelt optional key is not silently ignored.
Result<ModelMetadata> parse_model_metadata(std::string_view json, std::string_view source);

// The sidecar text for `metadata` (pretty-printed JSON, stable key order). Fails when
// params_json is not a JSON object.
Result<std::string> serialize_model_metadata(const ModelMetadata& metadata);

// `dir/name.json` and `dir/name.ubj` -> `dir/name.meta.json`.
std::filesystem::path metadata_path_for(const std::filesystem::path& model_path);

// True for objectives whose output is a probability in [0, 1].
bool is_probability_objective(std::string_view objective);

}  // namespace galfriday
