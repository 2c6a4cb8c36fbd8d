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
// up to 65 535 features and as many nodes as the packed word leaves room for (2^(31 - bits of
// the feature count), e.g. 2^26 with 17 features),
// objectives binary:logistic, reg:logistic, binary:logitraw and reg:squarederror. Anything else
// is FAILED_PRECONDITION (naming what) so the caller can fall back to the C API: dart, gblinear,
// categorical splits, multi-class or multi-target models, vector leaves, other objectives.
// A malformed model (missing keys, wrong types, arrays of the wrong length, child indices out
// of range, a node reached twice) is DATA_LOSS naming the tree and node.
//
// Layout: every tree is re-laid out breadth-first into one flat array of 8-byte nodes (threshold
// or leaf value, and one word packing feature, default direction and left child) with the two
// children of a split adjacent (right = left + 1); 200 depth-6 trees take ~160 KiB, not ~240.
// Trees are evaluated eight at a time, each lane stepping one level per round, so eight
// independent node loads are in flight instead of one dependent chain. A leaf always steps
// "right" onto itself, so lanes that reach their leaf early just stay there until the deepest
// tree of the group is done. The step has no branch (a mispredicted one per early leaf cost more
// than the walk), and a row without NaN skips the default-direction test.
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

  // 8 bytes: a split's threshold or a leaf's value, and one word packing, from the low bits,
  // the feature index (feature_bits_ wide), the default direction (1 = right) and the index of
  // the left child in nodes_ (the right child is left + 1).
  struct Node {
    float value;
    uint32_t link;
  };
  static constexpr size_t kLanes = 8;

  TreeEnsemble() = default;
  uint32_t link(uint32_t left, uint32_t feature, bool default_right) const;
  Node leaf(float value, uint32_t index) const;
  // kRowHasMissing = false skips the default-direction test (the row has no NaN).
  template <bool kRowHasMissing>
  float margin(const float* features) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;        // each tree's root in nodes_, in tree order, padded with
                                       // a zero leaf to whole groups of kLanes
  size_t tree_count_ = 0;              // trees in the model, without the padding
  std::vector<uint32_t> group_depth_;  // deepest tree of each group of kLanes trees
  size_t feature_count_ = 0;           // features per row; slot feature_count_ is always NaN
  uint32_t feature_bits_ = 0;          // bits of Node::link that hold the feature slot
  uint32_t child_shift_ = 0;           // where the left child's index starts in Node::link
  float base_margin_ = 0.0F;
  Transform transform_ = Transform::kIdentity;
  std::string objective_;
};

}  // namespace galfriday
