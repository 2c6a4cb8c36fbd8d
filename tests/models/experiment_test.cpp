// ExperimentManager: deterministic routing, outcome tracking, the significance decision on a
// planted better model, stop rules and promotion of the winner.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "galfriday/models/experiments.hpp"
#include "models_support.hpp"

namespace galfriday::models {
namespace {

using testing::HasSubstr;
using testing_support::Rng;
using testing_support::TempDir;

class ExperimentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing_support::open_migrated(dir_ / "galfriday.db", clock_);
    ASSERT_NE(db_, nullptr);
    registry_ = std::make_unique<ModelRegistry>(*db_, clock_, dir_ / "registry");
    for (const char* id : {"control", "challenger"}) {
      auto trained = train_xgboost(testing_support::planted_signal(300, 2, 11),
                                   testing_support::small_params());
      ASSERT_TRUE(trained.is_ok());
      trained->metadata().model_id = id;
      trained->metadata().target = "prob_price_up";
      ASSERT_TRUE(registry_->register_trained(*trained, ModelStage::kStaging, "test").is_ok());
    }
    ASSERT_TRUE(registry_->promote_to_production("control", "baseline").is_ok());
    settings_.traffic_split = 0.5;
    settings_.significance = 0.05;
    settings_.min_samples = 200;
    settings_.max_duration = std::chrono::hours(24);
    settings_.max_loss = Money::from_raw(500, 0);
    manager_ = std::make_unique<ExperimentManager>(*registry_, *db_, clock_, settings_);
  }

  // Routes `keys` keys; arm a is right with probability accuracy_a, arm b with accuracy_b; each
  // outcome is also a trade winning +10 when right and −10 when wrong.
  void simulate(const std::string& name, int keys, double accuracy_a, double accuracy_b,
                uint64_t seed, int first_key = 0) {
    Rng rng(seed);
    for (int i = first_key; i < first_key + keys; ++i) {
      const std::string key = "BTC/USD@" + std::to_string(1704067200 + 60 * i);
      auto arm = manager_->assign(name, key);
      ASSERT_TRUE(arm.is_ok()) << arm.status().to_string();
      const bool correct = rng.uniform(0, 1) < (*arm == Arm::kA ? accuracy_a : accuracy_b);
      const Money pnl = Money::from_raw(correct ? 10 : -10, 0);
      ASSERT_TRUE(manager_->record_outcome(name, key, correct, pnl).is_ok());
    }
  }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1704067200)};
  std::unique_ptr<persistence::Database> db_;
  std::unique_ptr<ModelRegistry> registry_;
  ExperimentSettings settings_;
  std::unique_ptr<ExperimentManager> manager_;
};

TEST_F(ExperimentTest, RoutingIsDeterministicAndFollowsTheSplit) {
  int to_b = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "sig-" + std::to_string(i);
    const Arm arm = route("exp1", key, 0.3);
    EXPECT_EQ(arm, route("exp1", key, 0.3));
    to_b += arm == Arm::kB ? 1 : 0;
  }
  // 6000 expected; ±4 standard deviations (√(20000·0.3·0.7) ≈ 65).
  EXPECT_NEAR(to_b, 6000, 260);
  // Another experiment routes independently of this one.
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "sig-" + std::to_string(i);
    same += route("exp1", key, 0.5) == route("exp2", key, 0.5) ? 1 : 0;
  }
  EXPECT_NEAR(same, 500, 80);

  ASSERT_TRUE(manager_->start("exp1", "control", "challenger").is_ok());
  auto first = manager_->assign("exp1", "key-1");
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(*first, route("exp1", "key-1", 0.5));
  EXPECT_EQ(*manager_->assign("exp1", "key-1"), *first);
}

