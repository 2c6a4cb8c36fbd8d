// The native tree evaluator against XGBoost itself: boosters trained through the C API (several
// objectives, base scores, missing values, irregular trees), then thousands of random rows with
// NaN through both. Plus the fallback for models the evaluator does not handle, and malformed
// model JSON (clear errors, never a crash; the byte-flip test runs under ASan in CI).

#include "galfriday/prediction/tree_ensemble.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "galfriday/prediction/xgboost_model.hpp"
#include "test_support.hpp"
#include "xgboost_booster.hpp"

namespace galfriday {
namespace {

using prediction_internal::Booster;
using prediction_internal::DMatrix;
using ::testing::HasSubstr;
using testing_support::Rng;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kFeatures = 8;

// Rows in [-2, 2] with `missing_share` of the values NaN.
std::vector<double> random_rows(size_t rows, uint64_t seed, double missing_share) {
  Rng rng(seed);
  std::vector<double> values(rows * kFeatures);
  for (double& v : values) {
    v = rng.uniform(0.0, 1.0) < missing_share ? kMissing : rng.uniform(-2.0, 2.0);
  }
  return values;
}

// A label with interactions and a dependence on missingness, so trees split on many features
// and learn default directions that matter.
double signal(const double* x) {
  const double a = std::isnan(x[0]) ? 0.7 : x[0];
  const double b = std::isnan(x[1]) ? -0.4 : x[1];
  const double c = std::isnan(x[2]) ? 0.0 : x[2] * (std::isnan(x[3]) ? 1.0 : x[3]);
  return a + 0.5 * b + 0.8 * c + (std::isnan(x[4]) ? 0.3 : 0.2 * x[4]);
}

struct TrainSpec {
  std::string objective;
  std::vector<std::pair<std::string, std::string>> params;
  int rounds = 60;
};

// Trains through the raw C API wrapper (train_xgboost supports only binary:logistic).
Booster train(const TrainSpec& spec) {
  constexpr size_t kRows = 3000;
  const std::vector<double> values = random_rows(kRows, 11, 0.1);
  Rng noise(12);
  std::vector<double> labels;
  for (size_t r = 0; r < kRows; ++r) {
    const double s = signal(&values[r * kFeatures]) + 0.3 * noise.normal();
    if (spec.objective == "reg:squarederror") {
      labels.push_back(3.0 * s + 10.0);
    } else if (spec.objective == "reg:logistic") {
      labels.push_back(1.0 / (1.0 + std::exp(-2.0 * s)));  // probabilities, not classes
    } else {
      labels.push_back(s > 0.0 ? 1.0 : 0.0);
    }
  }
  auto matrix = DMatrix::from_dense(values, kRows, kFeatures, 1);
  EXPECT_TRUE(matrix.is_ok()) << matrix.status().to_string();
  EXPECT_TRUE(matrix->set_labels(labels).is_ok());
  const DMatrixHandle cache[] = {matrix->handle()};
  auto booster = Booster::create(cache);
  EXPECT_TRUE(booster.is_ok());
  EXPECT_TRUE(booster->set_param("objective", spec.objective).is_ok());
  EXPECT_TRUE(booster->set_param("nthread", "1").is_ok());
  EXPECT_TRUE(booster->set_param("seed", "5").is_ok());
  EXPECT_TRUE(booster->set_param("verbosity", "0").is_ok());
  for (const auto& [name, value] : spec.params) {
    EXPECT_TRUE(booster->set_param(name.c_str(), value).is_ok()) << name;
  }
  for (int i = 0; i < spec.rounds; ++i) {
    EXPECT_TRUE(booster->update_one_iter(i, *matrix).is_ok());
  }
  return std::move(booster).value();
}

TreeEnsemble ensemble_of(const Booster& booster) {
  auto json = booster.save_model("json");
  EXPECT_TRUE(json.is_ok());
  auto ensemble = TreeEnsemble::from_xgboost_json(*json, "trained booster");
  EXPECT_TRUE(ensemble.is_ok()) << ensemble.status().to_string();
  return std::move(ensemble).value();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// Every row through both; returns how many differ in any bit (the largest gap must be <= 1e-6).
size_t compare_with_xgboost(const Booster& booster, const TreeEnsemble& ensemble,
                            const std::vector<double>& rows, const std::string& label) {
  const size_t count = rows.size() / kFeatures;
  std::vector<double> expected;
  EXPECT_TRUE(booster.predict_dense(rows, count, kFeatures, expected).is_ok());
  size_t differing = 0;
  for (size_t r = 0; r < count; ++r) {
    auto actual = ensemble.predict(std::span<const double>(rows).subspan(r * kFeatures, kFeatures));
    EXPECT_TRUE(actual.is_ok());
    EXPECT_NEAR(*actual, expected[r], 1e-6) << label << " row " << r;
    if (!same_bits(*actual, expected[r])) ++differing;
  }
  return differing;
}

struct Case {
  std::string name;
  TrainSpec spec;
};

std::vector<Case> supported_cases() {
  return {
      {"binary:logistic depth 6", {"binary:logistic", {{"max_depth", "6"}, {"eta", "0.3"}}}},
      {"binary:logistic base_score 0.3, 3 parallel trees, subsampled",
       {"binary:logistic",
        {{"max_depth", "4"},
         {"base_score", "0.3"},
         {"num_parallel_tree", "3"},
         {"subsample", "0.7"},
         {"colsample_bynode", "0.6"}},
        20}},
      {"binary:logistic lossguide (irregular trees)",
       {"binary:logistic",
        {{"grow_policy", "lossguide"},
         {"max_depth", "0"},
         {"max_leaves", "40"},
         {"tree_method", "hist"}}}},
      {"binary:logistic exact method", {"binary:logistic", {{"tree_method", "exact"}}, 30}},
      {"reg:logistic", {"reg:logistic", {{"max_depth", "5"}, {"base_score", "0.6"}}}},
      {"binary:logitraw", {"binary:logitraw", {{"max_depth", "6"}, {"base_score", "0.2"}}}},
      {"reg:squarederror", {"reg:squarederror", {{"max_depth", "6"}, {"base_score", "9.5"}}}},
  };
}

TEST(TreeEnsemble, MatchesXGBoostOnRandomRowsWithMissingValues) {
  for (const Case& c : supported_cases()) {
    SCOPED_TRACE(c.name);
    const Booster booster = train(c.spec);
    const TreeEnsemble ensemble = ensemble_of(booster);
    EXPECT_EQ(ensemble.feature_count(), kFeatures);
    EXPECT_EQ(ensemble.objective(), c.spec.objective);
    EXPECT_GT(ensemble.node_count(), ensemble.tree_count());
    // Rows like the training data, rows with many missing values, and rows far outside the
    // training range (every split at its extreme side).
    EXPECT_EQ(compare_with_xgboost(booster, ensemble, random_rows(2000, 21, 0.1), c.name), 0U);
    EXPECT_EQ(compare_with_xgboost(booster, ensemble, random_rows(1000, 22, 0.6), c.name), 0U);
    std::vector<double> extremes = random_rows(500, 23, 0.2);
    for (double& v : extremes) v *= 1e4;
    EXPECT_EQ(compare_with_xgboost(booster, ensemble, extremes, c.name), 0U);
    const std::vector<double> all_missing(kFeatures, kMissing);
    EXPECT_EQ(compare_with_xgboost(booster, ensemble, all_missing, c.name), 0U);
  }
}

TEST(TreeEnsemble, TreeCountIncludesEveryParallelTree) {
  const Booster booster =
      train({"binary:logistic", {{"max_depth", "3"}, {"num_parallel_tree", "3"}}, 7});
  EXPECT_EQ(ensemble_of(booster).tree_count(), 21U);
}

TEST(TreeEnsemble, RowOfTheWrongLengthIsInvalidArgument) {
  const TreeEnsemble ensemble = ensemble_of(train({"binary:logistic", {}, 3}));
  const std::vector<double> short_row(kFeatures - 1, 0.0);
  auto result = ensemble.predict(short_row);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("expects 8 features, got 7"));
}

// --- XGBoostModel uses the evaluator, or falls back -------------------------------------------

ModelMetadata metadata_for(const std::string& id) {
  ModelMetadata metadata;
  metadata.model_id = id;
  metadata.target = "prob_price_up";
  metadata.objective = "binary:logistic";
  metadata.feature_names = testing_support::feature_names(kFeatures);
  return metadata;
}

// Finite rows only: XGBoostModel rejects NaN before either path sees it.
void expect_model_matches_xgboost(const XGBoostModel& model) {
  const std::vector<double> rows = random_rows(1000, 31, 0.0);
  for (size_t r = 0; r < 1000; ++r) {
    const std::vector<double> row(rows.begin() + static_cast<ptrdiff_t>(r * kFeatures),
                                  rows.begin() + static_cast<ptrdiff_t>((r + 1) * kFeatures));
    auto served = model.predict(row);
    auto reference = model.predict_with_xgboost(row);
    ASSERT_TRUE(served.is_ok()) << served.status().to_string();
    ASSERT_TRUE(reference.is_ok());
    ASSERT_TRUE(same_bits(*served, *reference)) << "row " << r;
  }
  auto batch = model.predict_rows(rows);
  ASSERT_TRUE(batch.is_ok());
  for (size_t r = 0; r < 1000; ++r) {
    const std::vector<double> row(rows.begin() + static_cast<ptrdiff_t>(r * kFeatures),
                                  rows.begin() + static_cast<ptrdiff_t>((r + 1) * kFeatures));
    ASSERT_TRUE(same_bits((*batch)[r], *model.predict(row))) << "row " << r;
  }
}

TEST(XGBoostModelEvaluation, TreeBoostersArePredictedNatively) {
  const Booster booster = train({"binary:logistic", {{"max_depth", "6"}}, 40});
  for (const char* format : {"json", "ubj"}) {
    SCOPED_TRACE(format);
    auto bytes = booster.save_model(format);
    ASSERT_TRUE(bytes.is_ok());
    auto model = XGBoostModel::from_bytes(*bytes, metadata_for("gbtree_model"), "gbtree test");
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_TRUE((*model)->native_evaluation()) << (*model)->native_fallback_reason();
    EXPECT_EQ((*model)->native_fallback_reason(), "");
    expect_model_matches_xgboost(**model);
  }
}

TEST(XGBoostModelEvaluation, DartFallsBackToTheCApiAndSaysWhy) {
  const Booster booster = train(
      {"binary:logistic", {{"booster", "dart"}, {"max_depth", "4"}, {"rate_drop", "0.2"}}, 20});
  auto bytes = booster.save_model("json");
  ASSERT_TRUE(bytes.is_ok());
  auto model = XGBoostModel::from_bytes(*bytes, metadata_for("dart_model"), "dart test");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_FALSE((*model)->native_evaluation());
  EXPECT_THAT((*model)->native_fallback_reason(), HasSubstr("uses booster 'dart'"));
  EXPECT_THAT((*model)->native_fallback_reason(), HasSubstr("dart test"));
  expect_model_matches_xgboost(**model);
}

// --- Models the evaluator refuses ---------------------------------------------------------------

// One tree on features a, b (the shape xgboost 1.7.4 writes), with pieces replaceable by tests.
nlohmann::json one_tree_model() {
  return nlohmann::json::parse(
      R"({"learner":{"attributes":{},"feature_names":["a","b"],"feature_types":[],)"
      R"("gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1",)"
      R"("num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":)"
      R"([1.4814815E-1,-1.7037038E0,1.7419355E0],"categories":[],"categories_nodes":[],)"
      R"("categories_segments":[],"categories_sizes":[],"default_left":[1,0,0],"id":0,)"
      R"("left_children":[1,-1,-1],"loss_changes":[4.2812424E1,0E0,0E0],)"
      R"("parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":)"
      R"([-8.841105E-3,-5.1111114E-1,5.225807E-1],"split_indices":[0,0,0],"split_type":[0,0,0],)"
      R"("sum_hessian":[1.25E1,5.75E0,6.75E0],"tree_param":{"num_deleted":"0",)"
      R"("num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}}]},"name":"gbtree"},)"
      R"("learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"0",)"
      R"("num_feature":"2","num_target":"1"},"objective":{"name":"binary:logistic",)"
      R"("reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]})");
}

