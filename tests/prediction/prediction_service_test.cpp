#include "galfriday/prediction/prediction_service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>

#include "galfriday/prediction/xgboost_model.hpp"
#include "galfriday/prediction/xgboost_training.hpp"
#include "test_support.hpp"

namespace galfriday {
namespace {

using ::testing::HasSubstr;
using testing_support::ConstantModel;
using testing_support::Gate;
using testing_support::GatedModel;
using testing_support::planted_signal;
using testing_support::pump_until;
using testing_support::small_params;

constexpr int64_t kJan1 = 1704067200;  // 2024-01-01T00:00:00Z
const std::vector<std::string> kEngineFeatures = {"x0", "x1", "x2", "ma_spread"};

std::unique_ptr<XGBoostModel> small_xgboost(const std::string& id = "xgb_small",
                                            const std::string& target = "prob_price_up") {
  auto trained = train_xgboost(planted_signal(2000, 3, 1), small_params());
  EXPECT_TRUE(trained.is_ok()) << trained.status().to_string();
  trained->metadata().model_id = id;
  trained->metadata().target = target;
  auto model = trained->to_model();
  EXPECT_TRUE(model.is_ok()) << model.status().to_string();
  return std::move(model).value();
}

class ThrowingModel final : public PredictionModel {
 public:
  const std::string& id() const override { return id_; }
  const std::vector<std::string>& feature_names() const override { return names_; }
  Result<double> predict(const std::vector<double>&) const override {
    throw std::runtime_error("boom");
  }

 private:
  std::string id_ = "thrower";
  std::vector<std::string> names_{"x0"};
};

// A bus with recorders for predictions and errors, and a feature event factory.
class ServiceHarness : public ::testing::Test {
 protected:
  void attach(PredictionService& service) {
    service.attach(bus_);
    bus_.subscribe<PredictionEvent>(
        [this](const PredictionEvent& e) { predictions_.push_back(e); });
    bus_.subscribe<SystemErrorEvent>([this](const SystemErrorEvent& e) { errors_.push_back(e); });
    bus_.subscribe<FeatureEvent>([this](const FeatureEvent& e) { features_.push_back(e); });
  }

  FeatureEvent features(const std::string& instrument, std::vector<double> values,
                        int64_t minute = 1) {
    FeatureEvent event;
    event.meta.ts_event = timestamp_from_seconds(kJan1 + 60 * minute);
    event.instrument = InstrumentId(instrument);
    event.features.names = names_;
    event.features.values = std::move(values);
    return event;
  }

  size_t outcomes() const { return predictions_.size() + errors_.size(); }

