#include "galfriday/features/feature_engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "galfriday/prediction/prediction_service.hpp"

namespace galfriday {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kJan1 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr double kRelativeTolerance = 1e-12;

config::FeaturesConfig small_windows() {
  config::FeaturesConfig config;
  config.fast_window = 3;
  config.slow_window = 5;
  config.return_horizon = 2;
  return config;
}

// A closed one-minute bar number `index` of a pair, closing at `close` (text at precision 2).
MarketDataOHLCVEvent bar(const std::string& instrument, int64_t index, Price close) {
  MarketDataOHLCVEvent event;
  event.instrument = InstrumentId(instrument);
  event.interval = std::chrono::minutes(1);
  event.bar_start = timestamp_from_seconds(kJan1 + 60 * index);
  event.meta.ts_event = event.bar_start + event.interval;
  event.open = event.high = event.low = event.close = close;
  event.volume = Quantity::from_raw(100'000'000, 8);
  return event;
}

// Deterministic, irregular closes around 40 000 at two decimals.
std::vector<Price> closes(size_t count, int64_t seed) {
  std::vector<Price> out;
  int64_t raw = 4'000'000 + seed * 1'234;
  for (size_t i = 0; i < count; ++i) {
    raw += static_cast<int64_t>((i * 7919 + static_cast<size_t>(seed) * 104729) % 20011) - 10000;
    out.push_back(Price::from_raw(raw, 2));
  }
  return out;
}

// The features of bar `i` computed directly from the definition: plain averages over the
// closes, with no running state.
struct Expected {
  double sma_fast;
  double sma_slow;
  double past_close;
};
Expected reference(const std::vector<Price>& series, size_t i, const config::FeaturesConfig& c) {
  auto mean_of_last = [&](int window) {
    double sum = 0.0;
    for (size_t k = i + 1 - static_cast<size_t>(window); k <= i; ++k) sum += series[k].to_double();
    return sum / window;
  };
  return {mean_of_last(c.fast_window), mean_of_last(c.slow_window),
          series[i - static_cast<size_t>(c.return_horizon)].to_double()};
}

void expect_relatively_near(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::abs(actual - expected), kRelativeTolerance * std::abs(expected))
      << what << ": actual " << actual << ", expected " << expected;
}

// Checks a vector against the reference. The spread and the return are ratios minus one, so
// they are compared as the ratios they are (relative to 1, not to a value near zero).
void expect_matches_reference(const FeatureVector& features, const Expected& expected, double close,
                              const std::string& where) {
  ASSERT_EQ(features.values.size(), 4u) << where;
  expect_relatively_near(features.values[0], expected.sma_fast, where + " sma_fast");
  expect_relatively_near(features.values[1], expected.sma_slow, where + " sma_slow");
  expect_relatively_near(features.values[2] + 1.0, expected.sma_fast / expected.sma_slow,
                         where + " ma_spread + 1");
  expect_relatively_near(features.values[3] + 1.0, close / expected.past_close,
                         where + " return_2 + 1");
}

TEST(FeatureEngine, NamesAndWarmUpFollowTheConfig) {
  const FeatureEngine engine(small_windows());
  EXPECT_THAT(*engine.names(), ElementsAre("sma_fast", "sma_slow", "ma_spread", "return_2"));
  EXPECT_EQ(engine.warmup_bars(), 5);

  config::FeaturesConfig long_return = small_windows();
  long_return.return_horizon = 9;
  EXPECT_EQ(FeatureEngine(long_return).warmup_bars(), 10);
  EXPECT_EQ(FeatureEngine(long_return).names()->back(), "return_9");
}

TEST(FeatureEngine, NothingBeforeWarmUp) {
  FeatureEngine engine(small_windows());
  const auto series = closes(10, 1);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_FALSE(engine.update(bar("BTC/USD", i, series[static_cast<size_t>(i)])).has_value())
        << "bar " << i;
  }
  EXPECT_TRUE(engine.update(bar("BTC/USD", 4, series[4])).has_value());
}

TEST(FeatureEngine, NothingBeforeALongReturnHorizonIsCovered) {
  config::FeaturesConfig config = small_windows();
  config.return_horizon = 7;  // needs 8 closes, more than the slow window
  FeatureEngine engine(config);
  const auto series = closes(20, 2);
  for (int64_t i = 0; i < 7; ++i) {
    EXPECT_FALSE(engine.update(bar("BTC/USD", i, series[static_cast<size_t>(i)])).has_value());
  }
  const auto features = engine.update(bar("BTC/USD", 7, series[7]));
  ASSERT_TRUE(features.has_value());
  EXPECT_DOUBLE_EQ(features->values[3] + 1.0, series[7].to_double() / series[0].to_double());
}

