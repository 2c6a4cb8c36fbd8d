// KrakenExecutionHandler on a SimulatedClock with the signature-checking fake transport, a real
// SQLite store and the inline executor: full order lifecycles, duplicates, halts, timeouts,
// restart and the REST polling fallback.

#include "galfriday/live/execution_handler.hpp"

#include <gtest/gtest.h>

#include "../support/kraken_account.hpp"
#include "fake_kraken.hpp"
#include "galfriday/live/client_order_id.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/sqlite_store.hpp"
#include "live_test_support.hpp"

namespace galfriday::live {
namespace {

using test_support::FakeKrakenTransport;
using test_support::TempDir;

constexpr std::string_view kSecret = test::kKrakenExampleSecret;
constexpr std::string_view kApiKey = "handler-test-key";
const InstrumentId kBtc("BTC/USD");
const Timestamp kStart = timestamp_from_seconds(1'700'000'000);

class ClockSleeper final : public Sleeper {
 public:
  explicit ClockSleeper(SimulatedClock& clock) : clock_(clock) {}
  void sleep_for(Duration duration) override { clock_.advance_to(clock_.now() + duration); }

 private:
  SimulatedClock& clock_;
};

using test::btc_usd_spec;

std::string add_order_answer(const std::string& txid) {
  return R"({"error":[],"result":{"descr":{"order":"x"},"txid":[")" + txid + R"("]}})";
}
constexpr std::string_view kDeadMansSwitchAnswer =
    R"({"error":[],"result":{"currentTime":"2023-11-14T22:13:20Z","triggerTime":"2023-11-14T22:14:20Z"}})";
constexpr std::string_view kCancelAnswer = R"({"error":[],"result":{"count":1}})";

// One WS v2 executions frame with one execution.
std::string frame(uint64_t sequence, const std::string& execution) {
  return R"({"channel":"executions","type":"update","data":[)" + execution + R"(],"sequence":)" +
         std::to_string(sequence) + "}";
}
std::string trade_execution(const std::string& order_id, const ClientOrderId& cl_ord_id,
                            const std::string& exec_id, const std::string& qty,
                            const std::string& price, const std::string& status) {
  return R"({"order_id":")" + order_id + R"(","cl_ord_id":")" + cl_ord_id.str() +
         R"(","exec_id":")" + exec_id + R"(","exec_type":"trade","trade_id":1,"last_qty":)" + qty +
         R"(,"last_price":)" + price + R"(,"liquidity_ind":"t","order_status":")" + status +
         R"(","fees":[{"asset":"USD","qty":0.13}],"timestamp":"2023-11-14T22:13:21.5Z"})";
}
std::string status_execution(const std::string& order_id, const std::string& exec_type) {
  return R"({"order_id":")" + order_id + R"(","exec_type":")" + exec_type +
         R"(","timestamp":"2023-11-14T22:13:22Z"})";
}

struct Harness {
  Harness() : Harness(std::make_shared<TempDir>()) {}
  explicit Harness(std::shared_ptr<TempDir> shared_dir)
      : dir(std::move(shared_dir)),
        clock(kStart),
        sleeper(clock),
        transport(std::string(kApiKey), std::string(kSecret)),
        bus(clock),
        scheduler(clock) {
    persistence::SqliteOptions sqlite;
    sqlite.durability = persistence::Durability::kNormal;
    db = persistence::open_sqlite(dir->file("galfriday.db"), sqlite).value();
    EXPECT_TRUE(persistence::migrate(*db, clock).is_ok());
    orders = std::make_unique<persistence::SqlOrderRepository>(*db);
    fills = std::make_unique<persistence::SqlFillRepository>(*db);
    signals = std::make_unique<persistence::SqlSignalRepository>(*db);
    nonces = NonceGenerator::open(dir->file("kraken_nonce"), clock).value();
    client = KrakenPrivateClient::create(transport, *nonces, clock, sleeper, std::string(kApiKey),
                                         kSecret)
                 .value();
    EXPECT_TRUE(instruments.add(btc_usd_spec()).is_ok());
    LiveExecutionOptions options;
    options.limit_order_timeout = std::chrono::seconds(30);
    handler = std::make_unique<KrakenExecutionHandler>(
        options, instruments, *client, *orders, *fills, bus, scheduler, executor, signals.get());
    bus.subscribe<ExecutionReportEvent>(
        [this](const ExecutionReportEvent& report) { reports.push_back(report); });
    bus.subscribe<PotentialHaltTriggerEvent>(
        [this](const PotentialHaltTriggerEvent& trigger) { halt_triggers.push_back(trigger); });
    transport.answer("CancelAllOrdersAfter", std::string(kDeadMansSwitchAnswer));
    handler->attach();
    handler->set_private_socket_up(true);
    bus.run_until_idle();
  }