  SimulatedClock clock_{timestamp_from_seconds(kJan1 + 90)};
  PubSubManager bus_{clock_};
  std::shared_ptr<const std::vector<std::string>> names_ =
      std::make_shared<const std::vector<std::string>>(kEngineFeatures);
  std::vector<PredictionEvent> predictions_;
  std::vector<SystemErrorEvent> errors_;
  std::vector<FeatureEvent> features_;
};

PredictionServiceOptions async_options(size_t threads = 2, size_t capacity = 64) {
  PredictionServiceOptions options;
  options.mode = InferenceMode::kAsynchronous;
  options.worker_threads = threads;
  options.queue_capacity = capacity;
  return options;
}

// --- Creation ----------------------------------------------------------------------------------

using PredictionServiceCreate = ServiceHarness;

TEST_F(PredictionServiceCreate, NamesEveryFeatureTheEngineDoesNotProduce) {
  auto model = std::make_unique<ConstantModel>(
      "needs_more", std::vector<std::string>{"x0", "rsi_14", "atr_14"}, 0.5);
  auto service = PredictionService::create(std::move(model), "prob_price_up", kEngineFeatures);
  ASSERT_FALSE(service.is_ok());
  EXPECT_EQ(service.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service.status().message(),
            "model 'needs_more' needs features 'rsi_14', 'atr_14', which the feature engine does "
            "not produce");
}

TEST_F(PredictionServiceCreate, RefusesAModelTrainedForAnotherTarget) {
  auto service = PredictionService::create(small_xgboost(), "prob_price_down", kEngineFeatures);
  ASSERT_FALSE(service.is_ok());
  EXPECT_THAT(service.status().message(),
              HasSubstr("model 'xgb_small' predicts 'prob_price_up', but the service target is "
                        "'prob_price_down'"));
}

TEST_F(PredictionServiceCreate, RejectsBadAsynchronousOptions) {
  PredictionServiceOptions options = async_options(0);
  EXPECT_THAT(PredictionService::create(std::make_unique<MomentumModel>("m", 400.0, "ma_spread"),
                                        "prob_price_up", kEngineFeatures, options)
                  .status()
                  .message(),
              HasSubstr("at least one worker thread"));
  options = async_options(1, 0);
  EXPECT_THAT(PredictionService::create(std::make_unique<MomentumModel>("m", 400.0, "ma_spread"),
                                        "prob_price_up", kEngineFeatures, options)
                  .status()
                  .message(),
              HasSubstr("queue capacity"));
}

// --- Synchronous mode with XGBoost -------------------------------------------------------------

using SynchronousPrediction = ServiceHarness;

TEST_F(SynchronousPrediction, XGBoostPredictionsMatchTheModelAndRunsAreDeterministic) {
  auto run = [this](std::vector<PredictionEvent>& out) {
    SimulatedClock clock{timestamp_from_seconds(kJan1)};
    PubSubManager bus(clock);
    auto service = PredictionService::create(small_xgboost(), "prob_price_up", kEngineFeatures);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    (*service)->attach(bus);
    bus.subscribe<PredictionEvent>([&](const PredictionEvent& e) { out.push_back(e); });
    const Dataset rows = planted_signal(100, 3, 17);
    for (size_t r = 0; r < rows.rows(); ++r) {
      const auto row = rows.row(r);
      bus.publish(features("BTC/USD", {row[0], row[1], row[2], 0.0}, static_cast<int64_t>(r)));
    }
    bus.run_until_idle();
  };
  std::vector<PredictionEvent> first;
  std::vector<PredictionEvent> second;
  run(first);
  run(second);
  ASSERT_EQ(first.size(), 100u);
  EXPECT_EQ(first, second);

  const auto model = small_xgboost();
  const Dataset rows = planted_signal(100, 3, 17);
  for (size_t r = 0; r < rows.rows(); ++r) {
    const auto row = rows.row(r);
    EXPECT_EQ(first[r].value, *model->predict({row[0], row[1], row[2]})) << r;
    EXPECT_EQ(first[r].model_id, "xgb_small");
  }
}

TEST_F(SynchronousPrediction, NanFeatureIsAnErrorNamingTheFeature) {
  auto service = PredictionService::create(small_xgboost(), "prob_price_up", kEngineFeatures);
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  bus_.publish(features("ETH/USD", {0.1, std::numeric_limits<double>::quiet_NaN(), 0.3, 0.0}));
  bus_.run_until_idle();
  EXPECT_TRUE(predictions_.empty());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].message,
            "model 'xgb_small' failed on ETH/USD: feature 'x1' is not a finite number (nan)");
  EXPECT_FALSE(errors_[0].critical);
  EXPECT_EQ((*service)->stats().model_failures, 1u);
}

TEST_F(SynchronousPrediction, AModelThatThrowsIsACriticalError) {
  auto service = PredictionService::create(std::make_unique<ThrowingModel>(), "prob_price_up",
                                           kEngineFeatures);
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  bus_.publish(features("ETH/USD", {0.1, 0.2, 0.3, 0.0}));
  bus_.run_until_idle();
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_TRUE(errors_[0].critical);
  EXPECT_THAT(errors_[0].message, HasSubstr("model threw: boom"));
}

// --- Asynchronous mode -------------------------------------------------------------------------

using AsynchronousPrediction = ServiceHarness;

