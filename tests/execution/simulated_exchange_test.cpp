#include "galfriday/execution/simulated_exchange.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace galfriday {

// Fixed-point values print as their exact decimal text in failure messages.
template <typename Tag>
void PrintTo(const FixedPoint<Tag>& value, std::ostream* os) {
  *os << value.to_string();
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kStart = 1704067200;  // 2024-01-01T00:00:00Z

const InstrumentId kBtc{"BTC/USD"};
const InstrumentId kEth{"ETH/USD"};

Price btc(const std::string& text) { return Price::parse(text, 1).value(); }
Price eth(const std::string& text) { return Price::parse(text, 2).value(); }
Quantity qty(const std::string& text) { return Quantity::parse(text, 8).value(); }
Money usd(const std::string& text) { return Money::parse(text).value(); }

InstrumentSpec spec(const std::string& symbol, const std::string& base, int price_precision) {
  InstrumentSpec s;
  s.id = InstrumentId(symbol);
  s.altname = base + "USD";
  s.base = base;
  s.quote = "USD";
  s.price_precision = price_precision;
  s.qty_precision = 8;
  s.cost_precision = 5;
  s.ordermin = Quantity::parse("0.0001", 8).value();
  s.costmin = Money::parse("0.5", 5).value();
  s.tick_size = Price::from_raw(1, price_precision);
  return s;
}

// One-minute bar number `index` (0 = 2024-01-01T00:00Z) of a pair.
MarketDataOHLCVEvent make_bar(const InstrumentId& id, int64_t index, Price open, Price high,
                              Price low, Price close, const std::string& volume = "100") {
  MarketDataOHLCVEvent bar;
  bar.instrument = id;
  bar.interval = std::chrono::minutes(1);
  bar.bar_start = timestamp_from_seconds(kStart + 60 * index);
  bar.meta.ts_event = bar.bar_start + bar.interval;
  bar.open = open;
  bar.high = high;
  bar.low = low;
  bar.close = close;
  bar.volume = qty(volume);
  return bar;
}

TradeSignalApprovedEvent approval(const std::string& signal, const InstrumentId& id, Quantity size,
                                  Price stop, std::optional<Price> take_profit) {
  TradeSignalApprovedEvent approved;
  approved.signal_id = SignalId(signal);
  approved.instrument = id;
  approved.strategy_id = "test";
  approved.side = Side::kBuy;
  approved.order_type = OrderType::kMarket;
  approved.quantity = size;
  approved.stop_loss = stop;
  approved.take_profit = take_profit;
  return approved;
}

class SimulatedExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(instruments_.add(spec("BTC/USD", "BTC", 1)).is_ok());
    ASSERT_TRUE(instruments_.add(spec("ETH/USD", "ETH", 2)).is_ok());
  }

  void start(const config::ExecutionConfig& config = config::default_config().execution) {
    exchange_ = std::make_unique<SimulatedExchange>(config, instruments_);
    exchange_->attach(bus_);
    bus_.subscribe<ExecutionReportEvent>(
        [this](const ExecutionReportEvent& e) { reports_.push_back(e); });
  }

  // Publishes a closed bar at its close time and dispatches everything it causes.
  void run_bar(const MarketDataOHLCVEvent& bar) {
    clock_.advance_to(bar.meta.ts_event);
    bus_.publish(bar);
    bus_.run_until_idle();
  }

  void publish(Event event) {
    bus_.publish(std::move(event));
    bus_.run_until_idle();
  }

  // Enters 0.12345678 BTC with a market order after bar 0 and fills it on bar 1's open
  // (50010.0 -> 50035.1 with slippage), protected by a stop at 49000.0 and a target at 52000.0.
  void enter_btc_position() {
    run_bar(make_bar(kBtc, 0, btc("50000.0"), btc("50100.0"), btc("49900.0"), btc("50050.0")));
    publish(approval("s1", kBtc, qty("0.12345678"), btc("49000.0"), btc("52000.0")));
    run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0")));
    ASSERT_EQ(exchange_->held(kBtc), qty("0.12345678"));
    ASSERT_EQ(exchange_->open_orders(), 2u);
    reports_.clear();
  }

  std::vector<ExecutionReportEvent> reports_of(const std::string& client_order_id) const {
    std::vector<ExecutionReportEvent> out;
    for (const auto& report : reports_) {
      if (report.client_order_id.str() == client_order_id) out.push_back(report);
    }
    return out;
  }

  std::vector<OrderStatus> statuses_of(const std::string& client_order_id) const {
    std::vector<OrderStatus> out;
    for (const auto& report : reports_of(client_order_id)) out.push_back(report.status);
    return out;
  }

  std::vector<ExecutionReportEvent> fills() const {
    std::vector<ExecutionReportEvent> out;
    for (const auto& report : reports_) {
      if (report.last_fill) out.push_back(report);
    }
    return out;
  }

  SimulatedClock clock_{timestamp_from_seconds(kStart)};
  PubSubManager bus_{clock_};
  InstrumentRegistry instruments_;
  std::unique_ptr<SimulatedExchange> exchange_;
  std::vector<ExecutionReportEvent> reports_;
};

// --- Entries -----------------------------------------------------------------------------------