  void approve(const std::string& signal_id, OrderType type = OrderType::kMarket) {
    TradeSignalApprovedEvent signal;
    signal.signal_id = SignalId(signal_id);
    signal.instrument = kBtc;
    signal.strategy_id = "test";
    signal.side = Side::kBuy;
    signal.order_type = type;
    signal.quantity = *Quantity::parse("0.01", 8);
    if (type == OrderType::kLimit) signal.limit_price = *Price::parse("49900.0", 1);
    signal.stop_loss = *Price::parse("49000.0", 1);
    signal.take_profit = *Price::parse("52000.0", 1);
    // As the pipeline does: the signal is recorded when proposed and approved.
    TradeSignalProposedEvent proposed;
    proposed.signal_id = signal.signal_id;
    proposed.instrument = kBtc;
    proposed.strategy_id = "test";
    proposed.entry_type = type;
    proposed.limit_price = signal.limit_price;
    proposed.reference_price = *Price::parse("50000.0", 1);
    proposed.stop_loss = signal.stop_loss;
    proposed.take_profit = signal.take_profit;
    if (signals->record_proposed(proposed).is_ok()) {
      EXPECT_TRUE(signals->record_approved(signal).is_ok());
    }
    bus.publish(signal);
    bus.run_until_idle();
  }
  void ws(const std::string& text) {
    handler->on_private_frame(text);
    bus.run_until_idle();
  }
  std::vector<std::pair<std::string, OrderStatus>> report_log() const {
    std::vector<std::pair<std::string, OrderStatus>> log;
    for (const auto& report : reports) log.emplace_back(to_string(report.purpose), report.status);
    return log;
  }

  std::shared_ptr<TempDir> dir;
  SimulatedClock clock;
  ClockSleeper sleeper;
  FakeKrakenTransport transport;
  PubSubManager bus;
  Scheduler scheduler;
  InlineExecutor executor;
  std::unique_ptr<persistence::Database> db;
  std::unique_ptr<persistence::SqlOrderRepository> orders;
  std::unique_ptr<persistence::SqlFillRepository> fills;
  std::unique_ptr<persistence::SqlSignalRepository> signals;
  std::unique_ptr<NonceGenerator> nonces;
  std::unique_ptr<KrakenPrivateClient> client;
  InstrumentRegistry instruments;
  std::unique_ptr<KrakenExecutionHandler> handler;
  std::vector<ExecutionReportEvent> reports;
  std::vector<PotentialHaltTriggerEvent> halt_triggers;
};

const ClientOrderId kEntryS1 = derive_client_order_id(SignalId("s1"), OrderPurpose::kEntry);
const ClientOrderId kStopS1 = derive_client_order_id(SignalId("s1"), OrderPurpose::kStopLoss);
const ClientOrderId kTargetS1 = derive_client_order_id(SignalId("s1"), OrderPurpose::kTakeProfit);

TEST(KrakenExecutionHandler, EntryFillPlacesOcoProtectionAndATargetFillCancelsTheStop) {
  Harness h;
  EXPECT_EQ(h.transport.count("CancelAllOrdersAfter"), 1) << "dead man's switch armed at start";
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1");
  ASSERT_EQ(h.transport.count("AddOrder"), 1);
  EXPECT_EQ(h.transport.requests.back().param("cl_ord_id"), kEntryS1.str());
  EXPECT_EQ(h.transport.requests.back().param("ordertype"), "market");
  EXPECT_EQ(h.transport.requests.back().param("volume"), "0.01000000");
  EXPECT_EQ(h.transport.requests.back().param("pair"), "XBTUSD");
  // The intent was stored before the order was sent.
  auto stored = h.orders->find(kEntryS1);
  ASSERT_TRUE(stored && *stored);

  h.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  h.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  h.ws(frame(5, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TFILL1-AAAAA-AAAAAA", "0.01",
                                "50000.0", "filled")));
  ASSERT_EQ(h.transport.count("AddOrder"), 3);
  const auto& stop_request = h.transport.requests[h.transport.requests.size() - 2];
  EXPECT_EQ(stop_request.param("cl_ord_id"), kStopS1.str());
  EXPECT_EQ(stop_request.param("ordertype"), "stop-loss");
  EXPECT_EQ(stop_request.param("type"), "sell");
  EXPECT_EQ(stop_request.param("price"), "49000.0");
  EXPECT_EQ(stop_request.param("volume"), "0.01000000");
  EXPECT_EQ(h.transport.requests.back().param("ordertype"), "take-profit");
  EXPECT_EQ(h.transport.requests.back().param("price"), "52000.0");
  EXPECT_EQ(h.handler->position(kBtc), *Quantity::parse("0.01", 8));

  // The same frame again, and the same execution under a new sequence: nothing new.
  const size_t before = h.reports.size();
  h.ws(frame(5, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TFILL1-AAAAA-AAAAAA", "0.01",
                                "50000.0", "filled")));
  h.ws(frame(6, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TFILL1-AAAAA-AAAAAA", "0.01",
                                "50000.0", "filled")));
  EXPECT_EQ(h.reports.size(), before);

  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.ws(frame(7, trade_execution("OTARGT-AAAAA-AAAAAA", kTargetS1, "TFILL2-AAAAA-AAAAAA", "0.01",
                                "52000.0", "filled")));
  ASSERT_EQ(h.transport.count("CancelOrder"), 1);
  EXPECT_EQ(h.transport.requests.back().param("cl_ord_id"), kStopS1.str());
  h.ws(frame(8, status_execution("OSTOP1-AAAAA-AAAAAA", "canceled")));

  using P = std::pair<std::string, OrderStatus>;
  EXPECT_EQ(h.report_log(), (std::vector<P>{
                                {"entry", OrderStatus::kPendingNew},
                                {"entry", OrderStatus::kNew},
                                {"entry", OrderStatus::kFilled},
                                {"stop_loss", OrderStatus::kPendingNew},
                                {"stop_loss", OrderStatus::kNew},
                                {"take_profit", OrderStatus::kPendingNew},
                                {"take_profit", OrderStatus::kNew},
                                {"take_profit", OrderStatus::kFilled},
                                {"stop_loss", OrderStatus::kCanceled},
                            }));
  // Reports are in order and each fill is reported and stored once.
  for (size_t i = 1; i < h.reports.size(); ++i) {
    EXPECT_LT(h.reports[i - 1].meta.sequence, h.reports[i].meta.sequence);
  }
  int fills_reported = 0;
  for (const auto& report : h.reports) fills_reported += report.last_fill ? 1 : 0;
  EXPECT_EQ(fills_reported, 2);
  EXPECT_EQ(*h.fills->count(), 2);
  const auto& entry_fill = h.reports[2];
  EXPECT_EQ(entry_fill.last_fill->trade_id.str(), "TFILL1-AAAAA-AAAAAA");
  EXPECT_EQ(entry_fill.last_fill->fee.to_string(), "0.13");
  EXPECT_EQ(entry_fill.average_fill_price->to_string(), "50000.00000");
  EXPECT_TRUE(h.handler->position(kBtc).is_zero());
  EXPECT_EQ(h.handler->open_order_count(), 0u);
  EXPECT_TRUE(h.halt_triggers.empty());
  auto stop_record = h.orders->find(kStopS1);
  ASSERT_TRUE(stop_record && *stop_record);
  EXPECT_EQ((*stop_record)->status, OrderStatus::kCanceled);
}

