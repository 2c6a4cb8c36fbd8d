// The market data feed against the Kraken simulator over real loopback WebSockets: after a
// corrupt checksum, a malformed frame and a dropped connection, the ingestor's books equal the
// simulator's.

#include <gtest/gtest.h>

#include <mutex>

#include "../kraken_sim/sim_test_support.hpp"
#include "galfriday/feed/market_data_feed.hpp"

namespace galfriday::feed {
namespace {

using kraken_sim::KrakenSimulator;
using kraken_sim::testing::manual_options;
using kraken_sim::testing::wait_until;

// Collects the events the feed emits (on its I/O thread).
struct EventLog {
  mutable std::mutex mutex;
  std::vector<Event> events;
  DataIngestor::EventSink sink() {
    return [this](Event event) {
      std::lock_guard lock(mutex);
      events.push_back(std::move(event));
    };
  }
  std::vector<Event> copy() const {
    std::lock_guard lock(mutex);
    return events;
  }
};

MarketDataFeedOptions feed_options(const KrakenSimulator& sim,
                                   const kraken_sim::SimulatorOptions& sim_options) {
  MarketDataFeedOptions options;
  options.client.url = sim.ws_url();
  options.client.reconnect = {std::chrono::milliseconds(10), std::chrono::milliseconds(100), 0.5};
  for (const auto& pair : sim_options.pairs) options.ingestor.pairs.push_back(pair.spec);
  options.ingestor.book_depth = 10;
  options.ingestor.ohlc_interval_minutes = 1;
  return options;
}

// True when the ingestor holds exactly the simulator's top levels for every pair.
bool books_match(const DataIngestor& ingestor, const KrakenSimulator& sim,
                 const kraken_sim::SimulatorOptions& sim_options) {
  for (const auto& pair : sim_options.pairs) {
    const auto mine = ingestor.book(pair.spec.id);
    const auto theirs = sim.book(pair.spec.id, 10);
    if (!mine || !theirs || !mine->has_snapshot) return false;
    if (mine->bids != theirs->bids || mine->asks != theirs->asks) return false;
    if (mine->checksum != theirs->checksum) return false;
  }
  return true;
}

bool all_subscribed(const KrakenSimulator& sim, const kraken_sim::SimulatorOptions& sim_options) {
  for (const auto& pair : sim_options.pairs) {
    if (sim.book_subscribers(pair.spec.id) != 1) return false;
  }
  return true;
}

TEST(FeedAgainstSimulator, BooksEqualTheSimulatorsThroughADisconnectAndACorruptChecksum) {
  const auto sim_options = manual_options();
  auto sim = KrakenSimulator::start(sim_options);
  ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();
  LiveClock clock;
  EventLog log;
  auto feed = MarketDataFeed::create(feed_options(**sim, sim_options), clock, log.sink());
  ASSERT_TRUE(feed.is_ok()) << feed.status().to_string();
  DataIngestor& ingestor = (*feed)->ingestor();
  (*feed)->start();

  ASSERT_TRUE(wait_until([&] { return all_subscribed(**sim, sim_options); }));
  (*sim)->step(30);
  ASSERT_TRUE(wait_until([&] { return books_match(ingestor, **sim, sim_options); }));

  // A corrupt checksum: the pair's book is dropped and resubscribed, then matches again.
  (*sim)->corrupt_next_checksum();
  kraken_sim::testing::step_until_corrupted(**sim);
  ASSERT_TRUE(wait_until([&] { return ingestor.counters().checksum_mismatches == 1; }));
  ASSERT_TRUE(wait_until([&] {
    return ingestor.counters().book_resubscribes == 1 && all_subscribed(**sim, sim_options);
  }));
  (*sim)->step(30);
  ASSERT_TRUE(wait_until([&] { return books_match(ingestor, **sim, sim_options); }));

  // A malformed frame is counted and changes nothing.
  (*sim)->send_malformed_frame();
  ASSERT_TRUE(wait_until([&] { return ingestor.counters().decode_error_total() == 1; }));
  EXPECT_TRUE(books_match(ingestor, **sim, sim_options));

  // A dropped connection: reconnect, resubscribe, resnapshot.
  (*sim)->drop_connections();
  ASSERT_TRUE(wait_until([&] { return ingestor.counters().reconnects == 1; }));
  ASSERT_TRUE(wait_until([&] { return all_subscribed(**sim, sim_options); }));
  (*sim)->step(30);
  ASSERT_TRUE(wait_until([&] { return books_match(ingestor, **sim, sim_options); }));

  const FeedCounters counters = ingestor.counters();
  EXPECT_EQ((*sim)->stats().checksums_corrupted, 1u);
  EXPECT_EQ(counters.checksum_mismatches, 1u);
  EXPECT_EQ(counters.reconnects, 1u);
  EXPECT_EQ(counters.disconnects, 1u);
  EXPECT_EQ(counters.decode_error_total(), 1u);
  EXPECT_EQ(counters.rejected_book_messages, 0u);
  EXPECT_EQ(counters.subscribe_errors, 0u);
  EXPECT_EQ(counters.duplicate_trades, 0u);
  EXPECT_EQ((*feed)->client_stats().disconnects, 1u);

  // Events: books, trades and (90 s of exchange time at 1 s per step) closed 1-minute bars.
  size_t books = 0, trades = 0, bars = 0;
  for (const Event& event : log.copy()) {
    books += std::holds_alternative<MarketDataL2Event>(event);
    trades += std::holds_alternative<MarketDataTradeEvent>(event);
    if (const auto* bar = std::get_if<MarketDataOHLCVEvent>(&event)) {
      ++bars;
      EXPECT_EQ(bar->interval, std::chrono::minutes(1));
      EXPECT_LE(bar->low, bar->open);
      EXPECT_GE(bar->high, bar->close);
    }
  }
  EXPECT_EQ(books, counters.l2_events);
  EXPECT_GT(trades, 0u);
  EXPECT_GT(bars, 0u);
  (*feed)->stop();
}

}  // namespace
}  // namespace galfriday::feed