nlohmann::json& tree0(nlohmann::json& model) {
  return model["learner"]["gradient_booster"]["model"]["trees"][0];
}

TEST(TreeEnsemble, HandWrittenTreeFollowsSplitsAndDefaults) {
  auto ensemble = TreeEnsemble::from_xgboost_json(one_tree_model().dump(), "hand");
  ASSERT_TRUE(ensemble.is_ok()) << ensemble.status().to_string();
  const auto sigmoid = [](float m) { return static_cast<double>(1.0F / (1.0F + std::exp(-m))); };
  EXPECT_NEAR(*ensemble->predict(std::vector<double>{-1.0, 0.0}), sigmoid(-0.51111114F), 1e-7);
  EXPECT_NEAR(*ensemble->predict(std::vector<double>{1.0, 0.0}), sigmoid(0.5225807F), 1e-7);
  // The threshold itself is not "<": right. Missing: default_left of the root is 1.
  EXPECT_NEAR(*ensemble->predict(std::vector<double>{-8.841105E-3, 0.0}), sigmoid(0.5225807F),
              1e-7);
  EXPECT_NEAR(*ensemble->predict(std::vector<double>{kMissing, 0.0}), sigmoid(-0.51111114F), 1e-7);
}

TEST(TreeEnsemble, UnsupportedModelsAreFailedPreconditionNamingWhy) {
  struct Refusal {
    std::string change;
    std::function<void(nlohmann::json&)> apply;
    std::string message;
  };
  const std::vector<Refusal> refusals = {
      {"dart", [](nlohmann::json& m) { m["learner"]["gradient_booster"]["name"] = "dart"; },
       "uses booster 'dart'"},
      {"gblinear", [](nlohmann::json& m) { m["learner"]["gradient_booster"]["name"] = "gblinear"; },
       "uses booster 'gblinear'"},
      {"categorical",
       [](nlohmann::json& m) {
         tree0(m)["split_type"] = {1, 0, 0};
       },
       "has categorical splits"},
      {"objective", [](nlohmann::json& m) { m["learner"]["objective"]["name"] = "count:poisson"; },
       "has objective 'count:poisson'"},
      {"multi-class",
       [](nlohmann::json& m) { m["learner"]["learner_model_param"]["num_class"] = "3"; },
       "is a 3-class model"},
      {"multi-target",
       [](nlohmann::json& m) { m["learner"]["learner_model_param"]["num_target"] = "2"; },
       "has 2 targets"},
      {"vector leaves", [](nlohmann::json& m) { tree0(m)["tree_param"]["size_leaf_vector"] = "2"; },
       "has vector leaves"},
      {"output groups",
       [](nlohmann::json& m) { m["learner"]["gradient_booster"]["model"]["tree_info"] = {1}; },
       "several output groups"},
      {"too many features",
       [](nlohmann::json& m) { m["learner"]["learner_model_param"]["num_feature"] = "65536"; },
       "has 65536 features; the native evaluator handles up to 65535"},
  };
  for (const Refusal& r : refusals) {
    nlohmann::json model = one_tree_model();
    r.apply(model);
    auto result = TreeEnsemble::from_xgboost_json(model.dump(), "m.json");
    ASSERT_FALSE(result.is_ok()) << r.change;
    EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << r.change;
    EXPECT_THAT(result.status().message(), HasSubstr(r.message)) << r.change;
    EXPECT_THAT(result.status().message(), HasSubstr("m.json")) << r.change;
  }
}