TEST_F(SimulatedExchangeTest, MarketEntryFillsAtTheNextOpenPlusSlippageNeverOnTheSignalBar) {
  start();
  // The signal comes out of bar 0, as in the pipeline: a handler of the bar approves it.
  bus_.subscribe<MarketDataOHLCVEvent>([this](const MarketDataOHLCVEvent& bar) {
    if (bar.bar_start != timestamp_from_seconds(kStart)) return;
    TradeSignalApprovedEvent approved =
        approval("s1", kBtc, qty("0.12345678"), btc("49000.0"), btc("52000.0"));
    approved.meta.ts_event = bar.meta.ts_event;
    bus_.publish(approved);
  });
  run_bar(make_bar(kBtc, 0, btc("50000.0"), btc("50100.0"), btc("49900.0"), btc("50050.0")));
  ASSERT_EQ(reports_.size(), 1u);
  const ExecutionReportEvent accepted = reports_[0];
  EXPECT_EQ(accepted.client_order_id, ClientOrderId("gf-s1-entry"));
  EXPECT_EQ(accepted.status, OrderStatus::kNew);
  EXPECT_EQ(accepted.purpose, OrderPurpose::kEntry);
  EXPECT_EQ(accepted.order_type, OrderType::kMarket);
  EXPECT_EQ(accepted.signal_id, SignalId("s1"));
  EXPECT_TRUE(accepted.quantity_filled.is_zero());
  EXPECT_FALSE(accepted.last_fill.has_value());
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());

  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0")));
  EXPECT_THAT(statuses_of("gf-s1-entry"), ElementsAre(OrderStatus::kNew, OrderStatus::kFilled));
  const ExecutionReportEvent filled = reports_of("gf-s1-entry").back();
  ASSERT_TRUE(filled.last_fill.has_value());
  // 50010.0 × 1.0005 = 50035.005, rounded up to the 0.1 tick.
  EXPECT_EQ(filled.last_fill->price, btc("50035.1"));
  EXPECT_EQ(filled.last_fill->qty, qty("0.12345678"));
  // 50035.1 × 0.12345678 = 6177.172332978 -> 6177.17233; × 0.26 % = 16.0606480... -> 16.06065.
  EXPECT_EQ(filled.last_fill->fee, usd("16.06065"));
  EXPECT_EQ(filled.last_fill->fee.precision(), 5);
  EXPECT_EQ(filled.last_fill->fee_currency, "USD");
  EXPECT_EQ(filled.last_fill->liquidity, Liquidity::kTaker);
  EXPECT_EQ(filled.quantity_filled, qty("0.12345678"));
  ASSERT_TRUE(filled.average_fill_price.has_value());
  EXPECT_EQ(*filled.average_fill_price, btc("50035.1"));
  EXPECT_EQ(filled.meta.ts_event, timestamp_from_seconds(kStart + 60));  // bar 1's open
  EXPECT_EQ(filled.exchange_order_id, accepted.exchange_order_id);
  EXPECT_EQ(exchange_->held(kBtc), qty("0.12345678"));
}

TEST_F(SimulatedExchangeTest, WithoutSlippageAMarketEntryFillsAtTheOpen) {
  config::ExecutionConfig config = config::default_config().execution;
  config.slippage_model = config::SlippageModel::kNone;
  start(config);
  publish(approval("s1", kBtc, qty("0.1"), btc("49000.0"), std::nullopt));
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0")));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50010.0"));
  // 5001.0 × 0.26 % = 13.0026 exactly.
  EXPECT_EQ(fills()[0].last_fill->fee, usd("13.0026"));
}

TEST_F(SimulatedExchangeTest, VolumeImpactSlippageGrowsWithTheShareOfBarVolume) {
  config::ExecutionConfig config = config::default_config().execution;
  config.slippage_model = config::SlippageModel::kVolumeImpact;
  config.slippage_pct = 0.05;
  config.impact_pct_per_volume = 10.0;
  start(config);
  publish(approval("s1", kBtc, qty("0.1"), btc("49000.0"), std::nullopt));
  // 0.1 of a 10 BTC bar is 1 %: 0.05 % + 10 % × 0.01 = 0.15 %; 50010.0 × 1.0015 = 50085.015,
  // rounded up to the tick: 50085.1.
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0"), "10"));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50085.1"));
}

TEST_F(SimulatedExchangeTest, ProtectiveOrdersFollowTheEntryFill) {
  start();
  publish(approval("s1", kBtc, qty("0.12345678"), btc("49000.0"), btc("52000.0")));
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0")));
  EXPECT_EQ(exchange_->open_orders(), 2u);
  const auto stop = reports_of("gf-s1-sl");
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].status, OrderStatus::kNew);
  EXPECT_EQ(stop[0].purpose, OrderPurpose::kStopLoss);
  EXPECT_EQ(stop[0].order_type, OrderType::kStopLoss);
  EXPECT_EQ(stop[0].side, Side::kSell);
  EXPECT_EQ(stop[0].quantity_ordered, qty("0.12345678"));
  EXPECT_EQ(stop[0].stop_price, btc("49000.0"));
  EXPECT_EQ(stop[0].signal_id, SignalId("s1"));
  const auto target = reports_of("gf-s1-tp");
  ASSERT_EQ(target.size(), 1u);
  EXPECT_EQ(target[0].status, OrderStatus::kNew);
  EXPECT_EQ(target[0].purpose, OrderPurpose::kTakeProfit);
  EXPECT_EQ(target[0].side, Side::kSell);
  EXPECT_EQ(target[0].quantity_ordered, qty("0.12345678"));
  EXPECT_EQ(target[0].limit_price, btc("52000.0"));
  // Placed after the entry filled, not before.
  EXPECT_EQ(reports_[1].client_order_id, ClientOrderId("gf-s1-entry"));
  EXPECT_EQ(reports_[1].status, OrderStatus::kFilled);
}

TEST_F(SimulatedExchangeTest, LimitBuyRestsUntilTheLowReachesItAndFillsAsMaker) {
  start();
  TradeSignalApprovedEvent approved =
      approval("s2", kBtc, qty("0.2"), btc("48000.0"), std::nullopt);
  approved.order_type = OrderType::kLimit;
  approved.limit_price = btc("49900.0");
  publish(approved);
  run_bar(make_bar(kBtc, 1, btc("50000.0"), btc("50100.0"), btc("49950.0"), btc("50000.0")));
  EXPECT_TRUE(fills().empty());
  run_bar(make_bar(kBtc, 2, btc("50000.0"), btc("50050.0"), btc("49800.0"), btc("49850.0")));
  ASSERT_EQ(fills().size(), 1u);
  const Fill fill = *fills()[0].last_fill;
  EXPECT_EQ(fill.price, btc("49900.0"));  // min(open, limit)
  EXPECT_EQ(fill.liquidity, Liquidity::kMaker);
  // 9980 × 0.16 % = 15.968.
  EXPECT_EQ(fill.fee, usd("15.968"));
  EXPECT_EQ(fills()[0].limit_price, btc("49900.0"));
  EXPECT_THAT(statuses_of("gf-s2-entry"), ElementsAre(OrderStatus::kNew, OrderStatus::kFilled));
}

