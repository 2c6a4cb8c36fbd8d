#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../support/kraken_account.hpp"
#include "galfriday/strategy/strategy_arbitrator.hpp"

namespace galfriday {
namespace {

using ::testing::HasSubstr;

const InstrumentId kBtc("BTC/USD");
constexpr int64_t kStart = 1704067200;

class StrategyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const InstrumentSpec spec = galfriday::test::btc_usd_spec();
    ASSERT_TRUE(instruments_.add(spec).is_ok());
    portfolio_ =
        PortfolioManager::create(config::default_config().portfolio, instruments_, prices_, clock_)
            .value();
  }

  void start(const config::StrategyConfig& config) {
    strategy_ = std::make_unique<StrategyArbitrator>(config, instruments_, prices_, *portfolio_);
    strategy_->attach(bus_);
    portfolio_->attach(bus_);
    bus_.subscribe<TradeSignalProposedEvent>([this](const auto& e) { proposals_.push_back(e); });
    bus_.subscribe<ClosePositionCommand>([this](const auto& e) { closes_.push_back(e); });
  }

  void set_price(const char* close) {
    MarketDataOHLCVEvent bar;
    bar.instrument = kBtc;
    bar.close = bar.open = bar.high = bar.low = Price::parse(close, 1).value();
    bar.meta.ts_event = clock_.now();
    prices_.on_bar(bar);
  }

  void predict(double value, double atr = 500.0, double rsi = 50.0) {
    PredictionEvent prediction;
    prediction.instrument = kBtc;
    prediction.value = value;
    prediction.features = FeatureVector{names_, {atr, rsi}};
    bus_.publish(prediction);
    bus_.run_until_idle();
  }

  void buy_fill(const char* qty) {
    ExecutionReportEvent report;
    report.instrument = kBtc;
    report.client_order_id = ClientOrderId("o1");
    report.side = Side::kBuy;
    report.status = OrderStatus::kFilled;
    report.last_fill = Fill{TradeId("t" + std::to_string(++trades_)),
                            Price::parse("50000.0", 1).value(),
                            Quantity::parse(qty, 8).value(),
                            Money::parse("0", 5).value(),
                            "USD",
                            Liquidity::kTaker};
    bus_.publish(report);
    bus_.run_until_idle();
  }

  SimulatedClock clock_{timestamp_from_seconds(kStart)};
  PubSubManager bus_{clock_};
  InstrumentRegistry instruments_;
  MarketPriceService prices_{clock_, std::chrono::hours(1)};
  std::unique_ptr<PortfolioManager> portfolio_;
  std::unique_ptr<StrategyArbitrator> strategy_;
  std::shared_ptr<const std::vector<std::string>> names_ =
      std::make_shared<const std::vector<std::string>>(
          std::vector<std::string>{"atr_14", "rsi_14"});
  std::vector<TradeSignalProposedEvent> proposals_;
  std::vector<ClosePositionCommand> closes_;
  int trades_ = 0;
};

TEST_F(StrategyTest, EntersAtTheBuyThresholdWithPercentStopsOnTheTickGrid) {
  start(config::StrategyConfig{});
  set_price("50000.0");
  predict(0.64);
  EXPECT_TRUE(proposals_.empty());
  predict(0.65);
  ASSERT_EQ(proposals_.size(), 1u);
  const auto& signal = proposals_[0];
  EXPECT_EQ(signal.side, Side::kBuy);
  EXPECT_EQ(signal.entry_type, OrderType::kMarket);
  EXPECT_EQ(signal.stop_loss.to_string(), "49000.0");     // 2 % below
  EXPECT_EQ(signal.take_profit->to_string(), "52000.0");  // 4 % above
  // One entry at a time: a second strong prediction while the first is pending proposes nothing.
  predict(0.9);
  EXPECT_EQ(proposals_.size(), 1u);
}

