#include "galfriday/risk/risk_manager.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace galfriday {

// Fixed-point values print as their exact decimal text in failure messages.
template <typename Tag>
void PrintTo(const FixedPoint<Tag>& value, std::ostream* os) {
  *os << value.to_string();
}

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kMonday = 1704067200;  // 2024-01-01T00:00:00Z, a Monday
constexpr int64_t kDay = 86400;

const InstrumentId kBtc{"BTC/USD"};
const InstrumentId kEth{"ETH/USD"};

Price btc_price(const std::string& text) { return Price::parse(text, 1).value(); }
Price eth_price(const std::string& text) { return Price::parse(text, 2).value(); }
Quantity qty(const std::string& text) { return Quantity::parse(text, 8).value(); }
Money usd(const std::string& text) { return Money::parse(text, 5).value(); }

InstrumentSpec spec(const std::string& symbol, const std::string& base, int price_precision,
                    const std::string& ordermin, const std::string& tick) {
  InstrumentSpec s;
  s.id = InstrumentId(symbol);
  s.altname = base + "USD";
  s.base = base;
  s.quote = "USD";
  s.price_precision = price_precision;
  s.qty_precision = 8;
  s.cost_precision = 5;
  s.ordermin = Quantity::parse(ordermin, 8).value();
  s.costmin = Money::parse("0.5", 5).value();
  s.tick_size = Price::parse(tick, price_precision).value();
  return s;
}

config::RiskConfig default_risk() { return config::default_config().risk; }

class RiskManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(instruments_.add(spec("BTC/USD", "BTC", 1, "0.0001", "0.1")).is_ok());
    ASSERT_TRUE(instruments_.add(spec("ETH/USD", "ETH", 2, "0.002", "0.01")).is_ok());
    auto created =
        PortfolioManager::create(config::default_config().portfolio, instruments_, prices_, clock_);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    portfolio_ = std::move(*created);
  }

  // A closed bar at the current time makes `close` the pair's market price; the portfolio
  // revalues, as it does on every bar.
  void set_price(const InstrumentId& id, Price close) {
    MarketDataOHLCVEvent bar;
    bar.meta.ts_event = clock_.now();
    bar.instrument = id;
    bar.bar_start = clock_.now() - std::chrono::minutes(1);
    bar.interval = std::chrono::minutes(1);
    bar.open = bar.high = bar.low = bar.close = close;
    prices_.on_bar(bar);
    portfolio_->mark_to_market();
  }

  void fill(const InstrumentId& id, Side side, Price price, Quantity quantity, Money fee) {
    ExecutionReportEvent report;
    report.meta.ts_event = clock_.now();
    report.instrument = id;
    report.client_order_id = ClientOrderId("order-" + std::to_string(next_trade_));
    report.side = side;
    report.status = OrderStatus::kFilled;
    report.quantity_ordered = quantity;
    report.quantity_filled = quantity;
    report.last_fill = Fill{TradeId("T" + std::to_string(next_trade_++)),
                            price,
                            quantity,
                            fee,
                            "USD",
                            Liquidity::kTaker};
    const Status status = portfolio_->apply(report);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
  }

  void advance_to(int64_t unix_seconds) { clock_.advance_to(timestamp_from_seconds(unix_seconds)); }

  static TradeSignalProposedEvent market_buy(const InstrumentId& id, Price stop,
                                             std::optional<Price> take_profit = std::nullopt) {
    TradeSignalProposedEvent signal;
    signal.signal_id = SignalId("sig-1");
    signal.instrument = id;
    signal.strategy_id = "test";
    signal.side = Side::kBuy;
    signal.entry_type = OrderType::kMarket;
    signal.stop_loss = stop;
    signal.take_profit = take_profit;
    return signal;
  }

  static TradeSignalProposedEvent limit_buy(const InstrumentId& id, Price limit, Price stop) {
    TradeSignalProposedEvent signal = market_buy(id, stop);
    signal.entry_type = OrderType::kLimit;
    signal.limit_price = limit;
    return signal;
  }

  RiskManager risk_manager(const config::RiskConfig& risk = default_risk()) {
    return RiskManager(risk, config::default_config().execution, instruments_, prices_,
                       *portfolio_);
  }

  // The approval of a signal that must pass.
  TradeSignalApprovedEvent approve(const RiskManager& risk,
                                   const TradeSignalProposedEvent& signal) {
    auto decision = risk.evaluate(signal);
    if (const auto* rejected = std::get_if<TradeSignalRejectedEvent>(&decision)) {
      ADD_FAILURE() << "rejected (" << to_string(rejected->reason) << "): " << rejected->message;
      return {};
    }
    return std::get<TradeSignalApprovedEvent>(decision);
  }

  // The rejection of a signal that must fail.
  TradeSignalRejectedEvent reject(const RiskManager& risk, const TradeSignalProposedEvent& signal) {
    auto decision = risk.evaluate(signal);
    if (const auto* approved = std::get_if<TradeSignalApprovedEvent>(&decision)) {
      ADD_FAILURE() << "approved " << approved->quantity.to_string();
      return {};
    }
    return std::get<TradeSignalRejectedEvent>(decision);
  }

  SimulatedClock clock_{timestamp_from_seconds(kMonday + 12 * 3600)};
  InstrumentRegistry instruments_;
  MarketPriceService prices_{clock_, std::chrono::hours(1)};
  std::unique_ptr<PortfolioManager> portfolio_;
  int next_trade_ = 1;
};

