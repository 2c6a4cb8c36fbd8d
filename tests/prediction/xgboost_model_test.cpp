#include "galfriday/prediction/xgboost_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "galfriday/prediction/xgboost_training.hpp"
#include "test_support.hpp"

namespace galfriday {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing_support::planted_signal;
using testing_support::read_text;
using testing_support::small_params;
using testing_support::TempDir;
using testing_support::write_text;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

TrainedModel train_small(uint64_t data_seed = 1, TrainingParams params = small_params()) {
  auto trained = train_xgboost(planted_signal(2000, 3, data_seed), params);
  EXPECT_TRUE(trained.is_ok()) << trained.status().to_string();
  trained->metadata().model_id = "btc_up_test";
  trained->metadata().target = "prob_price_up";
  trained->metadata().target_description = "synthetic: x0 + 0.5 x1 + noise > 0";
  return std::move(trained).value();
}

// Writes a sidecar for `model_path` with the given changes applied to a valid one.
void write_sidecar(const std::filesystem::path& model_path,
                   const std::function<void(nlohmann::json&)>& change) {
  nlohmann::json meta = {{"format_version", 1},
                         {"model_id", "hand_made"},
                         {"target", "prob_price_up"},
                         {"objective", "binary:logistic"},
                         {"feature_names", {"a", "b"}}};
  change(meta);
  write_text(metadata_path_for(model_path), meta.dump());
}

// One tree on features a, b: a < -0.0088 -> leaf -1.70, else leaf 1.74 (saved by xgboost 1.7.4).
std::string one_tree_model(const std::string& left_leaf = "-5.1111114E-1") {
  return R"({"learner":{"attributes":{},"feature_names":["a","b"],"feature_types":[],)"
         R"("gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1",)"
         R"("num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":)"
         R"([1.4814815E-1,-1.7037038E0,1.7419355E0],"categories":[],"categories_nodes":[],)"
         R"("categories_segments":[],"categories_sizes":[],"default_left":[1,0,0],"id":0,)"
         R"("left_children":[1,-1,-1],"loss_changes":[4.2812424E1,0E0,0E0],)"
         R"("parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":)"
         R"([-8.841105E-3,)" +
         left_leaf +
         R"(,5.225807E-1],"split_indices":[0,0,0],"split_type":[0,0,0],)"
         R"("sum_hessian":[1.25E1,5.75E0,6.75E0],"tree_param":{"num_deleted":"0",)"
         R"("num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}}]},"name":"gbtree"},)"
         R"("learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"0",)"
         R"("num_feature":"2","num_target":"1"},"objective":{"name":"binary:logistic",)"
         R"("reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]})";
}

// A linear booster on a, b (saved by xgboost 1.7.4 with booster=gblinear).
constexpr char kLinearModel[] =
    R"({"learner":{"attributes":{},"feature_names":["a","b"],"feature_types":[],)"
    R"("gradient_booster":{"model":{"boosted_rounds":2,"weights":[1.4049176E0,1.7969981E-1,)"
    R"(1.2097953E-1]},"name":"gblinear"},"learner_model_param":{"base_score":"5E-1",)"
    R"("boost_from_average":"1","num_class":"0","num_feature":"2","num_target":"1"},)"
    R"("objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},)"
    R"("version":[1,7,4]})";

// --- Training ----------------------------------------------------------------------------------

