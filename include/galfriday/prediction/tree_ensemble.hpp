#pragma once
// TreeEnsemble: a native evaluator for a trained XGBoost tree booster (gbtree), built from the
// booster's JSON model. Predicting one row through the XGBoost C API costs ~17 µs, almost all of
// it call overhead (configuration parsing, proxy DMatrix, adapter dispatch); walking the trees
// themselves takes well under a microsecond. XGBoostModel serves predictions through this class
// and keeps the C API for training, loading checks and as the reference in tests.
//
// Exactness: the evaluator reproduces XGBoost 1.7's CPU predictor operation by operation, so
// results are bitwise equal (tests compare thousands of rows, NaN features included):
// - features are cast to float; a split goes left when `feature < threshold` (float compare);
//   a missing feature (NaN) takes the node's default direction;
// - the margin starts at the base score mapped through the objective's ProbToMargin (for the
//   binary:logistic and reg:logistic -logf(1/base_score - 1); binary:logitraw and
//   reg:squarederror take base_score as it is), and leaf values are added in float, in tree
//   order;
// - the objective's transform is applied in float (logistic: XGBoost's clamped sigmoid).
//
// Supported: booster gbtree (any num_parallel_tree), numerical splits, one output per row,
// objectives binary:logistic, reg:logistic, binary:logitraw and reg:squarederror. Anything else
// is FAILED_PRECONDITION (naming what) so the caller can fall back to the C API: dart, gblinear,
// categorical splits, multi-class or multi-target models, vector leaves, other objectives.
// A malformed model (missing keys, wrong types, arrays of the wrong length, child indices out
// of range, a node reached twice) is DATA_LOSS naming the tree and node.
//
// Layout: every tree is re-laid out breadth-first into one flat array of 12-byte nodes with the
// two children of a split adjacent (right = left + 1). Trees are evaluated eight at a time, each
// lane stepping one level per round, so eight independent node loads are in flight instead of
// one dependent chain. A leaf points to itself and always steps "left", so lanes that reach
// their leaf early just stay there until the deepest tree of the group is done.
//
// Thread-safety: immutable after construction; predict() may run on many threads at once.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday {

class TreeEnsemble {
 public:
  // `json` is the booster as XGBoosterSaveModelToBuffer({"format": "json"}) or
  // save_model("m.json") writes it; `source` names it in errors.
  static Result<TreeEnsemble> from_xgboost_json(std::string_view json, std::string_view source);

  // The model's output for one row of feature_count() values (float64, as in feature vectors):
  // the probability for logistic objectives, the raw value for the others. NaN is "missing".
  // INVALID_ARGUMENT when the row has the wrong length.
  Result<double> predict(std::span<const double> row) const;

  size_t feature_count() const { return feature_count_; }
  size_t tree_count() const { return tree_count_; }
  size_t node_count() const { return nodes_.size(); }
  const std::string& objective() const { return objective_; }

 private:
  enum class Transform { kIdentity, kLogistic };

  struct Node {
    float value;     // split threshold, or the leaf value
    uint32_t left;   // index of the left child in nodes_ (the right child is left + 1);
                     // a leaf's own index
    uint32_t split;  // feature index | kDefaultRight; a leaf reads the always-missing slot
  };
  static constexpr uint32_t kDefaultRight = 1U << 31;
  static constexpr uint32_t kFeatureMask = kDefaultRight - 1;
  static constexpr size_t kLanes = 8;

  TreeEnsemble() = default;
  float margin(const float* features) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;         // each tree's root in nodes_, in tree order, padded with
                                        // a zero leaf to whole groups of kLanes
  size_t tree_count_ = 0;               // trees in the model, without the padding
  std::vector<uint32_t> group_depth_;   // deepest tree of each group of kLanes trees
  size_t feature_count_ = 0;            // features per row; slot feature_count_ is always NaN
  float base_margin_ = 0.0F;
  Transform transform_ = Transform::kIdentity;
  std::string objective_;
};

}  // namespace galfriday
