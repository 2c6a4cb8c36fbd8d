#include "galfriday/prediction/tree_ensemble.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace galfriday {
namespace {

using nlohmann::json;

// Rows up to this many features convert into a stack buffer; wider rows allocate.
constexpr size_t kStackFeatures = 255;
// Features are indexed in the low bits of Node::link; this caps the packed layout's feature
// slots (2^16 features leave 15 bits, 32 768 nodes, for child indices).
constexpr size_t kMaxFeatures = (size_t{1} << 16) - 1;

// XGBoost 1.7's common::Sigmoid: the exponent is clamped so expf never overflows.
float xgboost_sigmoid(float margin) {
  constexpr float kEps = 1e-16F;
  const float exponent = std::min(-margin, 88.7F);
  return 1.0F / (std::exp(exponent) + 1.0F + kEps);
}

// The evaluator's view of an objective: how the base score becomes a margin, and the transform.
struct ObjectiveRule {
  std::string_view name;
  bool logistic_base;    // ProbToMargin is -logf(1/base_score - 1), else the identity
  bool logistic_output;  // PredTransform is the sigmoid, else the identity
};

// Only objectives whose XGBoost 1.7 behaviour the tests verify against the library.
constexpr std::array<ObjectiveRule, 4> kObjectives = {{
    {"binary:logistic", true, true},
    {"reg:logistic", true, true},
    {"binary:logitraw", false, false},  // 1.7 uses base_score as the margin here (tested)
    {"reg:squarederror", false, false},
}};

// XGBoost stores model parameters as strings ("1", "5E-1"); accept plain numbers too.
Result<double> number_param(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return data_loss(where + ": '" + key + "' is missing");
  if (it->is_number()) return it->get<double>();
  if (!it->is_string()) return data_loss(where + ": '" + key + "' is not a number");
  const std::string& text = it->get_ref<const std::string&>();
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return data_loss(where + ": '" + key + "' is '" + text + "', not a number");
  }
  return value;
}

Result<int64_t> count_param(const json& object, const char* key, const std::string& where) {
  auto value = number_param(object, key, where);
  if (!value) return value.status();
  if (!(*value >= 0.0) || *value > 1e15 || std::floor(*value) != *value) {
    return data_loss(where + ": '" + key + "' is " + std::to_string(*value) + ", not a count");
  }
  return static_cast<int64_t>(*value);
}

// The arrays of one tree as XGBoost writes them.
struct RawTree {
  std::vector<int64_t> left;
  std::vector<int64_t> right;
  std::vector<int64_t> feature;
  std::vector<float> condition;  // threshold of a split, value of a leaf
  std::vector<bool> default_left;
};

