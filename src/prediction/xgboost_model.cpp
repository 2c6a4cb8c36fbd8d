#include "galfriday/prediction/xgboost_model.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "files.hpp"
#include "sha256.hpp"
#include "xgboost_booster.hpp"

namespace galfriday {

struct XGBoostModel::Booster {
  prediction_internal::Booster handle;
};

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

// The native evaluator must agree with XGBoost to this much on the load-time probe rows (it
// agrees bitwise in every test; the slack only keeps a harmless last-bit difference from
// costing the fast path).
constexpr double kNativeTolerance = 1e-6;

std::string describe(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return std::to_string(value);
}

// learner.objective.name and learner.gradient_booster.name from XGBoost's JSON configuration.
struct BoosterKind {
  std::string objective;
  std::string booster;
};

Result<BoosterKind> booster_kind(const prediction_internal::Booster& booster,
                                 std::string_view source) {
  auto config = booster.json_config();
  if (!config) return config.status();
  try {
    const auto json = nlohmann::json::parse(*config);
    const auto& learner = json.at("learner");
    return BoosterKind{learner.at("objective").at("name").get<std::string>(),
                       learner.at("gradient_booster").at("name").get<std::string>()};
  } catch (const nlohmann::json::exception& e) {
    return data_loss("model " + std::string(source) +
                     ": cannot read the booster's configuration: " + e.what());
  }
}

}  // namespace

XGBoostModel::XGBoostModel(ModelMetadata metadata, std::unique_ptr<Booster> booster,
                           int boosted_rounds)
    : metadata_(std::move(metadata)),
      booster_(std::move(booster)),
      boosted_rounds_(boosted_rounds) {}

XGBoostModel::~XGBoostModel() = default;

Result<std::unique_ptr<XGBoostModel>> XGBoostModel::load(const std::filesystem::path& model_path) {
  return load(model_path, metadata_path_for(model_path));
}

Result<std::unique_ptr<XGBoostModel>> XGBoostModel::load(
    const std::filesystem::path& model_path, const std::filesystem::path& metadata_path) {
  auto bytes = prediction_internal::read_whole_file(model_path);
  if (!bytes) return bytes.status().with_context("loading model");
  auto sidecar = prediction_internal::read_whole_file(metadata_path);
  if (!sidecar) {
    if (sidecar.status().code() == StatusCode::kNotFound) {
      return not_found("model " + model_path.string() + " has no metadata sidecar: " +
                       metadata_path.string() + " does not exist (docs/models.md describes it)");
    }
    return sidecar.status().with_context("loading model metadata");
  }
  auto metadata = parse_model_metadata(*sidecar, metadata_path.string());
  if (!metadata) return metadata.status();
  return from_bytes(*bytes, std::move(*metadata), model_path.string());
}

Result<std::unique_ptr<XGBoostModel>> XGBoostModel::from_bytes(std::string_view model_bytes,
                                                               ModelMetadata metadata,
                                                               std::string_view source) {
  const std::string where = "model " + std::string(source);
  if (model_bytes.empty()) return data_loss(where + " is empty");
  // JSON and UBJ models are objects and start with '{'; the deprecated binary format does not.
  if (model_bytes.front() != '{') {
    return data_loss(where +
                     " is not an XGBoost JSON or UBJ model (the deprecated binary "
                     "format is not supported: re-save it with save_model(\"m.json\"))");
  }
  if (metadata.model_sha256) {
    const std::string actual = prediction_internal::sha256_hex(model_bytes);
    if (actual != *metadata.model_sha256) {
      return data_loss(where + " does not match its metadata: sha256 is " + actual +
                       ", the sidecar expects " + *metadata.model_sha256 +
                       " (was one file replaced without the other?)");
    }
  }
  if (!is_probability_objective(metadata.objective)) {
    return invalid_argument(where + ": objective '" + metadata.objective +
                            "' does not give a probability (use binary:logistic)");
  }

  auto created = prediction_internal::Booster::create();
  if (!created) return created.status();
  auto booster = std::make_unique<Booster>(Booster{std::move(*created)});
  prediction_internal::Booster& handle = booster->handle;
  if (Status status = handle.load_model(model_bytes); !status.is_ok()) {
    return data_loss(where + " is corrupt or not an XGBoost model: " + status.message());
  }
  // One thread per prediction: the pool gives parallelism across events, and OpenMP teams
  // inside each of several workers would only oversubscribe the cores.
  GF_RETURN_IF_ERROR(handle.set_param("nthread", "1"));

  auto kind = booster_kind(handle, source);
  if (!kind) return kind.status();
  if (kind->booster != "gbtree" && kind->booster != "dart") {
    return failed_precondition(where + " uses booster '" + kind->booster +
                               "'; only tree boosters (gbtree, dart) are supported, because "
                               "XGBoost guarantees thread-safe prediction only for them");
  }
  if (kind->objective != metadata.objective) {
    return invalid_argument(where + " was trained with objective '" + kind->objective +
                            "' but its metadata says '" + metadata.objective + "'");
  }

  auto feature_count = handle.num_features();
  if (!feature_count) return feature_count.status();
  if (*feature_count != metadata.feature_names.size()) {
    return invalid_argument(
        where + " reads " + std::to_string(*feature_count) + " features but its metadata names " +
        std::to_string(metadata.feature_names.size()) + ": " + join_names(metadata.feature_names));
  }
  auto stored_names = handle.feature_names();
  if (!stored_names) return stored_names.status();
  if (!stored_names->empty() && *stored_names != metadata.feature_names) {
    return invalid_argument(where + " was trained on features " + join_names(*stored_names) +
                            " but its metadata names " + join_names(metadata.feature_names) +
                            " (order matters)");
  }

  auto rounds = handle.boosted_rounds();
  if (!rounds) return rounds.status();

  // Warm-up: finishes XGBoost's lazy configuration on this thread, before the booster is shared
  // with the workers, and proves the model predicts at all.
  const std::vector<double> zeros(metadata.feature_names.size(), 0.0);
  auto probe = handle.predict_row(zeros);
  if (!probe) return probe.status().with_context(where + ": test prediction failed");

  std::unique_ptr<XGBoostModel> model(
      new XGBoostModel(std::move(metadata), std::move(booster), *rounds));
  if (auto checked = model->check_output(*probe); !checked) {
    return checked.status().with_context(where + ": test prediction");
  }
  model->attach_native_evaluator(source);
  return model;
}

