// Repository round trips. Parameterized by backend: the binary's backends_under_test() picks
// SQLite (persistence_test) or PostgreSQL (persistence_postgres_test).

#include <gtest/gtest.h>

#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "test_support.hpp"

namespace galfriday::persistence {
namespace {

using test_support::Backend;
using test_support::TempDir;

Price px(std::string_view text) { return Price::parse(text).value(); }
Quantity qty(std::string_view text) { return Quantity::parse(text).value(); }
Money money(std::string_view text) { return Money::parse(text).value(); }
Timestamp at(int64_t seconds) { return timestamp_from_seconds(1700000000 + seconds); }

// FixedPoint == compares values (1.0 == 1.00); storage must also keep the written text.
template <typename Tag>
void expect_same_text(const FixedPoint<Tag>& actual, const FixedPoint<Tag>& expected) {
  EXPECT_EQ(actual.to_string(), expected.to_string());
}

class RepositoryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = test_support::must_open(GetParam(), dir_);
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(migrate(*db_, clock_).is_ok());
    repos_ = make_sql_repositories(*db_);
  }

  static OrderRecord sample_order(std::string id) {
    OrderRecord o;
    o.client_order_id = ClientOrderId(std::move(id));
    o.signal_id = SignalId("sig-1");
    o.instrument = InstrumentId("BTC/USD");
    o.purpose = OrderPurpose::kEntry;
    o.side = Side::kBuy;
    o.order_type = OrderType::kLimit;
    o.quantity = qty("1.25000000");
    o.limit_price = px("37500.0");
    o.status = OrderStatus::kPendingNew;
    o.quantity_filled = qty("0.00000000");
    o.created_at = at(0);
    o.updated_at = at(0);
    return o;
  }

  static FillRecord sample_fill(std::string trade_id, std::string order_id, int64_t seconds) {
    return FillRecord{TradeId(std::move(trade_id)),
                      ClientOrderId(std::move(order_id)),
                      ExchangeOrderId("OU22CG-KLAF2-FWUDD7"),
                      InstrumentId("BTC/USD"),
                      Side::kBuy,
                      px("37500.0"),
                      qty("0.50000000"),
                      money("48.75000"),
                      "USD",
                      Liquidity::kMaker,
                      at(seconds)};
  }

  TempDir dir_;
  SimulatedClock clock_{at(0)};
  std::unique_ptr<Database> db_;
  Repositories repos_;
};