TEST_F(SimulatedExchangeTest, LimitBuyBelowTheOpenFillsAtTheOpenAsTaker) {
  start();
  TradeSignalApprovedEvent approved =
      approval("s2", kBtc, qty("0.2"), btc("48000.0"), std::nullopt);
  approved.order_type = OrderType::kLimit;
  approved.limit_price = btc("49900.0");
  publish(approved);
  run_bar(make_bar(kBtc, 1, btc("49850.0"), btc("49990.0"), btc("49800.0"), btc("49900.0")));
  ASSERT_EQ(fills().size(), 1u);
  const Fill fill = *fills()[0].last_fill;
  EXPECT_EQ(fill.price, btc("49850.0"));
  EXPECT_EQ(fill.liquidity, Liquidity::kTaker);
  EXPECT_EQ(fill.fee, usd("25.922"));  // 9970 × 0.26 %
}

TEST_F(SimulatedExchangeTest, LimitEntryIsCancelledAfterTheTimeout) {
  start();
  TradeSignalApprovedEvent approved =
      approval("s3", kBtc, qty("0.2"), btc("48000.0"), btc("52000.0"));
  approved.order_type = OrderType::kLimit;
  approved.limit_price = btc("49000.0");
  publish(approved);
  for (int64_t i = 1; i < SimulatedExchange::kLimitEntryTimeoutBars; ++i) {
    run_bar(make_bar(kBtc, i, btc("50000.0"), btc("50100.0"), btc("49900.0"), btc("50000.0")));
    EXPECT_EQ(exchange_->open_orders(), 1u) << "after bar " << i;
  }
  run_bar(make_bar(kBtc, SimulatedExchange::kLimitEntryTimeoutBars, btc("50000.0"), btc("50100.0"),
                   btc("49900.0"), btc("50000.0")));
  EXPECT_THAT(statuses_of("gf-s3-entry"), ElementsAre(OrderStatus::kNew, OrderStatus::kCanceled));
  EXPECT_THAT(reports_of("gf-s3-entry").back().message, HasSubstr("not filled within 3 bars"));
  EXPECT_EQ(exchange_->open_orders(), 0u);
  EXPECT_TRUE(fills().empty());
  // No position, so nothing to protect, even when the price later falls to the stop.
  run_bar(make_bar(kBtc, 10, btc("48500.0"), btc("48600.0"), btc("47000.0"), btc("47500.0")));
  EXPECT_TRUE(fills().empty());
}

TEST_F(SimulatedExchangeTest, FillsAreCappedByBarVolumeAndContinueOnTheNextBar) {
  start();
  publish(approval("s4", kBtc, qty("0.5"), btc("49000.0"), btc("52000.0")));
  // 10 % of 3 BTC = 0.3 BTC can fill in this bar.
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0"), "3"));
  EXPECT_THAT(statuses_of("gf-s4-entry"),
              ElementsAre(OrderStatus::kNew, OrderStatus::kPartiallyFilled));
  const ExecutionReportEvent partial = reports_of("gf-s4-entry").back();
  EXPECT_EQ(partial.quantity_filled, qty("0.3"));
  EXPECT_EQ(partial.last_fill->qty, qty("0.3"));
  EXPECT_EQ(partial.last_fill->price, btc("50035.1"));
  EXPECT_EQ(partial.last_fill->fee, usd("39.02738"));  // 15010.53 × 0.26 % = 39.027378
  EXPECT_EQ(*partial.average_fill_price, btc("50035.1"));
  EXPECT_EQ(exchange_->open_orders(), 1u);  // no protection before the entry completes

  run_bar(make_bar(kBtc, 2, btc("50100.0"), btc("50200.0"), btc("50000.0"), btc("50150.0"), "3"));
  const ExecutionReportEvent done = reports_of("gf-s4-entry").back();
  EXPECT_EQ(done.status, OrderStatus::kFilled);
  EXPECT_EQ(done.quantity_filled, qty("0.5"));
  EXPECT_EQ(done.last_fill->qty, qty("0.2"));
  EXPECT_EQ(done.last_fill->price, btc("50125.1"));  // 50100.0 × 1.0005 = 50125.05 -> 50125.1
  EXPECT_EQ(done.last_fill->fee, usd("26.06506"));   // 10025.02 × 0.26 % = 26.065052
  // (0.3 × 50035.1 + 0.2 × 50125.1) / 0.5
  EXPECT_EQ(*done.average_fill_price, btc("50071.1"));
  EXPECT_NE(done.last_fill->trade_id, partial.last_fill->trade_id);
  EXPECT_EQ(reports_of("gf-s4-sl").at(0).quantity_ordered, qty("0.5"));
  EXPECT_EQ(exchange_->held(kBtc), qty("0.5"));
}

// --- Protection --------------------------------------------------------------------------------

TEST_F(SimulatedExchangeTest, StopHitFillsAtTheStopLessSlippageAndCancelsTheTarget) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("49500.0"), btc("49600.0"), btc("48800.0"), btc("48900.0")));
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kFilled));
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kCanceled));
  EXPECT_THAT(reports_of("gf-s1-tp")[0].message, HasSubstr("one-cancels-other"));
  const ExecutionReportEvent stop = reports_of("gf-s1-sl")[0];
  // min(open 49500.0, stop 49000.0) × 0.9995 = 48975.5.
  EXPECT_EQ(stop.last_fill->price, btc("48975.5"));
  EXPECT_EQ(stop.last_fill->fee, usd("15.72053"));  // 6046.35753 × 0.26 % = 15.720529...
  EXPECT_EQ(stop.last_fill->liquidity, Liquidity::kTaker);
  EXPECT_EQ(stop.quantity_filled, qty("0.12345678"));
  EXPECT_EQ(*stop.average_fill_price, btc("48975.5"));
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, GapThroughTheStopFillsAtTheOpen) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("48500.0"), btc("48700.0"), btc("48300.0"), btc("48600.0")));
  ASSERT_EQ(fills().size(), 1u);
  // 48500.0 × 0.9995 = 48475.75, rounded down to the tick.
  EXPECT_EQ(fills()[0].last_fill->price, btc("48475.7"));
  EXPECT_EQ(fills()[0].last_fill->fee, usd("15.56010"));
}

