#include "xgboost_booster.hpp"

#include <cinttypes>
#include <cstdio>

namespace galfriday::prediction_internal {
namespace {

// Normal prediction, all trees, output shaped (rows, groups); NaN is the "missing" marker, and
// callers never pass NaN, so no input value is ever treated as missing.
constexpr char kPredictConfig[] =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
    R"("strict_shape": true, "cache_id": 0, "missing": NaN})";

// numpy's __array_interface__ for a read-only row-major float64 matrix.
struct ArrayInterface {
  char text[160];
  ArrayInterface(const double* data, size_t rows, size_t cols) {
    std::snprintf(text, sizeof(text),
                  R"({"data": [%)" PRIuPTR R"(, true], "shape": [%zu, %zu], "typestr": "<f8", )"
                  R"("version": 3})",
                  reinterpret_cast<uintptr_t>(data), rows, cols);
  }
};

// The proxy DMatrix that carries inplace-prediction input into XGBoost. Without one, the C API
// makes a fresh proxy per call, and each construction reads the cgroup CPU quota files (two file
// opens per prediction, about 25 us here). A proxy is mutated by every prediction, so each thread
// has its own; it is not tied to a booster. Null if XGBoost cannot make one (then it makes its
// own per call: slower, same results).
DMatrixHandle thread_proxy() {
  struct Proxy {
    DMatrixHandle handle = nullptr;
    Proxy() {
      if (XGProxyDMatrixCreate(&handle) != 0) handle = nullptr;
    }
    ~Proxy() {
      if (handle != nullptr) XGDMatrixFree(handle);
    }
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;
  };
  thread_local Proxy proxy;
  return proxy.handle;
}

std::vector<const char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<const char*> pointers;
  pointers.reserve(strings.size());
  for (const std::string& s : strings) pointers.push_back(s.c_str());
  return pointers;
}

}  // namespace

Status xgboost_error(StatusCode code, std::string_view what) {
  const char* last = XGBGetLastError();
  return {code, std::string(what) + ": " +
                    (last != nullptr && *last != '\0' ? last : "unknown XGBoost error")};
}

std::string xgboost_version() {
  int major = 0;
  int minor = 0;
  int patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

// --- DMatrix ---------------------------------------------------------------------------------

Result<DMatrix> DMatrix::from_dense(std::span<const double> values, size_t rows, size_t cols,
                                    int nthread) {
  if (values.size() != rows * cols) {
    return internal_error("dense matrix has " + std::to_string(values.size()) + " values for " +
                          std::to_string(rows) + "x" + std::to_string(cols));
  }
  const ArrayInterface array(values.data(), rows, cols);
  const std::string config = R"({"missing": NaN, "nthread": )" + std::to_string(nthread) + "}";
  DMatrixHandle handle = nullptr;
  if (XGDMatrixCreateFromDense(array.text, config.c_str(), &handle) != 0) {
    return xgboost_error(StatusCode::kInternal, "XGDMatrixCreateFromDense");
  }
  return DMatrix(handle);
}

DMatrix::~DMatrix() {
  if (handle_ != nullptr) XGDMatrixFree(handle_);
}

Status DMatrix::set_labels(std::span<const double> labels) {
  const std::vector<float> as_float(labels.begin(), labels.end());
  if (XGDMatrixSetFloatInfo(handle_, "label", as_float.data(), as_float.size()) != 0) {
    return xgboost_error(StatusCode::kInternal, "XGDMatrixSetFloatInfo(label)");
  }
  return Status::ok();
}

Status DMatrix::set_feature_names(const std::vector<std::string>& names) {
  auto pointers = c_strings(names);
  if (XGDMatrixSetStrFeatureInfo(handle_, "feature_name", pointers.data(), pointers.size()) != 0) {
    return xgboost_error(StatusCode::kInvalidArgument, "XGDMatrixSetStrFeatureInfo(feature_name)");
  }
  return Status::ok();
}

// --- Booster ---------------------------------------------------------------------------------

Result<Booster> Booster::create(std::span<const DMatrixHandle> cache) {
  BoosterHandle handle = nullptr;
  if (XGBoosterCreate(cache.empty() ? nullptr : cache.data(), cache.size(), &handle) != 0) {
    return xgboost_error(StatusCode::kInternal, "XGBoosterCreate");
  }
  return Booster(handle);
}

Booster::~Booster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

Status Booster::set_param(const char* name, const std::string& value) {
  if (XGBoosterSetParam(handle_, name, value.c_str()) != 0) {
    return xgboost_error(StatusCode::kInvalidArgument,
                         std::string("XGBoost parameter ") + name + "=" + value);
  }
  return Status::ok();
}

Status Booster::update_one_iter(int iteration, const DMatrix& train) {
  if (XGBoosterUpdateOneIter(handle_, iteration, train.handle()) != 0) {
    return xgboost_error(StatusCode::kInternal,
                         "XGBoost training round " + std::to_string(iteration));
  }
  return Status::ok();
}

Status Booster::load_model(std::string_view bytes) {
  if (XGBoosterLoadModelFromBuffer(handle_, bytes.data(), bytes.size()) != 0) {
    return xgboost_error(StatusCode::kDataLoss, "XGBoost cannot load the model");
  }
  return Status::ok();
}

Result<std::string> Booster::save_model(std::string_view format) const {
  const std::string config = R"({"format": ")" + std::string(format) + R"("})";
  bst_ulong length = 0;
  const char* data = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, config.c_str(), &length, &data) != 0) {
    return xgboost_error(StatusCode::kInternal, "XGBoosterSaveModelToBuffer");
  }
  return std::string(data, length);
}