// --- Sizing: each cap binding in turn (hand-computed) ------------------------------------------

TEST_F(RiskManagerTest, SizesByRiskPerTradeWhenNoCapBinds) {
  set_price(kBtc, btc_price("50000.0"));
  const RiskManager risk = risk_manager();
  // 100000 × 0.5 % = 500 at risk; stop distance 50000.0 − 47123.4 = 2876.6;
  // 500 / 2876.6 = 0.173816310... -> 0.17381631 BTC (8690.8155 USD, under every cap).
  TradeSignalProposedEvent signal = market_buy(kBtc, btc_price("47123.4"), btc_price("55000.0"));
  signal.meta.ts_event = clock_.now();
  const TradeSignalApprovedEvent approved = approve(risk, signal);
  EXPECT_EQ(approved.quantity, qty("0.17381631"));
  EXPECT_EQ(approved.quantity.precision(), 8);
  // 2876.6 × 0.17381631 = 499.999997... at cost precision.
  EXPECT_EQ(approved.risk_amount.to_string(), "500.00000");
  EXPECT_EQ(approved.signal_id, SignalId("sig-1"));
  EXPECT_EQ(approved.instrument, kBtc);
  EXPECT_EQ(approved.strategy_id, "test");
  EXPECT_EQ(approved.order_type, OrderType::kMarket);
  EXPECT_EQ(approved.stop_loss, btc_price("47123.4"));
  EXPECT_EQ(approved.take_profit, btc_price("55000.0"));
  EXPECT_FALSE(approved.limit_price.has_value());
  EXPECT_EQ(approved.meta.ts_event, clock_.now());
}

TEST_F(RiskManagerTest, MaxOrderValueCapsTheSize) {
  set_price(kBtc, btc_price("43210.7"));
  config::RiskConfig config = default_risk();
  config.max_order_value = usd("7000");  // below the 10 % pair limit (10000)
  const RiskManager risk = risk_manager(config);
  // Risk alone: 500 / 1210.7 = 0.41298 BTC (17845 USD). Cap: 7000 / 43210.7 = 0.16199691.
  const TradeSignalApprovedEvent approved = approve(risk, market_buy(kBtc, btc_price("42000.0")));
  EXPECT_EQ(approved.quantity, qty("0.16199691"));
  EXPECT_EQ(approved.risk_amount, usd("196.12966"));
}

TEST_F(RiskManagerTest, PerPairExposureCapsTheSize) {
  set_price(kBtc, btc_price("43210.7"));
  config::RiskConfig config = default_risk();
  config.max_order_value = usd("1000000");
  const RiskManager risk = risk_manager(config);
  // 10 % of 100000 = 10000; 10000 / 43210.7 = 0.23142416 (the 25 % total allows 25000).
  const TradeSignalApprovedEvent approved = approve(risk, market_buy(kBtc, btc_price("42000.0")));
  EXPECT_EQ(approved.quantity, qty("0.23142416"));
  EXPECT_EQ(approved.risk_amount, usd("280.18523"));
}

