// Every halt condition trips on a simulated clock and a near miss does not; a halt cancels
// entries and closes positions per config; the halt survives a restart (SQLite); resuming needs
// the whole recovery checklist, whose completed items survive a restart.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

#include "../support/kraken_account.hpp"
#include "../support/temp_dir.hpp"
#include "galfriday/execution/simulated_exchange.hpp"
#include "galfriday/monitoring/halt_coordinator.hpp"
#include "galfriday/monitoring/monitoring_service.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/sqlite_store.hpp"
#include "memory_halt_repository.hpp"

namespace galfriday::monitoring {
namespace {

using ::testing::HasSubstr;

const Timestamp kStart = timestamp_from_seconds(1700000000);
const InstrumentId kBtc("BTC/USD");
const InstrumentId kEth("ETH/USD");

using test_support::MemoryHaltRepository;

class MonitoringTest : public ::testing::Test {
 protected:
  MonitoringTest() { start(config::MonitoringConfig{}); }

  void start(const config::MonitoringConfig& config,
             HaltAction action = HaltAction::kMaintainPositions) {
    config_ = config;
    monitoring_.reset();
    coordinator_ = std::make_unique<HaltCoordinator>(bus_, clock_, repository_, action,
                                                     [this] { return portfolio_; });
    monitoring_ = std::make_unique<MonitoringService>(
        config_, std::vector<InstrumentId>{kBtc, kEth}, *coordinator_, scheduler_,
        [this] { return portfolio_; });
    monitoring_->attach(bus_);
    bus_.run_until_idle();
  }

  void advance(Duration by) {
    scheduler_.advance_to(clock_, clock_.now() + by);
    bus_.run_until_idle();
  }

  void publish(Event event) {
    bus_.publish(std::move(event));
    bus_.run_until_idle();
  }

  void health(HealthSignal signal, double value = 0.0) {
    HealthSignalEvent event;
    event.signal = signal;
    event.source = "test";
    event.instrument = kBtc;
    event.value = value;
    event.detail = "detail";
    publish(event);
  }

  void trade(const InstrumentId& instrument) {
    MarketDataTradeEvent event;
    event.instrument = instrument;
    event.price = Price::from_raw(1, 1);
    event.qty = Quantity::from_raw(1, 8);
    publish(event);
  }

  bool halted() const { return coordinator_->halted(); }
  std::string first_condition() const {
    const auto& reasons = coordinator_->status().reasons;
    return reasons.empty() ? "" : reasons.front().condition;
  }

  SimulatedClock clock_{kStart};
  Scheduler scheduler_{clock_};
  PubSubManager bus_{clock_};
  MemoryHaltRepository repository_;
  PortfolioState portfolio_;
  config::MonitoringConfig config_;
  std::unique_ptr<HaltCoordinator> coordinator_;
  std::unique_ptr<MonitoringService> monitoring_;
};

// --- Portfolio conditions ----------------------------------------------------------------------

TEST_F(MonitoringTest, TotalDrawdownTripsAtItsThresholdNotBelow) {
  portfolio_.drawdown_pct = 14.99;
  monitoring_->check_now();
  bus_.run_until_idle();
  EXPECT_FALSE(halted());
  portfolio_.drawdown_pct = 15.0;
  advance(std::chrono::seconds(config_.check_interval_seconds));  // the periodic timer
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "total_drawdown");
  EXPECT_THAT(coordinator_->status().reasons.front().detail, HasSubstr("15.00 % >= 15.00 %"));
}

TEST_F(MonitoringTest, DailyDrawdownTripsAfterAFill) {
  portfolio_.daily_drawdown_pct = 1.99;
  ExecutionReportEvent fill;
  fill.last_fill = Fill{};
  publish(fill);
  EXPECT_FALSE(halted());
  portfolio_.daily_drawdown_pct = 2.01;
  publish(fill);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "daily_drawdown");
}

TEST_F(MonitoringTest, WeeklyDrawdownTrips) {
  portfolio_.weekly_drawdown_pct = 4.9;
  monitoring_->check_now();
  EXPECT_FALSE(halted());
  portfolio_.weekly_drawdown_pct = 5.1;
  monitoring_->check_now();
  bus_.run_until_idle();
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "weekly_drawdown");
}