TEST_F(AsynchronousPrediction, EachFeatureEventYieldsExactlyOnePredictionThroughPost) {
  auto model = small_xgboost();
  auto service = PredictionService::create(small_xgboost(), "prob_price_up", kEngineFeatures,
                                           async_options(2, 256));
  ASSERT_TRUE(service.is_ok()) << service.status().to_string();
  attach(**service);

  const Dataset rows = planted_signal(200, 3, 23);
  std::map<uint64_t, double> expected;  // FeatureEvent sequence -> model output
  for (size_t r = 0; r < rows.rows(); ++r) {
    const auto row = rows.row(r);
    bus_.publish(features(r % 2 == 0 ? "BTC/USD" : "ETH/USD", {row[0], row[1], row[2], 0.0},
                          static_cast<int64_t>(r)));
  }
  // The handler returns at once; predictions arrive later through post().
  bus_.run_until_idle();
  ASSERT_EQ(features_.size(), 200u);
  for (size_t r = 0; r < rows.rows(); ++r) {
    const auto row = rows.row(r);
    expected[features_[r].meta.sequence] = *model->predict({row[0], row[1], row[2]});
  }
  // A task counts as settled just after it posts, so in_flight() reaches 0 only once every
  // outcome is on the bus.
  ASSERT_TRUE(pump_until(bus_, [&] { return (*service)->in_flight() == 0 && outcomes() >= 200; }));
  EXPECT_TRUE(errors_.empty()) << errors_.front().message;
  ASSERT_EQ(predictions_.size(), 200u);

  // Order across (and within) instruments is not guaranteed; coverage and values are.
  std::set<uint64_t> seen;
  for (const PredictionEvent& p : predictions_) {
    ASSERT_TRUE(expected.contains(p.feature_event_sequence));
    EXPECT_TRUE(seen.insert(p.feature_event_sequence).second) << "two predictions for one event";
    EXPECT_EQ(p.value, expected[p.feature_event_sequence]);
    EXPECT_EQ(p.model_id, "xgb_small");
    EXPECT_EQ(p.target, "prob_price_up");
    ASSERT_NE(p.features.names, nullptr);
    EXPECT_EQ(p.features.values.size(), 4u);
  }
  EXPECT_EQ((*service)->stats().predictions, 200u);
  EXPECT_EQ((*service)->failures(), 0u);
}

TEST_F(AsynchronousPrediction, FullQueueIsAnErrorAtOnceNotAStall) {
  Gate gate;
  auto service = PredictionService::create(
      std::make_unique<GatedModel>("slow", std::vector<std::string>{"x0"}, 0.7, gate),
      "prob_price_up", kEngineFeatures, async_options(1, 1));
  ASSERT_TRUE(service.is_ok());
  attach(**service);

  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 1));
  bus_.run_until_idle();
  ASSERT_TRUE(gate.wait_entered(1));                           // the only worker is busy
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 2));  // waits in the queue
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 3));  // no room
  bus_.run_until_idle();
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0].message, HasSubstr("model 'slow' skipped BTC/USD (FeatureEvent #" +
                                            std::to_string(features_[2].meta.sequence) +
                                            "): inference queue is full (capacity 1)"));
  EXPECT_EQ((*service)->stats().rejected, 1u);

  gate.open();
  ASSERT_TRUE(pump_until(bus_, [&] { return outcomes() >= 3; }));
  EXPECT_EQ(predictions_.size(), 2u);
  EXPECT_EQ((*service)->failures(), 1u);
  EXPECT_EQ((*service)->stats().predictions, 2u);
}

