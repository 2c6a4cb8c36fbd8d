#include "galfriday/features/feature_engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/market/order_book.hpp"
#include "galfriday/prediction/prediction_service.hpp"

namespace galfriday {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kJan1 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr double kRelativeTolerance = 1e-9;

double logistic(double k, double x) { return 1.0 / (1.0 + std::exp(-k * x)); }

// The names of a ma_spread + returns engine with windows 3/5 and horizon 2.
const std::vector<std::string> kEngineFeatures = {"sma_3", "sma_5", "ma_spread_3_5", "return_2"};

// Deterministic irregular bars around 40 000 at one decimal, with highs, lows and volumes that
// vary, so every indicator sees real ranges.
std::vector<MarketDataOHLCVEvent> make_bars(size_t count, int64_t seed,
                                            const std::string& instrument = "BTC/USD") {
  std::vector<MarketDataOHLCVEvent> out;
  int64_t close = 400'000 + seed * 1'234;
  for (size_t i = 0; i < count; ++i) {
    const int64_t open = close;
    close += static_cast<int64_t>((i * 7919 + static_cast<size_t>(seed) * 104729) % 2011) - 1000;
    MarketDataOHLCVEvent bar;
    bar.instrument = InstrumentId(instrument);
    bar.interval = std::chrono::minutes(1);
    bar.bar_start = timestamp_from_seconds(kJan1 + 60 * static_cast<int64_t>(i));
    bar.meta.ts_event = bar.bar_start + bar.interval;
    bar.open = Price::from_raw(open, 1);
    bar.close = Price::from_raw(close, 1);
    bar.high = Price::from_raw(std::max(open, close) + static_cast<int64_t>((i * 31) % 97), 1);
    bar.low = Price::from_raw(std::min(open, close) - static_cast<int64_t>((i * 17) % 89), 1);
    bar.volume = Quantity::from_raw(100'000'000 + static_cast<int64_t>((i * 7703) % 50'000'000), 8);
    out.push_back(bar);
  }
  return out;
}

std::vector<double> closes_of(const std::vector<MarketDataOHLCVEvent>& bars) {
  std::vector<double> out;
  for (const auto& b : bars) out.push_back(b.close.to_double());
  return out;
}

// --- Textbook definitions, evaluated from scratch over the whole history ----------------------

double mean_of(const std::vector<double>& x, size_t end, int n) {
  double sum = 0;
  for (size_t i = end + 1 - static_cast<size_t>(n); i <= end; ++i) sum += x[i];
  return sum / n;
}

// EMA seeded with the SMA of its first n inputs, then e = e + 2/(n+1)·(x − e).
std::vector<double> ema_series(const std::vector<double>& x, int n) {
  std::vector<double> out(x.size(), NAN);
  if (x.size() < static_cast<size_t>(n)) return out;
  double e = mean_of(x, static_cast<size_t>(n) - 1, n);
  out[static_cast<size_t>(n) - 1] = e;
  for (size_t i = static_cast<size_t>(n); i < x.size(); ++i) {
    e = e + 2.0 / (n + 1.0) * (x[i] - e);
    out[i] = e;
  }
  return out;
}

// Wilder smoothing of a series: seed with the mean of the first n, then (a·(n−1) + x)/n.
double wilder_last(const std::vector<double>& x, int n) {
  double a = mean_of(x, static_cast<size_t>(n) - 1, n);
  for (size_t i = static_cast<size_t>(n); i < x.size(); ++i) a = (a * (n - 1) + x[i]) / n;
  return a;
}

double reference_rsi(const std::vector<double>& closes, int n) {
  std::vector<double> gains, losses;
  for (size_t i = 1; i < closes.size(); ++i) {
    const double d = closes[i] - closes[i - 1];
    gains.push_back(std::max(d, 0.0));
    losses.push_back(std::max(-d, 0.0));
  }
  const double g = wilder_last(gains, n), l = wilder_last(losses, n);
  return l == 0 ? (g == 0 ? 50.0 : 100.0) : 100.0 - 100.0 / (1.0 + g / l);
}

double reference_atr(const std::vector<MarketDataOHLCVEvent>& bars, int n) {
  std::vector<double> ranges;
  for (size_t i = 1; i < bars.size(); ++i) {
    const double h = bars[i].high.to_double(), l = bars[i].low.to_double(),
                 pc = bars[i - 1].close.to_double();
    ranges.push_back(std::max({h - l, std::abs(h - pc), std::abs(l - pc)}));
  }
  return wilder_last(ranges, n);
}

void expect_relatively_near(double actual, double expected, const std::string& what) {
  const double scale = std::max(std::abs(expected), 1e-12);
  EXPECT_LE(std::abs(actual - expected) / scale, kRelativeTolerance)
      << what << ": actual " << actual << " expected " << expected;
}

TEST(FeatureEngine, DefaultNamesCarryTheirParameters) {
  auto engine = FeatureEngine::create(config::FeaturesConfig{});
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_THAT(*(*engine)->names(),
              ElementsAre("sma_30", "sma_120", "ma_spread_30_120", "return_1", "return_5",
                          "return_15", "rsi_14", "macd_12_26_9", "macd_signal_12_26_9",
                          "macd_hist_12_26_9", "bb_pctb_20_2", "bb_width_20_2", "atr_14", "natr_14",
                          "roc_10", "volatility_30", "vwap_dev_20"));
  EXPECT_EQ((*engine)->warmup_bars(), 120);
}

TEST(FeatureEngine, NothingIsPublishedBeforeEveryIndicatorWarmsUp) {
  config::FeaturesConfig config;
  config.indicators = {"rsi", "macd"};
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  EXPECT_EQ((*engine)->warmup_bars(), 26 + 9 - 1);  // MACD: slow EMA, then 9 MACD values
  const auto bars = make_bars(40, 1);
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto features = (*engine)->update(bars[i]);
    EXPECT_EQ(features.has_value(), i + 1 >= 34) << "bar " << i;
  }
}