TEST_F(StrategyTest, AtrStopsAreMultiplesOfTheAtrFeature) {
  config::StrategyConfig config;
  config.stop_mode = config::StopMode::kAtr;
  config.sl_atr_multiple = 1.5;
  config.tp_atr_multiple = 3.0;
  start(config);
  set_price("50000.0");
  predict(0.8, /*atr=*/123.45);
  ASSERT_EQ(proposals_.size(), 1u);
  // 1.5 × 123.45 = 185.175 -> 185.2 (never tighter); 3 × 123.45 = 370.35 -> 370.4.
  EXPECT_EQ(proposals_[0].stop_loss.to_string(), "49814.8");
  EXPECT_EQ(proposals_[0].take_profit->to_string(), "50370.4");
}

TEST_F(StrategyTest, NoAtrEstimateMeansNoEntry) {
  config::StrategyConfig config;
  config.stop_mode = config::StopMode::kAtr;
  start(config);
  set_price("50000.0");
  predict(0.8, /*atr=*/0.0);
  EXPECT_TRUE(proposals_.empty());
}

TEST_F(StrategyTest, ConfirmationRulesMustAllHold) {
  config::StrategyConfig config;
  config.confirmation_rules = {{"rsi_14", config::ConfirmationRule::Op::kLess, 70.0}};
  start(config);
  set_price("50000.0");
  predict(0.8, 500.0, /*rsi=*/75.0);
  EXPECT_TRUE(proposals_.empty());
  predict(0.8, 500.0, /*rsi=*/69.0);
  EXPECT_EQ(proposals_.size(), 1u);
}

TEST_F(StrategyTest, ExitsOnPredictionReversalOnce) {
  start(config::StrategyConfig{});
  set_price("50000.0");
  buy_fill("0.1");
  predict(0.5);
  EXPECT_TRUE(closes_.empty());
  predict(0.35);
  ASSERT_EQ(closes_.size(), 1u);
  EXPECT_EQ(closes_[0].instrument, kBtc);
  EXPECT_THAT(closes_[0].reason, HasSubstr("sell threshold"));
  predict(0.1);  // already asked to close
  EXPECT_EQ(closes_.size(), 1u);
  EXPECT_TRUE(proposals_.empty());
}

TEST_F(StrategyTest, TimeStopClosesAfterMaxHoldingBars) {
  config::StrategyConfig config;
  config.max_holding_bars = 3;
  start(config);
  set_price("50000.0");
  buy_fill("0.1");
  predict(0.6);
  predict(0.6);
  EXPECT_TRUE(closes_.empty());
  predict(0.6);
  ASSERT_EQ(closes_.size(), 1u);
  EXPECT_THAT(closes_[0].reason, HasSubstr("time stop"));
}

TEST_F(StrategyTest, RejectionStartsACooldown) {
  config::StrategyConfig config;
  config.cooldown_bars = 2;
  start(config);
  set_price("50000.0");
  predict(0.8);
  ASSERT_EQ(proposals_.size(), 1u);
  TradeSignalRejectedEvent rejected;
  rejected.signal_id = proposals_[0].signal_id;
  rejected.instrument = kBtc;
  bus_.publish(rejected);
  bus_.run_until_idle();
  predict(0.8);
  predict(0.8);
  EXPECT_EQ(proposals_.size(), 1u);
  predict(0.8);
  EXPECT_EQ(proposals_.size(), 2u);
  EXPECT_NE(proposals_[1].signal_id, proposals_[0].signal_id);
}

TEST(StrategyFeatures, MissingAtrOrRuleFeaturesAreStartupErrors) {
  config::StrategyConfig config;
  EXPECT_TRUE(StrategyArbitrator::check_features(config, {"rsi_14"}).is_ok());
  config.stop_mode = config::StopMode::kAtr;
  EXPECT_THAT(StrategyArbitrator::check_features(config, {"rsi_14"}).message(),
              HasSubstr("strategy.atr_feature 'atr_14' is not produced"));
  config.stop_mode = config::StopMode::kPercent;
  config.confirmation_rules = {{"volume_z", config::ConfirmationRule::Op::kGreater, 1.0}};
  EXPECT_THAT(StrategyArbitrator::check_features(config, {"rsi_14"}).message(),
              HasSubstr("feature 'volume_z' is not produced"));
}

}  // namespace
}  // namespace galfriday