TEST_F(RiskManagerTest, TotalExposureCapsTheSize) {
  set_price(kEth, eth_price("2000.00"));
  fill(kEth, Side::kBuy, eth_price("2000.00"), qty("10"), usd("52.00000"));
  set_price(kBtc, btc_price("43210.7"));
  ASSERT_EQ(portfolio_->equity(), usd("99948"));
  const RiskManager risk = risk_manager();
  // Equity 99948: the pair allows 9994.8, the total 24987 − 20000 of ETH = 4987;
  // 4987 / 43210.7 = 0.11541122 BTC.
  const TradeSignalApprovedEvent approved = approve(risk, market_buy(kBtc, btc_price("42000.0")));
  EXPECT_EQ(approved.quantity, qty("0.11541122"));
  EXPECT_EQ(approved.risk_amount, usd("139.72836"));
}

TEST_F(RiskManagerTest, CashIncludingTheTakerFeeCapsTheSize) {
  set_price(kEth, eth_price("2000.00"));
  fill(kEth, Side::kBuy, eth_price("2000.00"), qty("45"), usd("234.00000"));
  set_price(kBtc, btc_price("43210.7"));
  ASSERT_EQ(portfolio_->cash(), usd("9766"));
  config::RiskConfig config = default_risk();
  config.max_order_value = usd("1000000");
  config.max_exposure_per_pair_pct = 100.0;
  config.max_total_exposure_pct = 100.0;
  const RiskManager risk = risk_manager(config);
  // Cash 9766 must pay cost × 1.0026: 9766 / 1.0026 = 9740.67424695 -> 0.22542273 BTC.
  const TradeSignalApprovedEvent approved = approve(risk, market_buy(kBtc, btc_price("42000.0")));
  EXPECT_EQ(approved.quantity, qty("0.22542273"));
  EXPECT_EQ(approved.risk_amount, usd("272.91930"));
  // Cost plus the 0.26 % fee fits in the cash that is left.
  const Money cost = notional(btc_price("43210.7"), approved.quantity, 5, Rounding::kHalfEven);
  const Money fee = cost.scaled(2600, 1'000'000, 5, Rounding::kAwayFromZero);
  EXPECT_LE(cost + fee, portfolio_->cash());
}

TEST_F(RiskManagerTest, LimitEntrySizesFromTheLimitPrice) {
  set_price(kBtc, btc_price("50000.0"));
  const RiskManager risk = risk_manager();
  // Entry 49000.0, stop 46500.0: 500 / 2500 = 0.2 BTC = 9800 USD, under every cap.
  const TradeSignalApprovedEvent approved =
      approve(risk, limit_buy(kBtc, btc_price("49000.0"), btc_price("46500.0")));
  EXPECT_EQ(approved.quantity, qty("0.2"));
  EXPECT_EQ(approved.order_type, OrderType::kLimit);
  EXPECT_EQ(approved.limit_price, btc_price("49000.0"));
  EXPECT_EQ(approved.risk_amount, usd("500"));
}

TEST_F(RiskManagerTest, PublishesDecisionsOnTheBusAndCountsThem) {
  PubSubManager bus(clock_);
  RiskManager risk = risk_manager();
  risk.attach(bus);
  std::vector<TradeSignalApprovedEvent> approved;
  std::vector<TradeSignalRejectedEvent> rejected;
  bus.subscribe<TradeSignalApprovedEvent>([&](const auto& e) { approved.push_back(e); });
  bus.subscribe<TradeSignalRejectedEvent>([&](const auto& e) { rejected.push_back(e); });
  set_price(kBtc, btc_price("50000.0"));
  bus.publish(market_buy(kBtc, btc_price("47123.4")));
  bus.publish(market_buy(kEth, eth_price("1900.00")));  // no ETH price yet
  bus.run_until_idle();
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(approved[0].quantity, qty("0.17381631"));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].reason, RejectReason::kNoMarketPrice);
  EXPECT_EQ(risk.approved(), 1u);
  EXPECT_EQ(risk.rejected(), 1u);
  EXPECT_EQ(risk.rejections_by_reason().at(RejectReason::kNoMarketPrice), 1u);
}

// --- Rejections --------------------------------------------------------------------------------