TEST(KrakenExecutionHandler, TheSameSignalTwiceNeverPlacesASecondOrder) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1");
  h.approve("s1");
  EXPECT_EQ(h.transport.count("AddOrder"), 1);
}

TEST(KrakenExecutionHandler, TimeoutAfterKrakenAcceptedTheEntryGivesOneOrder) {
  Harness h;
  h.transport.fail("AddOrder", Status(StatusCode::kDeadlineExceeded, "no response"));
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{"OENTRY-AAAAA-AAAAAA":{
      "cl_ord_id":")" + kEntryS1.str() +
                                       R"(","status":"open","descr":{"pair":"XBTUSD","type":"buy",
      "ordertype":"market","price":"0"},"vol":"0.01000000","vol_exec":"0.00000000"}}}})");
  h.approve("s1");
  EXPECT_EQ(h.transport.count("AddOrder"), 1);
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kNew);
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().exchange_order_id->str(), "OENTRY-AAAAA-AAAAAA");
}

TEST(KrakenExecutionHandler, HaltRefusesNewEntriesAndCancelsOpenOnes) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  SystemStateEvent halt;
  halt.state = SystemState::kHalted;
  halt.reason = "drawdown";
  h.bus.publish(halt);
  h.bus.run_until_idle();
  EXPECT_EQ(h.transport.count("CancelOrder"), 1);
  EXPECT_EQ(h.transport.requests.back().param("cl_ord_id"), kEntryS1.str());

  h.approve("s2");
  EXPECT_EQ(h.transport.count("AddOrder"), 1) << "no order may be sent while halted";
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().status, OrderStatus::kRejected);
  EXPECT_NE(h.reports.back().message.find("halted"), std::string::npos);
}

// At shutdown the entries are LiveSession::stop()'s to cancel or keep
// (execution.shutdown_orders), so STOPPING itself cancels nothing.
TEST(KrakenExecutionHandler, StoppingRefusesNewEntriesButCancelsNone) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  SystemStateEvent stopping;
  stopping.state = SystemState::kStopping;
  stopping.reason = "shutdown: SIGTERM";
  h.bus.publish(stopping);
  h.bus.run_until_idle();
  EXPECT_EQ(h.transport.count("CancelOrder"), 0);
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kNew);

  h.approve("s2");
  EXPECT_EQ(h.transport.count("AddOrder"), 1) << "no order may be sent while stopping";
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().status, OrderStatus::kRejected);
}

