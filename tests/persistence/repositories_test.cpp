// Repository round trips. Parameterized by backend: the binary's backends_under_test() picks
// SQLite (persistence_test) or PostgreSQL (persistence_postgres_test).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "galfriday/persistence/async_writer.hpp"
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

TEST_P(RepositoryTest, RecoveryChecklistBelongsToTheCurrentHalt) {
  HaltRecord halt{SystemState::kHalted, "daily_drawdown: 2.31 % >= 2.00 %",
                  HaltAction::kMaintainPositions, "monitoring", at(10)};
  const RecoveryItemRecord reviewed{"review_halt_reason", "operator:ctl", at(11)};
  // Nothing to complete before the first halt.
  EXPECT_EQ(repos_.halts->complete_recovery_item(reviewed).code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(repos_.halts->record(halt).is_ok());
  const RecoveryItemRecord positions{"review_positions", "operator:cli", at(12)};
  ASSERT_TRUE(repos_.halts->complete_recovery_item(positions).is_ok());
  ASSERT_TRUE(repos_.halts->complete_recovery_item(reviewed).is_ok());
  const Status twice = repos_.halts->complete_recovery_item(reviewed);
  EXPECT_EQ(twice.code(), StatusCode::kAlreadyExists) << twice.to_string();
  EXPECT_NE(twice.message().find("review_halt_reason"), std::string::npos) << twice.message();

  // In completion order, from a second connection as a restarted process reads them.
  {
    auto other = test_support::must_open(GetParam(), dir_);
    ASSERT_NE(other, nullptr);
    auto stored = SqlHaltStateRepository(*other).completed_recovery_items();
    ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
    EXPECT_EQ(*stored, (std::vector<RecoveryItemRecord>{reviewed, positions}));
  }

  // A resume ends the halt and its checklist ...
  ASSERT_TRUE(repos_.halts
                  ->record({SystemState::kRunning, "resumed by operator:ctl", std::nullopt,
                            "operator:ctl", at(20)})
                  .is_ok());
  auto running = repos_.halts->completed_recovery_items();
  ASSERT_TRUE(running.is_ok()) << running.status().to_string();
  EXPECT_TRUE(running->empty());
  EXPECT_EQ(repos_.halts->complete_recovery_item(reviewed).code(), StatusCode::kFailedPrecondition);

  // ... and the next halt starts with every item open: the same item is completed afresh.
  halt.changed_at = at(30);
  ASSERT_TRUE(repos_.halts->record(halt).is_ok());
  auto fresh = repos_.halts->completed_recovery_items();
  ASSERT_TRUE(fresh.is_ok()) << fresh.status().to_string();
  EXPECT_TRUE(fresh->empty());
  const RecoveryItemRecord again{"review_halt_reason", "operator:dashboard", at(31)};
  ASSERT_TRUE(repos_.halts->complete_recovery_item(again).is_ok());
  auto second = repos_.halts->completed_recovery_items();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_EQ(*second, (std::vector<RecoveryItemRecord>{again}));
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

// ---- Historical market trades -------------------------------------------------------------

MarketTradeRecord market_trade(int64_t id, std::string_view price, std::string_view quantity,
                               Side side, OrderType type, Timestamp ts) {
  return MarketTradeRecord{InstrumentId("BTC/USD"), id, px(price), qty(quantity), side, type, ts};
}

TEST_P(RepositoryTest, MarketTradesAreStoredOncePerPairAndTradeId) {
  // 300 trades: multi-row chunks of 256, 16, 16, 4, 4 and 4 rows.
  std::vector<MarketTradeRecord> trades;
  for (int64_t id = 1; id <= 300; ++id) {
    trades.push_back(market_trade(id, id % 2 == 0 ? "37500.1" : "37499.90",
                                  "0.00" + std::to_string(100 + id),
                                  id % 3 == 0 ? Side::kSell : Side::kBuy,
                                  id % 5 == 0 ? OrderType::kLimit : OrderType::kMarket, at(id)));
  }
  auto stored = repos_.market_trades->insert(trades);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_EQ(*stored, 300);

  // Fetching an overlapping page again stores only what is new; the same id on another pair is
  // another trade.
  std::vector<MarketTradeRecord> overlap(trades.begin() + 290, trades.end());
  overlap.push_back(market_trade(301, "37501.0", "1.5", Side::kBuy, OrderType::kLimit, at(301)));
  MarketTradeRecord other_pair = trades[0];
  other_pair.instrument = InstrumentId("ETH/USD");
  overlap.push_back(other_pair);
  overlap.push_back(overlap.back());  // twice in one call
  auto again = repos_.market_trades->insert(overlap);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(*again, 2);

  auto range = repos_.market_trades->range(InstrumentId("BTC/USD"), at(10), at(20));
  ASSERT_TRUE(range.is_ok()) << range.status().to_string();
  ASSERT_EQ(range->size(), 10U);
  for (size_t i = 0; i < range->size(); ++i) {
    EXPECT_EQ((*range)[i], trades[9 + i]);
    expect_same_text((*range)[i].price, trades[9 + i].price);
    expect_same_text((*range)[i].qty, trades[9 + i].qty);
  }

  auto summary = repos_.market_trades->summary();
  ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
  ASSERT_EQ(summary->size(), 2U);
  EXPECT_EQ((*summary)[0],
            (MarketTradeSummary{InstrumentId("BTC/USD"), 301, at(1), at(301), 1, 301}));
  EXPECT_EQ((*summary)[1], (MarketTradeSummary{InstrumentId("ETH/USD"), 1, at(1), at(1), 1, 1}));

  auto empty = repos_.market_trades->insert({});
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(*empty, 0);
}

TEST_P(RepositoryTest, MarketTradesRefuseAnOrderTypeKrakenTradesDoNotHave) {
  auto refused = repos_.market_trades->insert(
      {market_trade(1, "1.0", "1.0", Side::kBuy, OrderType::kMarket, at(1)),
       market_trade(2, "1.0", "1.0", Side::kBuy, OrderType::kStopLoss, at(2))});
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  auto summary = repos_.market_trades->summary();
  ASSERT_TRUE(summary.is_ok());
  EXPECT_TRUE(summary->empty()) << "nothing of a refused call is stored";
}

// ---- Multi-row inserts through the AsyncWriter ---------------------------------------------

// Forwards to a real connection and counts the statements sent, to see the writer join rows.
class CountingDatabase final : public Database {
 public:
  CountingDatabase(std::unique_ptr<Database> db, std::shared_ptr<std::atomic<int>> statements)
      : db_(std::move(db)), statements_(std::move(statements)) {}
  std::string_view dialect() const override { return db_->dialect(); }
  Result<int64_t> execute(const Statement& statement, const SqlParams& params) override {
    ++*statements_;
    return db_->execute(statement, params);
  }
  Result<std::vector<Row>> query(const Statement& statement, const SqlParams& params) override {
    ++*statements_;
    return db_->query(statement, params);
  }
  Status execute_script(std::string_view purpose, std::string_view sql) override {
    return db_->execute_script(purpose, sql);
  }
  Status transaction(std::string_view purpose, const TransactionBody& body) override {
    return db_->transaction(purpose, [&](Database&) { return body(*this); });
  }
  Result<bool> table_exists(std::string_view table) override { return db_->table_exists(table); }

 private:
  std::unique_ptr<Database> db_;
  std::shared_ptr<std::atomic<int>> statements_;
};

struct WriterRun {
  std::vector<WriteFailure> failures;
  WriterStats stats;
  int statements = 0;
};

// Runs the commands through an AsyncWriter on a second connection, as one batch: the writer
// lingers for a full batch until flush().
WriterRun run_as_one_batch(std::unique_ptr<Database> db, std::vector<WriteCommand> commands) {
  WriterRun run;
  auto statements = std::make_shared<std::atomic<int>>(0);
  std::mutex mutex;
  AsyncWriterOptions options;
  options.max_batch_items = 4096;
  options.max_batch_delay = std::chrono::minutes(1);
  options.on_error = [&](const WriteFailure& failure) {
    std::lock_guard lock(mutex);
    run.failures.push_back(failure);
  };
  AsyncWriter writer(std::make_unique<CountingDatabase>(std::move(db), statements), options);
  for (WriteCommand& command : commands) EXPECT_TRUE(writer.enqueue(std::move(command)).is_ok());
  writer.flush();
  writer.stop();
  run.stats = writer.stats();
  run.statements = statements->load();
  return run;
}

Event numbered_log_event(uint64_t sequence) {
  LogEvent event;
  event.meta = {sequence, at(1), at(2)};
  event.message = "line " + std::to_string(sequence);
  return event;
}

TEST_P(RepositoryTest, WriterJoinsFillsAndEventsIntoMultiRowInsertsAndStaysIdempotent) {
  const FillRecord stored = sample_fill("TX-stored", "gf-sig-0-e", 0);
  ASSERT_TRUE(repos_.fills->insert(stored).is_ok());
  auto run_id = std::make_shared<const std::string>("run-bulk");

  std::vector<WriteCommand> commands;
  std::vector<FillRecord> fills;
  for (int i = 0; i < 300; ++i) {
    fills.push_back(
        sample_fill("TX" + std::to_string(i), "gf-sig-" + std::to_string(i % 5) + "-e", i));
    fills.back().price = px("37500." + std::to_string(i % 10));
    commands.push_back(insert_fill_command(fills.back()));
    if (i == 100) commands.push_back(insert_fill_command(stored));    // a replay of a stored fill
    if (i == 150) commands.push_back(insert_fill_command(fills[7]));  // a replay in the batch
  }
  // An order in between: a command of another kind runs on its own, in order.
  OrderRecord order = sample_order("gf-sig-0-e");
  commands.push_back(
      {"insert order", [order](Database& db) { return SqlOrderRepository(db).insert(order); }});
  for (uint64_t sequence = 1; sequence <= 100; ++sequence) {
    commands.push_back(append_event_command(run_id, numbered_log_event(sequence)));
  }

  const WriterRun run =
      run_as_one_batch(test_support::must_open(GetParam(), dir_), std::move(commands));
  for (const WriteFailure& f : run.failures)
    ADD_FAILURE() << f.purpose << ": " << f.status.to_string();
  EXPECT_EQ(run.stats.committed, 403U);
  // 302 fills: 256 + 16 + 16 + 4 + 4 + 4 rows in six statements and 2 one by one, plus one
  // look-up each for the two replays that the multi-row insert skipped; the order; 100 events
  // in 64-16-16-4 chunks (4 statements). Far fewer than one statement per row.
  EXPECT_LT(run.statements, 30) << "rows were not joined into multi-row inserts";

  EXPECT_EQ(*repos_.fills->count(), 301) << "each trade id once";
  for (int order_index = 0; order_index < 5; ++order_index) {
    auto of_order =
        repos_.fills->for_order(ClientOrderId("gf-sig-" + std::to_string(order_index) + "-e"));
    ASSERT_TRUE(of_order.is_ok()) << of_order.status().to_string();
    for (const FillRecord& f : *of_order) {
      if (f.trade_id == stored.trade_id) {
        EXPECT_EQ(f, stored);
        continue;
      }
      const int n = std::stoi(f.trade_id.str().substr(2));
      EXPECT_EQ(f, fills[static_cast<size_t>(n)]) << "values bound to the right row";
      expect_same_text(f.price, fills[static_cast<size_t>(n)].price);
    }
  }
  auto found = repos_.orders->find(order.client_order_id);
  ASSERT_TRUE(found.is_ok() && found->has_value());
  auto events = repos_.event_log->read(*run_id);
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), 100U);
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].sequence, i + 1);
    EXPECT_NE((*events)[i].json.find("line " + std::to_string(i + 1) + "\""), std::string::npos);
  }
}