// The packed node word at its widest: 16 bits of feature slot, the default bit, 15 bits of child
// index. A split on the last feature must still read that feature and its default direction.
TEST(TreeEnsemble, WidestFeatureIndexKeepsSplitsAndDefaults) {
  nlohmann::json model = one_tree_model();
  model["learner"]["learner_model_param"]["num_feature"] = "65535";
  tree0(model)["split_indices"] = {65534, 0, 0};
  tree0(model)["default_left"] = {0, 0, 0};
  auto ensemble = TreeEnsemble::from_xgboost_json(model.dump(), "wide");
  ASSERT_TRUE(ensemble.is_ok()) << ensemble.status().to_string();
  const auto sigmoid = [](float m) { return static_cast<double>(1.0F / (1.0F + std::exp(-m))); };
  std::vector<double> row(65535, 5.0);  // feature 0 is far right: only the last one may decide
  row.back() = -1.0;
  EXPECT_NEAR(*ensemble->predict(row), sigmoid(-0.51111114F), 1e-7);
  row.back() = 1.0;
  EXPECT_NEAR(*ensemble->predict(row), sigmoid(0.5225807F), 1e-7);
  row.back() = kMissing;  // default right
  EXPECT_NEAR(*ensemble->predict(row), sigmoid(0.5225807F), 1e-7);
}