TEST(FeatureEngine, EveryIndicatorMatchesItsTextbookDefinition) {
  const auto bars = make_bars(400, 3);
  auto engine = FeatureEngine::create(config::FeaturesConfig{});
  ASSERT_TRUE(engine.is_ok());
  std::vector<MarketDataOHLCVEvent> seen;
  int checked = 0;
  for (const auto& bar : bars) {
    seen.push_back(bar);
    const auto features = (*engine)->update(bar);
    if (!features) continue;
    // Check every 37th vector and the last: the reference recomputes from scratch each time.
    if (seen.size() % 37 != 0 && seen.size() != bars.size()) continue;
    ++checked;
    const auto c = closes_of(seen);
    const size_t t = c.size() - 1;
    const std::string at = " at bar " + std::to_string(t);
    const auto get = [&](const std::string& name) { return features->get(name).value(); };

    expect_relatively_near(get("sma_30"), mean_of(c, t, 30), "sma_30" + at);
    expect_relatively_near(get("sma_120"), mean_of(c, t, 120), "sma_120" + at);
    expect_relatively_near(get("ma_spread_30_120") + 1.0, mean_of(c, t, 30) / mean_of(c, t, 120),
                           "ma_spread" + at);
    for (int h : {1, 5, 15}) {
      expect_relatively_near(get("return_" + std::to_string(h)) + 1.0,
                             c[t] / c[t - static_cast<size_t>(h)], "return" + at);
    }
    expect_relatively_near(get("rsi_14"), reference_rsi(c, 14), "rsi_14" + at);

    const auto fast = ema_series(c, 12), slow = ema_series(c, 26);
    std::vector<double> line;
    for (size_t i = 25; i < c.size(); ++i) line.push_back(fast[i] - slow[i]);
    const auto signal = ema_series(line, 9);
    expect_relatively_near(get("macd_12_26_9"), line.back(), "macd" + at);
    expect_relatively_near(get("macd_signal_12_26_9"), signal.back(), "macd_signal" + at);
    expect_relatively_near(get("macd_hist_12_26_9"), line.back() - signal.back(), "macd_hist" + at);

    const double middle = mean_of(c, t, 20);
    double squares = 0;
    for (size_t i = t - 19; i <= t; ++i) squares += (c[i] - middle) * (c[i] - middle);
    const double sd = std::sqrt(squares / 20);  // population stddev, as TA-Lib
    const double lower = middle - 2 * sd, upper = middle + 2 * sd;
    expect_relatively_near(get("bb_pctb_20_2"), (c[t] - lower) / (upper - lower), "bb_pctb" + at);
    expect_relatively_near(get("bb_width_20_2"), (upper - lower) / middle, "bb_width" + at);

    const double atr = reference_atr(seen, 14);
    expect_relatively_near(get("atr_14"), atr, "atr" + at);
    expect_relatively_near(get("natr_14"), atr / c[t] * 100.0, "natr" + at);
    expect_relatively_near(get("roc_10"), (c[t] / c[t - 10] - 1.0) * 100.0, "roc" + at);

    std::vector<double> log_returns;
    for (size_t i = t - 29; i <= t; ++i) log_returns.push_back(std::log(c[i] / c[i - 1]));
    double lr_mean = 0;
    for (double r : log_returns) lr_mean += r;
    lr_mean /= 30;
    double lr_squares = 0;
    for (double r : log_returns) lr_squares += (r - lr_mean) * (r - lr_mean);
    expect_relatively_near(get("volatility_30"), std::sqrt(lr_squares / 29), "volatility" + at);

    double pv = 0, v = 0;
    for (size_t i = t - 19; i <= t; ++i) {
      const double typical = (seen[i].high.to_double() + seen[i].low.to_double() + c[i]) / 3.0;
      pv += typical * seen[i].volume.to_double();
      v += seen[i].volume.to_double();
    }
    expect_relatively_near(get("vwap_dev_20") + 1.0, c[t] / (pv / v), "vwap_dev" + at);
  }
  EXPECT_GE(checked, 5);
}

