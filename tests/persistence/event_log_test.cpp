// The event log end to end: a real bus, the recorder on its hook, the async writer, SQLite,
// and reading the events back for replay.

#include "galfriday/persistence/event_log.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "galfriday/persistence/sql_repositories.hpp"
#include "test_support.hpp"

namespace galfriday::persistence {
namespace {

using test_support::TempDir;

Price px(std::string_view text) { return Price::parse(text).value(); }
Quantity qty(std::string_view text) { return Quantity::parse(text).value(); }
Money money(std::string_view text) { return Money::parse(text).value(); }

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(migrate(*db, clock_).is_ok());
    start_writer({});
  }

  std::unique_ptr<Database> open() {
    SqliteOptions options;
    options.durability = Durability::kNormal;
    auto db = open_sqlite(dir_.file("log.db"), options);
    EXPECT_TRUE(db.is_ok()) << db.status().to_string();
    if (!db) return nullptr;
    return std::move(db).value();
  }

  void start_writer(AsyncWriterOptions options) {
    options.on_error = [this](const WriteFailure& failure) {
      std::lock_guard lock(mutex_);
      errors_.push_back(failure.status);
    };
    writer_ = std::make_unique<AsyncWriter>(open(), std::move(options));
  }

  // Every event the bus dispatches, as its handlers see it.
  void collect_everything() {
    collect<MarketDataTradeEvent>();
    collect<MarketDataOHLCVEvent>();
    collect<FeatureEvent>();
    collect<TradeSignalProposedEvent>();
    collect<ExecutionReportEvent>();
    collect<SystemStateEvent>();
    collect<SystemErrorEvent>();
    collect<LogEvent>();
  }
  template <typename E>
  void collect() {
    bus_.subscribe<E>([this](const E& e) { dispatched_.emplace_back(e); });
  }

  std::vector<Status> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1700000000)};
  PubSubManager bus_{clock_};
  std::unique_ptr<AsyncWriter> writer_;
  std::vector<Event> dispatched_;
  std::mutex mutex_;
  std::vector<Status> errors_;
};

TEST_F(EventLogTest, RecordsEveryEventOfARealBusAndReadsThemBackInOrder) {
  EventLogRecorder recorder(bus_, *writer_, "run-1");
  collect_everything();
  // A handler that publishes: its event is logged too, after the one that caused it.
  bus_.subscribe<SystemStateEvent>([this](const SystemStateEvent& e) {
    if (e.state == SystemState::kHalted) {
      SystemErrorEvent error;
      error.source = "monitoring";
      error.message = "halted: " + e.reason;
      error.critical = true;
      bus_.publish(error);
    }
  });

  MarketDataTradeEvent trade;
  trade.instrument = InstrumentId("BTC/USD");
  trade.price = px("30306.1");
  trade.qty = qty("0.00100000");
  trade.aggressor = Side::kSell;
  trade.trade_id = TradeId("12345");
  bus_.publish(trade);

  MarketDataOHLCVEvent bar;
  bar.instrument = InstrumentId("BTC/USD");
  bar.bar_start = timestamp_from_seconds(1699999940);
  bar.interval = std::chrono::minutes(1);
  bar.open = px("100.1");
  bar.high = px("101.0");
  bar.low = px("99.5");
  bar.close = px("100.7");
  bar.volume = qty("12.50000000");
  bar.trade_count = 42;
  bus_.publish(bar);

  auto names = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"sma_fast", "ret_5"});
  bus_.publish(FeatureEvent{{}, InstrumentId("BTC/USD"), FeatureVector{names, {1.5, -0.001}}});

  TradeSignalProposedEvent signal;
  signal.signal_id = SignalId("sig-1");
  signal.instrument = InstrumentId("BTC/USD");
  signal.strategy_id = "default";
  signal.reference_price = px("30001.5");
  signal.stop_loss = px("29400.0");
  signal.prediction_value = 0.71;
  bus_.publish(signal);

  ExecutionReportEvent report;
  report.instrument = InstrumentId("BTC/USD");
  report.client_order_id = ClientOrderId("gf-sig-1-e");
  report.status = OrderStatus::kFilled;
  report.quantity_ordered = qty("0.50000000");
  report.quantity_filled = qty("0.50000000");
  report.average_fill_price = px("37500.0");
  report.last_fill = Fill{TradeId("T1"),     px("37500.0"), qty("0.50000000"),
                          money("48.75000"), "USD",         Liquidity::kMaker};
  bus_.publish(report);

  SystemStateEvent halt;
  halt.state = SystemState::kHalted;
  halt.reason = "drawdown";
  halt.halt_action = HaltAction::kMaintainPositions;
  bus_.publish(halt);

  LogEvent log;
  log.message = "it's \"quoted\"'); DROP TABLE event_log; --";
  bus_.publish(log);

  EXPECT_EQ(bus_.run_until_idle(), 8U);
  writer_->flush();
  EXPECT_EQ(recorder.recorded(), 8U);
  EXPECT_EQ(recorder.dropped(), 0U);

  auto reader = open();
  auto events = read_event_log(*reader, "run-1");
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), dispatched_.size());
  EXPECT_EQ(*events, dispatched_);
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ(meta_of((*events)[i]).sequence, i + 1);
  }
  EXPECT_TRUE(std::holds_alternative<SystemErrorEvent>((*events)[7]))
      << "an event published by a handler is logged when it is dispatched";

  auto tail = read_event_log(*reader, "run-1", 7);
  ASSERT_TRUE(tail.is_ok());
  ASSERT_EQ(tail->size(), 2U);
  EXPECT_EQ(tail->front(), dispatched_[6]);

  auto other_run = read_event_log(*reader, "run-2");
  ASSERT_TRUE(other_run.is_ok());
  EXPECT_TRUE(other_run->empty());
}