TEST(KrakenExecutionHandler, UnfilledLimitIsCancelledAtTheTimeoutAndAPartialFillIsProtected) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  EXPECT_EQ(h.transport.requests.back().param("price"), "49900.0");
  h.ws(frame(1, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TPART1-AAAAA-AAAAAA", "0.004",
                                "49900.0", "partially_filled")));
  EXPECT_EQ(h.transport.count("AddOrder"), 1) << "no protection while the entry may still fill";

  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.transport.answer("CancelAllOrdersAfter", std::string(kDeadMansSwitchAnswer));  // at 20 s
  h.scheduler.advance_to(h.clock, kStart + std::chrono::seconds(29));
  EXPECT_EQ(h.transport.count("CancelOrder"), 0);
  h.scheduler.advance_to(h.clock, kStart + std::chrono::seconds(30));
  ASSERT_EQ(h.transport.count("CancelOrder"), 1);

  h.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  h.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  h.ws(frame(2, status_execution("OENTRY-AAAAA-AAAAAA", "canceled")));
  ASSERT_EQ(h.transport.count("AddOrder"), 3);
  EXPECT_EQ(h.transport.requests.back().param("volume"), "0.00400000");
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kCanceled);
}

TEST(KrakenExecutionHandler, RestartRecoversFillsWithoutDoubleCounting) {
  auto dir = std::make_shared<TempDir>();
  {
    Harness first(dir);
    first.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
    first.approve("s1", OrderType::kLimit);
    first.ws(frame(1, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TPART1-AAAAA-AAAAAA",
                                      "0.004", "49900.0", "partially_filled")));
    EXPECT_EQ(*first.fills->count(), 1);
  }
  Harness second(dir);
  ASSERT_TRUE(second.handler->recover().is_ok());
  EXPECT_EQ(second.handler->status_of(kEntryS1), OrderStatus::kPartiallyFilled);
  EXPECT_EQ(second.handler->position(kBtc), *Quantity::parse("0.004", 8));
  // Kraken replays the old fill on the new connection (snap_trades): not reported again.
  second.ws(frame(1, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TPART1-AAAAA-AAAAAA",
                                     "0.004", "49900.0", "partially_filled")));
  EXPECT_TRUE(second.reports.empty());
  // A fill missed while down arrives: booked once, and the entry is complete.
  second.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  second.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  second.ws(frame(2, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TREST1-AAAAA-AAAAAA",
                                     "0.006", "49900.0", "filled")));
  ASSERT_FALSE(second.reports.empty());
  EXPECT_EQ(second.reports.front().status, OrderStatus::kFilled);
  EXPECT_EQ(second.reports.front().quantity_filled.to_string(), "0.01000000");
  EXPECT_EQ(*second.fills->count(), 2);
  EXPECT_EQ(second.transport.count("AddOrder"), 2) << "protection for the whole entry";
}

TEST(KrakenExecutionHandler, RestPollingBooksFillsAndStatusWhileTheSocketIsDown) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1");
  h.handler->set_private_socket_up(false);
  h.transport.answer("TradesHistory", R"({"error":[],"result":{"trades":{
      "TPOLL1-AAAAA-AAAAAA":{"ordertxid":"OENTRY-AAAAA-AAAAAA","pair":"XXBTZUSD","time":1700000001.25,
        "type":"buy","ordertype":"market","price":"50010.0","cost":"500.10000","fee":"1.30026",
        "vol":"0.01000000","maker":false}},"count":1}})");
  h.transport.answer("QueryOrders",
                     R"({"error":[],"result":{"OENTRY-AAAAA-AAAAAA":{
      "cl_ord_id":")" + kEntryS1.str() +
                         R"(","status":"closed","descr":{"pair":"XBTUSD","type":"buy",
      "ordertype":"market","price":"0"},"vol":"0.01000000","vol_exec":"0.01000000","cost":"500.10000",
      "fee":"1.30026","price":"50010.0"}}})");
  h.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  h.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  h.handler->poll_now();
  h.bus.run_until_idle();
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kFilled);
  EXPECT_EQ(*h.fills->count(), 1);
  EXPECT_EQ(h.transport.count("AddOrder"), 3);
  // The same trade from the socket once it is back: a duplicate.
  h.handler->set_private_socket_up(true);
  const size_t before = h.reports.size();
  h.ws(frame(1, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TPOLL1-AAAAA-AAAAAA", "0.01",
                                "50010.0", "filled")));
  EXPECT_EQ(h.reports.size(), before);
}

TEST(KrakenExecutionHandler, ARejectedOrderIsReportedWithKrakensError) {
  Harness h;
  h.transport.answer("AddOrder", R"({"error":["EOrder:Insufficient funds"]})");
  h.approve("s1");
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().status, OrderStatus::kRejected);
  EXPECT_NE(h.reports.back().message.find("EOrder:Insufficient funds"), std::string::npos);
  EXPECT_EQ(h.handler->open_order_count(), 0u);
}

TEST(KrakenExecutionHandler, ContradictoryExchangeMessageTriggersACriticalHalt) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1");
  h.ws(frame(1, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TBIG01-AAAAA-AAAAAA", "0.02",
                                "50000.0", "filled")));  // more than ordered
  ASSERT_EQ(h.halt_triggers.size(), 1u);
  EXPECT_TRUE(h.halt_triggers[0].critical);
  EXPECT_EQ(*h.fills->count(), 0);
}