TEST_F(MonitoringTest, ConsecutiveLossesTrip) {
  portfolio_.consecutive_losses = 4;
  monitoring_->check_now();
  EXPECT_FALSE(halted());
  portfolio_.consecutive_losses = 5;
  monitoring_->check_now();
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "consecutive_losses");
}

// --- Event-rate conditions ---------------------------------------------------------------------

TEST_F(MonitoringTest, ApiErrorsTripOnlyWhenEnoughFallInsideTheWindow) {
  // Errors at 0, 16, 32, 48 and 64 s: never five inside one 60 s window.
  for (int i = 0; i < 5; ++i) {
    health(HealthSignal::kApiError);
    advance(std::chrono::seconds(16));
  }
  EXPECT_FALSE(halted());
  advance(std::chrono::seconds(1));  // t = 81 s: 32, 48, 64 and 81 are inside
  health(HealthSignal::kApiError);
  EXPECT_FALSE(halted()) << "4 errors inside 60 s so far";
  advance(std::chrono::seconds(1));
  health(HealthSignal::kApiError);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "api_error_rate");
}

TEST_F(MonitoringTest, BalanceFailuresMustBeConsecutive) {
  health(HealthSignal::kBalanceQueryFailed);
  health(HealthSignal::kBalanceQueryFailed);
  health(HealthSignal::kBalanceQuerySucceeded);
  health(HealthSignal::kBalanceQueryFailed);
  health(HealthSignal::kBalanceQueryFailed);
  EXPECT_FALSE(halted());
  health(HealthSignal::kBalanceQueryFailed);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "balance_query_failures");
}

TEST_F(MonitoringTest, ChecksumFailureStormTrips) {
  health(HealthSignal::kChecksumFailure);
  health(HealthSignal::kChecksumFailure);
  advance(std::chrono::seconds(60));  // the first two leave the window
  health(HealthSignal::kChecksumFailure);
  health(HealthSignal::kChecksumFailure);
  EXPECT_FALSE(halted());
  health(HealthSignal::kChecksumFailure);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "checksum_failures");
  EXPECT_THAT(coordinator_->status().reasons.front().detail, HasSubstr("BTC/USD"));
}

TEST_F(MonitoringTest, PersistenceBackPressureTripsAtTheFillThreshold) {
  health(HealthSignal::kPersistencePressure, 0.94);
  EXPECT_FALSE(halted());
  health(HealthSignal::kPersistencePressure, 0.95);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "persistence_backpressure");
}

TEST_F(MonitoringTest, AsyncWriterPressureReportsBecomeSignals) {
  persistence::PressureReport report;
  report.queue_depth = 80;
  report.capacity = 100;
  publish(persistence_pressure_signal(report));
  EXPECT_FALSE(halted());
  report.queue_depth = 100;
  report.full = true;
  report.rejected = 3;
  publish(persistence_pressure_signal(report));
  EXPECT_TRUE(halted());
  EXPECT_THAT(coordinator_->status().reasons.front().detail,
              HasSubstr("100 of 100 queued, 3 write(s) refused so far"));
}

TEST_F(MonitoringTest, AnyHaltTriggerHalts) {
  PotentialHaltTriggerEvent trigger;
  trigger.source = "feed";
  trigger.reason = "3 reconnects failed";
  publish(trigger);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "halt_trigger");
  EXPECT_EQ(coordinator_->status().reasons.front().source, "feed");
}

TEST_F(MonitoringTest, OnlyCriticalSystemErrorsHalt) {
  SystemErrorEvent error;
  error.source = "prediction";
  error.message = "late result";
  publish(error);
  EXPECT_FALSE(halted());
  error.critical = true;
  error.message = "books disagree";
  publish(error);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "critical_error");
}

// --- Market data staleness ---------------------------------------------------------------------