TEST_F(SimulatedExchangeTest, StopWinsWhenBothAreTouchedInOneBar) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("50000.0"), btc("52500.0"), btc("48800.0"), btc("50000.0")));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].client_order_id, ClientOrderId("gf-s1-sl"));
  EXPECT_EQ(fills()[0].last_fill->price, btc("48975.5"));
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kCanceled));
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, TakeProfitFillsAtTheTargetAndCancelsTheStop) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("51000.0"), btc("52500.0"), btc("50900.0"), btc("52100.0")));
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kCanceled));
  EXPECT_THAT(reports_of("gf-s1-sl")[0].message, HasSubstr("one-cancels-other"));
  // The target itself is filled, never cancelled.
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kFilled));
  const ExecutionReportEvent target = reports_of("gf-s1-tp").back();
  EXPECT_EQ(target.last_fill->price, btc("52000.0"));  // max(open, target)
  EXPECT_EQ(target.last_fill->liquidity, Liquidity::kMaker);
  EXPECT_EQ(target.last_fill->fee, usd("10.27161"));  // 6419.75256 × 0.16 % = 10.271604...
  EXPECT_EQ(target.quantity_filled, qty("0.12345678"));
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, TakeProfitGapFillsAtTheOpenAsTaker) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("52500.0"), btc("52600.0"), btc("52400.0"), btc("52450.0")));
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kFilled));
  const Fill fill = *reports_of("gf-s1-tp").back().last_fill;
  EXPECT_EQ(fill.price, btc("52500.0"));
  EXPECT_EQ(fill.liquidity, Liquidity::kTaker);
}

TEST_F(SimulatedExchangeTest, ClosePositionExitsAtTheNextOpenAndCancelsProtection) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  ClosePositionCommand close;
  close.instrument = kBtc;
  close.reason = "prediction fell";
  close.requested_by = "strategy:test";
  publish(close);
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kCanceled));
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kCanceled));
  EXPECT_THAT(reports_of("gf-s1-sl")[0].message, HasSubstr("close requested"));
  ASSERT_EQ(reports_.size(), 3u);
  const ExecutionReportEvent exit = reports_.back();
  EXPECT_EQ(exit.purpose, OrderPurpose::kExit);
  EXPECT_EQ(exit.status, OrderStatus::kNew);
  EXPECT_EQ(exit.side, Side::kSell);
  EXPECT_EQ(exit.order_type, OrderType::kMarket);
  EXPECT_EQ(exit.quantity_ordered, qty("0.12345678"));
  EXPECT_TRUE(fills().empty());  // not before the next bar

  run_bar(make_bar(kBtc, 2, btc("50500.0"), btc("50600.0"), btc("50400.0"), btc("50550.0")));
  EXPECT_THAT(statuses_of(exit.client_order_id.str()),
              ElementsAre(OrderStatus::kNew, OrderStatus::kFilled));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50474.7"));  // 50500.0 × 0.9995 = 50474.75
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, AfterAPartialTakeProfitTheShrunkStopStillGuardsTheRest) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("51000.0"), btc("52500.0"), btc("50900.0"), btc("52100.0"), "0.5"));
  ASSERT_EQ(exchange_->held(kBtc), qty("0.07345678"));
  // The price turns and falls through the stop: the stop sells exactly what is left.
  run_bar(make_bar(kBtc, 3, btc("51900.0"), btc("51900.0"), btc("48500.0"), btc("48600.0")));
  const auto stop_reports = reports_of("gf-s1-sl");
  ASSERT_FALSE(stop_reports.empty());
  EXPECT_EQ(stop_reports.back().status, OrderStatus::kFilled);
  EXPECT_EQ(stop_reports.back().quantity_filled, qty("0.07345678"));
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, ClosingAfterAPartialTakeProfitCancelsItsRemainder) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  // 10 % of 0.5 BTC: the target sells 0.05 of 0.12345678 and keeps working; the stop shrinks
  // to what is left.
  run_bar(make_bar(kBtc, 2, btc("51000.0"), btc("52500.0"), btc("50900.0"), btc("52100.0"), "0.5"));
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kPartiallyFilled));
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kNew));
  EXPECT_EQ(reports_of("gf-s1-sl").back().quantity_ordered, qty("0.07345678"));
  ASSERT_EQ(exchange_->held(kBtc), qty("0.07345678"));

  ClosePositionCommand close;
  close.instrument = kBtc;
  close.reason = "exit";
  publish(close);
  EXPECT_THAT(statuses_of("gf-s1-tp"),
              ElementsAre(OrderStatus::kPartiallyFilled, OrderStatus::kCanceled));
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kNew, OrderStatus::kCanceled));
  const ExecutionReportEvent exit = reports_.back();
  EXPECT_EQ(exit.purpose, OrderPurpose::kExit);
  EXPECT_EQ(exit.quantity_ordered, qty("0.07345678"));

  // The next bar reaches the target again; only the exit sells.
  run_bar(make_bar(kBtc, 3, btc("52100.0"), btc("52600.0"), btc("52000.0"), btc("52300.0")));
  EXPECT_THAT(statuses_of("gf-s1-tp"),
              ElementsAre(OrderStatus::kPartiallyFilled, OrderStatus::kCanceled));
  EXPECT_EQ(reports_of(exit.client_order_id.str()).back().status, OrderStatus::kFilled);
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, ClosingAfterAPartlyFilledStopCancelsItsRemainder) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("49500.0"), btc("49600.0"), btc("48800.0"), btc("48900.0"), "0.5"));
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kPartiallyFilled));
  ASSERT_EQ(exchange_->held(kBtc), qty("0.07345678"));
  ClosePositionCommand close;
  close.instrument = kBtc;
  publish(close);
  EXPECT_THAT(statuses_of("gf-s1-sl"),
              ElementsAre(OrderStatus::kPartiallyFilled, OrderStatus::kCanceled));
  run_bar(make_bar(kBtc, 3, btc("48900.0"), btc("49000.0"), btc("48700.0"), btc("48800.0")));
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(fills().size(), 2u);  // the stop's part and the exit
}