TEST(FeatureEngine, RsiOfAFlatSeriesIsFiftyAndOfARisingOneIsHundred) {
  config::FeaturesConfig config;
  config.indicators = {"rsi"};
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  auto bars = make_bars(20, 2);
  for (size_t i = 0; i < bars.size(); ++i)
    bars[i].close = bars[i].open = Price::from_raw(400000, 1);
  std::optional<FeatureVector> last;
  for (const auto& b : bars) last = (*engine)->update(b);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->get("rsi_14"), 50.0);

  auto rising = make_bars(20, 2, "ETH/USD");
  for (size_t i = 0; i < rising.size(); ++i)
    rising[i].close = Price::from_raw(400000 + 10 * static_cast<int64_t>(i), 1);
  for (const auto& b : rising) last = (*engine)->update(b);
  EXPECT_EQ(last->get("rsi_14"), 100.0);
}

TEST(FeatureEngine, PairsKeepIndependentState) {
  config::FeaturesConfig config;
  config.indicators = {"ma_spread", "rsi"};
  config.fast_window = 3;
  config.slow_window = 5;
  auto together = FeatureEngine::create(config);
  auto btc_alone = FeatureEngine::create(config);
  ASSERT_TRUE(together.is_ok() && btc_alone.is_ok());
  const auto btc = make_bars(30, 4, "BTC/USD");
  const auto eth = make_bars(30, 9, "ETH/USD");
  for (size_t i = 0; i < btc.size(); ++i) {
    const auto mixed = (*together)->update(btc[i]);
    (*together)->update(eth[i]);
    const auto alone = (*btc_alone)->update(btc[i]);
    ASSERT_EQ(mixed.has_value(), alone.has_value());
    if (mixed) {
      EXPECT_EQ(mixed->values, alone->values) << "bar " << i;
    }
  }
}

TEST(FeatureEngine, PublishesFeatureEventsWithTheBarCloseTime) {
  SimulatedClock clock(timestamp_from_seconds(kJan1));
  PubSubManager bus(clock);
  config::FeaturesConfig config;
  config.indicators = {"returns"};
  config.return_horizons = {2};
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  (*engine)->attach(bus);
  std::vector<FeatureEvent> events;
  bus.subscribe<FeatureEvent>([&](const FeatureEvent& e) { events.push_back(e); });
  const auto bars = make_bars(6, 5);
  for (const auto& b : bars) bus.publish(b);
  bus.run_until_idle();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].meta.ts_event, bars[2].meta.ts_event);
  EXPECT_EQ(events[0].features.names, (*engine)->names());
  EXPECT_EQ(events[0].features.get("return_2"),
            bars[2].close.to_double() / bars[0].close.to_double() - 1.0);
}