TEST(TrainXGBoost, LearnsAPlantedSignalAndFillsTheMetadata) {
  const TrainedModel trained = train_small();
  const ModelMetadata& meta = trained.metadata();
  EXPECT_THAT(meta.feature_names, ElementsAre("x0", "x1", "x2"));
  EXPECT_EQ(meta.objective, "binary:logistic");
  EXPECT_THAT(meta.xgboost_version, MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  EXPECT_GT(meta.metrics.at("train_auc"), 0.9);
  EXPECT_LT(meta.metrics.at("train_log_loss"), 0.45);
  EXPECT_EQ(meta.metrics.at("train_rows"), 2000.0);
  EXPECT_TRUE(meta.metrics.contains("train_precision"));
  EXPECT_TRUE(meta.metrics.contains("train_recall"));
  const auto params = nlohmann::json::parse(meta.params_json);
  EXPECT_EQ(params.at("max_depth"), 3);
  EXPECT_EQ(params.at("rounds"), 20);

  // Out of sample the signal holds: a fresh draw scores well, and x0 drives the prediction.
  auto model = trained.to_model();
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  auto holdout = evaluate(**model, planted_signal(1000, 3, 99));
  ASSERT_TRUE(holdout.is_ok()) << holdout.status().to_string();
  EXPECT_GT(holdout->auc, 0.9);
  EXPECT_GT(*(*model)->predict({0.8, 0.0, 0.0}), 0.8);
  EXPECT_LT(*(*model)->predict({-0.8, 0.0, 0.0}), 0.2);
}

TEST(TrainXGBoost, SameSeedAndOneThreadGiveByteIdenticalModels) {
  TrainingParams params = small_params();
  params.subsample = 0.7;  // sampling makes the seed matter
  params.colsample_bytree = 0.67;
  const auto first = train_small(1, params).serialize("json");
  const auto second = train_small(1, params).serialize("json");
  ASSERT_TRUE(first.is_ok());
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(*first, *second);

  params.seed = 43;
  const auto reseeded = train_small(1, params).serialize("json");
  ASSERT_TRUE(reseeded.is_ok());
  EXPECT_NE(*first, *reseeded) << "the seed had no effect";
}

TEST(TrainXGBoost, RejectsBadDataAndParameters) {
  Dataset data = planted_signal(50, 2, 1);
  data.values[7] = kNaN;
  auto nan_data = train_xgboost(data, small_params());
  ASSERT_FALSE(nan_data.is_ok());
  EXPECT_THAT(nan_data.status().message(),
              HasSubstr("feature 'x1' of row 3 is not a finite number"));

  Dataset one_class = planted_signal(50, 2, 1);
  std::fill(one_class.labels.begin(), one_class.labels.end(), 1.0);
  EXPECT_THAT(train_xgboost(one_class, small_params()).status().message(),
              HasSubstr("labels are all 1"));

  Dataset bad_label = planted_signal(50, 2, 1);
  bad_label.labels[4] = 0.5;
  EXPECT_THAT(train_xgboost(bad_label, small_params()).status().message(),
              HasSubstr("label of row 4 is 0.5"));

  const Dataset good = planted_signal(50, 2, 1);
  auto check = [&](const std::function<void(TrainingParams&)>& change, const std::string& what) {
    TrainingParams params = small_params();
    change(params);
    const auto trained = train_xgboost(good, params);
    ASSERT_FALSE(trained.is_ok()) << what;
    EXPECT_EQ(trained.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(trained.status().message(), HasSubstr(what));
  };
  check([](TrainingParams& p) { p.objective = "reg:squarederror"; },
        "objective 'reg:squarederror'");
  check([](TrainingParams& p) { p.eta = 0.0; }, "eta must be in (0, 1]");
  check([](TrainingParams& p) { p.max_depth = 0; }, "max_depth");
  check([](TrainingParams& p) { p.subsample = 1.5; }, "subsample");
  check([](TrainingParams& p) { p.colsample_bytree = -1; }, "colsample_bytree");
  check([](TrainingParams& p) { p.rounds = 0; }, "rounds");
  check([](TrainingParams& p) { p.nthread = 0; }, "nthread");
  check([](TrainingParams& p) { p.tree_method = "gpu_hist"; }, "tree_method 'gpu_hist'");
}

// --- Save and load -----------------------------------------------------------------------------

TEST(XGBoostModel, ReloadedModelPredictsBitwiseLikeTheTrainedBooster) {
  TempDir dir;
  TrainedModel trained = train_small();
  trained.metadata().training_start = timestamp_from_seconds(1704067200);
  trained.metadata().training_end = timestamp_from_seconds(1711929540);
  const auto path = dir / "btc_up_test.json";
  ASSERT_TRUE(trained.save(path).is_ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "btc_up_test.meta.json"));
  // Only the two artifacts: no temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            2);

  auto loaded = XGBoostModel::load(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  const XGBoostModel& model = **loaded;
  EXPECT_EQ(model.id(), "btc_up_test");
  EXPECT_EQ(model.target(), "prob_price_up");
  EXPECT_THAT(model.feature_names(), ElementsAre("x0", "x1", "x2"));
  EXPECT_EQ(model.boosted_rounds(), 20);
  const ModelMetadata& meta = model.metadata();
  EXPECT_EQ(meta.target_description, "synthetic: x0 + 0.5 x1 + noise > 0");
  EXPECT_EQ(meta.training_start, trained.metadata().training_start);
  EXPECT_EQ(meta.training_end, trained.metadata().training_end);
  EXPECT_EQ(meta.metrics, trained.metadata().metrics);
  EXPECT_EQ(meta.params_json, trained.metadata().params_json);
  ASSERT_TRUE(meta.model_sha256.has_value());

  const Dataset rows = planted_signal(300, 3, 5);
  for (size_t r = 0; r < rows.rows(); ++r) {
    const auto row = rows.row(r);
    const auto expected = trained.predict(row);
    const auto actual = model.predict(std::vector<double>(row.begin(), row.end()));
    ASSERT_TRUE(expected.is_ok());
    ASSERT_TRUE(actual.is_ok()) << actual.status().to_string();
    ASSERT_TRUE(same_bits(*expected, *actual))
        << "row " << r << ": " << *expected << " vs " << *actual;
  }
  // The batch path gives the same numbers as one row at a time.
  const auto batch = model.predict_rows(rows.values);
  const auto trained_batch = trained.predict_rows(rows.values);
  ASSERT_TRUE(batch.is_ok());
  ASSERT_TRUE(trained_batch.is_ok());
  EXPECT_EQ(*batch, *trained_batch);
  EXPECT_TRUE(same_bits(
      (*batch)[17], *model.predict(std::vector<double>(rows.row(17).begin(), rows.row(17).end()))));
}

TEST(XGBoostModel, UniversalBinaryJsonLoadsToTheSamePredictions) {
  TempDir dir;
  TrainedModel trained = train_small();
  ASSERT_TRUE(trained.save(dir / "m.ubj").is_ok());
  ASSERT_NE(read_text(dir / "m.ubj").substr(0, 2), "{\"") << "not UBJ";
  auto loaded = XGBoostModel::load(dir / "m.ubj");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  const std::vector<double> row = {0.3, -0.2, 0.9};
  EXPECT_TRUE(same_bits(*(*loaded)->predict(row), *trained.predict(row)));
}

TEST(XGBoostModel, SavingNeedsAnIdATargetAndAKnownExtension) {
  TempDir dir;
  TrainedModel trained = train_small();
  EXPECT_THAT(trained.save(dir / "m.bin").message(), HasSubstr("must end in .json"));
  trained.metadata().model_id.clear();
  const Status no_id = trained.save(dir / "m.json");
  EXPECT_THAT(no_id.message(), HasSubstr("refusing to save model"));
  EXPECT_THAT(no_id.message(), HasSubstr("'model_id' must not be empty"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.json")) << "nothing is written on error";
}

TEST(XGBoostModel, MissingModelOrSidecarIsNotFound) {
  TempDir dir;
  auto missing = XGBoostModel::load(dir / "absent.json");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("absent.json does not exist"));

  write_text(dir / "lonely.json", one_tree_model());
  auto no_sidecar = XGBoostModel::load(dir / "lonely.json");
  ASSERT_FALSE(no_sidecar.is_ok());
  EXPECT_EQ(no_sidecar.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(no_sidecar.status().message(), HasSubstr("has no metadata sidecar"));
  EXPECT_THAT(no_sidecar.status().message(), HasSubstr("lonely.meta.json does not exist"));
}

TEST(XGBoostModel, HandWrittenModelAndSidecarLoad) {
  TempDir dir;
  write_text(dir / "tree.json", one_tree_model());
  write_sidecar(dir / "tree.json", [](nlohmann::json&) {});
  auto model = XGBoostModel::load(dir / "tree.json");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  // sigmoid(leaf): a < -0.0088 goes left.
  EXPECT_NEAR(*(*model)->predict({-1.0, 0.0}), 1.0 / (1.0 + std::exp(0.51111114)), 1e-7);
  EXPECT_NEAR(*(*model)->predict({1.0, 0.0}), 1.0 / (1.0 + std::exp(-0.5225807)), 1e-7);
}

TEST(XGBoostModel, CorruptModelFilesAreDataLoss) {
  TempDir dir;
  const std::string good = one_tree_model();
  struct Case {
    std::string name;
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"truncated.json", good.substr(0, good.size() / 2), "is corrupt or not an XGBoost model"},
      {"not_model.json", R"({"hello": "world"})", "is corrupt or not an XGBoost model"},
      {"binary.json", std::string("\x00\x01binf\x02", 7), "is not an XGBoost JSON or UBJ model"},
      {"empty.json", "", "is empty"},
  };
  for (const Case& c : cases) {
    write_text(dir / c.name, c.bytes);
    write_sidecar(dir / c.name, [](nlohmann::json&) {});
    auto loaded = XGBoostModel::load(dir / c.name);
    ASSERT_FALSE(loaded.is_ok()) << c.name;
    EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss) << c.name;
    EXPECT_THAT(loaded.status().message(), HasSubstr(c.message)) << c.name;
    EXPECT_THAT(loaded.status().message(), HasSubstr(c.name)) << "names the file";
  }
}

TEST(XGBoostModel, ModelReplacedWithoutItsSidecarIsRefused) {
  TempDir dir;
  ASSERT_TRUE(train_small(1).save(dir / "m.json").is_ok());
  // Another model's bytes under the same name, the old sidecar kept.
  const auto other = train_small(2).serialize("json");
  ASSERT_TRUE(other.is_ok());
  write_text(dir / "m.json", *other);
  auto loaded = XGBoostModel::load(dir / "m.json");
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(loaded.status().message(), HasSubstr("does not match its metadata: sha256 is"));
}

TEST(XGBoostModel, FeatureCountMismatchNamesTheFeatures) {
  TempDir dir;
  write_text(dir / "tree.json", one_tree_model());
  write_sidecar(dir / "tree.json", [](nlohmann::json& m) { m["feature_names"] = {"a", "b", "c"}; });
  auto loaded = XGBoostModel::load(dir / "tree.json");
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("reads 2 features but its metadata names 3: 'a', 'b', 'c'"));
}

TEST(XGBoostModel, FeatureNamesMustMatchTheBoostersInOrder) {
  TempDir dir;
  write_text(dir / "tree.json", one_tree_model());
  write_sidecar(dir / "tree.json", [](nlohmann::json& m) { m["feature_names"] = {"b", "a"}; });
  auto loaded = XGBoostModel::load(dir / "tree.json");
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("was trained on features 'a', 'b' but its metadata names 'b', 'a'"));
}