Result<RawTree> read_tree(const json& tree, size_t feature_count, const std::string& where) {
  if (!tree.is_object()) return data_loss(where + " is not an object");
  const auto param = tree.find("tree_param");
  if (param == tree.end() || !param->is_object()) {
    return data_loss(where + ": 'tree_param' is missing");
  }
  auto nodes = count_param(*param, "num_nodes", where + ".tree_param");
  if (!nodes) return nodes.status();
  if (*nodes < 1) return data_loss(where + " has no nodes");
  if (param->contains("size_leaf_vector")) {
    auto leaf_vector = count_param(*param, "size_leaf_vector", where + ".tree_param");
    if (!leaf_vector) return leaf_vector.status();
    if (*leaf_vector > 1) {
      return failed_precondition(where + " has vector leaves (multi-target tree)");
    }
  }
  const auto size = static_cast<size_t>(*nodes);
  if (const auto types = tree.find("split_type"); types != tree.end()) {
    if (!types->is_array() || types->size() != size) {
      return data_loss(where + ": 'split_type' does not have " + std::to_string(size) + " entries");
    }
    for (const json& type : *types) {
      if (!type.is_number_integer() || type.get<int64_t>() != 0) {
        return failed_precondition(where + " has categorical splits");
      }
    }
  }
  RawTree raw;
  auto array = [&](const char* key) -> Result<const json*> {
    const auto it = tree.find(key);
    if (it == tree.end() || !it->is_array()) {
      return data_loss(where + ": '" + key + "' is missing or not an array");
    }
    if (it->size() != size) {
      return data_loss(where + ": '" + key + "' has " + std::to_string(it->size()) +
                       " entries for " + std::to_string(size) + " nodes");
    }
    return &*it;
  };
  auto integers = [&](const char* key, std::vector<int64_t>& out) -> Status {
    auto values = array(key);
    if (!values) return values.status();
    out.reserve(size);
    for (const json& value : **values) {
      if (!value.is_number_integer()) {
        return data_loss(where + ": '" + key + "' holds a value that is not an integer");
      }
      out.push_back(value.get<int64_t>());
    }
    return Status::ok();
  };
  GF_RETURN_IF_ERROR(integers("left_children", raw.left));
  GF_RETURN_IF_ERROR(integers("right_children", raw.right));
  GF_RETURN_IF_ERROR(integers("split_indices", raw.feature));
  auto conditions = array("split_conditions");
  if (!conditions) return conditions.status();
  for (const json& value : **conditions) {
    if (!value.is_number()) {
      return data_loss(where + ": 'split_conditions' holds a value that is not a number");
    }
    raw.condition.push_back(static_cast<float>(value.get<double>()));
  }
  auto defaults = array("default_left");
  if (!defaults) return defaults.status();
  for (const json& value : **defaults) {
    // XGBoost 1.7 writes 0/1; accept booleans as well.
    if (value.is_boolean()) {
      raw.default_left.push_back(value.get<bool>());
    } else if (value.is_number_integer()) {
      raw.default_left.push_back(value.get<int64_t>() != 0);
    } else {
      return data_loss(where + ": 'default_left' holds a value that is neither 0/1 nor a boolean");
    }
  }
  for (size_t i = 0; i < size; ++i) {
    const std::string node = where + " node " + std::to_string(i);
    const bool leaf = raw.left[i] == -1;
    if (leaf) {
      if (raw.right[i] != -1) return data_loss(node + " has a right child but no left child");
      continue;
    }
    for (const int64_t child : {raw.left[i], raw.right[i]}) {
      if (child <= 0 || static_cast<size_t>(child) >= size) {
        return data_loss(node + " has child " + std::to_string(child) + ", outside the tree's " +
                         std::to_string(size) + " nodes");
      }
    }
    if (raw.left[i] == raw.right[i]) return data_loss(node + " has the same node on both sides");
    if (raw.feature[i] < 0 || static_cast<size_t>(raw.feature[i]) >= feature_count) {
      return data_loss(node + " splits on feature " + std::to_string(raw.feature[i]) +
                       ", but the model has " + std::to_string(feature_count) + " features");
    }
  }
  return raw;
}

}  // namespace

