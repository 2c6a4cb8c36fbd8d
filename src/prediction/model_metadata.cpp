#include "galfriday/prediction/model_metadata.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace galfriday {
namespace {

using Json = nlohmann::ordered_json;  // keeps params in the order written

constexpr std::array<std::string_view, 12> kKnownKeys = {
    "format_version", "model_id",      "target",          "target_description",
    "objective",      "feature_names", "training_window", "params",
    "metrics",        "model_sha256",  "xgboost_version", "created_at"};

class Reader {
 public:
  Reader(const Json& root, std::string_view source) : root_(root), source_(source) {}

  Status error(std::string_view key, std::string_view problem) const {
    return invalid_argument("model metadata " + std::string(source_) + ": '" + std::string(key) +
                            "' " + std::string(problem));
  }

  Result<std::string> required_string(std::string_view key) const {
    const auto it = root_.find(key);
    if (it == root_.end()) return error(key, "is required");
    if (!it->is_string()) return error(key, "must be a string");
    std::string value = it->get<std::string>();
    if (value.empty()) return error(key, "must not be empty");
    return value;
  }

  Result<std::string> optional_string(std::string_view key) const {
    const auto it = root_.find(key);
    if (it == root_.end() || it->is_null()) return std::string();
    if (!it->is_string()) return error(key, "must be a string");
    return it->get<std::string>();
  }

  Result<std::optional<Timestamp>> optional_time(const Json& object, std::string_view key,
                                                 std::string_view path) const {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::optional<Timestamp>();
    if (!it->is_string()) return error(path, "must be an RFC 3339 time string");
    auto parsed = parse_iso8601(it->get<std::string>());
    if (!parsed) return error(path, "is not a time: " + parsed.status().message());
    return std::optional<Timestamp>(*parsed);
  }