TEST(KrakenExecutionHandler, DeadMansSwitchIsRefreshedByTheScheduler) {
  Harness h;
  for (int i = 0; i < 3; ++i)
    h.transport.answer("CancelAllOrdersAfter", std::string(kDeadMansSwitchAnswer));
  h.scheduler.advance_to(h.clock, kStart + std::chrono::seconds(60));
  EXPECT_EQ(h.transport.count("CancelAllOrdersAfter"), 4);  // at start, then every 20 s
  EXPECT_EQ(h.transport.requests.back().param("timeout"), "60");
}

}  // namespace
}  // namespace galfriday::live

namespace galfriday::live {
namespace {

// Entry s1 placed and filled on Kraken, its stop-loss and take-profit resting (AddOrder answers
// OENTRY, OSTOP1, OTARGT; the fill arrives as execution frame 1).
void open_protected_position_s1(Harness& h) {
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1");
  h.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  h.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  h.ws(frame(1, trade_execution("OENTRY-AAAAA-AAAAAA", kEntryS1, "TFILL1-AAAAA-AAAAAA", "0.01",
                                "50000.0", "filled")));
}

TEST(KrakenExecutionHandler, CloseCommandCancelsProtectionAndSellsThePosition) {
  Harness h;
  open_protected_position_s1(h);
  ASSERT_EQ(h.transport.count("AddOrder"), 3);

  // Allowed while halted: closing reduces risk.
  SystemStateEvent halt;
  halt.state = SystemState::kHalted;
  h.bus.publish(halt);
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.transport.answer("AddOrder", add_order_answer("OEXIT1-AAAAA-AAAAAA"));
  ClosePositionCommand close;
  close.instrument = kBtc;
  close.reason = "halt: close positions";
  close.requested_by = "monitoring";
  h.bus.publish(close);
  h.bus.run_until_idle();
  EXPECT_EQ(h.transport.count("CancelOrder"), 2);
  ASSERT_EQ(h.transport.count("AddOrder"), 4);
  const auto& exit_request = h.transport.requests.back();
  EXPECT_EQ(exit_request.param("ordertype"), "market");
  EXPECT_EQ(exit_request.param("type"), "sell");
  EXPECT_EQ(exit_request.param("volume"), "0.01000000");
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().purpose, OrderPurpose::kExit);
  EXPECT_EQ(h.reports.back().status, OrderStatus::kNew);
}

}  // namespace
}  // namespace galfriday::live

namespace galfriday::live {
namespace {

TEST(LiveOptions, ComeFromTheConfiguration) {
  config::Config config = config::default_config();
  config.kraken.verification_tier = config::VerificationTier::kIntermediate;
  config.kraken.dead_mans_switch_interval_seconds = 15;
  config.kraken.rest_url = "http://127.0.0.1:9000";
  config.execution.limit_order_timeout_seconds = 45;
  config.data_dir = "/var/lib/galfriday";
  const LiveExecutionOptions options = live_execution_options(config);
  EXPECT_EQ(options.limit_order_timeout, std::chrono::seconds(45));
  EXPECT_EQ(options.dead_mans_switch_interval, std::chrono::seconds(15));
  EXPECT_EQ(options.tier, config::VerificationTier::kIntermediate);
  EXPECT_EQ(private_client_options(config).base_url, "http://127.0.0.1:9000");
  EXPECT_EQ(nonce_file_path(config), std::filesystem::path("/var/lib/galfriday/kraken_nonce"));
}

}  // namespace
}  // namespace galfriday::live

namespace galfriday::live {
namespace {

constexpr std::string_view kUnknownOpenOrder =
    R"({"error":[],"result":{"open":{"OUNKWN-AAAAA-AAAAAA":{
    "status":"open","descr":{"pair":"XBTUSD","type":"sell","ordertype":"limit","price":"60000.0"},
    "vol":"0.50000000","vol_exec":"0.00000000"}}}})";

// A run that crashed with its entry's AddOrder outcome unknown: stored pending_new, no txid.
std::shared_ptr<TempDir> run_with_unknown_entry_outcome() {
  auto dir = std::make_shared<TempDir>();
  Harness first(dir);
  first.transport.fail("AddOrder", Status(StatusCode::kDeadlineExceeded, "no response"));
  for (int i = 0; i < 4; ++i)
    first.transport.fail("OpenOrders", Status(StatusCode::kUnavailable, "down"));
  first.approve("s1");
  EXPECT_EQ(first.handler->status_of(kEntryS1), OrderStatus::kPendingNew);
  return dir;
}