TEST_F(SimulatedExchangeTest, TriggeredStopKeepsSellingOnLaterBars) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  run_bar(make_bar(kBtc, 2, btc("49500.0"), btc("49600.0"), btc("48800.0"), btc("48900.0"), "0.5"));
  // Once triggered the stop is a market order: the rest sells at the next open, whatever it is.
  run_bar(make_bar(kBtc, 3, btc("49900.0"), btc("50000.0"), btc("49800.0"), btc("49950.0")));
  EXPECT_THAT(statuses_of("gf-s1-sl"),
              ElementsAre(OrderStatus::kPartiallyFilled, OrderStatus::kFilled));
  EXPECT_EQ(reports_of("gf-s1-sl").back().last_fill->price, btc("49875.0"));  // 49900.0 × 0.9995
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
}

TEST_F(SimulatedExchangeTest, ClosingAFlatPairPlacesNoOrder) {
  start();
  ClosePositionCommand close;
  close.instrument = kBtc;
  publish(close);
  EXPECT_THAT(reports_, IsEmpty());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeTest, HaltCancelsWorkingEntriesButKeepsProtectiveOrders) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  TradeSignalApprovedEvent approved =
      approval("e1", kEth, qty("1"), eth("1900.00"), eth("2200.00"));
  approved.order_type = OrderType::kLimit;
  approved.limit_price = eth("1990.00");
  publish(approved);
  ASSERT_EQ(exchange_->open_orders(), 3u);

  SystemStateEvent halt;
  halt.state = SystemState::kHalted;
  halt.reason = "drawdown";
  publish(halt);
  EXPECT_THAT(statuses_of("gf-e1-entry"), ElementsAre(OrderStatus::kNew, OrderStatus::kCanceled));
  EXPECT_THAT(reports_of("gf-e1-entry").back().message, HasSubstr("halted: drawdown"));
  EXPECT_THAT(statuses_of("gf-s1-sl"), IsEmpty());
  EXPECT_THAT(statuses_of("gf-s1-tp"), IsEmpty());
  EXPECT_EQ(exchange_->open_orders(), 2u);

  // The stop still guards the BTC position while halted.
  run_bar(make_bar(kBtc, 2, btc("49500.0"), btc("49600.0"), btc("48800.0"), btc("48900.0")));
  EXPECT_THAT(statuses_of("gf-s1-sl"), ElementsAre(OrderStatus::kFilled));
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
}

TEST_F(SimulatedExchangeTest, HaltProtectsWhatAPartlyFilledEntryBought) {
  start();
  publish(approval("s5", kBtc, qty("0.5"), btc("49000.0"), btc("52000.0")));
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0"), "3"));
  ASSERT_EQ(exchange_->held(kBtc), qty("0.3"));
  SystemStateEvent halt;
  halt.state = SystemState::kHalted;
  halt.reason = "operator";
  publish(halt);
  EXPECT_EQ(reports_of("gf-s5-entry").back().status, OrderStatus::kCanceled);
  // The 0.3 BTC already bought keeps a stop and a target.
  ASSERT_EQ(reports_of("gf-s5-sl").size(), 1u);
  EXPECT_EQ(reports_of("gf-s5-sl")[0].quantity_ordered, qty("0.3"));
  ASSERT_EQ(reports_of("gf-s5-tp").size(), 1u);
  EXPECT_EQ(exchange_->open_orders(), 2u);
  run_bar(make_bar(kBtc, 2, btc("49500.0"), btc("49600.0"), btc("48800.0"), btc("48900.0"), "30"));
  EXPECT_EQ(reports_of("gf-s5-sl").back().status, OrderStatus::kFilled);
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
}

TEST_F(SimulatedExchangeTest, StoppingCancelsEveryWorkingOrderAndRefusesNewEntries) {
  start();
  ASSERT_NO_FATAL_FAILURE(enter_btc_position());
  TradeSignalApprovedEvent approved =
      approval("e1", kEth, qty("1"), eth("1900.00"), eth("2200.00"));
  approved.order_type = OrderType::kLimit;
  approved.limit_price = eth("1990.00");
  publish(approved);
  ASSERT_EQ(exchange_->open_orders(), 3u);

  SystemStateEvent stopping;
  stopping.state = SystemState::kStopping;
  stopping.reason = "shutdown: SIGTERM";
  publish(stopping);
  // Paper orders cannot outlive the process: the entry and the BTC stop and target all end.
  for (const char* id : {"gf-e1-entry", "gf-s1-sl", "gf-s1-tp"}) {
    ASSERT_FALSE(reports_of(id).empty()) << id;
    EXPECT_EQ(reports_of(id).back().status, OrderStatus::kCanceled) << id;
    EXPECT_THAT(reports_of(id).back().message,
                HasSubstr("shutdown: SIGTERM; simulated orders end with the process"));
  }
  EXPECT_EQ(exchange_->open_orders(), 0u);

  reports_.clear();
  publish(approval("e2", kEth, qty("1"), eth("1900.00"), eth("2200.00")));
  EXPECT_THAT(statuses_of("gf-e2-entry"), ElementsAre(OrderStatus::kRejected));
  run_bar(make_bar(kBtc, 2, btc("49500.0"), btc("49600.0"), btc("48800.0"), btc("48900.0")));
  EXPECT_TRUE(fills().empty());
}

TEST_F(SimulatedExchangeTest, BarsOfOtherPairsDoNotFillAnOrder) {
  start();
  publish(approval("s1", kBtc, qty("0.1"), btc("49000.0"), std::nullopt));
  run_bar(make_bar(kEth, 1, eth("2000.00"), eth("2010.00"), eth("1990.00"), eth("2005.00")));
  EXPECT_TRUE(fills().empty());
  EXPECT_EQ(exchange_->open_orders(), 1u);
}

// --- Order books --------------------------------------------------------------------------------

BookLevel level(Price price, const std::string& quantity) { return {price, qty(quantity)}; }

