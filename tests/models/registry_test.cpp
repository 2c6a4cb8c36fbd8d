// ModelRegistry: registration copies the artifact and records its metadata; stage moves follow
// the rules; promotion archives the previous production model; a changed artifact is refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "galfriday/models/model_registry.hpp"
#include "galfriday/models/registry_watcher.hpp"
#include "models_support.hpp"

namespace galfriday::models {
namespace {

using testing::HasSubstr;
using testing_support::TempDir;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing_support::open_migrated(dir_ / "galfriday.db", clock_);
    ASSERT_NE(db_, nullptr);
    registry_ = std::make_unique<ModelRegistry>(*db_, clock_, dir_ / "registry");
  }

  // A trained model saved outside the registry, as a user would bring it.
  std::filesystem::path artifact(const std::string& id, uint64_t seed = 7) {
    const Dataset data = testing_support::planted_signal(400, 3, seed);
    auto trained = train_xgboost(data, testing_support::small_params());
    EXPECT_TRUE(trained.is_ok()) << trained.status().to_string();
    trained->metadata().model_id = id;
    trained->metadata().target = "prob_price_up";
    trained->metadata().training_start = timestamp_from_seconds(1704067200);
    trained->metadata().training_end = timestamp_from_seconds(1704153600);
    const auto path = dir_ / "incoming" / (id + ".json");
    std::filesystem::create_directories(path.parent_path());
    EXPECT_TRUE(trained->save(path).is_ok());
    return path;
  }

  ModelVersionRecord register_model(const std::string& id, ModelStage stage) {
    auto record = registry_->register_artifact(artifact(id), stage, "test");
    EXPECT_TRUE(record.is_ok()) << record.status().to_string();
    return record.is_ok() ? *record : ModelVersionRecord{};
  }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1704240000)};
  std::unique_ptr<persistence::Database> db_;
  std::unique_ptr<ModelRegistry> registry_;
};