TEST_F(MonitoringTest, StalenessWaitsForTheGracePeriodThenTripsPerPair) {
  // No data at all, but inside the start-up grace period (120 s).
  advance(std::chrono::seconds(110));
  EXPECT_FALSE(halted());
  trade(kBtc);
  trade(kEth);                         // both fresh at t = 110 s
  advance(std::chrono::seconds(100));  // t = 210 s: 100 s old
  EXPECT_FALSE(halted());
  trade(kBtc);                        // BTC fresh again; ETH keeps ageing
  advance(std::chrono::seconds(20));  // t = 230 s: ETH 120 s old, checked at t = 230
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "market_data_stale");
  const std::string detail = coordinator_->status().reasons.front().detail;
  EXPECT_THAT(detail, HasSubstr("ETH/USD"));
  EXPECT_THAT(detail, ::testing::Not(HasSubstr("BTC/USD")));
}

TEST_F(MonitoringTest, PairNeverHeardFromIsStaleAfterTheGracePeriod) {
  config::MonitoringConfig config;
  config.startup_grace_seconds = 0;
  config.market_data_stale_seconds = 30;
  start(config);
  trade(kBtc);
  advance(std::chrono::seconds(20));
  EXPECT_FALSE(halted());
  trade(kBtc);
  advance(std::chrono::seconds(10));  // ETH: 30 s since start without data
  EXPECT_TRUE(halted());
  EXPECT_THAT(coordinator_->status().reasons.front().detail, HasSubstr("ETH/USD (30 s)"));
}

// --- Volatility --------------------------------------------------------------------------------

class VolatilityTest : public MonitoringTest {
 protected:
  VolatilityTest() {
    config::MonitoringConfig config;
    config.volatility_short_window_bars = 5;
    config.volatility_long_window_bars = 20;
    config.volatility_max_ratio = 3.0;
    start(config);
  }

  // Closes whose log returns alternate +r, -r: their realised volatility is exactly r (up to
  // the price's rounding at 1e-8 of the price).
  void bars(const InstrumentId& instrument, int count, double r) {
    for (int i = 0; i < count; ++i) {
      log_close_ += (i % 2 == 0 ? r : -r);
      MarketDataOHLCVEvent bar;
      bar.instrument = instrument;
      bar.interval = std::chrono::minutes(1);
      bar.close = Price::from_raw(std::llround(std::exp(log_close_) * 1e8), 8);
      publish(bar);
    }
  }

  double log_close_ = std::log(50000.0);
};

TEST_F(VolatilityTest, ShortWindowJustUnderTheMultipleDoesNotTrip) {
  bars(kBtc, 1, 0.0);  // the first close: no return yet
  bars(kBtc, 20, 0.001);
  bars(kBtc, 5, 0.0029);
  EXPECT_FALSE(halted());
  EXPECT_THAT(monitoring_->conditions()[7].current, "2.90x");
}

TEST_F(VolatilityTest, ShortWindowOverTheMultipleTrips) {
  bars(kBtc, 1, 0.0);
  bars(kBtc, 20, 0.001);
  bars(kBtc, 4, 0.0031);
  EXPECT_FALSE(halted()) << "not judged before short + long returns are seen";
  bars(kBtc, 1, 0.0031);
  EXPECT_TRUE(halted());
  EXPECT_EQ(first_condition(), "volatility");
  EXPECT_THAT(coordinator_->status().reasons.front().detail, HasSubstr("3.10x"));
}

// --- Halt effects ------------------------------------------------------------------------------

class HaltEffectsTest : public MonitoringTest {
 protected:
  void SetUp() override {
    bus_.subscribe<SystemStateEvent>([this](const SystemStateEvent& e) { states_.push_back(e); });
    bus_.subscribe<ClosePositionCommand>(
        [this](const ClosePositionCommand& e) { closes_.push_back(e); });
    bus_.subscribe<ExecutionReportEvent>(
        [this](const ExecutionReportEvent& e) { reports_.push_back(e); });
  }

  static PositionView position(const InstrumentId& id, std::string_view qty) {
    PositionView view;
    view.instrument = id;
    view.qty = Quantity::parse(qty, 8).value();
    return view;
  }

  std::vector<SystemStateEvent> states_;
  std::vector<ClosePositionCommand> closes_;
  std::vector<ExecutionReportEvent> reports_;
};