TEST(FeatureEngine, UnknownOrDuplicateIndicatorsAreErrors) {
  config::FeaturesConfig config;
  config.indicators = {"rsi", "stochastic"};
  auto unknown = FeatureEngine::create(config);
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown indicator 'stochastic'"));
  config.indicators = {"rsi", "rsi"};
  auto twice = FeatureEngine::create(config);
  ASSERT_FALSE(twice.is_ok());
  EXPECT_THAT(twice.status().message(), HasSubstr("'rsi_14' is produced twice"));
}

TEST(RollingWindow, VarianceKeepsItsPrecisionAtLargePricesOverLongRuns) {
  features::RollingWindow window(20);
  std::vector<double> values;
  for (int i = 0; i < 100000; ++i) {
    const double v = 65000.0 + std::sin(i * 0.37) * 12.5 + (i % 7) * 0.1;
    window.add(v);
    values.push_back(v);
  }
  double mean = 0;
  for (size_t i = values.size() - 20; i < values.size(); ++i) mean += values[i];
  mean /= 20;
  double squares = 0;
  for (size_t i = values.size() - 20; i < values.size(); ++i)
    squares += (values[i] - mean) * (values[i] - mean);
  expect_relatively_near(window.mean(), mean, "mean");
  expect_relatively_near(window.population_variance(), squares / 20, "variance");
}

TEST(MomentumModel, ProbabilityIsLogisticOfTheSpread) {
  const MomentumModel model("m1", 400.0, "ma_spread_3_5");
  EXPECT_EQ(model.id(), "m1");
  EXPECT_THAT(model.feature_names(), ElementsAre("ma_spread_3_5"));
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
  const MomentumModel model("m1", 400.0, "ma_spread_3_5");
  EXPECT_EQ(model.predict({std::numeric_limits<double>::quiet_NaN()}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(model.predict({std::numeric_limits<double>::infinity()}).is_ok());
  EXPECT_FALSE(model.predict({}).is_ok());
  EXPECT_FALSE(model.predict({0.1, 0.2}).is_ok());
}

TEST(PredictionModelFactory, BuildsMomentumAndRejectsUnknownTypes) {
  config::PredictionConfig config;
  config.momentum_sensitivity = 250.0;
  auto model = make_model(config, config::FeaturesConfig{});
  ASSERT_TRUE(model.is_ok());
  EXPECT_EQ((*model)->id(), "momentum_v1");
  EXPECT_THAT((*model)->feature_names(), ElementsAre("ma_spread_30_120"));
  EXPECT_DOUBLE_EQ(*(*model)->predict({0.002}), logistic(250.0, 0.002));

  config.model_type = "lstm";
  auto unknown = make_model(config, config::FeaturesConfig{});
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("'lstm' is not supported"));

  config.model_type = "xgboost";
  config.model_path = "/nonexistent/model.json";
  auto missing = make_model(config, config::FeaturesConfig{});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("prediction.model_path /nonexistent/model.json"));
}

// A model that reads a feature the engine does not make.
class NeedsRsiModel final : public PredictionModel {
 public:
  const std::string& id() const override { return id_; }
  const std::vector<std::string>& feature_names() const override { return names_; }
  Result<double> predict(const std::vector<double>&) const override { return 0.5; }

 private:
  std::string id_ = "rsi_model";
  std::vector<std::string> names_{"ma_spread_3_5", "rsi_14"};
};

TEST(PredictionService, ModelNeedingAMissingFeatureFailsCreate) {
  auto service = PredictionService::create(std::make_unique<NeedsRsiModel>(), "prob_price_up",
                                           kEngineFeatures);
  ASSERT_FALSE(service.is_ok());
  EXPECT_EQ(service.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service.status().message(),
            "model 'rsi_model' needs feature 'rsi_14', which the feature engine does not produce");

  auto momentum =
      PredictionService::create(std::make_unique<MomentumModel>("m1", 400.0, "ma_spread_3_5"),
                                "prob_price_up", {"sma_3", "sma_5"});
  ASSERT_FALSE(momentum.is_ok());
  EXPECT_THAT(momentum.status().message(), HasSubstr("needs feature 'ma_spread_3_5'"));
}

class PredictionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = PredictionService::create(
        std::make_unique<MomentumModel>("momentum_v1", 400.0, "ma_spread_3_5"), "prob_price_up",
        kEngineFeatures);
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
  config::FeaturesConfig config;
  config.indicators = {"ma_spread"};
  config.fast_window = 3;
  config.slow_window = 5;
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  auto service =
      PredictionService::create(std::make_unique<MomentumModel>("m", 400.0, "ma_spread_3_5"),
                                "prob_price_up", *(*engine)->names());
  ASSERT_TRUE(service.is_ok());
  (*engine)->attach(bus);
  (*service)->attach(bus);
  std::vector<PredictionEvent> predictions;
  bus.subscribe<PredictionEvent>([&](const PredictionEvent& e) { predictions.push_back(e); });

  const auto bars = make_bars(12, 8);
  for (const auto& b : bars) bus.publish(b);
  bus.run_until_idle();
  ASSERT_EQ(predictions.size(), bars.size() - 4);
  const auto closes = closes_of(bars);
  const double spread =
      mean_of(closes, closes.size() - 1, 3) / mean_of(closes, closes.size() - 1, 5) - 1.0;
  EXPECT_NEAR(predictions.back().value, logistic(400.0, spread), 1e-9);
}

// --- Trade and book features ------------------------------------------------------------------

// The book after each message of a real Kraken recording (BTC/USD, depth 10), as the feed
// publishes it: decoded by WsDecoder, applied to an OrderBook, checksum verified, to_event().
std::vector<MarketDataL2Event> real_book_events(size_t levels) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/ws_v2_book_snapshot_and_updates.jsonl");
  EXPECT_TRUE(in.is_open());
  kraken::WsDecoder decoder;
  auto book = OrderBook::create(InstrumentId("BTC/USD"), 1, 8, 10).value();
  std::vector<MarketDataL2Event> events;
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto message = decoder.decode(line);
    EXPECT_TRUE(message.is_ok()) << message.status().to_string();
    const auto& m = std::get<kraken::BookMessage>(*message);
    const Status applied =
        m.is_snapshot ? book.apply_snapshot(m.bids, m.asks) : book.apply_update(m.bids, m.asks);
    EXPECT_TRUE(applied.is_ok()) << applied.to_string();
    EXPECT_TRUE(book.verify(m.checksum).is_ok());
    EventMeta meta;
    meta.ts_event = m.timestamp.value_or(timestamp_from_seconds(kJan1 + n));
    events.push_back(book.to_event(levels, meta, m.is_snapshot, m.checksum));
    ++n;
  }
  return events;
}

// Decimal text to long double, independent of FixedPoint.
long double decimal(const std::string& text) { return std::strtold(text.c_str(), nullptr); }

struct BookReference {
  long double mid, spread, spread_rel, microprice, imbalance, bid_depth, ask_depth;
};

BookReference reference_book(const MarketDataL2Event& e, size_t levels) {
  const long double bid = decimal(e.bids[0].price.to_string());
  const long double ask = decimal(e.asks[0].price.to_string());
  const long double bq = decimal(e.bids[0].qty.to_string());
  const long double aq = decimal(e.asks[0].qty.to_string());
  long double b = 0, a = 0;
  for (size_t i = 0; i < levels && i < e.bids.size(); ++i) b += decimal(e.bids[i].qty.to_string());
  for (size_t i = 0; i < levels && i < e.asks.size(); ++i) a += decimal(e.asks[i].qty.to_string());
  const long double mid = (bid + ask) / 2;
  return {mid, ask - bid, (ask - bid) / mid, (bid * aq + ask * bq) / (bq + aq), (b - a) / (b + a),
          b,   a};
}

class BookFeatureLevels : public ::testing::TestWithParam<int> {};