Result<TreeEnsemble> TreeEnsemble::from_xgboost_json(std::string_view text,
                                                     std::string_view source) {
  const std::string where = "model " + std::string(source);
  json model;
  try {
    model = json::parse(text);
  } catch (const json::exception& e) {
    return data_loss(where + " is not JSON: " + e.what());
  }
  try {
    const auto learner_it = model.find("learner");
    if (!model.is_object() || learner_it == model.end() || !learner_it->is_object()) {
      return data_loss(where + " has no 'learner' object (not an XGBoost JSON model)");
    }
    const json& learner = *learner_it;
    const json& learner_param = learner.at("learner_model_param");
    const json& booster = learner.at("gradient_booster");
    const std::string booster_name = booster.at("name").get<std::string>();
    if (booster_name != "gbtree") {
      return failed_precondition(where + " uses booster '" + booster_name +
                                 "'; the native evaluator handles gbtree only");
    }

    TreeEnsemble ensemble;
    ensemble.objective_ = learner.at("objective").at("name").get<std::string>();
    const auto rule =
        std::find_if(kObjectives.begin(), kObjectives.end(),
                     [&](const ObjectiveRule& r) { return r.name == ensemble.objective_; });
    if (rule == kObjectives.end()) {
      return failed_precondition(where + " has objective '" + ensemble.objective_ +
                                 "'; the native evaluator handles binary:logistic, "
                                 "reg:logistic, binary:logitraw and reg:squarederror");
    }

    const std::string param_where = where + " learner_model_param";
    auto features = count_param(learner_param, "num_feature", param_where);
    if (!features) return features.status();
    if (*features < 1) {
      return data_loss(param_where + ": num_feature is " + std::to_string(*features));
    }
    if (static_cast<uint64_t>(*features) > kMaxFeatures) {
      return failed_precondition(where + " has " + std::to_string(*features) +
                                 " features; the native evaluator handles up to " +
                                 std::to_string(kMaxFeatures));
    }
    ensemble.feature_count_ = static_cast<size_t>(*features);
    // Slots 0..feature_count_ (the last is the always-missing one), then the default direction;
    // the child index takes the bits above.
    ensemble.feature_bits_ = static_cast<uint32_t>(std::bit_width(ensemble.feature_count_));
    ensemble.child_shift_ = ensemble.feature_bits_ + 1;
    const size_t max_nodes = size_t{1} << (32 - ensemble.child_shift_);
    // Node 0 is an unused sentinel no walk reaches: every leaf's link names its own index - 1 (see
    // leaf()), so leaves must start at index 1.
    ensemble.nodes_.push_back(Node{0.0F, 0});
    auto classes = count_param(learner_param, "num_class", param_where);
    if (!classes) return classes.status();
    if (*classes > 1) {
      return failed_precondition(where + " is a " + std::to_string(*classes) +
                                 "-class model; the native evaluator gives one output per row");
    }
    if (learner_param.contains("num_target")) {
      auto targets = count_param(learner_param, "num_target", param_where);
      if (!targets) return targets.status();
      if (*targets > 1) {
        return failed_precondition(where + " has " + std::to_string(*targets) +
                                   " targets; the native evaluator gives one output per row");
      }
    }
    auto base_score = number_param(learner_param, "base_score", param_where);
    if (!base_score) return base_score.status();
    const auto base = static_cast<float>(*base_score);
    if (rule->logistic_base) {
      if (!(base > 0.0F && base < 1.0F)) {
        return data_loss(param_where + ": base_score " + std::to_string(*base_score) +
                         " is not in (0, 1), as the logistic objective needs");
      }
      ensemble.base_margin_ = -std::log(1.0F / base - 1.0F);
    } else {
      if (!std::isfinite(base)) return data_loss(param_where + ": base_score is not finite");
      ensemble.base_margin_ = base;
    }
    ensemble.transform_ = rule->logistic_output ? Transform::kLogistic : Transform::kIdentity;

    const json& gbtree = booster.at("model");
    const json& trees = gbtree.at("trees");
    if (!trees.is_array()) return data_loss(where + ": 'trees' is not an array");
    auto declared =
        count_param(gbtree.at("gbtree_model_param"), "num_trees", where + " gbtree_model_param");
    if (!declared) return declared.status();
    if (static_cast<size_t>(*declared) != trees.size()) {
      return data_loss(where + " declares " + std::to_string(*declared) + " trees but holds " +
                       std::to_string(trees.size()));
    }
    if (const auto info = gbtree.find("tree_info"); info != gbtree.end()) {
      for (const json& group : *info) {
        if (!group.is_number_integer() || group.get<int64_t>() != 0) {
          return failed_precondition(where + " assigns trees to several output groups");
        }
      }
    }

    std::vector<uint32_t> depths;
    for (size_t t = 0; t < trees.size(); ++t) {
      const std::string tree_where = where + " tree " + std::to_string(t);
      auto raw = read_tree(trees[t], ensemble.feature_count_, tree_where);
      if (!raw) return raw.status();
      if (ensemble.nodes_.size() + raw->left.size() >= max_nodes) {
        return failed_precondition(where + " has more than " + std::to_string(max_nodes - 1) +
                                   " nodes, the most the native evaluator packs with " +
                                   std::to_string(ensemble.feature_count_) + " features");
      }
      // Breadth-first re-layout: old node order[p] becomes new node base + p; a split's two
      // children are appended together, so right = left + 1.
      const auto base_index = static_cast<uint32_t>(ensemble.nodes_.size());
      std::vector<int64_t> order = {0};
      std::vector<uint32_t> depth = {0};
      std::vector<bool> seen(raw->left.size(), false);
      seen[0] = true;
      uint32_t tree_depth = 0;
      for (size_t p = 0; p < order.size(); ++p) {
        const auto old = static_cast<size_t>(order[p]);
        const auto index = static_cast<uint32_t>(base_index + p);
        if (raw->left[old] == -1) {
          ensemble.nodes_.push_back(ensemble.leaf(raw->condition[old], index));
          tree_depth = std::max(tree_depth, depth[p]);
          continue;
        }
        for (const int64_t child : {raw->left[old], raw->right[old]}) {
          if (seen[static_cast<size_t>(child)]) {
            return data_loss(tree_where + " node " + std::to_string(child) +
                             " is reached twice (the tree has a cycle or shared node)");
          }
          seen[static_cast<size_t>(child)] = true;
        }
        const auto left = static_cast<uint32_t>(base_index + order.size());
        order.push_back(raw->left[old]);
        order.push_back(raw->right[old]);
        depth.push_back(depth[p] + 1);
        depth.push_back(depth[p] + 1);
        ensemble.nodes_.push_back(
            Node{raw->condition[old], ensemble.link(left, static_cast<uint32_t>(raw->feature[old]),
                                                    !raw->default_left[old])});
      }
      ensemble.roots_.push_back(base_index);
      depths.push_back(tree_depth);
    }
    ensemble.tree_count_ = ensemble.roots_.size();

    // Pads the last group with a zero leaf: adding 0.0f after the real trees leaves the margin
    // unchanged, and every group then has kLanes trees.
    if (ensemble.roots_.size() % kLanes != 0) {
      const auto zero = static_cast<uint32_t>(ensemble.nodes_.size());
      ensemble.nodes_.push_back(ensemble.leaf(0.0F, zero));
      while (ensemble.roots_.size() % kLanes != 0) {
        ensemble.roots_.push_back(zero);
        depths.push_back(0);
      }
    }
    for (size_t first = 0; first < depths.size(); first += kLanes) {
      ensemble.group_depth_.push_back(
          *std::max_element(depths.begin() + static_cast<ptrdiff_t>(first),
                            depths.begin() + static_cast<ptrdiff_t>(first + kLanes)));
    }
    return ensemble;
  } catch (const json::exception& e) {
    return data_loss(where + " is not a readable XGBoost tree model: " + e.what());
  }
}