TEST_F(HaltEffectsTest, HaltPublishesHaltedWithTheReasonAndKeepsPositionsByDefault) {
  portfolio_.positions = {position(kBtc, "0.5")};
  coordinator_->halt("operator", "manual review", "operator:test");
  bus_.run_until_idle();
  ASSERT_EQ(states_.size(), 1u);
  EXPECT_EQ(states_[0].state, SystemState::kHalted);
  EXPECT_EQ(states_[0].reason, "operator: manual review");
  EXPECT_EQ(states_[0].halt_action, HaltAction::kMaintainPositions);
  EXPECT_TRUE(closes_.empty());
}

TEST_F(HaltEffectsTest, HaltWithCloseActionClosesEveryOpenPosition) {
  start(config::MonitoringConfig{}, HaltAction::kClosePositions);
  portfolio_.positions = {position(kBtc, "0.5"), position(kEth, "2"), position(kEth, "0")};
  portfolio_.drawdown_pct = 20.0;
  monitoring_->check_now();
  bus_.run_until_idle();
  ASSERT_EQ(closes_.size(), 2u);
  EXPECT_EQ(closes_[0].instrument, kBtc);
  EXPECT_EQ(closes_[1].instrument, kEth);
  EXPECT_EQ(closes_[0].quantity, std::nullopt);  // the whole position
  EXPECT_EQ(closes_[0].requested_by, "monitoring");
  EXPECT_THAT(closes_[0].reason, HasSubstr("total_drawdown"));
  // A second breach while halted adds a reason and closes nothing again.
  portfolio_.consecutive_losses = 9;
  monitoring_->check_now();
  bus_.run_until_idle();
  EXPECT_EQ(closes_.size(), 2u);
  EXPECT_EQ(states_.size(), 1u);
  ASSERT_EQ(coordinator_->status().reasons.size(), 2u);
  EXPECT_EQ(coordinator_->status().reasons[1].condition, "consecutive_losses");
}

TEST_F(HaltEffectsTest, ExecutionCancelsOpenEntriesAndRefusesNewOnesWhenHalted) {
  InstrumentRegistry instruments;
  const InstrumentSpec spec = galfriday::test::btc_usd_spec();
  ASSERT_TRUE(instruments.add(spec).is_ok());
  SimulatedExchange exchange(config::ExecutionConfig{}, instruments);
  exchange.attach(bus_);

  TradeSignalApprovedEvent approved;
  approved.signal_id = SignalId("s1");
  approved.instrument = kBtc;
  approved.order_type = OrderType::kLimit;
  approved.quantity = Quantity::parse("0.01", 8).value();
  approved.limit_price = Price::parse("40000.0", 1).value();
  approved.stop_loss = Price::parse("39000.0", 1).value();
  publish(approved);
  ASSERT_EQ(exchange.open_orders(), 1u);

  // The halt and an approval that was already queued behind it (approved before risk heard).
  coordinator_->halt("operator", "test", "operator:test");
  approved.signal_id = SignalId("s2");
  bus_.publish(approved);
  bus_.run_until_idle();

  EXPECT_EQ(exchange.open_orders(), 0u);
  ASSERT_EQ(reports_.size(), 3u);
  EXPECT_EQ(reports_[1].client_order_id.str(), "gf-s1-entry");
  EXPECT_EQ(reports_[1].status, OrderStatus::kCanceled);
  EXPECT_THAT(reports_[1].message, HasSubstr("halted"));
  EXPECT_EQ(reports_[2].client_order_id.str(), "gf-s2-entry");
  EXPECT_EQ(reports_[2].status, OrderStatus::kRejected);
}

// --- Recovery checklist ------------------------------------------------------------------------