TEST_P(RepositoryTest, WriterReportsAContradictingFillAndALoggedEventFromAJoinedBatch) {
  const FillRecord stored = sample_fill("TX-stored", "gf-sig-0-e", 0);
  ASSERT_TRUE(repos_.fills->insert(stored).is_ok());
  ASSERT_TRUE(repos_.event_log->append("run-bulk", numbered_log_event(5)).is_ok());
  auto run_id = std::make_shared<const std::string>("run-bulk");

  FillRecord contradicting = stored;
  contradicting.qty = qty("0.60000000");
  std::vector<WriteCommand> commands;
  for (int i = 0; i < 40; ++i) {
    commands.push_back(insert_fill_command(sample_fill("TX" + std::to_string(i), "o", i)));
    if (i == 20) commands.push_back(insert_fill_command(contradicting));
  }
  for (uint64_t sequence = 1; sequence <= 10; ++sequence) {
    commands.push_back(append_event_command(run_id, numbered_log_event(sequence)));
  }

  const WriterRun run =
      run_as_one_batch(test_support::must_open(GetParam(), dir_), std::move(commands));
  ASSERT_EQ(run.failures.size(), 2U);
  EXPECT_EQ(run.failures[0].purpose, "insert fill");
  EXPECT_EQ(run.failures[0].status.code(), StatusCode::kDataLoss)
      << run.failures[0].status.to_string();
  EXPECT_NE(run.failures[0].status.message().find("TX-stored"), std::string::npos);
  EXPECT_EQ(run.failures[1].purpose, "append event to log");
  EXPECT_EQ(run.failures[1].status.code(), StatusCode::kAlreadyExists)
      << run.failures[1].status.to_string();
  EXPECT_EQ(run.stats.committed, 49U);
  EXPECT_EQ(run.stats.failed, 2U);

  EXPECT_EQ(*repos_.fills->count(), 41);
  auto kept = repos_.fills->for_order(stored.client_order_id);
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 1U);
  EXPECT_EQ(kept->front(), stored) << "the stored fill is not overwritten";
  EXPECT_EQ(*repos_.event_log->count(), 10);
}

INSTANTIATE_TEST_SUITE_P(Backends, RepositoryTest,
                         ::testing::ValuesIn(test_support::backends_under_test()),
                         test_support::backend_name);

}  // namespace
}  // namespace galfriday::persistence