uint32_t TreeEnsemble::link(uint32_t left, uint32_t feature, bool default_right) const {
  return (left << child_shift_) | (static_cast<uint32_t>(default_right) << feature_bits_) | feature;
}

TreeEnsemble::Node TreeEnsemble::leaf(float value, uint32_t index) const {
  // A leaf reads the always-missing slot and goes "right" (by its default direction, or because
  // !(NaN < value)); a left child of index - 1 makes that step land on the leaf itself.
  return Node{value, link(index - 1U, static_cast<uint32_t>(feature_count_), true)};
}

template <bool kRowHasMissing>
float TreeEnsemble::margin(const float* features) const {
  float sum = base_margin_;
  const Node* nodes = nodes_.data();
  const uint32_t feature_mask = (1U << feature_bits_) - 1;
  for (size_t group = 0; group < group_depth_.size(); ++group) {
    std::array<uint32_t, kLanes> at;
    for (size_t lane = 0; lane < kLanes; ++lane) at[lane] = roots_[group * kLanes + lane];
    for (uint32_t level = 0; level < group_depth_[group]; ++level) {
      for (size_t lane = 0; lane < kLanes; ++lane) {
        const Node& node = nodes[at[lane]];
        const float x = features[node.link & feature_mask];
        // XGBoost: left + !(x < threshold), or the default child when x is missing. Computed
        // without branches: which lanes sit at a leaf (and so read NaN) is unpredictable.
        uint32_t right = static_cast<uint32_t>(!(x < node.value));  // 1 for NaN
        if constexpr (kRowHasMissing) {
          right &= static_cast<uint32_t>(!std::isnan(x)) | ((node.link >> feature_bits_) & 1U);
        }
        at[lane] = (node.link >> child_shift_) + right;
      }
    }
    // Leaf values are added in tree order, in float, as XGBoost's predictor does.
    for (size_t lane = 0; lane < kLanes; ++lane) sum += nodes[at[lane]].value;
  }
  return sum;
}

Result<double> TreeEnsemble::predict(std::span<const double> row) const {
  if (row.size() != feature_count_) {
    return invalid_argument("tree ensemble expects " + std::to_string(feature_count_) +
                            " features, got " + std::to_string(row.size()));
  }
  std::array<float, kStackFeatures + 1> stack_buffer;
  std::vector<float> heap_buffer;
  float* features = stack_buffer.data();
  if (feature_count_ > kStackFeatures) {
    heap_buffer.resize(feature_count_ + 1);
    features = heap_buffer.data();
  }
  bool missing = false;
  for (size_t i = 0; i < feature_count_; ++i) {
    features[i] = static_cast<float>(row[i]);
    missing |= std::isnan(features[i]);
  }
  // The slot every leaf reads: always missing, so a leaf steps to its own index.
  features[feature_count_] = std::numeric_limits<float>::quiet_NaN();
  // Only a split can see a missing feature in a row without NaN: !(x < threshold) decides alone.
  const float value = missing ? margin<true>(features) : margin<false>(features);
  if (transform_ == Transform::kLogistic) return static_cast<double>(xgboost_sigmoid(value));
  return static_cast<double>(value);
}

}  // namespace galfriday