TEST_F(MonitoringTest, ResumeNeedsEveryChecklistItemCompletedOneByOne) {
  EXPECT_EQ(coordinator_->resume("op").code(), StatusCode::kFailedPrecondition);  // not halted
  EXPECT_EQ(coordinator_->complete_item(RecoveryItem::kReviewPositions, "op").code(),
            StatusCode::kFailedPrecondition);
  coordinator_->halt("operator", "test", "operator:test");
  ASSERT_EQ(coordinator_->open_items().size(), kRecoveryItems.size());

  for (size_t i = 0; i + 1 < kRecoveryItems.size(); ++i) {
    ASSERT_TRUE(coordinator_->complete_item(kRecoveryItems[i], "alice").is_ok());
    const Status refused = coordinator_->resume("alice");
    EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.message(), HasSubstr("review_risk_parameters"));
  }
  const Status twice = coordinator_->complete_item(kRecoveryItems[0], "bob");
  EXPECT_EQ(twice.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(twice.message(), HasSubstr("already completed (by alice)"));
  ASSERT_TRUE(coordinator_->complete_item(RecoveryItem::kReviewRiskParameters, "alice").is_ok());
  ASSERT_TRUE(coordinator_->resume("alice").is_ok());
  EXPECT_FALSE(halted());
  EXPECT_TRUE(coordinator_->status().checklist.empty());

  // A new halt starts a fresh checklist.
  coordinator_->halt("operator", "again", "operator:test");
  EXPECT_EQ(coordinator_->open_items().size(), kRecoveryItems.size());
}

TEST_F(MonitoringTest, RecoveryItemIdsParse) {
  for (RecoveryItem item : kRecoveryItems) {
    EXPECT_EQ(parse_recovery_item(recovery_item_id(item)), item);
    EXPECT_FALSE(recovery_item_text(item).empty());
  }
  EXPECT_EQ(parse_recovery_item("confirm_resume"), std::nullopt);
}

TEST_F(MonitoringTest, ResumeClearsTheErrorWindowsSoOldErrorsDoNotHaltAgain) {
  for (int i = 0; i < 5; ++i) health(HealthSignal::kApiError);
  ASSERT_TRUE(halted());
  for (RecoveryItem item : kRecoveryItems)
    ASSERT_TRUE(coordinator_->complete_item(item, "op").is_ok());
  ASSERT_TRUE(coordinator_->resume("op").is_ok());
  health(HealthSignal::kApiError);
  EXPECT_FALSE(halted());
}

TEST_F(MonitoringTest, HaltHoldsWhenItCannotBePersistedAndSaysSo) {
  repository_.fail_next = true;
  coordinator_->halt("operator", "test", "operator:test");
  EXPECT_TRUE(halted());
  EXPECT_FALSE(coordinator_->status().persisted);
  EXPECT_THAT(coordinator_->status().persistence_error, HasSubstr("disk unplugged"));
}

TEST_F(MonitoringTest, ResumeThatCannotBePersistedStaysHalted) {
  coordinator_->halt("operator", "test", "operator:test");
  for (RecoveryItem item : kRecoveryItems)
    ASSERT_TRUE(coordinator_->complete_item(item, "op").is_ok());
  repository_.fail_next = true;
  EXPECT_EQ(coordinator_->resume("op").code(), StatusCode::kUnavailable);
  EXPECT_TRUE(halted());
}

TEST_F(MonitoringTest, ChecklistItemThatCannotBeStoredStaysOpen) {
  coordinator_->halt("operator", "test", "operator:test");
  repository_.fail_next = true;
  const Status refused = coordinator_->complete_item(RecoveryItem::kReviewPositions, "op");
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("cannot record review_positions, it stays open"));
  EXPECT_THAT(refused.message(), HasSubstr("disk unplugged"));
  EXPECT_EQ(coordinator_->open_items().size(), kRecoveryItems.size());

  ASSERT_TRUE(coordinator_->complete_item(RecoveryItem::kReviewPositions, "op").is_ok());
  auto stored = repository_.completed_recovery_items();
  ASSERT_TRUE(stored.is_ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0], (persistence::RecoveryItemRecord{"review_positions", "op", kStart}));
}