TEST(FeatureEngine, ValuesEqualPlainAveragesOverTheSameCloses) {
  const config::FeaturesConfig config = small_windows();
  FeatureEngine engine(config);
  const auto series = closes(2000, 3);
  size_t produced = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const auto features = engine.update(bar("BTC/USD", static_cast<int64_t>(i), series[i]));
    if (i + 1 < 5) {
      EXPECT_FALSE(features.has_value());
      continue;
    }
    ASSERT_TRUE(features.has_value()) << "bar " << i;
    ++produced;
    expect_matches_reference(*features, reference(series, i, config), series[i].to_double(),
                             "bar " + std::to_string(i));
  }
  EXPECT_EQ(produced, series.size() - 4);
}

TEST(FeatureEngine, DefaultWindowsMatchTheReferenceToo) {
  const config::FeaturesConfig config;  // 30 / 120 / 5
  FeatureEngine engine(config);
  const auto series = closes(600, 4);
  for (size_t i = 0; i < series.size(); ++i) {
    const auto features = engine.update(bar("ETH/USD", static_cast<int64_t>(i), series[i]));
    ASSERT_EQ(features.has_value(), i + 1 >= 120) << "bar " << i;
    if (!features) continue;
    expect_matches_reference(*features, reference(series, i, config), series[i].to_double(),
                             "bar " + std::to_string(i));
  }
}

TEST(FeatureEngine, PairsKeepIndependentState) {
  const config::FeaturesConfig config = small_windows();
  FeatureEngine interleaved(config);
  FeatureEngine btc_only(config);
  const auto btc = closes(40, 5);
  const auto eth = closes(40, 6);
  // ETH starts 3 bars later, so it warms up on its own count.
  for (size_t i = 0; i < btc.size(); ++i) {
    const auto from_both = interleaved.update(bar("BTC/USD", static_cast<int64_t>(i), btc[i]));
    const auto from_one = btc_only.update(bar("BTC/USD", static_cast<int64_t>(i), btc[i]));
    ASSERT_EQ(from_both.has_value(), from_one.has_value());
    if (from_both) {
      EXPECT_EQ(from_both->values, from_one->values) << "bar " << i;
    }
    if (i >= 3) {
      const size_t j = i - 3;
      const auto eth_features = interleaved.update(bar("ETH/USD", static_cast<int64_t>(i), eth[j]));
      ASSERT_EQ(eth_features.has_value(), j >= 4) << "ETH bar " << j;
      if (eth_features) {
        expect_matches_reference(*eth_features, reference(eth, j, config), eth[j].to_double(),
                                 "ETH bar " + std::to_string(j));
      }
    }
  }
}

TEST(FeatureEngine, PublishesFeatureEventsOnTheBus) {
  SimulatedClock clock(timestamp_from_seconds(kJan1));
  PubSubManager bus(clock);
  const config::FeaturesConfig config = small_windows();
  FeatureEngine engine(config);
  engine.attach(bus);
  std::vector<FeatureEvent> events;
  bus.subscribe<FeatureEvent>([&](const FeatureEvent& e) { events.push_back(e); });

  const auto series = closes(8, 7);
  std::vector<MarketDataOHLCVEvent> bars;
  for (size_t i = 0; i < series.size(); ++i) {
    bars.push_back(bar("BTC/USD", static_cast<int64_t>(i), series[i]));
    bus.publish(bars.back());
    bus.run_until_idle();
    EXPECT_EQ(events.size(), i + 1 >= 5 ? i + 1 - 4 : 0u) << "after bar " << i;
  }
  ASSERT_EQ(events.size(), 4u);
  for (size_t k = 0; k < events.size(); ++k) {
    const size_t i = k + 4;
    const FeatureEvent& event = events[k];
    EXPECT_EQ(event.instrument, InstrumentId("BTC/USD"));
    EXPECT_EQ(event.meta.ts_event, bars[i].meta.ts_event);
    ASSERT_NE(event.features.names, nullptr);
    EXPECT_THAT(*event.features.names,
                ElementsAre("sma_fast", "sma_slow", "ma_spread", "return_2"));
    // Every event shares the engine's one list of names.
    EXPECT_EQ(event.features.names, engine.names());
    expect_matches_reference(event.features, reference(series, i, config), series[i].to_double(),
                             "event " + std::to_string(k));
    EXPECT_EQ(event.features.get("sma_slow"), event.features.values[1]);
  }
}