MarketDataL2Event make_book(const InstrumentId& id, std::vector<BookLevel> bids,
                            std::vector<BookLevel> asks) {
  MarketDataL2Event book;
  book.instrument = id;
  book.bids = std::move(bids);
  book.asks = std::move(asks);
  return book;
}

// Time `offset` after 2024-01-01T00:00Z.
Timestamp at(Duration offset) { return timestamp_from_seconds(kStart) + offset; }

class SimulatedExchangeBookTest : public SimulatedExchangeTest {
 protected:
  // Publishes a book received at `when` (the bus stamps ts_init from the clock).
  void run_book(const MarketDataL2Event& book, Timestamp when) {
    clock_.advance_to(when);
    publish(book);
  }

  static config::ExecutionConfig no_slippage() {
    config::ExecutionConfig config = config::default_config().execution;
    config.slippage_model = config::SlippageModel::kNone;
    return config;
  }

  TradeSignalApprovedEvent limit_buy(const std::string& signal, Quantity size, Price limit) {
    TradeSignalApprovedEvent approved = approval(signal, kBtc, size, btc("40000.0"), std::nullopt);
    approved.order_type = OrderType::kLimit;
    approved.limit_price = limit;
    return approved;
  }
};

TEST_F(SimulatedExchangeBookTest, MarketBuyWalksTheRealSnapshotsAsksAtTheirVolumeWeightedPrice) {
  start();
  publish(approval("s1", kBtc, qty("10"), btc("29000.0"), std::nullopt));
  // The top of Kraken's BTC/USD snapshot in the samples (2023-07-30).
  run_book(
      make_book(kBtc, {level(btc("29430.2"), "0.18967538"), level(btc("29429.6"), "0.00011621")},
                {level(btc("29430.3"), "8.25215653"), level(btc("29430.4"), "2.55637606"),
                 level(btc("29430.5"), "0.2997598")}),
      at(std::chrono::seconds(1)));
  const auto entry = fills();
  ASSERT_EQ(entry.size(), 2u);  // one taker fill per level taken
  EXPECT_EQ(entry[0].status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(entry[0].last_fill->price, btc("29430.3"));
  EXPECT_EQ(entry[0].last_fill->qty, qty("8.25215653"));
  // 29430.3 × 8.25215653 = 242863.44232...; × 0.26 % = 631.444950... -> 631.44496.
  EXPECT_EQ(entry[0].last_fill->fee, usd("631.44496"));
  EXPECT_EQ(entry[0].last_fill->liquidity, Liquidity::kTaker);
  EXPECT_EQ(entry[1].status, OrderStatus::kFilled);
  EXPECT_EQ(entry[1].last_fill->price, btc("29430.4"));
  EXPECT_EQ(entry[1].last_fill->qty, qty("1.74784347"));
  EXPECT_EQ(entry[1].last_fill->fee, usd("133.74331"));  // 51439.73246 × 0.26 %
  // (8.25215653 × 29430.3 + 1.74784347 × 29430.4) / 10 = 29430.3174784347, at 5 decimals.
  EXPECT_EQ(*entry[1].average_fill_price, Price::parse("29430.31748", 5).value());
  EXPECT_EQ(entry[1].meta.ts_event, at(std::chrono::seconds(1)));
  EXPECT_EQ(exchange_->held(kBtc), qty("10"));
}

TEST_F(SimulatedExchangeBookTest, ThinBookFillsPartlyAndTheRestFillsOnLaterUpdates) {
  start();
  publish(approval("s1", kBtc, qty("1"), btc("49000.0"), std::nullopt));
  run_book(make_book(kBtc, {level(btc("49990.0"), "5")},
                     {level(btc("50000.0"), "0.3"), level(btc("50001.0"), "0.2")}),
           at(std::chrono::seconds(1)));
  EXPECT_EQ(reports_of("gf-s1-entry").back().status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(reports_of("gf-s1-entry").back().quantity_filled, qty("0.5"));
  EXPECT_EQ(exchange_->open_orders(), 1u);  // no stop before the entry completes
  run_book(make_book(kBtc, {level(btc("49995.0"), "5")}, {level(btc("50002.0"), "0.6")}),
           at(std::chrono::seconds(2)));
  const ExecutionReportEvent done = reports_of("gf-s1-entry").back();
  EXPECT_EQ(done.status, OrderStatus::kFilled);
  EXPECT_EQ(done.last_fill->qty, qty("0.5"));
  EXPECT_EQ(done.last_fill->price, btc("50002.0"));
  // (0.3 × 50000.0 + 0.2 × 50001.0 + 0.5 × 50002.0) / 1 = 50001.2
  EXPECT_EQ(*done.average_fill_price, btc("50001.2"));
  EXPECT_EQ(reports_of("gf-s1-sl").size(), 1u);
}

TEST_F(SimulatedExchangeBookTest, LiquidityTakenIsNotReusedAtTheSameBookState) {
  start();
  publish(approval("s1", kBtc, qty("0.2"), btc("49000.0"), std::nullopt));
  publish(approval("s2", kBtc, qty("0.2"), btc("49000.0"), std::nullopt));
  const auto book = make_book(kBtc, {level(btc("49990.0"), "5")},
                              {level(btc("50000.0"), "0.3"), level(btc("50001.0"), "1")});
  run_book(book, at(std::chrono::seconds(1)));
  ASSERT_EQ(reports_of("gf-s1-entry").back().status, OrderStatus::kFilled);
  EXPECT_EQ(reports_of("gf-s1-entry").back().last_fill->price, btc("50000.0"));
  // The second order finds only 0.1 left at 50000.0 and takes the next level for the rest.
  const auto second = reports_of("gf-s2-entry");
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[1].last_fill->qty, qty("0.1"));
  EXPECT_EQ(second[1].last_fill->price, btc("50000.0"));
  EXPECT_EQ(second[1].last_fill->fee, usd("13.0"));  // 5000 × 0.26 %
  EXPECT_EQ(second[2].last_fill->qty, qty("0.1"));
  EXPECT_EQ(second[2].last_fill->price, btc("50001.0"));
  EXPECT_EQ(second[2].last_fill->fee, usd("13.00026"));  // 5000.1 × 0.26 %
  EXPECT_EQ(*second[2].average_fill_price, btc("50000.5"));

  // A new book state offers its levels in full again.
  reports_.clear();
  publish(approval("s3", kBtc, qty("0.3"), btc("49000.0"), std::nullopt));
  run_book(book, at(std::chrono::seconds(2)));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->qty, qty("0.3"));
  EXPECT_EQ(fills()[0].last_fill->price, btc("50000.0"));
}