 private:
  const Json& root_;
  std::string_view source_;
};

bool is_lower_hex_digest(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

bool is_probability_objective(std::string_view objective) {
  return objective == "binary:logistic" || objective == "reg:logistic";
}

std::filesystem::path metadata_path_for(const std::filesystem::path& model_path) {
  std::filesystem::path sidecar = model_path;
  sidecar.replace_extension(".meta.json");
  return sidecar;
}

Result<ModelMetadata> parse_model_metadata(std::string_view json, std::string_view source) {
  Json root;
  try {
    root = Json::parse(json);
  } catch (const Json::exception& e) {
    return invalid_argument("model metadata " + std::string(source) +
                            " is not valid JSON: " + e.what());
  }
  if (!root.is_object()) {
    return invalid_argument("model metadata " + std::string(source) + " must be a JSON object");
  }
  const Reader reader(root, source);
  for (const auto& [key, value] : root.items()) {
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end()) {
      std::string known;
      for (std::string_view k : kKnownKeys) known += (known.empty() ? "" : ", ") + std::string(k);
      return reader.error(key, "is not a metadata key (known: " + known + ")");
    }
  }

  const auto version = root.find("format_version");
  if (version == root.end()) return reader.error("format_version", "is required");
  if (!version->is_number_integer() || version->get<int64_t>() != kModelMetadataFormatVersion) {
    return reader.error("format_version", "must be " + std::to_string(kModelMetadataFormatVersion) +
                                              ", got " + version->dump());
  }

  ModelMetadata metadata;
  auto model_id = reader.required_string("model_id");
  if (!model_id) return model_id.status();
  metadata.model_id = std::move(*model_id);
  auto target = reader.required_string("target");
  if (!target) return target.status();
  metadata.target = std::move(*target);
  auto objective = reader.required_string("objective");
  if (!objective) return objective.status();
  metadata.objective = std::move(*objective);
  auto description = reader.optional_string("target_description");
  if (!description) return description.status();
  metadata.target_description = std::move(*description);
  auto version_text = reader.optional_string("xgboost_version");
  if (!version_text) return version_text.status();
  metadata.xgboost_version = std::move(*version_text);

  const auto names = root.find("feature_names");
  if (names == root.end()) return reader.error("feature_names", "is required");
  if (!names->is_array() || names->empty()) {
    return reader.error("feature_names", "must be a non-empty array of feature names");
  }
  std::set<std::string> seen;
  for (const Json& name : *names) {
    if (!name.is_string() || name.get<std::string>().empty()) {
      return reader.error("feature_names", "must hold non-empty strings, got " + name.dump());
    }
    if (!seen.insert(name.get<std::string>()).second) {
      return reader.error("feature_names", "names '" + name.get<std::string>() + "' twice");
    }
    metadata.feature_names.push_back(name.get<std::string>());
  }

  if (const auto window = root.find("training_window");
      window != root.end() && !window->is_null()) {
    if (!window->is_object()) return reader.error("training_window", "must be {start, end}");
    auto start = reader.optional_time(*window, "start", "training_window.start");
    if (!start) return start.status();
    auto end = reader.optional_time(*window, "end", "training_window.end");
    if (!end) return end.status();
    if (*start && *end && **end < **start) {
      return reader.error("training_window", "ends before it starts");
    }
    metadata.training_start = *start;
    metadata.training_end = *end;
  }

  if (const auto params = root.find("params"); params != root.end() && !params->is_null()) {
    if (!params->is_object()) return reader.error("params", "must be an object");
    metadata.params_json = params->dump();
  }

  if (const auto metrics = root.find("metrics"); metrics != root.end() && !metrics->is_null()) {
    if (!metrics->is_object()) return reader.error("metrics", "must be an object of numbers");
    for (const auto& [name, value] : metrics->items()) {
      if (!value.is_number() || !std::isfinite(value.get<double>())) {
        return reader.error("metrics." + name, "must be a finite number");
      }
      metadata.metrics[name] = value.get<double>();
    }
  }

  if (const auto digest = root.find("model_sha256"); digest != root.end() && !digest->is_null()) {
    if (!digest->is_string() || !is_lower_hex_digest(digest->get<std::string>())) {
      return reader.error("model_sha256", "must be 64 lower-case hex digits");
    }
    metadata.model_sha256 = digest->get<std::string>();
  }

  auto created = reader.optional_time(root, "created_at", "created_at");
  if (!created) return created.status();
  metadata.created_at = *created;
  return metadata;
}

Result<std::string> serialize_model_metadata(const ModelMetadata& metadata) {
  // ordered_json keeps the keys in the order written here, which reads best.
  nlohmann::ordered_json root;
  root["format_version"] = kModelMetadataFormatVersion;
  root["model_id"] = metadata.model_id;
  root["target"] = metadata.target;
  if (!metadata.target_description.empty())
    root["target_description"] = metadata.target_description;
  root["objective"] = metadata.objective;
  root["feature_names"] = metadata.feature_names;
  if (metadata.training_start || metadata.training_end) {
    nlohmann::ordered_json window = nlohmann::ordered_json::object();
    if (metadata.training_start) window["start"] = format_iso8601(*metadata.training_start);
    if (metadata.training_end) window["end"] = format_iso8601(*metadata.training_end);
    root["training_window"] = window;
  }
  try {
    root["params"] = nlohmann::ordered_json::parse(metadata.params_json.empty()
                                                       ? std::string_view("{}")
                                                       : std::string_view(metadata.params_json));
  } catch (const nlohmann::ordered_json::exception& e) {
    return invalid_argument("model metadata params_json is not valid JSON: " +
                            std::string(e.what()));
  }
  if (!root["params"].is_object()) {
    return invalid_argument("model metadata params_json must be a JSON object");
  }
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& [name, value] : metadata.metrics) metrics[name] = value;
  root["metrics"] = metrics;
  if (metadata.model_sha256) root["model_sha256"] = *metadata.model_sha256;
  if (!metadata.xgboost_version.empty()) root["xgboost_version"] = metadata.xgboost_version;
  if (metadata.created_at) root["created_at"] = format_iso8601(*metadata.created_at);
  return root.dump(2) + "\n";
}

}  // namespace galfriday