TEST_F(MonitoringTest, AHaltThatWasNotStoredIsStoredWithTheFirstCompletedItem) {
  repository_.fail_next = true;
  coordinator_->halt("daily_drawdown", "2.50 % >= 2.00 %", "monitoring");
  ASSERT_FALSE(coordinator_->status().persisted);
  ASSERT_FALSE(repository_.current()->has_value());

  advance(std::chrono::minutes(5));
  ASSERT_TRUE(coordinator_->complete_item(RecoveryItem::kReviewHaltReason, "op").is_ok());
  auto current = repository_.current();
  ASSERT_TRUE(current.is_ok() && current->has_value());
  EXPECT_EQ((*current)->state, SystemState::kHalted);
  EXPECT_EQ((*current)->reason, "daily_drawdown: 2.50 % >= 2.00 %");
  EXPECT_EQ((*current)->changed_at, kStart) << "stored with the time the halt happened";
  EXPECT_TRUE(coordinator_->status().persisted);
  ASSERT_EQ(repository_.completed_recovery_items()->size(), 1u);
  // Stored once: the next item does not record the halt again (that would reopen the list).
  ASSERT_TRUE(coordinator_->complete_item(RecoveryItem::kReviewPositions, "op").is_ok());
  EXPECT_EQ(repository_.history()->size(), 1u);
  EXPECT_EQ(repository_.completed_recovery_items()->size(), 2u);
}

// --- Restart -----------------------------------------------------------------------------------

using TempDir = ::galfriday::test::TempDir;

TEST(HaltRestart, HaltedStateSurvivesARestartUntilResumed) {
  TempDir dir;
  const auto db_path = dir.path() / "galfriday.db";
  SimulatedClock clock(kStart);
  PortfolioState no_positions;
  const auto probe = [&] { return no_positions; };
  {
    auto db = persistence::open_sqlite(db_path);
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    ASSERT_TRUE(persistence::migrate(**db, clock).is_ok());
    persistence::SqlHaltStateRepository repository(**db);
    PubSubManager bus(clock);
    HaltCoordinator coordinator(bus, clock, repository, HaltAction::kMaintainPositions, probe);
    ASSERT_TRUE(coordinator.restore().is_ok());
    EXPECT_FALSE(coordinator.halted());
    coordinator.halt("daily_drawdown", "2.50 % >= 2.00 %", "monitoring");
  }
  clock.advance_to(kStart + std::chrono::hours(1));
  {
    auto db = persistence::open_sqlite(db_path);
    ASSERT_TRUE(db.is_ok());
    persistence::SqlHaltStateRepository repository(**db);
    PubSubManager bus(clock);
    std::vector<SystemStateEvent> states;
    bus.subscribe<SystemStateEvent>([&](const SystemStateEvent& e) { states.push_back(e); });
    HaltCoordinator coordinator(bus, clock, repository, HaltAction::kMaintainPositions, probe);
    ASSERT_TRUE(coordinator.restore().is_ok());
    bus.run_until_idle();
    ASSERT_TRUE(coordinator.halted());
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].state, SystemState::kHalted);
    EXPECT_EQ(states[0].reason, "restored: daily_drawdown: 2.50 % >= 2.00 %");
    EXPECT_EQ(coordinator.status().since, kStart);
    EXPECT_EQ(coordinator.open_items().size(), kRecoveryItems.size());
    for (RecoveryItem item : kRecoveryItems) {
      ASSERT_TRUE(coordinator.complete_item(item, "op").is_ok());
    }
    ASSERT_TRUE(coordinator.resume("operator:test").is_ok());
    auto history = repository.history();
    ASSERT_TRUE(history.is_ok());
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ((*history)[1].state, SystemState::kRunning);
  }
  {
    auto db = persistence::open_sqlite(db_path);
    ASSERT_TRUE(db.is_ok());
    persistence::SqlHaltStateRepository repository(**db);
    PubSubManager bus(clock);
    HaltCoordinator coordinator(bus, clock, repository, HaltAction::kMaintainPositions, probe);
    ASSERT_TRUE(coordinator.restore().is_ok());
    EXPECT_FALSE(coordinator.halted());
    EXPECT_EQ(bus.queued(), 0u);
  }
}