TEST_F(EventLogTest, CountsEventsTheWriterRefusesWithoutDisturbingTheBus) {
  AsyncWriterOptions options;
  options.capacity = 2;
  start_writer(options);
  EventLogRecorder recorder(bus_, *writer_, "run-full");
  collect_everything();

  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(writer_
                  ->enqueue("hold the writer",
                            [&](Database&) {
                              entered.set_value();
                              released.wait();
                              return Status::ok();
                            })
                  .is_ok());
  entered.get_future().wait();

  for (int i = 0; i < 5; ++i) {
    LogEvent log;
    log.message = "event " + std::to_string(i);
    bus_.publish(log);
  }
  EXPECT_EQ(bus_.run_until_idle(), 5U);
  EXPECT_EQ(dispatched_.size(), 5U) << "handlers still see every event";
  EXPECT_EQ(recorder.recorded(), 2U);
  EXPECT_EQ(recorder.dropped(), 3U);
  EXPECT_EQ(writer_->stats().rejected, 3U);

  release.set_value();
  writer_->flush();
  auto reader = open();
  auto events = read_event_log(*reader, "run-full");
  ASSERT_TRUE(events.is_ok());
  ASSERT_EQ(events->size(), 2U);
  EXPECT_EQ(meta_of((*events)[1]).sequence, 2U);
}

TEST_F(EventLogTest, AnEventThatCannotBeWrittenIsReportedAndTheRestAreLogged) {
  EventLogRecorder recorder(bus_, *writer_, "run-utf8");
  LogEvent bad;
  bad.message = "not UTF-8: \xFF\xFE";
  bus_.publish(bad);
  LogEvent good;
  good.message = "fine";
  bus_.publish(good);
  bus_.run_until_idle();
  writer_->flush();

  const auto reported = errors();
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_EQ(reported[0].code(), StatusCode::kInvalidArgument);
  auto reader = open();
  auto events = read_event_log(*reader, "run-utf8");
  ASSERT_TRUE(events.is_ok());
  ASSERT_EQ(events->size(), 1U);
  EXPECT_EQ(std::get<LogEvent>(events->front()).message, "fine");
}

TEST_F(EventLogTest, TheRecorderRemovesItsHookWhenDestroyed) {
  {
    EventLogRecorder recorder(bus_, *writer_, "run-short");
    bus_.publish(LogEvent{});
    bus_.run_until_idle();
  }
  bus_.publish(LogEvent{});
  bus_.run_until_idle();
  writer_->flush();
  auto reader = open();
  auto count = SqlEventLogRepository(*reader).count();
  ASSERT_TRUE(count.is_ok());
  EXPECT_EQ(*count, 1);
}

TEST_F(EventLogTest, AnUndecodableEntryIsDataLossNamingItsSequence) {
  auto db = open();
  ASSERT_TRUE(db->execute({"forge entry",
                           "INSERT INTO event_log (run_id, sequence, type, ts_event_ns, "
                           "ts_init_ns, json) VALUES ('forged', 7, 'LogEvent', 0, 0, '{oops')"})
                  .is_ok());
  auto events = read_event_log(*db, "forged");
  ASSERT_FALSE(events.is_ok());
  EXPECT_EQ(events.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(events.status().message().find("sequence 7"), std::string::npos);
}

}  // namespace
}  // namespace galfriday::persistence