TEST_F(AsynchronousPrediction, ASlowModelBeyondTheDeadlineIsAnErrorAndItsResultIsDropped) {
  Gate gate;
  PredictionServiceOptions options = async_options(1, 4);
  options.deadline = std::chrono::milliseconds(50);
  options.watchdog_interval = std::chrono::milliseconds(1);
  auto service = PredictionService::create(
      std::make_unique<GatedModel>("stuck", std::vector<std::string>{"x0"}, 0.7, gate),
      "prob_price_up", kEngineFeatures, options);
  ASSERT_TRUE(service.is_ok());
  attach(**service);

  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}));
  bus_.run_until_idle();
  ASSERT_TRUE(gate.wait_entered(1));
  clock_.advance_to(clock_.now() + std::chrono::milliseconds(60));
  ASSERT_TRUE(pump_until(bus_, [&] { return outcomes() >= 1; }));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0].message, HasSubstr("model 'stuck' missed its 50ms deadline on BTC/USD"));
  EXPECT_THAT(errors_[0].message, HasSubstr("60ms after dispatch): no prediction"));
  EXPECT_EQ((*service)->stats().timeouts, 1u);

  // The model finally answers; nothing more is published for that event.
  gate.open();
  ASSERT_TRUE(pump_until(bus_, [&] { return (*service)->in_flight() == 0; }));
  service->reset();  // joins the worker
  bus_.run_until_idle();
  EXPECT_TRUE(predictions_.empty());
  EXPECT_EQ(errors_.size(), 1u);
}

TEST_F(AsynchronousPrediction, ModelErrorsArePostedAsErrors) {
  auto service =
      PredictionService::create(small_xgboost(), "prob_price_up", kEngineFeatures, async_options());
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  bus_.publish(features("BTC/USD", {0.1, std::numeric_limits<double>::infinity(), 0.3, 0.0}));
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}));
  ASSERT_TRUE(pump_until(bus_, [&] { return outcomes() >= 2; }));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0].message, HasSubstr("feature 'x1' is not a finite number (inf)"));
  EXPECT_EQ(predictions_.size(), 1u);
}

// --- Ensembles ---------------------------------------------------------------------------------

using EnsemblePrediction = ServiceHarness;

std::vector<EnsembleMember> two_constants(double w1, double w2) {
  std::vector<EnsembleMember> members;
  members.push_back(
      {std::make_unique<ConstantModel>("low", std::vector<std::string>{"x0"}, 0.2), w1});
  members.push_back(
      {std::make_unique<ConstantModel>("high", std::vector<std::string>{"x1", "x2"}, 0.8), w2});
  return members;
}

TEST_F(EnsemblePrediction, AverageAndWeightedAverageArePublishedAsOnePrediction) {
  auto average = PredictionService::create_ensemble(
      two_constants(1.0, 3.0), EnsembleMethod::kAverage, "prob_price_up", kEngineFeatures);
  ASSERT_TRUE(average.is_ok()) << average.status().to_string();
  auto weighted = PredictionService::create_ensemble(
      two_constants(1.0, 3.0), EnsembleMethod::kWeightedAverage, "prob_price_up", kEngineFeatures);
  ASSERT_TRUE(weighted.is_ok()) << weighted.status().to_string();
  attach(**average);
  (*weighted)->attach(bus_);

  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}));
  bus_.run_until_idle();
  ASSERT_EQ(predictions_.size(), 2u);
  EXPECT_EQ(predictions_[0].model_id, "ensemble:prob_price_up");
  EXPECT_DOUBLE_EQ(predictions_[0].value, 0.5);
  EXPECT_EQ(predictions_[1].model_id, "ensemble:prob_price_up");
  EXPECT_DOUBLE_EQ(predictions_[1].value, (1.0 * 0.2 + 3.0 * 0.8) / 4.0);
  EXPECT_DOUBLE_EQ(*predictions_[1].confidence, std::abs(0.65 - 0.5) * 2.0);
  EXPECT_TRUE(errors_.empty());
}

