// Backtests on recorded WebSocket files: the recording replay (through the live ingestor) on the
// real book sample, and a recording of the Kraken simulator's feed replayed through the whole
// pipeline, with book-driven fills and a byte-identical report on every run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "../kraken_sim/sim_test_support.hpp"
#include "../support/temp_dir.hpp"
#include "galfriday/app/backtest_runner.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/backtest/recording_replay.hpp"
#include "galfriday/feed/market_data_feed.hpp"
#include "galfriday/feed/recording.hpp"

namespace galfriday {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kBookSample = fs::path(GF_SOURCE_DIR) / "tests/data/replay/btcusd_book_sample.jsonl";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

using TempDir = ::galfriday::test::TempDir;

feed::DataIngestorOptions ingestor_options(const config::Config& config) {
  auto instruments = app::build_instruments(config);
  EXPECT_TRUE(instruments.is_ok());
  return feed::market_data_feed_options(config, instruments->all()).ingestor;
}

std::vector<backtest::ReplayedEvent> replay_all(const fs::path& path,
                                                const feed::DataIngestorOptions& options) {
  auto replay = backtest::RecordingReplay::open(path, options);
  EXPECT_TRUE(replay.is_ok()) << replay.status().to_string();
  std::vector<backtest::ReplayedEvent> events;
  if (!replay.is_ok()) return events;
  while (true) {
    auto next = replay->next();
    EXPECT_TRUE(next.is_ok()) << next.status().to_string();
    if (!next.is_ok() || !*next) break;
    events.push_back(std::move(**next));
  }
  EXPECT_EQ(replay->counters().checksum_mismatches, 0u);
  return events;
}

TEST(RecordingReplay, RealBookSampleGivesTheLiveIngestorsEventsAtTheReceiveTimes) {
  const config::Config config = config::default_config();
  const auto options = ingestor_options(config);
  const auto events = replay_all(kBookSample, options);
  ASSERT_EQ(events.size(), 7u);  // the snapshot and six updates, each checksum-verified

  // The same file fed straight into a DataIngestor (what `galfriday record` replays) gives the
  // same events: one decoder, not two.
  auto entries = feed::read_recording(kBookSample);
  ASSERT_TRUE(entries.is_ok()) << entries.status().to_string();
  std::vector<Event> direct;
  auto ingestor = feed::DataIngestor::create(
      options, [&](Event event) { direct.push_back(std::move(event)); },
      [](std::string) { return true; });
  ASSERT_TRUE(ingestor.is_ok());
  feed::replay_recording(*entries, **ingestor);
  ASSERT_EQ(direct.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event, direct[i]) << "event " << i;
    EXPECT_EQ(events[i].received, meta_of(events[i].event).ts_init) << "event " << i;
  }

  const auto* snapshot = std::get_if<MarketDataL2Event>(&events.front().event);
  ASSERT_NE(snapshot, nullptr);
  EXPECT_TRUE(snapshot->is_snapshot);
  EXPECT_EQ(snapshot->asks.front().price.to_string(), "29430.3");
  EXPECT_EQ(snapshot->asks.front().qty.to_string(), "8.25215653");
  EXPECT_EQ(events.front().received, timestamp_from_nanos(1690730998323415000));
  const auto* last = std::get_if<MarketDataL2Event>(&events.back().event);
  ASSERT_NE(last, nullptr);
  // The last update changed the best ask's quantity; exchange time 15:30:01.606364, received
  // 3 ms later.
  EXPECT_EQ(last->asks.front().qty.to_string(), "7.45182177");
  EXPECT_EQ(last->meta.ts_event, *parse_iso8601("2023-07-30T15:30:01.606364Z"));
  EXPECT_EQ(events.back().received, timestamp_from_nanos(1690731001609364000));
}