Status Booster::set_feature_names(const std::vector<std::string>& names) {
  auto pointers = c_strings(names);
  if (XGBoosterSetStrFeatureInfo(handle_, "feature_name", pointers.data(), pointers.size()) != 0) {
    return xgboost_error(StatusCode::kInvalidArgument, "XGBoosterSetStrFeatureInfo(feature_name)");
  }
  return Status::ok();
}

Result<std::vector<std::string>> Booster::feature_names() const {
  bst_ulong length = 0;
  const char** names = nullptr;
  if (XGBoosterGetStrFeatureInfo(handle_, "feature_name", &length, &names) != 0) {
    return xgboost_error(StatusCode::kDataLoss, "XGBoosterGetStrFeatureInfo(feature_name)");
  }
  std::vector<std::string> out;
  out.reserve(length);
  for (bst_ulong i = 0; i < length; ++i) out.emplace_back(names[i]);
  return out;
}

Result<uint64_t> Booster::num_features() const {
  bst_ulong count = 0;
  if (XGBoosterGetNumFeature(handle_, &count) != 0) {
    return xgboost_error(StatusCode::kDataLoss, "XGBoosterGetNumFeature");
  }
  return static_cast<uint64_t>(count);
}

Result<int> Booster::boosted_rounds() const {
  int rounds = 0;
  if (XGBoosterBoostedRounds(handle_, &rounds) != 0) {
    return xgboost_error(StatusCode::kDataLoss, "XGBoosterBoostedRounds");
  }
  return rounds;
}

Result<std::string> Booster::json_config() const {
  bst_ulong length = 0;
  const char* text = nullptr;
  if (XGBoosterSaveJsonConfig(handle_, &length, &text) != 0) {
    return xgboost_error(StatusCode::kDataLoss, "XGBoosterSaveJsonConfig");
  }
  return std::string(text, length);
}

Status Booster::predict_dense(std::span<const double> values, size_t rows, size_t cols,
                              std::vector<double>& out) const {
  if (values.size() != rows * cols) {
    return internal_error("dense matrix has " + std::to_string(values.size()) + " values for " +
                          std::to_string(rows) + "x" + std::to_string(cols));
  }
  const ArrayInterface array(values.data(), rows, cols);
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromDense(handle_, array.text, kPredictConfig, thread_proxy(), &shape, &dims,
                                &result) != 0) {
    return xgboost_error(StatusCode::kInternal, "XGBoost prediction");
  }
  if (dims != 2 || shape[0] != rows || shape[1] != 1) {
    return failed_precondition("XGBoost model gives " +
                               (dims == 2 ? std::to_string(shape[1]) : std::string("several")) +
                               " outputs per row; only single-output models are supported");
  }
  // The result buffer is XGBoost's thread-local storage: copied out before any other call.
  out.assign(result, result + rows);
  return Status::ok();
}

Result<double> Booster::predict_row(std::span<const double> row) const {
  const ArrayInterface array(row.data(), 1, row.size());
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromDense(handle_, array.text, kPredictConfig, thread_proxy(), &shape, &dims,
                                &result) != 0) {
    return xgboost_error(StatusCode::kInternal, "XGBoost prediction");
  }
  if (dims != 2 || shape[0] != 1 || shape[1] != 1) {
    return failed_precondition(
        "XGBoost model does not give one output per row; only "
        "single-output models are supported");
  }
  return static_cast<double>(result[0]);
}

}  // namespace galfriday::prediction_internal