// With 65 535 features the packed word leaves 15 bits for node indices: a model with more nodes
// is refused (the C API serves it), not silently mis-indexed.
TEST(TreeEnsemble, MoreNodesThanThePackedWordHoldsIsFailedPrecondition) {
  nlohmann::json model = one_tree_model();
  model["learner"]["learner_model_param"]["num_feature"] = "65535";
  // A caterpillar: split 2j has leaf 2j + 1 on its left and node 2j + 2 on its right.
  constexpr int64_t kSplits = 16400;
  const int64_t nodes = 2 * kSplits + 1;
  nlohmann::json& tree = tree0(model);
  std::vector<int64_t> left(static_cast<size_t>(nodes), -1);
  std::vector<int64_t> right(static_cast<size_t>(nodes), -1);
  for (int64_t j = 0; j < kSplits; ++j) {
    left[static_cast<size_t>(2 * j)] = 2 * j + 1;
    right[static_cast<size_t>(2 * j)] = 2 * j + 2;
  }
  tree["left_children"] = left;
  tree["right_children"] = right;
  tree["split_indices"] = std::vector<int64_t>(static_cast<size_t>(nodes), 0);
  tree["split_conditions"] = std::vector<double>(static_cast<size_t>(nodes), 0.5);
  tree["default_left"] = std::vector<int>(static_cast<size_t>(nodes), 1);
  tree["split_type"] = std::vector<int>(static_cast<size_t>(nodes), 0);
  tree["tree_param"]["num_nodes"] = std::to_string(nodes);
  auto result = TreeEnsemble::from_xgboost_json(model.dump(), "big.json");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(),
              HasSubstr("more than 32767 nodes, the most the native evaluator packs with 65535 "
                        "features"));
}