TEST(Reconciliation, ResolvesAnUnknownOutcomeBooksMissedFillsAndCancelsStrangers) {
  auto dir = run_with_unknown_entry_outcome();
  Harness h(dir);
  ASSERT_TRUE(h.handler->recover().is_ok());
  h.transport.answer("OpenOrders", std::string(kUnknownOpenOrder));
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");  // by cl_ord_id
  h.transport.answer("ClosedOrders", R"({"error":[],"result":{"closed":{"OENTRY-AAAAA-AAAAAA":{
      "cl_ord_id":")" + kEntryS1.str() + R"(","status":"closed","reason":null,
      "descr":{"pair":"XBTUSD","type":"buy","ordertype":"market","price":"0"},
      "vol":"0.01000000","vol_exec":"0.01000000","cost":"500.00000","fee":"1.30000","price":"50000.0"}},"count":1}})");
  h.transport.answer("TradesHistory", R"({"error":[],"result":{"trades":{
      "TREC01-AAAAA-AAAAAA":{"ordertxid":"OENTRY-AAAAA-AAAAAA","pair":"XXBTZUSD","time":1700000000.5,
        "type":"buy","ordertype":"market","price":"50000.0","cost":"500.00000","fee":"1.30000",
        "vol":"0.01000000","maker":false}},"count":1}})");
  h.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  h.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));

  auto report = h.handler->reconcile(UnknownOrderPolicy::kCancel);
  h.bus.run_until_idle();
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->local_orders_checked, 1);
  EXPECT_EQ(report->local_orders_updated, 1);
  EXPECT_EQ(report->fills_booked, 1);
  EXPECT_EQ(report->unknown_orders_cancelled, 1);
  ASSERT_EQ(report->discrepancies.size(), 1u);
  EXPECT_NE(report->discrepancies[0].find("OUNKWN-AAAAA-AAAAAA"), std::string::npos);
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kFilled);
  EXPECT_EQ(*h.fills->count(), 1);
  EXPECT_EQ(h.transport.count("AddOrder"), 2) << "only the protection; the entry is not resent";
  EXPECT_EQ(h.transport.requests.back().param("txid"), "OUNKWN-AAAAA-AAAAAA");
}

TEST(Reconciliation, AnOrderKrakenNeverSawIsRejectedNotResent) {
  auto dir = run_with_unknown_entry_outcome();
  Harness h(dir);
  ASSERT_TRUE(h.handler->recover().is_ok());
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");
  h.transport.answer("ClosedOrders", R"({"error":[],"result":{"closed":{},"count":0}})");
  h.transport.answer("TradesHistory", R"({"error":[],"result":{"trades":{},"count":0}})");
  auto report = h.handler->reconcile(UnknownOrderPolicy::kCancel);
  h.bus.run_until_idle();
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kRejected);
  EXPECT_EQ(h.transport.count("AddOrder"), 0);
  ASSERT_EQ(report->discrepancies.size(), 1u);
  EXPECT_NE(report->discrepancies[0].find("never reached Kraken"), std::string::npos);
}

TEST(Reconciliation, UnknownOrdersCanBeAdopted) {
  Harness h;
  h.transport.answer("OpenOrders", std::string(kUnknownOpenOrder));
  auto report = h.handler->reconcile(UnknownOrderPolicy::kAdopt);
  h.bus.run_until_idle();
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->unknown_orders_adopted, 1);
  EXPECT_EQ(h.transport.count("CancelOrder"), 0);
  EXPECT_EQ(h.handler->open_order_count(), 1u);
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().exchange_order_id->str(), "OUNKWN-AAAAA-AAAAAA");
  EXPECT_EQ(h.reports.back().side, Side::kSell);
  EXPECT_EQ(h.reports.back().status, OrderStatus::kNew);
}

TEST(Reconciliation, WhenKrakenCannotBeAskedEntriesAreRefusedWithTheReason) {
  Harness h;
  for (int i = 0; i < 4; ++i)
    h.transport.fail("OpenOrders", Status(StatusCode::kUnavailable, "connect refused"));
  auto report = h.handler->reconcile(UnknownOrderPolicy::kCancel);
  ASSERT_FALSE(report);
  EXPECT_NE(report.status().message().find("new entries are refused"), std::string::npos);
  h.approve("s1");
  EXPECT_EQ(h.transport.count("AddOrder"), 0);
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().status, OrderStatus::kRejected);
  EXPECT_NE(h.reports.back().message.find("not reconciled"), std::string::npos);

  // Once Kraken answers, trading resumes.
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");
  ASSERT_TRUE(h.handler->reconcile(UnknownOrderPolicy::kCancel));
  h.transport.answer("AddOrder", add_order_answer("OENTRY-BBBBB-BBBBBB"));
  h.approve("s2");
  EXPECT_EQ(h.transport.count("AddOrder"), 1);
}

}  // namespace
}  // namespace galfriday::live

namespace galfriday::live {
namespace {

// cancel_open_entries() at shutdown: the private socket is closed, so only Kraken's REST
// answers (TradesHistory, QueryOrders) can confirm a cancel.

const ClientOrderId kEntryS2 = derive_client_order_id(SignalId("s2"), OrderPurpose::kEntry);
constexpr std::string_view kNoTrades = R"({"error":[],"result":{"trades":{},"count":0}})";

// QueryOrders' answer for one limit buy of 0.01 at 49900.0.
std::string query_answer(const std::string& txid, const ClientOrderId& cl_ord_id,
                         const std::string& status, const std::string& vol_exec) {
  return R"({"error":[],"result":{")" + txid + R"(":{"cl_ord_id":")" + cl_ord_id.str() +
         R"(","status":")" + status + R"(","reason":)" +
         (status == "canceled" ? R"("User requested")" : "null") +
         R"(,"descr":{"pair":"XBTUSD","type":"buy","ordertype":"limit","price":"49900.0"},
         "vol":"0.01000000","vol_exec":")" +
         vol_exec + R"(","cost":"0.00000","fee":"0.00000","price":"0.0"}}})";
}