TEST_F(EnsemblePrediction, XGBoostMembersAverageTheirOutputs) {
  std::vector<EnsembleMember> members;
  members.push_back({small_xgboost("xgb_a"), 1.0});
  auto other = train_xgboost(planted_signal(2000, 3, 2), small_params());
  ASSERT_TRUE(other.is_ok());
  other->metadata().model_id = "xgb_b";
  other->metadata().target = "prob_price_up";
  auto model_b = other->to_model();
  ASSERT_TRUE(model_b.is_ok());
  const double b = *(*model_b)->predict({0.3, -0.1, 0.5});
  members.push_back({std::move(*model_b), 1.0});
  const double a = *small_xgboost("xgb_a")->predict({0.3, -0.1, 0.5});

  auto service = PredictionService::create_ensemble(std::move(members), EnsembleMethod::kAverage,
                                                    "prob_price_up", kEngineFeatures);
  ASSERT_TRUE(service.is_ok()) << service.status().to_string();
  attach(**service);
  bus_.publish(features("BTC/USD", {0.3, -0.1, 0.5, 0.0}));
  bus_.run_until_idle();
  ASSERT_EQ(predictions_.size(), 1u);
  EXPECT_DOUBLE_EQ(predictions_[0].value, (a + b) / 2.0);
}

TEST_F(EnsemblePrediction, AFailingMemberMeansAnErrorAndNoPrediction) {
  std::vector<EnsembleMember> members = two_constants(1.0, 1.0);
  members.push_back(
      {std::make_unique<ConstantModel>("broken", std::vector<std::string>{"x0"}, 1.5), 1.0});
  auto service = PredictionService::create_ensemble(std::move(members), EnsembleMethod::kAverage,
                                                    "prob_price_up", kEngineFeatures);
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}));
  bus_.run_until_idle();
  EXPECT_TRUE(predictions_.empty());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].message,
            "model 'ensemble:prob_price_up' failed on BTC/USD: member 'broken': model output "
            "1.500000 is not a probability");
}

TEST_F(EnsemblePrediction, RejectsEmptyDuplicateAndBadlyWeightedEnsembles) {
  EXPECT_THAT(PredictionService::create_ensemble({}, EnsembleMethod::kAverage, "prob_price_up",
                                                 kEngineFeatures)
                  .status()
                  .message(),
              HasSubstr("has no models"));
  auto duplicate = two_constants(1.0, 1.0);
  duplicate.push_back(
      {std::make_unique<ConstantModel>("low", std::vector<std::string>{"x0"}, 0.3), 1.0});
  EXPECT_THAT(PredictionService::create_ensemble(std::move(duplicate), EnsembleMethod::kAverage,
                                                 "prob_price_up", kEngineFeatures)
                  .status()
                  .message(),
              HasSubstr("has model 'low' twice"));
  EXPECT_THAT(
      PredictionService::create_ensemble(two_constants(1.0, 0.0), EnsembleMethod::kWeightedAverage,
                                         "prob_price_up", kEngineFeatures)
          .status()
          .message(),
      HasSubstr("weight of model 'high' must be a finite number > 0"));
  std::vector<EnsembleMember> missing;
  missing.push_back(
      {std::make_unique<ConstantModel>("m", std::vector<std::string>{"rsi_14"}, 0.5), 1.0});
  EXPECT_THAT(PredictionService::create_ensemble(std::move(missing), EnsembleMethod::kAverage,
                                                 "prob_price_up", kEngineFeatures)
                  .status()
                  .message(),
              HasSubstr("needs feature 'rsi_14'"));
}

// --- Hot reload --------------------------------------------------------------------------------

using ModelReplacement = ServiceHarness;

TEST_F(ModelReplacement, SwapsTheModelBetweenEvents) {
  auto service = PredictionService::create(
      std::make_unique<ConstantModel>("v1", std::vector<std::string>{"x0"}, 0.3), "prob_price_up",
      kEngineFeatures);
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 1));
  bus_.run_until_idle();
  ASSERT_TRUE((*service)
                  ->replace_model(
                      std::make_unique<ConstantModel>("v2", std::vector<std::string>{"x1"}, 0.6))
                  .is_ok());
  EXPECT_EQ((*service)->model_id(), "v2");
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 2));
  bus_.run_until_idle();
  ASSERT_EQ(predictions_.size(), 2u);
  EXPECT_EQ(predictions_[0].model_id, "v1");
  EXPECT_EQ(predictions_[0].value, 0.3);
  EXPECT_EQ(predictions_[1].model_id, "v2");
  EXPECT_EQ(predictions_[1].value, 0.6);
}