TEST_P(RepositoryTest, OrdersRoundTripAndFollowStatusUpdates) {
  const OrderRecord order = sample_order("gf-sig-1-e");
  ASSERT_TRUE(repos_.orders->insert(order).is_ok());
  auto found = repos_.orders->find(order.client_order_id);
  ASSERT_TRUE(found.is_ok()) << found.status().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, order);
  expect_same_text((*found)->quantity, order.quantity);
  expect_same_text((*found)->quantity_filled, order.quantity_filled);
  expect_same_text(*(*found)->limit_price, *order.limit_price);

  EXPECT_EQ(repos_.orders->insert(order).code(), StatusCode::kAlreadyExists);

  ExecutionReportEvent report;
  report.meta.ts_event = at(5);
  report.client_order_id = order.client_order_id;
  report.exchange_order_id = ExchangeOrderId("OU22CG-KLAF2-FWUDD7");
  report.status = OrderStatus::kPartiallyFilled;
  report.quantity_filled = qty("0.50000000");
  report.average_fill_price = px("37499.5");
  ASSERT_TRUE(repos_.orders->update(order_update_from(report)).is_ok());

  auto partial = repos_.orders->find(order.client_order_id);
  ASSERT_TRUE(partial.is_ok() && partial->has_value());
  EXPECT_EQ((*partial)->status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ((*partial)->exchange_order_id, report.exchange_order_id);
  expect_same_text((*partial)->quantity_filled, qty("0.50000000"));
  expect_same_text(*(*partial)->average_fill_price, px("37499.5"));
  EXPECT_EQ((*partial)->updated_at, at(5));
  EXPECT_EQ((*partial)->created_at, at(0));

  auto open = repos_.orders->open_orders();
  ASSERT_TRUE(open.is_ok());
  ASSERT_EQ(open->size(), 1U);

  // A later report without the exchange id or average price keeps the known ones.
  report.status = OrderStatus::kCanceled;
  report.exchange_order_id.reset();
  report.average_fill_price.reset();
  report.message = "user requested";
  ASSERT_TRUE(repos_.orders->update(order_update_from(report)).is_ok());
  auto canceled = repos_.orders->find(order.client_order_id);
  ASSERT_TRUE(canceled.is_ok() && canceled->has_value());
  EXPECT_EQ((*canceled)->status, OrderStatus::kCanceled);
  EXPECT_EQ((*canceled)->exchange_order_id, ExchangeOrderId("OU22CG-KLAF2-FWUDD7"));
  EXPECT_EQ((*canceled)->average_fill_price, px("37499.5"));
  EXPECT_EQ((*canceled)->message, "user requested");
  open = repos_.orders->open_orders();
  ASSERT_TRUE(open.is_ok());
  EXPECT_TRUE(open->empty());

  OrderUpdate unknown;
  unknown.client_order_id = ClientOrderId("nope");
  EXPECT_EQ(repos_.orders->update(unknown).code(), StatusCode::kNotFound);
  auto missing = repos_.orders->find(ClientOrderId("nope"));
  ASSERT_TRUE(missing.is_ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(RepositoryTest, OpenOrdersAreOldestFirst) {
  OrderRecord later = sample_order("b-later");
  later.created_at = at(10);
  OrderRecord earlier = sample_order("a-earlier");
  earlier.created_at = at(1);
  earlier.status = OrderStatus::kNew;
  OrderRecord done = sample_order("c-done");
  done.status = OrderStatus::kFilled;
  for (const auto& o : {later, earlier, done}) ASSERT_TRUE(repos_.orders->insert(o).is_ok());
  auto open = repos_.orders->open_orders();
  ASSERT_TRUE(open.is_ok());
  ASSERT_EQ(open->size(), 2U);
  EXPECT_EQ((*open)[0].client_order_id, earlier.client_order_id);
  EXPECT_EQ((*open)[1].client_order_id, later.client_order_id);
}

TEST_P(RepositoryTest, FillsAreIdempotentByTradeId) {
  const FillRecord fill = sample_fill("TX1", "gf-sig-1-e", 1);
  auto first = repos_.fills->insert(fill);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_TRUE(*first);
  auto replay = repos_.fills->insert(fill);
  ASSERT_TRUE(replay.is_ok()) << replay.status().to_string();
  EXPECT_FALSE(*replay) << "a replayed fill must not be booked twice";
  EXPECT_EQ(*repos_.fills->count(), 1);

  FillRecord contradicting = fill;
  contradicting.price = px("37600.0");
  auto conflict = repos_.fills->insert(contradicting);
  ASSERT_FALSE(conflict.is_ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(conflict.status().message().find("TX1"), std::string::npos);

  ASSERT_TRUE(repos_.fills->insert(sample_fill("TX0", "gf-sig-1-e", 0)).is_ok());
  ASSERT_TRUE(repos_.fills->insert(sample_fill("TX9", "other", 2)).is_ok());
  auto of_order = repos_.fills->for_order(ClientOrderId("gf-sig-1-e"));
  ASSERT_TRUE(of_order.is_ok());
  ASSERT_EQ(of_order->size(), 2U);
  EXPECT_EQ((*of_order)[0].trade_id, TradeId("TX0"));
  EXPECT_EQ((*of_order)[1], fill);
  expect_same_text((*of_order)[1].fee, money("48.75000"));
  expect_same_text((*of_order)[1].qty, qty("0.50000000"));
}

TEST_P(RepositoryTest, FillRecordFromAReport) {
  ExecutionReportEvent report;
  report.meta.ts_event = at(3);
  report.instrument = InstrumentId("ETH/USD");
  report.client_order_id = ClientOrderId("c1");
  report.side = Side::kSell;
  EXPECT_FALSE(fill_record_from(report).has_value());
  report.last_fill =
      Fill{TradeId("T7"), px("1650.12"), qty("0.2500"), money("1.07"), "USD", Liquidity::kTaker};
  const auto fill = fill_record_from(report);
  ASSERT_TRUE(fill.has_value());
  EXPECT_EQ(fill->trade_id, TradeId("T7"));
  EXPECT_EQ(fill->side, Side::kSell);
  EXPECT_EQ(fill->ts, at(3));
  auto inserted = repos_.fills->insert(*fill);
  ASSERT_TRUE(inserted.is_ok());
  EXPECT_TRUE(*inserted);
}

TEST_P(RepositoryTest, SignalsRecordProposalApprovalAndRejection) {
  TradeSignalProposedEvent proposed;
  proposed.meta.ts_event = at(1);
  proposed.signal_id = SignalId("sig-1");
  proposed.instrument = InstrumentId("BTC/USD");
  proposed.strategy_id = "default";
  proposed.entry_type = OrderType::kLimit;
  proposed.limit_price = px("30000.0");
  proposed.reference_price = px("30001.5");
  proposed.stop_loss = px("29400.0");
  proposed.take_profit = px("31200.0");
  proposed.prediction_sequence = 42;
  proposed.prediction_value = 0.1 + 0.2;  // not exactly 0.3: the text must round-trip
  ASSERT_TRUE(repos_.signals->record_proposed(proposed).is_ok());
  EXPECT_EQ(repos_.signals->record_proposed(proposed).code(), StatusCode::kAlreadyExists);

  TradeSignalApprovedEvent approved;
  approved.meta.ts_event = at(2);
  approved.signal_id = proposed.signal_id;
  approved.quantity = qty("0.01666666");
  approved.risk_amount = money("500.00");
  ASSERT_TRUE(repos_.signals->record_approved(approved).is_ok());

  auto found = repos_.signals->find(proposed.signal_id);
  ASSERT_TRUE(found.is_ok()) << found.status().to_string();
  ASSERT_TRUE(found->has_value());
  const SignalRecord& s = **found;
  EXPECT_EQ(s.status, SignalStatus::kApproved);
  EXPECT_EQ(s.prediction_value, 0.1 + 0.2);
  EXPECT_EQ(s.prediction_sequence, 42U);
  EXPECT_EQ(s.limit_price, px("30000.0"));
  EXPECT_EQ(s.take_profit, px("31200.0"));
  expect_same_text(*s.approved_quantity, qty("0.01666666"));
  expect_same_text(*s.risk_amount, money("500.00"));
  EXPECT_EQ(s.proposed_at, at(1));
  EXPECT_EQ(s.decided_at, at(2));
  EXPECT_FALSE(s.reject_reason.has_value());

  TradeSignalRejectedEvent late;
  late.signal_id = proposed.signal_id;
  late.reason = RejectReason::kHalted;
  EXPECT_EQ(repos_.signals->record_rejected(late).code(), StatusCode::kFailedPrecondition);

  TradeSignalProposedEvent second = proposed;
  second.signal_id = SignalId("sig-2");
  second.limit_price.reset();
  second.take_profit.reset();
  second.entry_type = OrderType::kMarket;
  ASSERT_TRUE(repos_.signals->record_proposed(second).is_ok());
  TradeSignalRejectedEvent rejected;
  rejected.meta.ts_event = at(3);
  rejected.signal_id = second.signal_id;
  rejected.reason = RejectReason::kFatFinger;
  rejected.message = "5.2% away from the market";
  ASSERT_TRUE(repos_.signals->record_rejected(rejected).is_ok());
  auto rejected_record = repos_.signals->find(second.signal_id);
  ASSERT_TRUE(rejected_record.is_ok() && rejected_record->has_value());
  EXPECT_EQ((*rejected_record)->status, SignalStatus::kRejected);
  EXPECT_EQ((*rejected_record)->reject_reason, RejectReason::kFatFinger);
  EXPECT_EQ((*rejected_record)->reject_message, "5.2% away from the market");
  EXPECT_FALSE((*rejected_record)->limit_price.has_value());

  TradeSignalRejectedEvent unknown;
  unknown.signal_id = SignalId("never-proposed");
  EXPECT_EQ(repos_.signals->record_rejected(unknown).code(), StatusCode::kNotFound);
}

TEST_P(RepositoryTest, EventLogKeepsRunsApartInSequenceOrder) {
  LogEvent a;
  a.meta = {2, at(1), at(2)};
  a.message = "second";
  LogEvent b;
  b.meta = {1, at(1), at(1)};
  b.message = "first";
  ASSERT_TRUE(repos_.event_log->append("run-a", a).is_ok());
  ASSERT_TRUE(repos_.event_log->append("run-a", b).is_ok());
  ASSERT_TRUE(repos_.event_log->append("run-b", b).is_ok());
  EXPECT_EQ(repos_.event_log->append("run-a", b).code(), StatusCode::kAlreadyExists);

  auto entries = repos_.event_log->read("run-a");
  ASSERT_TRUE(entries.is_ok()) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[0].sequence, 1U);
  EXPECT_EQ((*entries)[1].sequence, 2U);
  EXPECT_EQ((*entries)[1].type, "LogEvent");
  EXPECT_EQ((*entries)[1].ts_event, at(1));
  EXPECT_EQ((*entries)[1].ts_init, at(2));
  EXPECT_NE((*entries)[1].json.find("second"), std::string::npos);

  auto from_two = repos_.event_log->read("run-a", 2);
  ASSERT_TRUE(from_two.is_ok());
  ASSERT_EQ(from_two->size(), 1U);
  auto limited = repos_.event_log->read("run-a", 0, 1);
  ASSERT_TRUE(limited.is_ok());
  EXPECT_EQ(limited->size(), 1U);

  auto runs = repos_.event_log->runs();
  ASSERT_TRUE(runs.is_ok());
  EXPECT_EQ(*runs, (std::vector<std::string>{"run-a", "run-b"}));
  EXPECT_EQ(*repos_.event_log->count(), 3);
}

TEST_P(RepositoryTest, PortfolioSnapshotsRoundTripWithExactPositions) {
  PortfolioSnapshot first;
  first.ts = at(60);
  first.valuation_currency = "USD";
  first.equity = money("100012.34567");
  first.cash = money("62512.34567");
  first.peak_equity = money("100100.00000");
  first.realized_pnl = money("-12.50000");
  first.unrealized_pnl = money("24.84567");
  first.drawdown_pct = 0.08756;
  first.positions = {
      {InstrumentId("BTC/USD"), qty("1.00000000"), money("37475.15433"), px("37500.0")},
      {InstrumentId("ETH/USD"), qty("0.00000001"), money("0.00002"), std::nullopt},
  };
  PortfolioSnapshot second = first;
  second.ts = at(120);
  second.positions.clear();
  ASSERT_TRUE(repos_.snapshots->insert(second).is_ok());
  ASSERT_TRUE(repos_.snapshots->insert(first).is_ok());

  auto latest = repos_.snapshots->latest();
  ASSERT_TRUE(latest.is_ok()) << latest.status().to_string();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ(**latest, second);

  auto range = repos_.snapshots->between(at(0), at(120));
  ASSERT_TRUE(range.is_ok());
  ASSERT_EQ(range->size(), 1U);
  const PortfolioSnapshot& read = range->front();
  EXPECT_EQ(read, first);
  expect_same_text(read.equity, first.equity);
  expect_same_text(read.peak_equity, first.peak_equity);
  expect_same_text(read.positions[0].qty, qty("1.00000000"));
  expect_same_text(*read.positions[0].mark_price, px("37500.0"));
  expect_same_text(read.positions[1].cost_basis, money("0.00002"));
  EXPECT_EQ(read.drawdown_pct, 0.08756);
}

TEST_P(RepositoryTest, BarsUpsertAndComeBackInTimeOrder) {
  const InstrumentId btc("BTC/USD");
  const Duration minute = std::chrono::minutes(1);
  auto bar = [&](int64_t minute_index, std::string_view close) {
    MarketDataOHLCVEvent b;
    b.instrument = btc;
    b.interval = minute;
    b.bar_start = at(60 * minute_index);
    b.open = px("100.1");
    b.high = px("101.0");
    b.low = px("99.5");
    b.close = px(close);
    b.volume = qty("12.50000000");
    b.trade_count = 42;
    return b;
  };
  ASSERT_TRUE(repos_.bars->upsert({bar(2, "100.2"), bar(0, "100.0"), bar(1, "100.1")}).is_ok());
  ASSERT_TRUE(repos_.bars->upsert({bar(1, "105.5")}).is_ok());  // corrected bar replaces
  MarketDataOHLCVEvent hourly = bar(0, "1.0");
  hourly.interval = std::chrono::hours(1);
  ASSERT_TRUE(repos_.bars->upsert({hourly}).is_ok());

  auto bars = repos_.bars->range(btc, minute, at(0), at(180));
  ASSERT_TRUE(bars.is_ok()) << bars.status().to_string();
  ASSERT_EQ(bars->size(), 3U);
  EXPECT_EQ((*bars)[0], [&] {
    auto expected = bar(0, "100.0");
    expected.meta.ts_event = expected.bar_start + minute;
    expected.meta.ts_init = expected.meta.ts_event;
    return expected;
  }());
  expect_same_text((*bars)[1].close, px("105.5"));
  expect_same_text((*bars)[2].volume, qty("12.50000000"));
  EXPECT_LT((*bars)[0].bar_start, (*bars)[1].bar_start);
  EXPECT_LT((*bars)[1].bar_start, (*bars)[2].bar_start);

  auto window = repos_.bars->range(btc, minute, at(60), at(120));
  ASSERT_TRUE(window.is_ok());
  ASSERT_EQ(window->size(), 1U) << "the end of the range is exclusive";
  auto other = repos_.bars->range(InstrumentId("ETH/USD"), minute, at(0), at(180));
  ASSERT_TRUE(other.is_ok());
  EXPECT_TRUE(other->empty());

  MarketDataOHLCVEvent no_interval = bar(5, "1.0");
  no_interval.interval = Duration::zero();
  EXPECT_EQ(repos_.bars->upsert({bar(4, "1.0"), no_interval}).code(), StatusCode::kInvalidArgument);
  auto after = repos_.bars->range(btc, minute, at(0), at(600));
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->size(), 3U) << "a failing batch is not partly stored";
}

TEST_P(RepositoryTest, HaltStateKeepsTheCurrentStateAndItsHistory) {
  auto none = repos_.halts->current();
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());

  SystemStateEvent halted;
  halted.meta.ts_event = at(10);
  halted.state = SystemState::kHalted;
  halted.reason = "max total drawdown 15% exceeded";
  halted.halt_action = HaltAction::kClosePositions;
  ASSERT_TRUE(repos_.halts->record(halt_record_from(halted, "monitoring")).is_ok());
  SystemStateEvent resumed;
  resumed.meta.ts_event = at(20);
  resumed.state = SystemState::kRunning;
  resumed.reason = "operator resumed";
  ASSERT_TRUE(repos_.halts->record(halt_record_from(resumed, "operator:cli")).is_ok());

  auto current = repos_.halts->current();
  ASSERT_TRUE(current.is_ok() && current->has_value());
  EXPECT_EQ(**current, (HaltRecord{SystemState::kRunning, "operator resumed", std::nullopt,
                                   "operator:cli", at(20)}));
  auto history = repos_.halts->history();
  ASSERT_TRUE(history.is_ok());
  ASSERT_EQ(history->size(), 2U);
  EXPECT_EQ((*history)[0], (HaltRecord{SystemState::kHalted, "max total drawdown 15% exceeded",
                                       HaltAction::kClosePositions, "monitoring", at(10)}));
  EXPECT_EQ((*history)[1], **current);
}

