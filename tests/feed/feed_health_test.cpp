// The feed's health signals reach MonitoringService through the bus and trip its halt
// conditions: the whole live path (simulator -> loopback WebSocket -> MarketDataFeed ->
// PubSubManager::post -> MonitoringService -> HaltCoordinator), no hand-made events.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../kraken_sim/sim_test_support.hpp"
#include "../monitoring/memory_halt_repository.hpp"
#include "galfriday/bus/pubsub.hpp"
#include "galfriday/feed/market_data_feed.hpp"
#include "galfriday/monitoring/halt_coordinator.hpp"
#include "galfriday/monitoring/monitoring_service.hpp"

namespace galfriday::feed {
namespace {

using kraken_sim::KrakenSimulator;
using kraken_sim::testing::manual_options;
using kraken_sim::testing::wait_until;
using ::testing::HasSubstr;

const Timestamp kStart = timestamp_from_seconds(1700000000);

using monitoring::test_support::MemoryHaltRepository;

// True when the ingestor holds a verified snapshot-based book equal to the simulator's.
bool books_match(const DataIngestor& ingestor, const KrakenSimulator& sim,
                 const kraken_sim::SimulatorOptions& sim_options) {
  for (const auto& pair : sim_options.pairs) {
    const auto mine = ingestor.book(pair.spec.id);
    const auto theirs = sim.book(pair.spec.id, 10);
    if (!mine || !theirs || !mine->has_snapshot || mine->checksum != theirs->checksum) {
      return false;
    }
  }
  return true;
}

class FeedHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_options_ = manual_options();
    auto sim = KrakenSimulator::start(sim_options_);
    ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();
    sim_ = std::move(*sim);

    std::vector<InstrumentId> pairs;
    MarketDataFeedOptions options;
    options.client.url = sim_->ws_url();
    options.client.reconnect = {std::chrono::milliseconds(10), std::chrono::milliseconds(100), 0.5};
    for (const auto& pair : sim_options_.pairs) {
      options.ingestor.pairs.push_back(pair.spec);
      pairs.push_back(pair.spec.id);
    }
    coordinator_ = std::make_unique<monitoring::HaltCoordinator>(bus_, engine_clock_, repository_,
                                                                 HaltAction::kMaintainPositions,
                                                                 [] { return PortfolioState{}; });
    monitoring_ = std::make_unique<monitoring::MonitoringService>(
        config_, pairs, *coordinator_, scheduler_, [] { return PortfolioState{}; });
    monitoring_->attach(bus_);
    // As in the engine: the feed's I/O thread posts, the engine thread (here the test) runs.
    auto feed = MarketDataFeed::create(options, feed_clock_,
                                       [this](Event event) { bus_.post(std::move(event)); });
    ASSERT_TRUE(feed.is_ok()) << feed.status().to_string();
    feed_ = std::move(*feed);
    feed_->start();
    ASSERT_TRUE(wait_until([&] { return subscribed(); }));
    sim_->step(20);
    ASSERT_TRUE(wait_until([&] { return books_match(feed_->ingestor(), *sim_, sim_options_); }));
  }

  void TearDown() override {
    if (feed_) feed_->stop();
  }

  bool subscribed() const {
    for (const auto& pair : sim_options_.pairs) {
      if (sim_->book_subscribers(pair.spec.id) != 1) return false;
    }
    return true;
  }

  // One corrupt checksum from the simulator, then the feed's recovery to a verified book.
  void corrupt_one_checksum(uint64_t mismatches_after) {
    sim_->corrupt_next_checksum();
    kraken_sim::testing::step_until_corrupted(*sim_);
    ASSERT_TRUE(wait_until(
        [&] { return feed_->ingestor().counters().checksum_mismatches == mismatches_after; }));
    ASSERT_TRUE(wait_until([&] { return subscribed(); }));
    sim_->step(5);
    ASSERT_TRUE(wait_until([&] { return books_match(feed_->ingestor(), *sim_, sim_options_); }));
  }

  // Runs the bus on this (the engine) thread until every posted health signal was handled.
  void drain() {
    ASSERT_TRUE(wait_until([&] {
      bus_.run_until_idle();
      return handled_signals() == feed_->ingestor().counters().health_signals;
    }));
  }

  uint64_t handled_signals() {
    uint64_t count = 0;
    for (const auto& condition : monitoring_->conditions()) {
      if (condition.name == "checksum_failures" || condition.name == "api_error_rate") {
        count += std::stoull(condition.current);
      }
    }
    return count;
  }

  std::string first_condition() const {
    const auto& reasons = coordinator_->status().reasons;
    return reasons.empty() ? "" : reasons.front().condition;
  }

  kraken_sim::SimulatorOptions sim_options_;
  std::unique_ptr<KrakenSimulator> sim_;
  LiveClock feed_clock_;
  // The engine's clock stands still, so every signal falls inside the monitoring windows.
  SimulatedClock engine_clock_{kStart};
  Scheduler scheduler_{engine_clock_};
  PubSubManager bus_{engine_clock_};
  MemoryHaltRepository repository_;
  config::MonitoringConfig config_;  // checksum_failures: 3 within 60 s
  std::unique_ptr<monitoring::HaltCoordinator> coordinator_;
  std::unique_ptr<monitoring::MonitoringService> monitoring_;
  std::unique_ptr<MarketDataFeed> feed_;
};

TEST_F(FeedHealthTest, ChecksumFailuresFromTheLiveFeedTripTheChecksumHalt) {
  ASSERT_EQ(config_.checksum_failure_max_count, 3);
  corrupt_one_checksum(1);
  corrupt_one_checksum(2);
  drain();
  EXPECT_FALSE(coordinator_->halted()) << "two failures are below the limit of three";

  corrupt_one_checksum(3);
  drain();
  ASSERT_TRUE(coordinator_->halted());
  EXPECT_EQ(first_condition(), "checksum_failures");
  EXPECT_THAT(coordinator_->status().reasons.front().detail, HasSubstr("3 order book checksum"));
  EXPECT_EQ(sim_->stats().checksums_corrupted, 3u);
}

TEST_F(FeedHealthTest, DroppedConnectionsCountAsApiErrorsUntilTheRateHalts) {
  ASSERT_EQ(config_.api_error_max_count, 5);
  for (uint64_t drop = 1; drop <= 5; ++drop) {
    sim_->drop_connections();
    ASSERT_TRUE(wait_until([&] { return feed_->ingestor().counters().reconnects == drop; }));
    ASSERT_TRUE(wait_until([&] { return subscribed(); }));
    drain();
    EXPECT_EQ(coordinator_->halted(), drop == 5) << "after drop " << drop;
  }
  EXPECT_EQ(first_condition(), "api_error_rate");
  EXPECT_THAT(coordinator_->status().reasons.front().detail,
              HasSubstr("market data connection dropped"));
}

}  // namespace
}  // namespace galfriday::feed