std::optional<OrderStatus> stored_status(Harness& h, const ClientOrderId& id) {
  auto stored = h.orders->find(id);
  if (!stored || !*stored) return std::nullopt;
  return (*stored)->status;
}

TEST(ShutdownCancel, TheCancelKrakenConfirmsIsStoredAndReportedAndProtectionStays) {
  Harness h;
  // A protected position (entry s1 filled, stop-loss and take-profit resting) ...
  open_protected_position_s1(h);
  // ... and a limit entry s2 resting.
  h.transport.answer("AddOrder", add_order_answer("OENTR2-AAAAA-AAAAAA"));
  h.approve("s2", OrderType::kLimit);
  ASSERT_EQ(h.handler->status_of(kEntryS2), OrderStatus::kNew);
  h.handler->set_private_socket_up(false);

  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.transport.answer("TradesHistory", std::string(kNoTrades));
  h.transport.answer("QueryOrders",
                     query_answer("OENTR2-AAAAA-AAAAAA", kEntryS2, "canceled", "0.00000000"));
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  h.bus.run_until_idle();

  ASSERT_EQ(h.transport.count("CancelOrder"), 1) << "only the entry; protection stays";
  EXPECT_EQ(h.transport.requests[h.transport.requests.size() - 3].param("cl_ord_id"),
            kEntryS2.str());
  EXPECT_EQ(h.transport.requests.back().param("txid"), "OENTR2-AAAAA-AAAAAA");
  EXPECT_EQ(result.cancelled, std::vector<ClientOrderId>{kEntryS2});
  EXPECT_TRUE(result.closed.empty());
  EXPECT_TRUE(result.unconfirmed.empty());
  EXPECT_EQ(h.handler->status_of(kEntryS2), OrderStatus::kCanceled);
  EXPECT_EQ(stored_status(h, kEntryS2), OrderStatus::kCanceled);
  ASSERT_FALSE(h.reports.empty());
  EXPECT_EQ(h.reports.back().client_order_id, kEntryS2);
  EXPECT_EQ(h.reports.back().status, OrderStatus::kCanceled);
  EXPECT_EQ(h.reports.back().message, "User requested");
  EXPECT_EQ(stored_status(h, kStopS1), OrderStatus::kNew);
  EXPECT_EQ(stored_status(h, kTargetS1), OrderStatus::kNew);
  EXPECT_EQ(h.handler->open_order_count(), 2u);
  EXPECT_TRUE(h.halt_triggers.empty());
}

TEST(ShutdownCancel, ACancelKrakenRefusesLeavesTheEntryOpenAndSaysWhy) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  // An API key without the "cancel orders" permission: refused, not retried.
  h.transport.answer("CancelOrder", R"({"error":["EAccount:Invalid permissions"]})");
  h.transport.answer("TradesHistory", std::string(kNoTrades));
  h.transport.answer("QueryOrders",
                     query_answer("OENTRY-AAAAA-AAAAAA", kEntryS1, "open", "0.00000000"));
  const size_t reports_before = h.reports.size();
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  h.bus.run_until_idle();

  EXPECT_EQ(h.transport.count("CancelOrder"), 1);
  EXPECT_TRUE(result.cancelled.empty());
  ASSERT_EQ(result.unconfirmed.size(), 1u);
  EXPECT_EQ(result.unconfirmed[0].id, kEntryS1);
  EXPECT_NE(result.unconfirmed[0].why.find("CancelOrder failed"), std::string::npos)
      << result.unconfirmed[0].why;
  EXPECT_NE(result.unconfirmed[0].why.find("EAccount:Invalid permissions"), std::string::npos);
  EXPECT_NE(result.unconfirmed[0].why.find("Kraken reports it open"), std::string::npos);
  EXPECT_EQ(h.handler->status_of(kEntryS1), OrderStatus::kNew);
  EXPECT_EQ(stored_status(h, kEntryS1), OrderStatus::kNew);
  EXPECT_EQ(h.reports.size(), reports_before) << "nothing changed, nothing reported";
}

TEST(ShutdownCancel, ALostCancelAnswerIsConfirmedByQueryOrders) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  // Kraken executed the cancel but every answer was lost (4 attempts).
  for (int i = 0; i < 4; ++i) {
    h.transport.fail("CancelOrder", Status(StatusCode::kDeadlineExceeded, "no response"));
  }
  h.transport.answer("TradesHistory", std::string(kNoTrades));
  h.transport.answer("QueryOrders",
                     query_answer("OENTRY-AAAAA-AAAAAA", kEntryS1, "canceled", "0.00000000"));
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  h.bus.run_until_idle();

  EXPECT_EQ(h.transport.count("CancelOrder"), 4);
  EXPECT_EQ(result.cancelled, std::vector<ClientOrderId>{kEntryS1});
  EXPECT_TRUE(result.unconfirmed.empty());
  EXPECT_EQ(stored_status(h, kEntryS1), OrderStatus::kCanceled);
  EXPECT_EQ(h.reports.back().status, OrderStatus::kCanceled);
}