TEST(XGBoostModel, ObjectiveMustMatchAndGiveAProbability) {
  TempDir dir;
  write_text(dir / "tree.json", one_tree_model());
  write_sidecar(dir / "tree.json", [](nlohmann::json& m) { m["objective"] = "reg:logistic"; });
  EXPECT_THAT(XGBoostModel::load(dir / "tree.json").status().message(),
              HasSubstr("trained with objective 'binary:logistic' but its metadata says "
                        "'reg:logistic'"));
  write_sidecar(dir / "tree.json", [](nlohmann::json& m) { m["objective"] = "reg:squarederror"; });
  EXPECT_THAT(XGBoostModel::load(dir / "tree.json").status().message(),
              HasSubstr("does not give a probability"));
}

TEST(XGBoostModel, LinearBoostersAreRefused) {
  TempDir dir;
  write_text(dir / "linear.json", kLinearModel);
  write_sidecar(dir / "linear.json", [](nlohmann::json&) {});
  auto loaded = XGBoostModel::load(dir / "linear.json");
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(loaded.status().message(), HasSubstr("uses booster 'gblinear'"));
}

TEST(XGBoostModel, NonFiniteInputsAreRejectedNamingTheFeature) {
  auto model = train_small().to_model();
  ASSERT_TRUE(model.is_ok());
  const XGBoostModel& m = **model;
  for (double bad : {kNaN, kInf, -kInf}) {
    const auto p = m.predict({0.1, bad, 0.2});
    ASSERT_FALSE(p.is_ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr("feature 'x1' is not a finite number"));
  }
  EXPECT_THAT(m.predict({0.1, kNaN, 0.2}).status().message(), HasSubstr("(nan)"));
  EXPECT_THAT(m.predict({0.1, 0.2}).status().message(), HasSubstr("expects 3 inputs, got 2"));
  const std::vector<double> rows = {0.1, 0.2, 0.3, 0.4, kInf, 0.6};
  EXPECT_THAT(m.predict_rows(rows).status().message(), HasSubstr("row 1: feature 'x1'"));
}

