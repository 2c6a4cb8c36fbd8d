#pragma once
// Internal: RAII and error handling over the XGBoost C API (libxgboost 1.7). Only sources in
// src/prediction include this header, so <xgboost/c_api.h> stays out of include/.
//
// Thread-safety (XGBoost 1.7, doc/prediction.rst "Thread Safety", and c_api.cc): prediction
// from a tree booster (gbtree, dart) is thread-safe; the output buffer is thread-local per
// booster. Anything that changes the booster (set_param, training, loading) is not, and must not
// overlap a prediction. A Booster is therefore configured on one thread, warmed up by one
// prediction (which finishes XGBoost's lazy configuration), and only then shared.

#include <xgboost/c_api.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday::prediction_internal {

// Status for a failed C API call: `code` with "<what>: <XGBGetLastError()>".
Status xgboost_error(StatusCode code, std::string_view what);

// "1.7.4": the version of the linked library.
std::string xgboost_version();

class DMatrix {
 public:
  // A dense row-major matrix of doubles (copied by XGBoost, which stores floats).
  static Result<DMatrix> from_dense(std::span<const double> values, size_t rows, size_t cols,
                                    int nthread);
  DMatrix(DMatrix&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  DMatrix& operator=(DMatrix&&) = delete;
  DMatrix(const DMatrix&) = delete;
  ~DMatrix();

  Status set_labels(std::span<const double> labels);
  Status set_feature_names(const std::vector<std::string>& names);
  DMatrixHandle handle() const { return handle_; }

 private:
  explicit DMatrix(DMatrixHandle handle) : handle_(handle) {}
  DMatrixHandle handle_;
};

class Booster {
 public:
  // An empty booster, or one that trains on `cache` (the training matrices).
  static Result<Booster> create(std::span<const DMatrixHandle> cache = {});
  Booster(Booster&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  Booster& operator=(Booster&&) = delete;
  Booster(const Booster&) = delete;
  ~Booster();

  Status set_param(const char* name, const std::string& value);
  Status update_one_iter(int iteration, const DMatrix& train);
  // Loads a JSON or UBJ model from its bytes.
  Status load_model(std::string_view bytes);
  // The model as "json" or "ubj" bytes.
  Result<std::string> save_model(std::string_view format) const;
  Status set_feature_names(const std::vector<std::string>& names);
  // Empty when the model file stored no names.
  Result<std::vector<std::string>> feature_names() const;
  Result<uint64_t> num_features() const;
  Result<int> boosted_rounds() const;
  // XGBoost's JSON configuration: learner.objective.name, learner.gradient_booster.name, ...
  Result<std::string> json_config() const;

  // One output per row of a dense row-major matrix of doubles (XGBoost casts them to float as
  // it does for training data). Thread-safe on a configured tree booster (each thread passes the
  // input through its own proxy DMatrix). NaN is XGBoost's "missing" marker: XGBoostModel rejects
  // non-finite inputs before predicting and passes NaN only in its load-time probe rows, which
  // check the native evaluator's default branches. Single-output models only.
  Status predict_dense(std::span<const double> values, size_t rows, size_t cols,
                       std::vector<double>& out) const;
  // The same for one row, without allocating.
  Result<double> predict_row(std::span<const double> row) const;

 private:
  explicit Booster(BoosterHandle handle) : handle_(handle) {}
  BoosterHandle handle_;
};

}  // namespace galfriday::prediction_internal