TEST_F(ModelReplacement, ABadReplacementKeepsTheCurrentModel) {
  auto service = PredictionService::create(
      std::make_unique<ConstantModel>("v1", std::vector<std::string>{"x0"}, 0.3), "prob_price_up",
      kEngineFeatures);
  ASSERT_TRUE(service.is_ok());
  const Status missing = (*service)->replace_model(
      std::make_unique<ConstantModel>("v2", std::vector<std::string>{"rsi_14"}, 0.6));
  EXPECT_THAT(missing.message(), HasSubstr("needs feature 'rsi_14'"));
  const Status wrong_target =
      (*service)->replace_model(small_xgboost("xgb_down", "prob_price_down"));
  EXPECT_THAT(wrong_target.message(),
              HasSubstr("predicts 'prob_price_down', but the service target is 'prob_price_up'"));
  EXPECT_EQ((*service)->model_id(), "v1");

  attach(**service);
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}));
  bus_.run_until_idle();
  ASSERT_EQ(predictions_.size(), 1u);
  EXPECT_EQ(predictions_[0].model_id, "v1");
}

TEST_F(ModelReplacement, EnsembleMembersAreReplacedById) {
  auto service = PredictionService::create_ensemble(
      two_constants(1.0, 1.0), EnsembleMethod::kAverage, "prob_price_up", kEngineFeatures);
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  EXPECT_EQ(
      (*service)
          ->replace_model(std::make_unique<ConstantModel>("x", std::vector<std::string>{"x0"}, 0.5))
          .code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ((*service)
                ->replace_model("absent", std::make_unique<ConstantModel>(
                                              "x", std::vector<std::string>{"x0"}, 0.5))
                .code(),
            StatusCode::kNotFound);
  EXPECT_THAT((*service)
                  ->replace_model("low", std::make_unique<ConstantModel>(
                                             "high", std::vector<std::string>{"x0"}, 0.5))
                  .message(),
              HasSubstr("already has model 'high'"));
  ASSERT_TRUE((*service)
                  ->replace_model("low", std::make_unique<ConstantModel>(
                                             "low_v2", std::vector<std::string>{"x0"}, 0.4))
                  .is_ok());
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}));
  bus_.run_until_idle();
  ASSERT_EQ(predictions_.size(), 1u);
  EXPECT_DOUBLE_EQ(predictions_[0].value, (0.4 + 0.8) / 2.0);
}

TEST_F(ModelReplacement, PredictionsInFlightFinishWithTheModelTheyStartedWith) {
  Gate gate;
  auto service = PredictionService::create(
      std::make_unique<GatedModel>("v1", std::vector<std::string>{"x0"}, 0.3, gate),
      "prob_price_up", kEngineFeatures, async_options(1, 8));
  ASSERT_TRUE(service.is_ok());
  attach(**service);
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 1));
  bus_.run_until_idle();
  ASSERT_TRUE(gate.wait_entered(1));
  ASSERT_TRUE((*service)
                  ->replace_model(
                      std::make_unique<ConstantModel>("v2", std::vector<std::string>{"x0"}, 0.6))
                  .is_ok());
  bus_.publish(features("BTC/USD", {0.1, 0.2, 0.3, 0.0}, 2));
  bus_.run_until_idle();
  gate.open();
  ASSERT_TRUE(pump_until(bus_, [&] { return outcomes() >= 2; }));
  ASSERT_EQ(predictions_.size(), 2u);
  // One worker: FIFO, so the order is known here.
  EXPECT_EQ(predictions_[0].model_id, "v1");
  EXPECT_EQ(predictions_[0].value, 0.3);
  EXPECT_EQ(predictions_[1].model_id, "v2");
  EXPECT_EQ(predictions_[1].value, 0.6);
}

}  // namespace
}  // namespace galfriday