TEST(XGBoostModel, OutputThatIsNotAProbabilityIsAnError) {
  // A tree whose left leaf is NaN: loading passes (the warm-up goes right); a row that reaches
  // the NaN leaf is an error, not a prediction.
  TempDir dir;
  write_text(dir / "nan_leaf.json", one_tree_model("NaN"));
  write_sidecar(dir / "nan_leaf.json", [](nlohmann::json&) {});
  auto model = XGBoostModel::load(dir / "nan_leaf.json");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_TRUE((*model)->predict({1.0, 0.0}).is_ok());
  const auto p = (*model)->predict({-1.0, 0.0});
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), StatusCode::kOutOfRange);
  EXPECT_THAT(p.status().message(), HasSubstr("output nan is not a probability in [0, 1]"));
}

TEST(XGBoostModel, ConcurrentPredictionsOnOneBoosterMatchSerialOnes) {
  auto model = train_small().to_model();
  ASSERT_TRUE(model.is_ok());
  const XGBoostModel& m = **model;
  const Dataset rows = planted_signal(400, 3, 8);
  std::vector<double> serial;
  for (size_t r = 0; r < rows.rows(); ++r) {
    serial.push_back(*m.predict(std::vector<double>(rows.row(r).begin(), rows.row(r).end())));
  }
  constexpr int kThreads = 4;
  std::vector<std::vector<double>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 5; ++repeat) {
        for (size_t r = 0; r < rows.rows(); ++r) {
          const auto p = m.predict(std::vector<double>(rows.row(r).begin(), rows.row(r).end()));
          results[static_cast<size_t>(t)].push_back(p.is_ok() ? *p : -1.0);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(results[static_cast<size_t>(t)].size(), 5 * rows.rows());
    for (size_t i = 0; i < results[static_cast<size_t>(t)].size(); ++i) {
      ASSERT_TRUE(same_bits(results[static_cast<size_t>(t)][i], serial[i % rows.rows()]))
          << "thread " << t << " prediction " << i;
    }
  }
}