TEST(RecordingReplay, BadEntriesNameFileAndLine) {
  TempDir dir;
  const fs::path path = dir.path() / "bad.jsonl";
  {
    std::ofstream out(path);
    out << R"({"ts":5,"type":"connected"})"
        << "\n"
        << R"({"ts":4,"type":"disconnected"})"
        << "\n";
  }
  const config::Config config = config::default_config();
  auto replay = backtest::RecordingReplay::open(path, ingestor_options(config));
  ASSERT_TRUE(replay.is_ok());
  auto next = replay->next();
  ASSERT_FALSE(next.is_ok());
  EXPECT_THAT(next.status().message(), HasSubstr("bad.jsonl:2: receive time"));
  {
    std::ofstream out(path);
    out << R"({"ts":5,"type":"connected"})"
        << "\n"
        << "{\"ts\":6}\n";
  }
  auto again = backtest::RecordingReplay::open(path, ingestor_options(config));
  ASSERT_TRUE(again.is_ok());
  EXPECT_THAT(again->next().status().message(), HasSubstr("bad.jsonl:2"));
  EXPECT_EQ(backtest::RecordingReplay::open(dir.path() / "missing.jsonl", ingestor_options(config))
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST(ReplayBacktest, ARecordingWithoutClosedBarsIsAnError) {
  auto outcome = app::run_replay_backtest(config::default_config(), kBookSample);
  ASSERT_FALSE(outcome.is_ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.status().message(), HasSubstr("holds no closed bar"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("7 frames")) << outcome.status().message();
}

// --- A recorded session of the Kraken simulator through the whole pipeline ---------------------

constexpr Duration kTimePerStep = std::chrono::seconds(20);
constexpr int kSteps = 360;  // two hours of exchange time: 120 one-minute bars per pair

// A short-window config, so that the strategy trades within two hours of bars.
config::Config replay_config() {
  config::Config config = config::default_config();
  config.features.indicators = {"ma_spread", "returns"};
  config.features.fast_window = 3;
  config.features.slow_window = 10;
  config.features.return_horizons = {1};
  config.prediction.momentum_sensitivity = 3000.0;
  config.strategy.buy_threshold = 0.6;
  config.strategy.sell_threshold = 0.4;
  config.strategy.cooldown_bars = 1;
  config.strategy.sl_pct = 0.5;
  config.strategy.tp_pct = 1.0;
  return config;
}

// Records the simulator's feed as `galfriday record` does, with the receive clock held a
// millisecond after the exchange time of each step (the file's content depends only on the
// seed; the test waits for every frame of a step before the next).
void record_simulator_session(const fs::path& path, uint64_t seed) {
  using kraken_sim::testing::wait_until;
  auto sim_options = kraken_sim::testing::manual_options(seed);
  sim_options.time_per_step = kTimePerStep;
  auto sim = kraken_sim::KrakenSimulator::start(sim_options);
  ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();
  auto writer = feed::RecordingWriter::open(path);
  ASSERT_TRUE(writer.is_ok());
  const config::Config config = replay_config();
  feed::MarketDataFeedOptions options =
      feed::market_data_feed_options(config, app::build_instruments(config)->all());
  options.client.url = (*sim)->ws_url();
  SimulatedClock clock(sim_options.start_time + std::chrono::milliseconds(1));
  auto feed = feed::MarketDataFeed::create(
      options, clock, [](Event) {}, std::move(*writer));
  ASSERT_TRUE(feed.is_ok()) << feed.status().to_string();
  (*feed)->start();
  const auto all_received = [&] {
    return (*feed)->ingestor().counters().frames == (*sim)->stats().frames_sent;
  };
  ASSERT_TRUE(wait_until([&] {
    return (*sim)->book_subscribers(InstrumentId("BTC/USD")) == 1 &&
           (*sim)->book_subscribers(InstrumentId("ETH/USD")) == 1 && all_received();
  }));
  for (int step = 0; step < kSteps; ++step) {
    clock.advance_to((*sim)->exchange_time() + kTimePerStep + std::chrono::milliseconds(1));
    (*sim)->step();
    ASSERT_TRUE(wait_until(all_received)) << "step " << step;
  }
  (*feed)->stop();
  ASSERT_TRUE((*feed)->recording_status().is_ok());
}

// Places orders on the run's bus as the risk manager would (the random walk of the simulator is
// too calm for the momentum strategy): a market buy of 0.05 BTC after the 5th closed BTC/USD bar
// and a close of the position after the 40th, so the exchange must fill both on the books.
void place_orders(PubSubManager& bus) {
  auto bars = std::make_shared<int>(0);
  bus.subscribe<MarketDataOHLCVEvent>([&bus, bars](const MarketDataOHLCVEvent& bar) {
    if (bar.instrument != InstrumentId("BTC/USD")) return;
    ++*bars;
    if (*bars == 5) {
      TradeSignalApprovedEvent approved;
      approved.signal_id = SignalId("replay-1");
      approved.instrument = bar.instrument;
      approved.strategy_id = "test";
      approved.quantity = Quantity::parse("0.05", 8).value();
      approved.stop_loss = Price::parse("30000.0", 1).value();
      bus.publish(approved);
    } else if (*bars == 40) {
      ClosePositionCommand close;
      close.instrument = bar.instrument;
      close.reason = "test exit";
      bus.publish(close);
    }
  });
}

class SimulatorReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_FALSE(dir_->path().empty());
    record_simulator_session(dir_->path() / "session.jsonl", 11);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path recording() { return dir_->path() / "session.jsonl"; }

  static inline TempDir* dir_ = nullptr;
};

TEST_F(SimulatorReplayTest, SameRecordingGivesAByteIdenticalReport) {
  const config::Config config = replay_config();
  auto first = app::run_replay_backtest(config, recording(), place_orders);
  auto second = app::run_replay_backtest(config, recording(), place_orders);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_EQ(first->handler_failures, 0u);
  EXPECT_EQ(first->trades.size(), 1u);
  // Bars come from the recorded ohlc channel as the ingestor closes them: about one per minute
  // and pair over the two hours (the last, still open one is not closed).
  EXPECT_GE(first->summary.bars, 150);
  EXPECT_LE(first->summary.bars, 2 * 120);

  const fs::path a = dir_->path() / "report_a";
  const fs::path b = dir_->path() / "report_b";
  ASSERT_TRUE(app::write_backtest_report(*first, a, "USD").is_ok());
  ASSERT_TRUE(app::write_backtest_report(*second, b, "USD").is_ok());
  for (const char* file :
       {"report.html", "summary.txt", "summary.json", "trades.csv", "equity.csv"}) {
    const std::string bytes = read_bytes(a / file);
    EXPECT_FALSE(bytes.empty()) << file;
    EXPECT_EQ(bytes, read_bytes(b / file)) << file;
  }
}

TEST_F(SimulatorReplayTest, OrdersFillAgainstTheRecordedBooksLevels) {
  // Every taker fill is at a level of the book whose update filled it: buys at an ask, sells at
  // a bid. The observer subscribes first, so it sees each book before the exchange does.
  std::map<InstrumentId, MarketDataL2Event> books;
  int taker_fills = 0;
  int fills_off_the_book = 0;
  int fills_without_a_book = 0;
  auto outcome = app::run_replay_backtest(replay_config(), recording(), [&](PubSubManager& bus) {
    place_orders(bus);
    bus.subscribe<MarketDataL2Event>(
        [&](const MarketDataL2Event& book) { books[book.instrument] = book; });
    bus.subscribe<ExecutionReportEvent>([&](const ExecutionReportEvent& report) {
      if (!report.last_fill || report.last_fill->liquidity != Liquidity::kTaker) return;
      ++taker_fills;
      const auto book = books.find(report.instrument);
      if (book == books.end()) {
        ++fills_without_a_book;
        return;
      }
      const auto& levels = report.side == Side::kBuy ? book->second.asks : book->second.bids;
      const bool on_book = std::any_of(levels.begin(), levels.end(), [&](const BookLevel& level) {
        return level.price == report.last_fill->price;
      });
      if (!on_book) ++fills_off_the_book;
    });
  });
  ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
  EXPECT_GE(taker_fills, 2);  // the entry and the exit, each walking at least one level
  EXPECT_EQ(outcome->trades.size(), 1u);
  EXPECT_EQ(fills_without_a_book, 0);
  EXPECT_EQ(fills_off_the_book, 0);
}

TEST_F(SimulatorReplayTest, LatencyDelaysFillsButTheRunStaysDeterministic) {
  config::Config config = replay_config();
  config.execution.latency_ms = 1500;
  config.execution.latency_jitter_ms = 500;
  config.execution.latency_seed = 3;
  // No entry fills before its approval plus the 1.5 s base latency.
  std::map<SignalId, Timestamp> approved_at;
  int entry_fills = 0;
  int early_fills = 0;
  auto first = app::run_replay_backtest(config, recording(), [&](PubSubManager& bus) {
    place_orders(bus);
    bus.subscribe<TradeSignalApprovedEvent>([&](const TradeSignalApprovedEvent& approved) {
      approved_at[approved.signal_id] = approved.meta.ts_init;
    });
    bus.subscribe<ExecutionReportEvent>([&](const ExecutionReportEvent& report) {
      if (!report.last_fill || report.purpose != OrderPurpose::kEntry) return;
      ++entry_fills;
      if (report.meta.ts_event <
          approved_at.at(*report.signal_id) + std::chrono::milliseconds(1500))
        ++early_fills;
    });
  });
  auto second = app::run_replay_backtest(config, recording(), place_orders);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_TRUE(second.is_ok());
  EXPECT_GT(entry_fills, 0);
  EXPECT_EQ(early_fills, 0);
  EXPECT_EQ(first->summary.final_equity, second->summary.final_equity);
  EXPECT_EQ(first->summary.trades, second->summary.trades);
  ASSERT_EQ(first->trades.size(), second->trades.size());
  for (size_t i = 0; i < first->trades.size(); ++i) {
    EXPECT_EQ(first->trades[i].entry_time, second->trades[i].entry_time) << "trade " << i;
  }
}

}  // namespace
}  // namespace galfriday