TEST_F(RiskManagerTest, RejectsEverythingWhileHalted) {
  PubSubManager bus(clock_);
  RiskManager risk = risk_manager();
  risk.attach(bus);
  std::vector<TradeSignalRejectedEvent> rejected;
  bus.subscribe<TradeSignalRejectedEvent>([&](const auto& e) { rejected.push_back(e); });
  set_price(kBtc, btc_price("50000.0"));

  SystemStateEvent halt;
  halt.state = SystemState::kHalted;
  halt.reason = "test";
  bus.publish(halt);
  bus.publish(market_buy(kBtc, btc_price("47123.4")));
  bus.run_until_idle();
  EXPECT_TRUE(risk.halted());
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].reason, RejectReason::kHalted);
  EXPECT_EQ(rejected[0].signal_id, SignalId("sig-1"));
  EXPECT_EQ(rejected[0].instrument, kBtc);
  EXPECT_THAT(rejected[0].message, HasSubstr("halted"));

  SystemStateEvent resume;
  resume.state = SystemState::kRunning;
  bus.publish(resume);
  bus.run_until_idle();
  EXPECT_FALSE(risk.halted());
  EXPECT_TRUE(std::holds_alternative<TradeSignalApprovedEvent>(
      risk.evaluate(market_buy(kBtc, btc_price("47123.4")))));
}