TEST(HaltRestart, CompletedChecklistItemsSurviveARestartAndANewHaltStartsFresh) {
  TempDir dir;
  const auto db_path = dir.path() / "galfriday.db";
  SimulatedClock clock(kStart);
  PortfolioState no_positions;
  const auto probe = [&] { return no_positions; };
  // One process: halt, complete two items; the next one starts from the same file.
  const auto restarted =
      [&](const std::function<void(HaltCoordinator&, persistence::HaltStateRepository&)>& run) {
        auto db = persistence::open_sqlite(db_path);
        ASSERT_TRUE(db.is_ok()) << db.status().to_string();
        ASSERT_TRUE(persistence::migrate(**db, clock).is_ok());
        persistence::SqlHaltStateRepository repository(**db);
        PubSubManager bus(clock);
        HaltCoordinator coordinator(bus, clock, repository, HaltAction::kMaintainPositions, probe);
        ASSERT_TRUE(coordinator.restore().is_ok());
        run(coordinator, repository);
      };
  const Timestamp reviewed_at = kStart + std::chrono::minutes(1);
  const Timestamp positions_at = kStart + std::chrono::minutes(2);

  restarted([&](HaltCoordinator& coordinator, persistence::HaltStateRepository&) {
    coordinator.halt("daily_drawdown", "2.50 % >= 2.00 %", "monitoring");
    clock.advance_to(reviewed_at);
    ASSERT_TRUE(coordinator.complete_item(RecoveryItem::kReviewHaltReason, "alice").is_ok());
    clock.advance_to(positions_at);
    ASSERT_TRUE(coordinator.complete_item(RecoveryItem::kReviewPositions, "bob").is_ok());
  });
  clock.advance_to(kStart + std::chrono::hours(1));
  restarted([&](HaltCoordinator& coordinator, persistence::HaltStateRepository& repository) {
    ASSERT_TRUE(coordinator.halted());
    for (const ChecklistEntry& entry : coordinator.status().checklist) {
      if (entry.item == RecoveryItem::kReviewHaltReason) {
        EXPECT_TRUE(entry.done);
        EXPECT_EQ(entry.completed_by, "alice");
        EXPECT_EQ(entry.completed_at, reviewed_at);
      } else if (entry.item == RecoveryItem::kReviewPositions) {
        EXPECT_TRUE(entry.done);
        EXPECT_EQ(entry.completed_by, "bob");
        EXPECT_EQ(entry.completed_at, positions_at);
      } else {
        EXPECT_FALSE(entry.done) << recovery_item_id(entry.item);
      }
    }
    EXPECT_EQ(coordinator.open_items().size(), kRecoveryItems.size() - 2);
    const Status twice = coordinator.complete_item(RecoveryItem::kReviewPositions, "carol");
    EXPECT_EQ(twice.code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(twice.message(), HasSubstr("already completed (by bob)"));
    // Resume still needs every item.
    const Status refused = coordinator.resume("alice");
    EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.message(), HasSubstr("check_market_conditions"));
    EXPECT_THAT(refused.message(), ::testing::Not(HasSubstr("review_positions")));
    // An item only a newer binary knows is ignored, not fatal.
    ASSERT_TRUE(
        repository.complete_recovery_item({"confirm_with_a_colleague", "alice", clock.now()})
            .is_ok());
    for (RecoveryItem item : coordinator.open_items()) {
      ASSERT_TRUE(coordinator.complete_item(item, "alice").is_ok());
    }
    ASSERT_TRUE(coordinator.resume("alice").is_ok());
    coordinator.halt("operator", "second halt", "operator:test");
    EXPECT_EQ(coordinator.open_items().size(), kRecoveryItems.size());
    ASSERT_TRUE(coordinator.complete_item(RecoveryItem::kVerifyApiConnectivity, "dave").is_ok());
  });
  restarted([&](HaltCoordinator& coordinator, persistence::HaltStateRepository&) {
    ASSERT_TRUE(coordinator.halted());
    EXPECT_THAT(coordinator.status().reasons.front().detail, HasSubstr("second halt"));
    // Only what was completed for the second halt.
    const auto open = coordinator.open_items();
    EXPECT_EQ(open.size(), kRecoveryItems.size() - 1);
    EXPECT_EQ(std::count(open.begin(), open.end(), RecoveryItem::kVerifyApiConnectivity), 0);
  });
}

}  // namespace
}  // namespace galfriday::monitoring