// --- PredictionService -------------------------------------------------------------------------

const std::vector<std::string> kEngineFeatures = {"sma_fast", "sma_slow", "ma_spread", "return_5"};

double logistic(double k, double x) { return 1.0 / (1.0 + std::exp(-k * x)); }

TEST(MomentumModel, ProbabilityIsLogisticOfTheSpread) {
  const MomentumModel model("m1", 400.0);
  EXPECT_EQ(model.id(), "m1");
  EXPECT_THAT(model.feature_names(), ElementsAre("ma_spread"));
  for (double spread : {-0.01, -0.0017, 0.0, 0.0005, 0.003, 0.02}) {
    const auto p = model.predict({spread});
    ASSERT_TRUE(p.is_ok());
    EXPECT_DOUBLE_EQ(*p, logistic(400.0, spread)) << "spread " << spread;
  }
  EXPECT_DOUBLE_EQ(*model.predict({0.0}), 0.5);
  EXPECT_GT(*model.predict({0.001}), 0.5);
  EXPECT_LT(*model.predict({-0.001}), 0.5);
}

TEST(MomentumModel, RejectsNonFiniteAndMisshapenInputs) {
  const MomentumModel model("m1", 400.0);
  EXPECT_EQ(model.predict({std::numeric_limits<double>::quiet_NaN()}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(model.predict({std::numeric_limits<double>::infinity()}).is_ok());
  EXPECT_FALSE(model.predict({}).is_ok());
  EXPECT_FALSE(model.predict({0.1, 0.2}).is_ok());
}

TEST(PredictionModelFactory, BuildsMomentumAndRejectsUnknownTypes) {
  config::PredictionConfig config;
  config.momentum_sensitivity = 250.0;
  auto model = make_model(config);
  ASSERT_TRUE(model.is_ok());
  EXPECT_EQ((*model)->id(), "momentum_v1");
  EXPECT_DOUBLE_EQ(*(*model)->predict({0.002}), logistic(250.0, 0.002));

  config.model_type = "xgboost";
  auto unknown = make_model(config);
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("'xgboost' is not supported"));
}

// A model that reads a feature the engine does not make.
class NeedsRsiModel final : public PredictionModel {
 public:
  const std::string& id() const override { return id_; }
  const std::vector<std::string>& feature_names() const override { return names_; }
  Result<double> predict(const std::vector<double>&) const override { return 0.5; }

 private:
  std::string id_ = "rsi_model";
  std::vector<std::string> names_{"ma_spread", "rsi_14"};
};

TEST(PredictionService, ModelNeedingAMissingFeatureFailsCreate) {
  auto service = PredictionService::create(std::make_unique<NeedsRsiModel>(), "prob_price_up",
                                           kEngineFeatures);
  ASSERT_FALSE(service.is_ok());
  EXPECT_EQ(service.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service.status().message(),
            "model 'rsi_model' needs feature 'rsi_14', which the feature engine does not produce");

  auto momentum = PredictionService::create(std::make_unique<MomentumModel>("m1", 400.0),
                                            "prob_price_up", {"sma_fast", "sma_slow"});
  ASSERT_FALSE(momentum.is_ok());
  EXPECT_THAT(momentum.status().message(), HasSubstr("needs feature 'ma_spread'"));
}

class PredictionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = PredictionService::create(std::make_unique<MomentumModel>("momentum_v1", 400.0),
                                             "prob_price_up", kEngineFeatures);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    service_ = std::move(*created);
    service_->attach(bus_);
    bus_.subscribe<PredictionEvent>(
        [this](const PredictionEvent& e) { predictions_.push_back(e); });
    bus_.subscribe<SystemErrorEvent>([this](const SystemErrorEvent& e) { errors_.push_back(e); });
    bus_.subscribe<FeatureEvent>([this](const FeatureEvent& e) { features_.push_back(e); });
  }

  void publish_features(double ma_spread) {
    FeatureEvent event;
    event.meta.ts_event = timestamp_from_seconds(kJan1 + 60);
    event.instrument = InstrumentId("ETH/USD");
    event.features.names = names_;
    event.features.values = {2000.5, 1998.0, ma_spread, 0.001};
    bus_.publish(event);
    bus_.run_until_idle();
  }

  SimulatedClock clock_{timestamp_from_seconds(kJan1 + 90)};
  PubSubManager bus_{clock_};
  std::shared_ptr<const std::vector<std::string>> names_ =
      std::make_shared<const std::vector<std::string>>(kEngineFeatures);
  std::unique_ptr<PredictionService> service_;
  std::vector<PredictionEvent> predictions_;
  std::vector<SystemErrorEvent> errors_;
  std::vector<FeatureEvent> features_;
};