TEST_F(RiskManagerTest, RejectsUnknownInstrument) {
  const auto rejected =
      reject(risk_manager(), market_buy(InstrumentId("DOGE/USD"), btc_price("1.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kUnknownInstrument);
  EXPECT_THAT(rejected.message, HasSubstr("DOGE/USD"));
}

TEST_F(RiskManagerTest, RejectsShortEntries) {
  set_price(kBtc, btc_price("50000.0"));
  TradeSignalProposedEvent signal = market_buy(kBtc, btc_price("51000.0"));
  signal.side = Side::kSell;
  const auto rejected = reject(risk_manager(), signal);
  EXPECT_EQ(rejected.reason, RejectReason::kInvalidSignal);
  EXPECT_EQ(rejected.side, Side::kSell);
  EXPECT_THAT(rejected.message, HasSubstr("short"));
}

TEST_F(RiskManagerTest, RejectsLimitEntryWithoutPrice) {
  set_price(kBtc, btc_price("50000.0"));
  TradeSignalProposedEvent signal = market_buy(kBtc, btc_price("49000.0"));
  signal.entry_type = OrderType::kLimit;
  const auto rejected = reject(risk_manager(), signal);
  EXPECT_EQ(rejected.reason, RejectReason::kInvalidSignal);
  EXPECT_THAT(rejected.message, HasSubstr("limit entry without a limit price"));
}

TEST_F(RiskManagerTest, RejectsWithoutMarketPrice) {
  set_price(kBtc, btc_price("50000.0"));
  const auto rejected = reject(risk_manager(), market_buy(kEth, eth_price("1900.00")));
  EXPECT_EQ(rejected.reason, RejectReason::kNoMarketPrice);
  EXPECT_THAT(rejected.message, HasSubstr("ETH/USD"));
}

TEST_F(RiskManagerTest, RejectsWhenTheMarketPriceIsStale) {
  set_price(kBtc, btc_price("50000.0"));
  const RiskManager risk = risk_manager();
  approve(risk, market_buy(kBtc, btc_price("49000.0")));
  // The price service was built with a one-hour staleness limit.
  clock_.advance_to(clock_.now() + std::chrono::hours(2));
  const auto rejected = reject(risk, market_buy(kBtc, btc_price("49000.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kNoMarketPrice);
  EXPECT_THAT(rejected.message, HasSubstr("stale"));
}

TEST_F(RiskManagerTest, RejectsFatFingerLimitPrice) {
  set_price(kBtc, btc_price("50000.0"));
  const RiskManager risk = risk_manager();
  const auto rejected = reject(risk, limit_buy(kBtc, btc_price("53000.0"), btc_price("52000.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kFatFinger);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("53000.0"), HasSubstr("6.00%"),
                                      HasSubstr("50000.0"), HasSubstr("5.00%")));
  // 5 % below the market is still within the limit.
  EXPECT_TRUE(std::holds_alternative<TradeSignalApprovedEvent>(
      risk.evaluate(limit_buy(kBtc, btc_price("47500.0"), btc_price("46000.0")))));
  const auto far_below = reject(risk, limit_buy(kBtc, btc_price("47400.0"), btc_price("46000.0")));
  EXPECT_EQ(far_below.reason, RejectReason::kFatFinger);
  EXPECT_THAT(far_below.message, HasSubstr("5.20%"));
}

TEST_F(RiskManagerTest, RejectsStopLossAboveEntry) {
  set_price(kBtc, btc_price("50000.0"));
  const auto rejected = reject(risk_manager(), market_buy(kBtc, btc_price("50100.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kInvalidStopLoss);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("50100.0"), HasSubstr("50000.0")));
  const auto at_entry = reject(risk_manager(), market_buy(kBtc, btc_price("50000.0")));
  EXPECT_EQ(at_entry.reason, RejectReason::kInvalidStopLoss);
}

TEST_F(RiskManagerTest, RejectsStopLossTooCloseToEntry) {
  set_price(kBtc, btc_price("50000.0"));
  // 4.0 below 50000.0 is 0.008 %, under the 0.01 % minimum.
  const auto rejected = reject(risk_manager(), market_buy(kBtc, btc_price("49996.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kInvalidStopLoss);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("49996.0"), HasSubstr("50000.0"),
                                      HasSubstr("0.0080%"), HasSubstr("minimum 0.0100%")));
  // 5.0 below is exactly the minimum and passes this check.
  EXPECT_TRUE(std::holds_alternative<TradeSignalApprovedEvent>(
      risk_manager().evaluate(market_buy(kBtc, btc_price("49995.0")))));
}

TEST_F(RiskManagerTest, RejectsTakeProfitBelowEntry) {
  set_price(kBtc, btc_price("50000.0"));
  const auto rejected =
      reject(risk_manager(), market_buy(kBtc, btc_price("49000.0"), btc_price("49900.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kInvalidSignal);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("49900.0"), HasSubstr("50000.0")));
}

TEST_F(RiskManagerTest, RejectsAtTheTotalDrawdownLimit) {
  set_price(kEth, eth_price("2000.00"));
  set_price(kBtc, btc_price("50000.0"));
  fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("1"), usd("0"));
  // Three weeks later (new day, new week) BTC has lost 15000: 15 % below the peak of 100000.
  advance_to(kMonday + 21 * kDay + 3600);
  set_price(kEth, eth_price("2000.00"));  // fresh: a stale price is a rejection of its own
  set_price(kBtc, btc_price("35000.0"));
  const PortfolioState state = portfolio_->state();
  ASSERT_DOUBLE_EQ(state.drawdown_pct, 15.0);
  const auto rejected = reject(risk_manager(), market_buy(kEth, eth_price("1900.00")));
  EXPECT_EQ(rejected.reason, RejectReason::kDrawdownLimit);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("total drawdown 15.00%"), HasSubstr("15.00%")));
}

TEST_F(RiskManagerTest, RejectsAtTheDailyDrawdownLimit) {
  set_price(kEth, eth_price("2000.00"));
  set_price(kBtc, btc_price("50000.0"));
  fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("1"), usd("0"));
  advance_to(kMonday + 13 * 3600);
  set_price(kBtc, btc_price("48100.0"));  // −1900: 1.9 % today, under the limit
  config::RiskConfig room_for_eth = default_risk();
  room_for_eth.max_total_exposure_pct = 100.0;  // the BTC position alone is 48 %
  EXPECT_TRUE(std::holds_alternative<TradeSignalApprovedEvent>(
      risk_manager(room_for_eth).evaluate(market_buy(kEth, eth_price("1900.00")))));
  set_price(kBtc, btc_price("47900.0"));  // −2100: 2.1 %
  const auto rejected = reject(risk_manager(), market_buy(kEth, eth_price("1900.00")));
  EXPECT_EQ(rejected.reason, RejectReason::kDrawdownLimit);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("daily drawdown 2.10%"), HasSubstr("limit 2.00%")));
}

TEST_F(RiskManagerTest, RejectsAtTheWeeklyDrawdownLimit) {
  set_price(kEth, eth_price("2000.00"));
  set_price(kBtc, btc_price("50000.0"));
  fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("1"), usd("0"));
  set_price(kBtc, btc_price("46000.0"));  // Monday: −4 %
  // Tuesday starts at 96000; another −1000 is 1.04 % for the day and 5 % for the week.
  advance_to(kMonday + kDay + 60);
  set_price(kEth, eth_price("2000.00"));  // fresh: a stale price is a rejection of its own
  set_price(kBtc, btc_price("46000.0"));
  set_price(kBtc, btc_price("45000.0"));
  const PortfolioState state = portfolio_->state();
  ASSERT_LT(state.daily_drawdown_pct, 2.0);
  const auto rejected = reject(risk_manager(), market_buy(kEth, eth_price("1900.00")));
  EXPECT_EQ(rejected.reason, RejectReason::kDrawdownLimit);
  EXPECT_THAT(rejected.message,
              AllOf(HasSubstr("weekly drawdown 5.00%"), HasSubstr("limit 5.00%")));
}

TEST_F(RiskManagerTest, RejectsAfterConsecutiveLosses) {
  set_price(kEth, eth_price("2000.00"));
  for (int i = 0; i < 5; ++i) {
    fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("0.01"), usd("1.30000"));
    fill(kBtc, Side::kSell, btc_price("49900.0"), qty("0.01"), usd("1.29740"));
  }
  set_price(kBtc, btc_price("49900.0"));
  ASSERT_EQ(portfolio_->state().consecutive_losses, 5);
  const auto rejected = reject(risk_manager(), market_buy(kEth, eth_price("1900.00")));
  EXPECT_EQ(rejected.reason, RejectReason::kConsecutiveLosses);
  EXPECT_EQ(rejected.message, "5 consecutive losing trades (limit 5)");
  // One more allowed loss in the config lets it through.
  config::RiskConfig config = default_risk();
  config.max_consecutive_losses = 6;
  EXPECT_TRUE(std::holds_alternative<TradeSignalApprovedEvent>(
      risk_manager(config).evaluate(market_buy(kEth, eth_price("1900.00")))));
}

TEST_F(RiskManagerTest, RejectsWhenAPositionIsOpen) {
  set_price(kBtc, btc_price("50000.0"));
  fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("0.01"), usd("1.30000"));
  const auto rejected = reject(risk_manager(), market_buy(kBtc, btc_price("49000.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kExistingPosition);
  EXPECT_THAT(rejected.message, HasSubstr("BTC/USD"));
}

TEST_F(RiskManagerTest, RejectsSizeBelowOrderMinimum) {
  set_price(kBtc, btc_price("50000.0"));
  config::RiskConfig config = default_risk();
  config.risk_per_trade_pct = 0.0001;  // 0.10 USD at risk
  // 0.1 / 2500 = 0.00004 BTC, under ordermin 0.0001.
  const auto rejected = reject(risk_manager(config), market_buy(kBtc, btc_price("47500.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kPositionTooSmall);
  EXPECT_EQ(
      rejected.message,
      "size 0.00004000 BTC (cost 2.00000 USD) is below the minimum order 0.00010000 / 0.50000");
}

TEST_F(RiskManagerTest, RejectsSizeBelowCostMinimum) {
  set_price(kBtc, btc_price("1000.0"));
  config::RiskConfig config = default_risk();
  config.risk_per_trade_pct = 0.0001;  // 0.10 USD at risk
  // 0.1 / 250 = 0.0004 BTC: above ordermin but only 0.4 USD, under costmin 0.5.
  const auto rejected = reject(risk_manager(config), market_buy(kBtc, btc_price("750.0")));
  EXPECT_EQ(rejected.reason, RejectReason::kPositionTooSmall);
  EXPECT_THAT(rejected.message, AllOf(HasSubstr("size 0.00040000 BTC"),
                                      HasSubstr("cost 0.40000 USD"), HasSubstr("0.50000")));
}

TEST_F(RiskManagerTest, RejectsWhenNoExposureRoomIsLeft) {
  set_price(kEth, eth_price("2000.00"));
  fill(kEth, Side::kBuy, eth_price("2000.00"), qty("13"), usd("0"));  // 26000 of 25 % × 100000
  set_price(kBtc, btc_price("50000.0"));
  const auto rejected = reject(risk_manager(), market_buy(kBtc, btc_price("47123.4")));
  EXPECT_EQ(rejected.reason, RejectReason::kExposureLimit);
  EXPECT_THAT(rejected.message,
              AllOf(HasSubstr("size 0.00000000 BTC"), HasSubstr("total exposure limit")));
}

TEST_F(RiskManagerTest, RejectsWhenCashIsGone) {
  set_price(kEth, eth_price("2000.00"));
  fill(kEth, Side::kBuy, eth_price("2000.00"), qty("50"), usd("0"));  // all the cash
  set_price(kBtc, btc_price("50000.0"));
  config::RiskConfig config = default_risk();
  config.max_exposure_per_pair_pct = 100.0;
  config.max_total_exposure_pct = 200.0;
  const auto rejected = reject(risk_manager(config), market_buy(kBtc, btc_price("47123.4")));
  EXPECT_EQ(rejected.reason, RejectReason::kInsufficientBalance);
  EXPECT_THAT(rejected.message, HasSubstr("available cash"));
}

}  // namespace
}  // namespace galfriday