TEST_P(RepositoryTest, HostileStringsRoundTripThroughEveryKindOfColumn) {
  const std::string drop = "x'); DROP TABLE orders; --";
  OrderRecord order = sample_order(drop);
  order.message = "it's \"quoted\" ?; DELETE FROM fills; --";
  order.instrument = InstrumentId("'; DROP TABLE orders; --");
  ASSERT_TRUE(repos_.orders->insert(order).is_ok());
  auto found = repos_.orders->find(ClientOrderId(drop));
  ASSERT_TRUE(found.is_ok() && found->has_value());
  EXPECT_EQ(**found, order);

  ASSERT_TRUE(repos_.fills->insert(sample_fill("T'1", drop, 1)).is_ok());
  auto fills = repos_.fills->for_order(ClientOrderId(drop));
  ASSERT_TRUE(fills.is_ok());
  EXPECT_EQ(fills->size(), 1U);

  LogEvent log;
  log.meta.sequence = 1;
  log.message = "'); DROP TABLE event_log; --";
  ASSERT_TRUE(repos_.event_log->append(drop, log).is_ok());
  auto entries = repos_.event_log->read(drop);
  ASSERT_TRUE(entries.is_ok());
  ASSERT_EQ(entries->size(), 1U);
  EXPECT_EQ(entries->front().run_id, drop);

  auto open = repos_.orders->open_orders();
  ASSERT_TRUE(open.is_ok());
  EXPECT_EQ(open->size(), 1U) << "the orders table is intact";
}

INSTANTIATE_TEST_SUITE_P(Backends, RepositoryTest,
                         ::testing::ValuesIn(test_support::backends_under_test()),
                         test_support::backend_name);

}  // namespace
}  // namespace galfriday::persistence