TEST(TreeEnsemble, MalformedModelsAreDataLossNamingWhere) {
  struct Breakage {
    std::string change;
    std::function<void(nlohmann::json&)> apply;
    std::string message;
  };
  const std::vector<Breakage> breakages = {
      {"no learner", [](nlohmann::json& m) { m.erase("learner"); }, "has no 'learner' object"},
      {"child out of range",
       [](nlohmann::json& m) {
         tree0(m)["left_children"] = {7, -1, -1};
       },
       "tree 0 node 0 has child 7, outside the tree's 3 nodes"},
      {"child is the root",
       [](nlohmann::json& m) {
         tree0(m)["right_children"] = {0, -1, -1};
       },
       "has child 0"},
      {"cycle",
       [](nlohmann::json& m) {
         auto& t = tree0(m);
         t["left_children"] = {1, 2, -1};
         t["right_children"] = {2, 1, -1};
       },
       "is reached twice"},
      {"half leaf",
       [](nlohmann::json& m) {
         tree0(m)["right_children"] = {2, 2, -1};
       },
       "node 1 has a right child but no left child"},
      {"short array",
       [](nlohmann::json& m) {
         tree0(m)["split_conditions"] = {0.5, 1.0};
       },
       "'split_conditions' has 2 entries for 3 nodes"},
      {"feature out of range",
       [](nlohmann::json& m) {
         tree0(m)["split_indices"] = {2, 0, 0};
       },
       "splits on feature 2, but the model has 2 features"},
      {"text threshold",
       [](nlohmann::json& m) {
         tree0(m)["split_conditions"] = {"x", 1.0, 2.0};
       },
       "'split_conditions' holds a value that is not a number"},
      {"tree count",
       [](nlohmann::json& m) {
         m["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "2";
       },
       "declares 2 trees but holds 1"},
      {"base score",
       [](nlohmann::json& m) { m["learner"]["learner_model_param"]["base_score"] = "1.5"; },
       "base_score 1.500000 is not in (0, 1)"},
      {"base score text",
       [](nlohmann::json& m) { m["learner"]["learner_model_param"]["base_score"] = "half"; },
       "'base_score' is 'half', not a number"},
      {"no trees key",
       [](nlohmann::json& m) { m["learner"]["gradient_booster"]["model"].erase("trees"); },
       "is not a readable XGBoost tree model"},
      {"default_left type",
       [](nlohmann::json& m) {
         tree0(m)["default_left"] = {"yes", 0, 0};
       },
       "'default_left' holds a value"},
  };
  for (const Breakage& b : breakages) {
    nlohmann::json model = one_tree_model();
    b.apply(model);
    auto result = TreeEnsemble::from_xgboost_json(model.dump(), "m.json");
    ASSERT_FALSE(result.is_ok()) << b.change;
    EXPECT_EQ(result.status().code(), StatusCode::kDataLoss) << b.change;
    EXPECT_THAT(result.status().message(), HasSubstr(b.message)) << b.change;
    EXPECT_THAT(result.status().message(), HasSubstr("m.json")) << b.change;
  }
  auto not_json = TreeEnsemble::from_xgboost_json("{\"learner\": ", "m.json");
  ASSERT_FALSE(not_json.is_ok());
  EXPECT_EQ(not_json.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(not_json.status().message(), HasSubstr("is not JSON"));
}

// Random byte changes to a real trained model: every outcome is a model or an error, and a model
// that loads predicts without reading outside its arrays (ASan checks in CI).
TEST(TreeEnsemble, CorruptedBytesNeverCrash) {
  const Booster booster = train({"binary:logistic", {{"max_depth", "4"}}, 5});
  const std::string good = *booster.save_model("json");
  const std::vector<double> rows = random_rows(20, 41, 0.2);
  Rng rng(42);
  const std::string replacements = "0123456789-,.[]{}\":Ee ";
  size_t loaded = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bytes = good;
    const int edits = 1 + trial % 4;
    for (int e = 0; e < edits; ++e) {
      const auto at = static_cast<size_t>(rng.uniform(0.0, static_cast<double>(bytes.size())));
      const auto pick =
          static_cast<size_t>(rng.uniform(0.0, static_cast<double>(replacements.size())));
      bytes[std::min(at, bytes.size() - 1)] = replacements[std::min(pick, replacements.size() - 1)];
    }
    auto ensemble = TreeEnsemble::from_xgboost_json(bytes, "fuzzed");
    if (!ensemble) {
      EXPECT_NE(ensemble.status().message(), "");
      continue;
    }
    ++loaded;
    for (size_t r = 0; r < 20; ++r) {
      const auto row = std::span<const double>(rows).subspan(r * kFeatures, kFeatures);
      if (ensemble->feature_count() == kFeatures) {
        EXPECT_TRUE(ensemble->predict(row).is_ok());
      }
    }
  }
  // Some edits hit numbers or names and still load: the predict path is exercised too.
  EXPECT_GT(loaded, 0U);
}

}  // namespace
}  // namespace galfriday
