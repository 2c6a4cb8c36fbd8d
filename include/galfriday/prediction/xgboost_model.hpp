#pragma once
// XGBoostModel: a trained XGBoost booster (through the libxgboost C API) plus its metadata
// sidecar, as a PredictionModel.
//
// Loading checks everything that can be checked before the first event, each failure a clear
// Status: the model file exists, is XGBoost JSON or UBJ (not the deprecated binary format) and
// loads; the sidecar exists and parses; its digest (when given) matches the model bytes; the
// booster's feature count and stored feature names match the sidecar's; the objective matches
// and gives a probability; the booster is a tree model (gbtree or dart); one prediction runs.
//
// Inputs: a value that is not a finite number (NaN, ±inf) is an INVALID_ARGUMENT naming the
// feature. XGBoost would read NaN as "missing" and follow each tree's default branch; we do not
// want a broken feature pipeline to trade silently, so such a row is rejected, never predicted.
// Outputs outside [0, 1] (or not finite) are OUT_OF_RANGE.
//
// Thread-safety: predict() may be called from several threads at once on one XGBoostModel.
// XGBoost 1.7 documents prediction on tree boosters as thread-safe (doc/prediction.rst, "Thread
// Safety"), with per-thread output buffers; the booster is never modified after load (its
// nthread is set to 1 and its lazy configuration is finished by a warm-up prediction before
// load() returns). So the inference pool shares one booster across its workers instead of
// loading one per worker: same results, one copy of the trees in memory.
//
// Evaluation: predict() and predict_rows() walk the trees natively (TreeEnsemble, bitwise equal
// to XGBoost's own predictor, well under a microsecond per row instead of ~17 µs through the C
// API). At load the booster's JSON is turned into a TreeEnsemble and cross-checked against the
// C API on probe rows. If the model uses something the evaluator does not handle (dart,
// categorical splits, another objective) or the cross-check fails, predictions go through the C
// API instead and the reason is logged once, at load (native_fallback_reason()).

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/prediction/model_metadata.hpp"
#include "galfriday/prediction/prediction_model.hpp"
#include "galfriday/prediction/tree_ensemble.hpp"

namespace galfriday {

class XGBoostModel final : public PredictionModel {
 public:
  // Loads `model_path` and its sidecar metadata_path_for(model_path).
  static Result<std::unique_ptr<XGBoostModel>> load(const std::filesystem::path& model_path);
  static Result<std::unique_ptr<XGBoostModel>> load(const std::filesystem::path& model_path,
                                                    const std::filesystem::path& metadata_path);
  // From model bytes (JSON or UBJ) already in memory; `source` names them in errors.
  static Result<std::unique_ptr<XGBoostModel>> from_bytes(std::string_view model_bytes,
                                                          ModelMetadata metadata,
                                                          std::string_view source);
  ~XGBoostModel() override;
  XGBoostModel(const XGBoostModel&) = delete;
  XGBoostModel& operator=(const XGBoostModel&) = delete;

  const std::string& id() const override { return metadata_.model_id; }
  const std::vector<std::string>& feature_names() const override { return metadata_.feature_names; }
  Result<double> predict(const std::vector<double>& inputs) const override;
  std::optional<std::string> target() const override { return metadata_.target; }

  // Several rows at once (row-major, feature_names() order), for evaluation and tests. The same
  // input and output checks as predict(); the first bad row fails the call.
  Result<std::vector<double>> predict_rows(std::span<const double> values) const;

  const ModelMetadata& metadata() const { return metadata_; }
  int boosted_rounds() const { return boosted_rounds_; }

  // True when predictions come from the native TreeEnsemble, false when they go through the
  // XGBoost C API; then native_fallback_reason() says why (empty otherwise).
  bool native_evaluation() const { return native_.has_value(); }
  const std::string& native_fallback_reason() const { return native_fallback_reason_; }

  // predict() through the XGBoost C API whatever native_evaluation() says: the reference that
  // tests and benchmarks compare the native evaluator with. The same input and output checks.
  Result<double> predict_with_xgboost(const std::vector<double>& inputs) const;

 private:
  struct Booster;  // the C API handle, defined in src/ so <xgboost/c_api.h> stays out of here

  XGBoostModel(ModelMetadata metadata, std::unique_ptr<Booster> booster, int boosted_rounds);
  Status check_inputs(std::span<const double> row) const;
  Result<double> check_output(double value) const;
  // Builds native_ from the booster's JSON and cross-checks it, or records why not.
  void attach_native_evaluator(std::string_view source);

  ModelMetadata metadata_;
  std::unique_ptr<Booster> booster_;
  int boosted_rounds_ = 0;
  std::optional<TreeEnsemble> native_;
  std::string native_fallback_reason_;
};

}  // namespace galfriday