TEST_F(SimulatedExchangeBookTest,
       MarketableLimitTakesOnArrivalThenRestsAndFillsAsMakerWhenCrossed) {
  start();
  publish(limit_buy("s1", qty("1"), btc("50000.5")));
  // On arrival it crosses the 50000.0 ask: that part is a taker fill; 50001.0 is beyond it.
  run_book(make_book(kBtc, {level(btc("49999.0"), "2")},
                     {level(btc("50000.0"), "0.4"), level(btc("50001.0"), "0.5")}),
           at(std::chrono::seconds(1)));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50000.0"));
  EXPECT_EQ(fills()[0].last_fill->qty, qty("0.4"));
  EXPECT_EQ(fills()[0].last_fill->liquidity, Liquidity::kTaker);
  EXPECT_EQ(fills()[0].last_fill->fee, usd("52.0"));  // 20000 × 0.26 %

  // Resting now: a book that does not cross it fills nothing.
  run_book(make_book(kBtc, {level(btc("50000.0"), "2")}, {level(btc("50001.0"), "3")}),
           at(std::chrono::seconds(2)));
  EXPECT_EQ(fills().size(), 1u);

  // Asks at or below the limit cross the resting bid: it fills at its own price, as maker, for
  // the crossing quantity (0.3 + 0.2); the 50002.0 level does not cross.
  run_book(make_book(kBtc, {level(btc("50000.0"), "2")},
                     {level(btc("50000.4"), "0.3"), level(btc("50000.5"), "0.2"),
                      level(btc("50002.0"), "5")}),
           at(std::chrono::seconds(3)));
  ASSERT_EQ(fills().size(), 3u);
  for (size_t i : {1u, 2u}) {
    EXPECT_EQ(fills()[i].last_fill->price, btc("50000.5"));
    EXPECT_EQ(fills()[i].last_fill->liquidity, Liquidity::kMaker);
  }
  EXPECT_EQ(fills()[1].last_fill->qty, qty("0.3"));
  EXPECT_EQ(fills()[1].last_fill->fee, usd("24.00024"));  // 15000.15 × 0.16 %
  EXPECT_EQ(fills()[2].last_fill->qty, qty("0.2"));
  EXPECT_EQ(fills()[2].status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(fills()[2].quantity_filled, qty("0.9"));

  run_book(make_book(kBtc, {level(btc("50000.0"), "2")}, {level(btc("50000.5"), "4")}),
           at(std::chrono::seconds(4)));
  EXPECT_EQ(fills().back().status, OrderStatus::kFilled);
  EXPECT_EQ(fills().back().last_fill->qty, qty("0.1"));
  EXPECT_EQ(fills().back().last_fill->liquidity, Liquidity::kMaker);
  EXPECT_EQ(exchange_->held(kBtc), qty("1"));
}

TEST_F(SimulatedExchangeBookTest, StopTriggersOnTheBidWalksTheBidsAndCancelsTheTarget) {
  start();
  publish(approval("s1", kBtc, qty("0.5"), btc("49000.0"), btc("52000.0")));
  // The entry fills; its stop and target are placed and do not act on the same book.
  run_book(make_book(kBtc, {level(btc("48000.0"), "9")}, {level(btc("50000.0"), "1")}),
           at(std::chrono::seconds(1)));
  ASSERT_EQ(exchange_->held(kBtc), qty("0.5"));
  ASSERT_EQ(exchange_->open_orders(), 2u);
  reports_.clear();
  run_book(make_book(kBtc, {level(btc("49100.0"), "1")}, {level(btc("49200.0"), "1")}),
           at(std::chrono::seconds(2)));
  EXPECT_TRUE(fills().empty());  // the bid is above the stop

  run_book(make_book(kBtc, {level(btc("48990.0"), "0.2"), level(btc("48980.0"), "0.5")},
                     {level(btc("49000.0"), "1")}),
           at(std::chrono::seconds(3)));
  EXPECT_THAT(statuses_of("gf-s1-tp"), ElementsAre(OrderStatus::kCanceled));
  EXPECT_THAT(statuses_of("gf-s1-sl"),
              ElementsAre(OrderStatus::kPartiallyFilled, OrderStatus::kFilled));
  const auto stop = reports_of("gf-s1-sl");
  EXPECT_EQ(stop[0].last_fill->price, btc("48990.0"));
  EXPECT_EQ(stop[0].last_fill->fee, usd("25.4748"));  // 9798 × 0.26 %
  EXPECT_EQ(stop[1].last_fill->price, btc("48980.0"));
  EXPECT_EQ(stop[1].last_fill->qty, qty("0.3"));
  EXPECT_EQ(stop[1].last_fill->fee, usd("38.2044"));  // 14694 × 0.26 %
  EXPECT_EQ(*stop[1].average_fill_price, btc("48984.0"));
  EXPECT_TRUE(exchange_->held(kBtc).is_zero());
  EXPECT_EQ(exchange_->open_orders(), 0u);
}

TEST_F(SimulatedExchangeBookTest, TakeProfitRestsThenFillsAsMakerWhenTheBidCrossesIt) {
  start();
  publish(approval("s1", kBtc, qty("0.5"), btc("49000.0"), btc("52000.0")));
  run_book(make_book(kBtc, {level(btc("49990.0"), "9")}, {level(btc("50000.0"), "1")}),
           at(std::chrono::seconds(1)));
  run_book(make_book(kBtc, {level(btc("51000.0"), "9")}, {level(btc("51001.0"), "1")}),
           at(std::chrono::seconds(2)));
  reports_.clear();
  run_book(make_book(kBtc, {level(btc("52001.0"), "0.3"), level(btc("51999.0"), "5")},
                     {level(btc("52002.0"), "1")}),
           at(std::chrono::seconds(3)));
  ASSERT_EQ(fills().size(), 1u);
  const ExecutionReportEvent target = fills()[0];
  EXPECT_EQ(target.client_order_id, ClientOrderId("gf-s1-tp"));
  EXPECT_EQ(target.last_fill->price, btc("52000.0"));
  EXPECT_EQ(target.last_fill->qty, qty("0.3"));
  EXPECT_EQ(target.last_fill->liquidity, Liquidity::kMaker);
  EXPECT_EQ(target.last_fill->fee, usd("24.96"));  // 15600 × 0.16 %
  EXPECT_EQ(exchange_->held(kBtc), qty("0.2"));
  // One-cancels-other for the part sold: the stop now guards the remaining 0.2.
  EXPECT_EQ(reports_of("gf-s1-sl").back().quantity_ordered, qty("0.2"));
}

TEST_F(SimulatedExchangeBookTest, BarsOfABookDrivenPairDoNotFillItsOrders) {
  start(no_slippage());
  run_book(make_book(kBtc, {level(btc("49990.0"), "1")}, {level(btc("50000.0"), "1")}),
           at(std::chrono::seconds(1)));
  publish(approval("s1", kBtc, qty("0.1"), btc("49000.0"), std::nullopt));
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0")));
  EXPECT_TRUE(fills().empty());
  run_book(make_book(kBtc, {level(btc("50090.0"), "1")}, {level(btc("50100.0"), "1")}),
           at(std::chrono::seconds(121)));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50100.0"));
}

TEST_F(SimulatedExchangeBookTest, BarsStillTimeOutALimitEntryOfABookDrivenPair) {
  start();
  run_book(make_book(kBtc, {level(btc("49990.0"), "1")}, {level(btc("50000.0"), "1")}),
           at(std::chrono::seconds(1)));
  publish(limit_buy("s1", qty("0.1"), btc("49000.0")));
  for (int64_t i = 1; i <= SimulatedExchange::kLimitEntryTimeoutBars; ++i) {
    run_bar(make_bar(kBtc, i, btc("50000.0"), btc("50100.0"), btc("48000.0"), btc("50000.0")));
  }
  EXPECT_THAT(statuses_of("gf-s1-entry"), ElementsAre(OrderStatus::kNew, OrderStatus::kCanceled));
  EXPECT_TRUE(fills().empty());  // the bars' lows crossed the limit, but bars do not fill
}

// --- Latency -------------------------------------------------------------------------------------

TEST_F(SimulatedExchangeBookTest, WithLatencyAnOrderFillsOnlyOnBooksReceivedAfterItArrives) {
  config::ExecutionConfig config = config::default_config().execution;
  config.latency_ms = 250;
  start(config);
  clock_.advance_to(at(std::chrono::seconds(10)));
  publish(approval("s1", kBtc, qty("0.1"), btc("49000.0"), std::nullopt));
  EXPECT_EQ(exchange_->arrival_time(at(std::chrono::seconds(10)), 1),
            at(std::chrono::milliseconds(10250)));
  run_book(make_book(kBtc, {level(btc("49990.0"), "1")}, {level(btc("50000.0"), "1")}),
           at(std::chrono::milliseconds(10249)));
  EXPECT_TRUE(fills().empty());  // still on its way
  run_book(make_book(kBtc, {level(btc("50040.0"), "1")}, {level(btc("50050.0"), "1")}),
           at(std::chrono::milliseconds(10250)));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50050.0"));
  EXPECT_EQ(fills()[0].meta.ts_event, at(std::chrono::milliseconds(10250)));
}

TEST_F(SimulatedExchangeTest, WithLatencyABarThatOpenedBeforeTheOrderArrivedDoesNotFillIt) {
  config::ExecutionConfig config = config::default_config().execution;
  config.latency_ms = 500;
  config.slippage_model = config::SlippageModel::kNone;
  start(config);
  run_bar(make_bar(kBtc, 0, btc("50000.0"), btc("50100.0"), btc("49900.0"), btc("50050.0")));
  publish(approval("s1", kBtc, qty("0.1"), btc("49000.0"), std::nullopt));
  // Submitted at bar 1's open; it arrives 0.5 s later, when bar 1's open is gone.
  run_bar(make_bar(kBtc, 1, btc("50010.0"), btc("50200.0"), btc("49950.0"), btc("50100.0")));
  EXPECT_TRUE(fills().empty());
  run_bar(make_bar(kBtc, 2, btc("50120.0"), btc("50200.0"), btc("50000.0"), btc("50100.0")));
  ASSERT_EQ(fills().size(), 1u);
  EXPECT_EQ(fills()[0].last_fill->price, btc("50120.0"));
}

TEST(SimulatedExchangeLatency, JitterIsWithinItsRangeAndRepeatsForTheSameSeed) {
  InstrumentRegistry instruments;
  config::ExecutionConfig config = config::default_config().execution;
  config.latency_ms = 20;
  config.latency_jitter_ms = 5;
  config.latency_seed = 7;
  const SimulatedExchange first(config, instruments);
  const SimulatedExchange again(config, instruments);
  config.latency_seed = 8;
  const SimulatedExchange other_seed(config, instruments);
  const Timestamp submitted = timestamp_from_seconds(kStart);
  std::set<Timestamp> distinct;
  int differs_by_seed = 0;
  for (uint64_t order = 1; order <= 200; ++order) {
    const Timestamp arrival = first.arrival_time(submitted, order);
    EXPECT_GE(arrival, submitted + std::chrono::milliseconds(20));
    EXPECT_LE(arrival, submitted + std::chrono::milliseconds(25));
    EXPECT_EQ(arrival, again.arrival_time(submitted, order));
    if (arrival != other_seed.arrival_time(submitted, order)) ++differs_by_seed;
    distinct.insert(arrival);
  }
  EXPECT_GT(distinct.size(), 150u);  // nanosecond draws over a 5 ms range rarely repeat
  EXPECT_GT(differs_by_seed, 150);
}

}  // namespace
}  // namespace galfriday