// --- Interop with Python xgboost ---------------------------------------------------------------

// A Python interpreter that can import xgboost: $GF_PYTHON, python3 on PATH, or Debian's.
std::optional<std::string> python_with_xgboost() {
  std::vector<std::string> candidates;
  if (const char* configured = std::getenv("GF_PYTHON")) candidates.emplace_back(configured);
  candidates.emplace_back("python3");
  candidates.emplace_back("/usr/bin/python3");
  for (const std::string& python : candidates) {
    const std::string probe = python + " -c 'import xgboost, numpy' > /dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return std::nullopt;
}

TEST(XGBoostInterop, ModelTrainedByPythonXGBoostPredictsTheSame) {
  const auto python = python_with_xgboost();
  if (!python) {
    GTEST_SKIP() << "no python3 with xgboost and numpy (apt-get install python3-xgboost, or set "
                    "GF_PYTHON); the Python interop check is skipped";
  }
  TempDir dir;
  const std::string script = std::string(GF_SOURCE_DIR) + "/tests/prediction/train_py_model.py";
  const std::string command = *python + " " + script + " " + dir.path().string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  auto model = XGBoostModel::load(dir / "py_model.json");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->id(), "py_interop_v1");
  EXPECT_THAT((*model)->feature_names(),
              ElementsAre("ma_spread", "return_5", "volatility_20", "rsi_14"));

  const auto expected = nlohmann::json::parse(read_text(dir / "expected.json"));
  // The sidecar's digest came from Python's hashlib, and loading verified it against ours.
  EXPECT_EQ((*model)->metadata().model_sha256, expected.at("model_sha256").get<std::string>());
  const auto& rows = expected.at("rows");
  const auto& predictions = expected.at("predictions");
  ASSERT_EQ(rows.size(), predictions.size());
  ASSERT_GT(rows.size(), 100u);
  double max_difference = 0.0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto p = (*model)->predict(rows[i].get<std::vector<double>>());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    max_difference = std::max(max_difference, std::abs(*p - predictions[i].get<double>()));
  }
  EXPECT_LE(max_difference, 1e-6);
  char difference[32];
  std::snprintf(difference, sizeof(difference), "%.3g", max_difference);
  RecordProperty("max_difference", difference);
}

}  // namespace
}  // namespace galfriday