TEST_F(ExperimentTest, PlantedBetterModelWinsAtTheConfiguredSignificanceAndIsPromoted) {
  ASSERT_TRUE(manager_->start("ab", "control", "challenger").is_ok());
  simulate("ab", 100, 0.52, 0.62, 3);
  auto early = manager_->status("ab");
  ASSERT_TRUE(early.is_ok());
  EXPECT_EQ(early->decision, ExperimentDecision::kContinue);
  EXPECT_THAT(early->reason, HasSubstr("waiting for 200 outcomes per arm"));

  simulate("ab", 1400, 0.52, 0.62, 4, /*first_key=*/100);
  auto status = manager_->evaluate("ab", /*promote_winner=*/true);
  ASSERT_TRUE(status.is_ok()) << status.status().to_string();
  EXPECT_EQ(status->decision, ExperimentDecision::kWinnerB);
  ASSERT_TRUE(status->accuracy_test.has_value());
  EXPECT_LT(status->accuracy_test->p_value, 0.05);
  EXPECT_LT(status->accuracy_test->statistic, 0.0);  // b more accurate
  // The test's figures are the z-test of the arms' own counts.
  const auto recomputed = two_proportion_z_test(status->a.correct, status->a.outcomes,
                                                status->b.correct, status->b.outcomes);
  EXPECT_DOUBLE_EQ(recomputed->p_value, status->accuracy_test->p_value);
  EXPECT_EQ(status->a.assigned + status->b.assigned, 1500U);
  EXPECT_EQ(status->record.state, ExperimentState::kStopped);
  EXPECT_EQ(status->record.winner, std::optional<std::string>("challenger"));
  EXPECT_EQ(registry_->production("prob_price_up")->value().model_id, "challenger");
  EXPECT_EQ(registry_->get("control")->stage, ModelStage::kArchived);
  // A stopped experiment routes nothing more.
  EXPECT_EQ(manager_->assign("ab", "late").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(describe(*manager_->status("ab")), HasSubstr("winner: challenger"));
}

TEST_F(ExperimentTest, EqualModelsAreNotSeparatedAndStopAtMaxDuration) {
  ASSERT_TRUE(manager_->start("aa", "control", "challenger").is_ok());
  simulate("aa", 1500, 0.55, 0.55, 8);
  auto status = manager_->evaluate("aa", true);
  ASSERT_TRUE(status.is_ok());
  EXPECT_EQ(status->decision, ExperimentDecision::kContinue);
  EXPECT_GT(status->accuracy_test->p_value, 0.05);
  clock_.advance_to(clock_.now() + std::chrono::hours(25));
  status = manager_->evaluate("aa", true);
  ASSERT_TRUE(status.is_ok());
  EXPECT_EQ(status->decision, ExperimentDecision::kStopNoWinner);
  EXPECT_EQ(status->record.state, ExperimentState::kStopped);
  EXPECT_THAT(status->record.stop_reason, HasSubstr("max duration"));
  EXPECT_EQ(registry_->production("prob_price_up")->value().model_id, "control");
}

TEST_F(ExperimentTest, MaxLossStopsWithoutPromotion) {
  ASSERT_TRUE(manager_->start("risky", "control", "challenger").is_ok());
  simulate("risky", 150, 0.5, 0.1, 9);  // b loses about 10 × (0.9 − 0.1) × 75 ≈ 600 > 500
  auto status = manager_->evaluate("risky", true);
  ASSERT_TRUE(status.is_ok());
  EXPECT_EQ(status->decision, ExperimentDecision::kStopNoWinner);
  EXPECT_THAT(status->record.stop_reason, HasSubstr("max loss: arm b lost -"));
  EXPECT_EQ(registry_->production("prob_price_up")->value().model_id, "control");
}

TEST_F(ExperimentTest, StartAndStopAreChecked) {
  EXPECT_EQ(manager_->start("x", "control", "control").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->start("x", "control", "ghost").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(manager_->start("x", "control", "challenger", 1.0).is_ok());
  ASSERT_TRUE(manager_->start("x", "control", "challenger").is_ok());
  EXPECT_EQ(manager_->start("x", "control", "challenger").status().code(),
            StatusCode::kAlreadyExists);
  auto stopped = manager_->stop("x", "operator", false);
  ASSERT_TRUE(stopped.is_ok());
  EXPECT_EQ(stopped->decision, ExperimentDecision::kStopNoWinner);
  EXPECT_THAT(stopped->record.stop_reason, HasSubstr("operator"));
  EXPECT_EQ(manager_->stop("x", "again", false).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->record_outcome("x", "never", true, std::nullopt).code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace galfriday::models