void XGBoostModel::attach_native_evaluator(std::string_view source) {
  const std::string where = "model " + std::string(source);
  const prediction_internal::Booster& handle = booster_->handle;
  // The booster's own JSON, whatever the file's format (JSON or UBJ): the trees exactly as
  // XGBoost holds them.
  auto json = handle.save_model("json");
  Result<TreeEnsemble> ensemble =
      json ? TreeEnsemble::from_xgboost_json(*json, source) : Result<TreeEnsemble>(json.status());
  Status verdict = ensemble ? Status::ok() : ensemble.status();
  if (verdict.is_ok()) {
    // A safety net behind the evaluator's own tests: probe rows through both paths, including a
    // row of missing values (every default branch) and values far outside any training range.
    const size_t cols = metadata_.feature_names.size();
    constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> fills = {0.0, kMissing, -1.0, 1.0, -1e6, 1e6, 0.5, -0.25};
    std::vector<double> probes;
    for (const double fill : fills) probes.insert(probes.end(), cols, fill);
    // A mixed row: alternating signs, growing magnitudes, every third value missing.
    for (size_t c = 0; c < cols; ++c) {
      probes.push_back(c % 3 == 2 ? kMissing
                                  : (c % 2 == 0 ? 1.0 : -1.0) * static_cast<double>(c + 1) / 7.0);
    }
    const size_t rows = probes.size() / cols;
    std::vector<double> reference;
    verdict = handle.predict_dense(probes, rows, cols, reference);
    for (size_t r = 0; verdict.is_ok() && r < rows; ++r) {
      auto native = ensemble->predict(std::span<const double>(probes).subspan(r * cols, cols));
      if (!native) {
        verdict = native.status();
      } else if (!(std::abs(*native - reference[r]) <= kNativeTolerance)) {
        char text[96];
        std::snprintf(text, sizeof(text), "%.9g on probe row %zu where XGBoost gives %.9g", *native,
                      r, reference[r]);
        verdict = internal_error(std::string("the native evaluator gives ") + text);
      }
    }
  }
  if (!verdict.is_ok()) {
    native_fallback_reason_ = verdict.message();
    spdlog::warn("{}: predicting through the XGBoost C API (about 17 us per row), not natively: {}",
                 where, native_fallback_reason_);
    return;
  }
  native_ = std::move(*ensemble);
}

Status XGBoostModel::check_inputs(std::span<const double> row) const {
  if (row.size() != metadata_.feature_names.size()) {
    return invalid_argument("model '" + metadata_.model_id + "' expects " +
                            std::to_string(metadata_.feature_names.size()) + " inputs, got " +
                            std::to_string(row.size()));
  }
  for (size_t i = 0; i < row.size(); ++i) {
    if (!std::isfinite(row[i])) {
      return invalid_argument("feature '" + metadata_.feature_names[i] +
                              "' is not a finite number (" + describe(row[i]) + ")");
    }
  }
  return Status::ok();
}

Result<double> XGBoostModel::check_output(double value) const {
  if (!std::isfinite(value) || value < 0.0 || value > 1.0) {
    return out_of_range("model '" + metadata_.model_id + "' output " + describe(value) +
                        " is not a probability in [0, 1]");
  }
  return value;
}

Result<double> XGBoostModel::predict(const std::vector<double>& inputs) const {
  if (!native_) return predict_with_xgboost(inputs);
  GF_RETURN_IF_ERROR(check_inputs(inputs));
  auto value = native_->predict(inputs);
  if (!value) return value.status();
  return check_output(*value);
}

Result<double> XGBoostModel::predict_with_xgboost(const std::vector<double>& inputs) const {
  GF_RETURN_IF_ERROR(check_inputs(inputs));
  auto value = booster_->handle.predict_row(inputs);
  if (!value) return value.status();
  return check_output(*value);
}

Result<std::vector<double>> XGBoostModel::predict_rows(std::span<const double> values) const {
  const size_t cols = metadata_.feature_names.size();
  if (values.size() % cols != 0) {
    return invalid_argument("model '" + metadata_.model_id + "': " + std::to_string(values.size()) +
                            " values are not whole rows of " + std::to_string(cols));
  }
  const size_t rows = values.size() / cols;
  for (size_t r = 0; r < rows; ++r) {
    if (Status status = check_inputs(values.subspan(r * cols, cols)); !status.is_ok()) {
      return status.with_context("row " + std::to_string(r));
    }
  }
  std::vector<double> out;
  if (native_) {
    out.reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      auto value = native_->predict(values.subspan(r * cols, cols));
      if (!value) return value.status().with_context("row " + std::to_string(r));
      out.push_back(*value);
    }
  } else {
    GF_RETURN_IF_ERROR(booster_->handle.predict_dense(values, rows, cols, out));
  }
  for (size_t r = 0; r < rows; ++r) {
    auto checked = check_output(out[r]);
    if (!checked) return checked.status().with_context("row " + std::to_string(r));
  }
  return out;
}

}  // namespace galfriday