TEST(ShutdownCancel, WithoutAnAnswerFromKrakenTheEntryStaysOpen) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  for (int i = 0; i < 4; ++i) {
    h.transport.fail("TradesHistory", Status(StatusCode::kDeadlineExceeded, "timed out"));
  }
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  h.bus.run_until_idle();

  // The cancel was accepted, but without the fills it may have had it cannot be closed here.
  EXPECT_EQ(h.transport.count("QueryOrders"), 0);
  ASSERT_EQ(result.unconfirmed.size(), 1u);
  EXPECT_EQ(result.unconfirmed[0].id, kEntryS1);
  EXPECT_NE(result.unconfirmed[0].why.find("TradesHistory failed"), std::string::npos)
      << result.unconfirmed[0].why;
  EXPECT_EQ(stored_status(h, kEntryS1), OrderStatus::kNew);

  // QueryOrders timing out leaves it open too.
  Harness q;
  q.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  q.approve("s1", OrderType::kLimit);
  q.transport.answer("CancelOrder", std::string(kCancelAnswer));
  q.transport.answer("TradesHistory", std::string(kNoTrades));
  for (int i = 0; i < 4; ++i) {
    q.transport.fail("QueryOrders", Status(StatusCode::kDeadlineExceeded, "timed out"));
  }
  const ShutdownCancelReport queried = q.handler->cancel_open_entries("shutdown");
  ASSERT_EQ(queried.unconfirmed.size(), 1u);
  EXPECT_NE(queried.unconfirmed[0].why.find("QueryOrders failed"), std::string::npos)
      << queried.unconfirmed[0].why;
  EXPECT_EQ(stored_status(q, kEntryS1), OrderStatus::kNew);
}

TEST(ShutdownCancel, AFillBeforeTheCancelIsBookedFirstAndProtected) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.transport.answer("TradesHistory", R"({"error":[],"result":{"trades":{
      "TPART1-AAAAA-AAAAAA":{"ordertxid":"OENTRY-AAAAA-AAAAAA","pair":"XXBTZUSD","time":1700000000.5,
        "type":"buy","ordertype":"limit","price":"49900.0","cost":"199.60000","fee":"0.49900",
        "vol":"0.00400000","maker":true}},"count":1}})");
  h.transport.answer("QueryOrders",
                     query_answer("OENTRY-AAAAA-AAAAAA", kEntryS1, "canceled", "0.00400000"));
  h.transport.answer("AddOrder", add_order_answer("OSTOP1-AAAAA-AAAAAA"));
  h.transport.answer("AddOrder", add_order_answer("OTARGT-AAAAA-AAAAAA"));
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  h.bus.run_until_idle();

  EXPECT_EQ(result.cancelled, std::vector<ClientOrderId>{kEntryS1});
  EXPECT_EQ(*h.fills->count(), 1);
  EXPECT_EQ(h.handler->position(kBtc), *Quantity::parse("0.004", 8));
  auto stored = h.orders->find(kEntryS1);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->status, OrderStatus::kCanceled);
  EXPECT_EQ((*stored)->quantity_filled.to_string(), "0.00400000");
  // The position is protected, as after any partly filled entry.
  ASSERT_EQ(h.transport.count("AddOrder"), 3);
  EXPECT_EQ(h.transport.requests.back().param("volume"), "0.00400000");
}

TEST(ShutdownCancel, AnExecutionTradesHistoryDoesNotListYetKeepsTheEntryOpen) {
  Harness h;
  h.transport.answer("AddOrder", add_order_answer("OENTRY-AAAAA-AAAAAA"));
  h.approve("s1", OrderType::kLimit);
  h.transport.answer("CancelOrder", std::string(kCancelAnswer));
  h.transport.answer("TradesHistory", std::string(kNoTrades));
  h.transport.answer("QueryOrders",
                     query_answer("OENTRY-AAAAA-AAAAAA", kEntryS1, "canceled", "0.00400000"));
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  h.bus.run_until_idle();

  // Closing it now would lose the fill: the next start's reconciliation books it first.
  ASSERT_EQ(result.unconfirmed.size(), 1u);
  EXPECT_NE(result.unconfirmed[0].why.find("0.00400000 executed"), std::string::npos)
      << result.unconfirmed[0].why;
  EXPECT_EQ(stored_status(h, kEntryS1), OrderStatus::kNew);
  EXPECT_EQ(*h.fills->count(), 0);
}

TEST(ShutdownCancel, WithNoOpenEntryNothingIsSent) {
  Harness h;
  const ShutdownCancelReport result = h.handler->cancel_open_entries("shutdown");
  EXPECT_TRUE(result.cancelled.empty() && result.closed.empty() && result.unconfirmed.empty());
  EXPECT_EQ(h.transport.count("CancelOrder"), 0);
  EXPECT_EQ(h.transport.count("TradesHistory"), 0);
}

}  // namespace
}  // namespace galfriday::live