TEST_F(RegistryTest, RegistrationCopiesTheArtifactAndRecordsItsMetadata) {
  const auto source = artifact("m1");
  auto record = registry_->register_artifact(source, ModelStage::kDevelopment, "first model");
  ASSERT_TRUE(record.is_ok()) << record.status().to_string();
  EXPECT_EQ(record->artifact_path, (dir_ / "registry" / "m1" / "m1.json").string());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "registry" / "m1" / "m1.meta.json"));
  EXPECT_EQ(record->sha256.size(), 64U);
  EXPECT_EQ(record->feature_names, (std::vector<std::string>{"x0", "x1", "x2"}));
  EXPECT_EQ(record->training_start, timestamp_from_seconds(1704067200));
  EXPECT_GT(record->metrics.at("train_auc"), 0.8);
  EXPECT_NE(record->params_json.find("\"max_depth\""), std::string::npos);

  auto stored = registry_->get("m1");
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, *record);
  // The registry serves its own copy: the source may go away.
  std::filesystem::remove(source);
  auto model = registry_->load("m1");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->id(), "m1");

  auto again = registry_->register_artifact(artifact("m1"), ModelStage::kStaging, "again");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  auto in_production = registry_->register_artifact(artifact("m2"), ModelStage::kProduction, "");
  EXPECT_EQ(in_production.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(in_production.status().message(), HasSubstr("promote it afterwards"));
  EXPECT_EQ(registry_->get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, StageMovesFollowTheRules) {
  register_model("dev", ModelStage::kDevelopment);
  // development cannot jump to production.
  auto jump = registry_->promote_to_production("dev", "too early");
  ASSERT_FALSE(jump.is_ok());
  EXPECT_EQ(jump.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(jump.status().message(),
              HasSubstr("cannot move from development to production (from development it can "
                        "move to staging or archived)"));
  ASSERT_TRUE(registry_->move("dev", ModelStage::kStaging, "review").is_ok());
  auto same = registry_->move("dev", ModelStage::kStaging, "again");
  EXPECT_THAT(same.status().message(), HasSubstr("already in staging"));
  auto first = registry_->promote_to_production("dev", "go");
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_FALSE(first->has_value());  // nothing was in production

  // Promoting a second model archives the first.
  register_model("next", ModelStage::kStaging);
  clock_.advance_to(clock_.now() + std::chrono::minutes(5));
  auto second = registry_->promote_to_production("next", "better");
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(*second, std::optional<std::string>("dev"));
  EXPECT_EQ(registry_->get("dev")->stage, ModelStage::kArchived);
  EXPECT_EQ(registry_->production("prob_price_up")->value().model_id, "next");

  // production → staging is not a move; archived → production neither; archived → staging is.
  EXPECT_EQ(registry_->move("next", ModelStage::kStaging, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(registry_->promote_to_production("dev", "rollback").is_ok());
  ASSERT_TRUE(registry_->move("dev", ModelStage::kStaging, "rollback").is_ok());
  ASSERT_TRUE(registry_->promote_to_production("dev", "rollback").is_ok());
  EXPECT_EQ(registry_->get("next")->stage, ModelStage::kArchived);

  auto history = registry_->history("dev");
  ASSERT_TRUE(history.is_ok());
  std::vector<std::string> moves;
  for (const auto& change : *history) {
    moves.push_back((change.from ? std::string(to_string(*change.from)) : "-") + ">" +
                    std::string(to_string(change.to)));
  }
  EXPECT_EQ(moves, (std::vector<std::string>{"->development", "development>staging",
                                             "staging>production", "production>archived",
                                             "archived>staging", "staging>production"}));
  EXPECT_EQ((*history)[3].reason, "replaced in production by next");
}

TEST_F(RegistryTest, ArtifactChangedBehindTheRegistryIsRefused) {
  const auto record = register_model("m1", ModelStage::kStaging);
  // Same JSON model, one byte more: still loadable by XGBoost, but not what was registered.
  std::string bytes = testing_support::read_text(record.artifact_path);
  testing_support::write_text(record.artifact_path, bytes + " ");
  auto model = registry_->load("m1");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(model.status().message(), HasSubstr("but the registry recorded " + record.sha256));
  EXPECT_THAT(model.status().message(), HasSubstr("refusing to load it"));
  // Restored bytes load again.
  testing_support::write_text(record.artifact_path, bytes);
  EXPECT_TRUE(registry_->load("m1").is_ok());
}

TEST_F(RegistryTest, WatcherKeepsServingWhenTheProductionArtifactIsRefused) {
  const auto record = register_model("m1", ModelStage::kStaging);
  ASSERT_TRUE(registry_->promote_to_production("m1", "go").is_ok());
  testing_support::write_text(record.artifact_path,
                              testing_support::read_text(record.artifact_path) + " ");
  PubSubManager bus(clock_);
  auto service =
      PredictionService::create(std::make_unique<testing_support::ConstantModel>(
                                    "baseline", std::vector<std::string>{"x0", "x1", "x2"}, 0.5),
                                "prob_price_up", {"x0", "x1", "x2"});
  ASSERT_TRUE(service.is_ok());
  std::vector<SystemErrorEvent> errors;
  bus.subscribe<SystemErrorEvent>([&](const SystemErrorEvent& e) { errors.push_back(e); });
  const auto db_file = dir_ / "galfriday.db";
  auto watcher = RegistryWatcher::create([&] { return persistence::open_sqlite(db_file); }, clock_,
                                         dir_ / "registry", "prob_price_up", **service, bus);
  ASSERT_TRUE(watcher.is_ok());
  for (int i = 0; i < 3; ++i) {  // each poll applies the previous look and asks for another
    (*watcher)->poll();
    (*watcher)->wait_idle();
  }
  (*watcher)->poll();
  bus.run_until_idle();
  EXPECT_EQ((*service)->model_id(), "baseline");
  EXPECT_EQ((*watcher)->swaps(), 0U);
  ASSERT_EQ(errors.size(), 1U);  // reported once, not on every poll
  EXPECT_EQ(errors[0].source, "models.registry");
  EXPECT_THAT(errors[0].message, HasSubstr("refusing to load it"));
  EXPECT_THAT(errors[0].message, HasSubstr("the current model keeps serving"));
}

TEST_F(RegistryTest, StageNamesAndModelIdsAreChecked) {
  EXPECT_EQ(*parse_model_stage("staging"), ModelStage::kStaging);
  EXPECT_THAT(parse_model_stage("prod").status().message(),
              HasSubstr("expected development, staging, production or archived"));
  EXPECT_TRUE(check_model_id("btc_up-v3.1").is_ok());
  EXPECT_FALSE(check_model_id("../etc").is_ok());
  EXPECT_FALSE(check_model_id("a/b").is_ok());
  EXPECT_FALSE(check_model_id("").is_ok());
}

}  // namespace
}  // namespace galfriday::models
