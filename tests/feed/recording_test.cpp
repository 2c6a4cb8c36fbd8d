// Recordings: the line format, and record-from-the-simulator then replay giving the same events
// and books.

#include "galfriday/feed/recording.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

#include "../kraken_sim/sim_test_support.hpp"
#include "galfriday/feed/market_data_feed.hpp"

namespace galfriday::feed {
namespace {

using kraken_sim::KrakenSimulator;
using kraken_sim::testing::manual_options;
using kraken_sim::testing::wait_until;
using ::testing::HasSubstr;

std::filesystem::path temp_file(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gf_recording_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(Recording, EntriesRoundTripExactly) {
  const RecordedEntry frame{RecordedEntry::Type::kFrame, timestamp_from_nanos(1704067200123456789),
                            "{\"channel\":\"book\",\"x\":\"a\\\"b\"}\n\t"};
  const std::string line = format_recorded_entry(frame);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr(R"({"ts":1704067200123456789,"type":"frame","msg":)"));
  auto parsed = parse_recorded_entry(line);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, frame);
  const RecordedEntry connected{RecordedEntry::Type::kConnected, timestamp_from_nanos(5), {}};
  EXPECT_EQ(format_recorded_entry(connected), R"({"ts":5,"type":"connected"})");
  EXPECT_EQ(*parse_recorded_entry(format_recorded_entry(connected)), connected);
}

TEST(Recording, BadLinesNameTheLine) {
  EXPECT_FALSE(parse_recorded_entry("{").is_ok());
  EXPECT_FALSE(parse_recorded_entry(R"({"ts":"1","type":"frame","msg":"x"})").is_ok());
  EXPECT_FALSE(parse_recorded_entry(R"({"ts":1,"type":"frame"})").is_ok());
  EXPECT_FALSE(parse_recorded_entry(R"({"ts":1,"type":"other"})").is_ok());
  const auto path = temp_file("bad.jsonl");
  {
    std::ofstream out(path);
    out << R"({"ts":1,"type":"connected"})"
        << "\n\n"
        << R"({"ts":2})"
        << "\n";
  }
  auto read = read_recording(path);
  ASSERT_FALSE(read.is_ok());
  EXPECT_THAT(read.status().message(), HasSubstr("bad.jsonl:3"));
  EXPECT_EQ(read_recording(temp_file("missing.jsonl")).status().code(), StatusCode::kNotFound);
}

TEST(Recording, ReplayOfARecordedSessionGivesTheSameEventsAndBooks) {
  const auto sim_options = manual_options(99);
  auto sim = KrakenSimulator::start(sim_options);
  ASSERT_TRUE(sim.is_ok());
  const auto path = temp_file("session.jsonl");
  auto writer = RecordingWriter::open(path);
  ASSERT_TRUE(writer.is_ok());

  MarketDataFeedOptions options;
  options.client.url = (*sim)->ws_url();
  options.client.reconnect = {std::chrono::milliseconds(10), std::chrono::milliseconds(100), 0.5};
  for (const auto& pair : sim_options.pairs) options.ingestor.pairs.push_back(pair.spec);
  std::mutex mutex;
  std::vector<Event> live_events;
  LiveClock clock;
  auto feed = MarketDataFeed::create(
      options, clock,
      [&](Event event) {
        std::lock_guard lock(mutex);
        live_events.push_back(std::move(event));
      },
      std::move(*writer));
  ASSERT_TRUE(feed.is_ok());
  DataIngestor& live = (*feed)->ingestor();
  (*feed)->start();
  auto subscribed = [&] {
    return (*sim)->book_subscribers(InstrumentId("BTC/USD")) == 1 &&
           (*sim)->book_subscribers(InstrumentId("ETH/USD")) == 1;
  };
  ASSERT_TRUE(wait_until(subscribed));
  (*sim)->step(40);
  (*sim)->corrupt_next_checksum();
  kraken_sim::testing::step_until_corrupted(**sim);
  (*sim)->step(40);
  ASSERT_TRUE(wait_until([&] { return live.counters().checksum_mismatches == 1; }));
  (*sim)->drop_connections();
  ASSERT_TRUE(wait_until([&] { return live.counters().reconnects == 1; }));
  ASSERT_TRUE(wait_until(subscribed));
  (*sim)->step(40);
  // Whatever frames are still in flight at stop() are in neither the live run nor the file.
  ASSERT_TRUE(wait_until([&] {
    for (const auto& pair : sim_options.pairs) {
      const auto mine = live.book(pair.spec.id);
      const auto theirs = (*sim)->book(pair.spec.id, 10);
      if (!mine || !mine->has_snapshot || mine->checksum != theirs->checksum) return false;
    }
    return true;
  }));
  (*feed)->stop();
  ASSERT_TRUE((*feed)->recording_status().is_ok());

  auto entries = read_recording(path);
  ASSERT_TRUE(entries.is_ok()) << entries.status().to_string();
  std::vector<Event> replayed_events;
  auto replay = DataIngestor::create(
      options.ingestor, [&](Event event) { replayed_events.push_back(std::move(event)); },
      [](std::string) { return true; });
  ASSERT_TRUE(replay.is_ok());
  replay_recording(*entries, **replay);

  std::lock_guard lock(mutex);
  ASSERT_FALSE(live_events.empty());
  EXPECT_EQ(replayed_events.size(), live_events.size());
  EXPECT_TRUE(replayed_events == live_events);
  for (const auto& pair : sim_options.pairs) {
    EXPECT_EQ((*replay)->book(pair.spec.id), live.book(pair.spec.id)) << pair.spec.id.str();
  }
  const FeedCounters a = live.counters();
  const FeedCounters b = (*replay)->counters();
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_EQ(a.checksum_mismatches, b.checksum_mismatches);
  EXPECT_EQ(a.reconnects, b.reconnects);
  std::filesystem::remove_all(path.parent_path());
}

TEST(Recording, SimulatorReplaysARecordingsDataFrames) {
  const auto path = temp_file("for_sim.jsonl");
  {
    auto writer = RecordingWriter::open(path);
    ASSERT_TRUE(writer.is_ok());
    ASSERT_TRUE((*writer)->write_connected(timestamp_from_nanos(1)).is_ok());
    ASSERT_TRUE(
        (*writer)
            ->write_frame(
                R"({"channel":"status","data":[{"api_version":"v2","connection_id":1,"system":"online","version":"2.0.0"}],"type":"update"})",
                timestamp_from_nanos(2))
            .is_ok());
    ASSERT_TRUE(
        (*writer)
            ->write_frame(
                R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell","price":42000.1,"qty":0.5,"ord_type":"market","trade_id":7,"timestamp":"2024-01-01T00:00:01Z"}]})",
                timestamp_from_nanos(3))
            .is_ok());
    ASSERT_TRUE((*writer)->flush().is_ok());
  }
  auto sim_options = manual_options();
  sim_options.recording = path;
  auto sim = KrakenSimulator::start(sim_options);
  ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();
  EXPECT_FALSE((*sim)->book(InstrumentId("BTC/USD"), 10).has_value());

  MarketDataFeedOptions options;
  options.client.url = (*sim)->ws_url();
  for (const auto& pair : sim_options.pairs) options.ingestor.pairs.push_back(pair.spec);
  std::mutex mutex;
  std::vector<MarketDataTradeEvent> trades;
  LiveClock clock;
  auto feed = MarketDataFeed::create(options, clock, [&](Event event) {
    std::lock_guard lock(mutex);
    if (auto* trade = std::get_if<MarketDataTradeEvent>(&event)) trades.push_back(*trade);
  });
  ASSERT_TRUE(feed.is_ok());
  (*feed)->start();
  ASSERT_TRUE(wait_until([&] { return (*sim)->book_subscribers(InstrumentId("BTC/USD")) == 1; }));
  (*sim)->step(3);
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mutex);
    return trades.size() == 1;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(trades[0].price.to_string(), "42000.1");
  EXPECT_EQ(trades[0].trade_id.str(), "7");
  std::filesystem::remove_all(path.parent_path());
}

}  // namespace
}  // namespace galfriday::feed