TEST_F(PredictionServiceTest, PublishesTheModelProbabilityForEachFeatureEvent) {
  publish_features(0.00125);
  ASSERT_EQ(predictions_.size(), 1u);
  ASSERT_EQ(features_.size(), 1u);
  const PredictionEvent& prediction = predictions_[0];
  EXPECT_EQ(prediction.instrument, InstrumentId("ETH/USD"));
  EXPECT_EQ(prediction.model_id, "momentum_v1");
  EXPECT_EQ(prediction.target, "prob_price_up");
  EXPECT_DOUBLE_EQ(prediction.value, logistic(400.0, 0.00125));
  ASSERT_TRUE(prediction.confidence.has_value());
  EXPECT_DOUBLE_EQ(*prediction.confidence, std::abs(prediction.value - 0.5) * 2.0);
  EXPECT_EQ(prediction.feature_event_sequence, features_[0].meta.sequence);
  EXPECT_EQ(prediction.meta.ts_event, features_[0].meta.ts_event);
  EXPECT_EQ(prediction.features, features_[0].features);
  EXPECT_TRUE(errors_.empty());
  EXPECT_EQ(service_->failures(), 0u);
}

TEST_F(PredictionServiceTest, NanInputIsAnErrorEventAndNoPrediction) {
  publish_features(std::numeric_limits<double>::quiet_NaN());
  EXPECT_TRUE(predictions_.empty());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].source, "prediction_service");
  EXPECT_THAT(errors_[0].message, HasSubstr("model 'momentum_v1' failed on ETH/USD"));
  EXPECT_THAT(errors_[0].message, HasSubstr("not a finite number"));
  EXPECT_EQ(service_->failures(), 1u);

  // The service keeps working for the next good vector.
  publish_features(-0.002);
  ASSERT_EQ(predictions_.size(), 1u);
  EXPECT_DOUBLE_EQ(predictions_[0].value, logistic(400.0, -0.002));
  EXPECT_EQ(errors_.size(), 1u);
}

TEST_F(PredictionServiceTest, ShortFeatureVectorIsAnErrorNotAPrediction) {
  FeatureEvent event;
  event.instrument = InstrumentId("ETH/USD");
  event.features.names = names_;
  event.features.values = {2000.5, 1998.0};  // ma_spread missing
  bus_.publish(event);
  bus_.run_until_idle();
  EXPECT_TRUE(predictions_.empty());
  EXPECT_EQ(errors_.size(), 1u);
  EXPECT_EQ(service_->failures(), 1u);
}

TEST(FeaturesToPrediction, EngineAndServiceWorkTogetherOnTheBus) {
  SimulatedClock clock(timestamp_from_seconds(kJan1));
  PubSubManager bus(clock);
  const config::FeaturesConfig config = small_windows();
  FeatureEngine engine(config);
  auto service = PredictionService::create(std::make_unique<MomentumModel>("m", 400.0),
                                           "prob_price_up", *engine.names());
  ASSERT_TRUE(service.is_ok());
  engine.attach(bus);
  (*service)->attach(bus);
  std::vector<PredictionEvent> predictions;
  bus.subscribe<PredictionEvent>([&](const PredictionEvent& e) { predictions.push_back(e); });

  const auto series = closes(12, 8);
  for (size_t i = 0; i < series.size(); ++i) {
    bus.publish(bar("BTC/USD", static_cast<int64_t>(i), series[i]));
  }
  bus.run_until_idle();
  ASSERT_EQ(predictions.size(), series.size() - 4);
  const Expected last = reference(series, series.size() - 1, config);
  EXPECT_NEAR(predictions.back().value, logistic(400.0, last.sma_fast / last.sma_slow - 1.0), 1e-9);
}

}  // namespace
}  // namespace galfriday