TEST_P(BookFeatureLevels, MatchReferenceOnRealKrakenBook) {
  const int levels = GetParam();
  config::FeaturesConfig config;
  config.indicators = {"book"};
  config.book_levels = levels;
  config.emit_on_book_update = true;
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  const std::string n = std::to_string(levels);
  EXPECT_THAT(*(*engine)->names(),
              ElementsAre("book_mid", "book_spread", "book_spread_rel", "book_microprice",
                          "book_imbalance_" + n, "book_bid_depth_" + n, "book_ask_depth_" + n));
  const auto events = real_book_events(10);
  ASSERT_GE(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    auto vector = (*engine)->update_book(events[i]);
    ASSERT_TRUE(vector.has_value()) << "event " << i;
    const auto r = reference_book(events[i], static_cast<size_t>(levels));
    const std::vector<long double> expected = {r.mid,       r.spread,    r.spread_rel, r.microprice,
                                               r.imbalance, r.bid_depth, r.ask_depth};
    ASSERT_EQ(vector->values.size(), expected.size());
    for (size_t f = 0; f < expected.size(); ++f) {
      expect_relatively_near(vector->values[f], static_cast<double>(expected[f]),
                             (*vector->names)[f] + " at event " + std::to_string(i));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, BookFeatureLevels, ::testing::Values(1, 5, 10, 25));

TEST(BookFeatures, OneSidedBookPublishesNothingAndPerUpdateEmissionIsOptional) {
  config::FeaturesConfig config;
  config.indicators = {"book"};
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  auto events = real_book_events(10);
  // Without emit_on_book_update a book event only updates state.
  EXPECT_FALSE((*engine)->update_book(events[0]).has_value());

  config.emit_on_book_update = true;
  auto emitting = FeatureEngine::create(config);
  ASSERT_TRUE(emitting.is_ok());
  MarketDataL2Event one_sided = events[0];
  one_sided.asks.clear();
  EXPECT_FALSE((*emitting)->update_book(one_sided).has_value());  // not warmed up
  EXPECT_TRUE((*emitting)->update_book(events[0]).has_value());
  EXPECT_FALSE((*emitting)->update_book(one_sided).has_value());  // no mid: nothing published
  EXPECT_EQ((*emitting)->non_finite(), 1u);
}

struct SyntheticTrade {
  int64_t time_ms;
  int64_t price_raw;  // precision 1
  int64_t qty_raw;    // precision 8
  bool buy;
};

std::vector<SyntheticTrade> synthetic_trades(size_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<SyntheticTrade> out;
  int64_t time_ms = kJan1 * 1000;
  int64_t price = 400'000;
  for (size_t i = 0; i < count; ++i) {
    // Bursts and gaps: mostly sub-second, sometimes a quiet minute and a half.
    time_ms += random() % 10 == 0 ? 90'000 : static_cast<int64_t>(random() % 1500);
    price += static_cast<int64_t>(random() % 41) - 20;
    out.push_back(
        {time_ms, price, 1 + static_cast<int64_t>(random() % 300'000'000), random() % 2 == 0});
  }
  return out;
}

MarketDataTradeEvent trade_event(const SyntheticTrade& t, const std::string& instrument) {
  MarketDataTradeEvent e;
  e.instrument = InstrumentId(instrument);
  e.meta.ts_event = Timestamp(std::chrono::milliseconds(t.time_ms));
  e.price = Price::from_raw(t.price_raw, 1);
  e.qty = Quantity::from_raw(t.qty_raw, 8);
  e.aggressor = t.buy ? Side::kBuy : Side::kSell;
  return e;
}

TEST(TradeFeatures, MatchBruteForceWindowsAtEveryBarClose) {
  constexpr int kWindowSeconds = 60;
  config::FeaturesConfig config;
  config.indicators = {"trades"};
  config.trade_window_seconds = kWindowSeconds;
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  EXPECT_THAT(*(*engine)->names(),
              ElementsAre("trade_vwap_60s", "trade_net_volume_60s", "trade_count_60s"));
  const auto trades = synthetic_trades(5000, 11);
  const int64_t first_ms = trades.front().time_ms;
  size_t next = 0;
  int published = 0, empty_windows = 0;
  for (int64_t close_ms = (first_ms / 30'000 + 1) * 30'000; close_ms <= trades.back().time_ms;
       close_ms += 30'000) {
    while (next < trades.size() && trades[next].time_ms <= close_ms) {
      (*engine)->update_trade(trade_event(trades[next++], "BTC/USD"));
    }
    MarketDataOHLCVEvent bar;
    bar.instrument = InstrumentId("BTC/USD");
    bar.meta.ts_event = Timestamp(std::chrono::milliseconds(close_ms));
    auto vector = (*engine)->update(bar);
    if (close_ms - first_ms < kWindowSeconds * 1000) {
      EXPECT_FALSE(vector.has_value()) << "published during warm-up at " << close_ms;
      continue;
    }
    ASSERT_TRUE(vector.has_value()) << close_ms;
    ++published;
    // Brute force over every trade in (close - window, close].
    long double pq = 0, q = 0, net = 0;
    double count = 0, last_price = 0;
    for (size_t i = 0; i < next; ++i) {
      last_price = static_cast<double>(trades[i].price_raw) / 10.0;
      if (trades[i].time_ms <= close_ms - kWindowSeconds * 1000) continue;
      const long double price = static_cast<long double>(trades[i].price_raw) / 10;
      const long double qty = static_cast<long double>(trades[i].qty_raw) / 1e8L;
      pq += price * qty;
      q += qty;
      net += trades[i].buy ? qty : -qty;
      ++count;
    }
    if (count == 0) ++empty_windows;
    const double vwap = count == 0 ? last_price : static_cast<double>(pq / q);
    expect_relatively_near(vector->values[0], vwap, "trade_vwap at " + std::to_string(close_ms));
    expect_relatively_near(vector->values[1], static_cast<double>(net),
                           "trade_net_volume at " + std::to_string(close_ms));
    EXPECT_EQ(vector->values[2], count) << close_ms;
  }
  EXPECT_GT(published, 100);
  EXPECT_GT(empty_windows, 0);  // the quiet gaps exercise the empty-window rule
}

TEST(TradeAndBookFeatures, BarVectorCarriesTheLatestTradeAndBookValuesPerPair) {
  config::FeaturesConfig config;
  config.indicators = {"returns", "trades", "book"};
  config.return_horizons = {1};
  config.trade_window_seconds = 1;
  config.book_levels = 2;
  auto engine = FeatureEngine::create(config);
  ASSERT_TRUE(engine.is_ok());
  SimulatedClock clock(timestamp_from_seconds(kJan1));
  PubSubManager bus(clock);
  (*engine)->attach(bus);
  std::vector<FeatureEvent> published;
  bus.subscribe<FeatureEvent>([&](const FeatureEvent& e) { published.push_back(e); });

  const auto bars = make_bars(4, 3);
  auto book = real_book_events(10)[2];
  book.instrument = InstrumentId("BTC/USD");
  book.meta.ts_event = bars[0].meta.ts_event;
  // Another pair's trade must not reach BTC/USD's state.
  auto other = trade_event({(kJan1 + 30) * 1000, 10, 100'000'000, true}, "ETH/USD");
  auto trade = trade_event({(kJan1 + 30) * 1000, 400'123, 50'000'000, false}, "BTC/USD");
  bus.publish(other);
  bus.publish(trade);
  bus.publish(book);
  for (const auto& b : bars) bus.publish(b);
  bus.run_until_idle();
  ASSERT_EQ(published.size(), 3u);  // the first bar has no return_1 yet
  const FeatureVector& v = published.back().features;
  const auto r = reference_book(book, 2);
  expect_relatively_near(*v.get("book_microprice"), static_cast<double>(r.microprice), "micro");
  expect_relatively_near(*v.get("book_imbalance_2"), static_cast<double>(r.imbalance), "imb");
  // The trade left the 1 s window long before the last bar closed: the VWAP falls back to its
  // price and the window is empty.
  EXPECT_EQ(*v.get("trade_vwap_1s"), 40012.3);
  EXPECT_EQ(*v.get("trade_count_1s"), 0.0);
  EXPECT_EQ(*v.get("trade_net_volume_1s"), 0.0);
}

TEST(TradeAndBookFeatures, ConfigErrorsAreNamed) {
  config::FeaturesConfig config;
  config.indicators = {"trades"};
  config.trade_window_seconds = 0;
  auto engine = FeatureEngine::create(config);
  ASSERT_FALSE(engine.is_ok());
  EXPECT_THAT(engine.status().message(), HasSubstr("trade_window_seconds"));
  config.indicators = {"book", "book"};
  engine = FeatureEngine::create(config);
  ASSERT_FALSE(engine.is_ok());
  EXPECT_THAT(engine.status().message(), HasSubstr("book_mid"));
}

}  // namespace
}  // namespace galfriday
