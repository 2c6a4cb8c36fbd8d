// DataIngestor on the real Kraken samples and on hand-made faults.

#include "galfriday/feed/data_ingestor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "galfriday/market/order_book.hpp"

namespace galfriday::feed {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> sample_lines(const std::string& file) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/" + file);
  EXPECT_TRUE(in.is_open()) << file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

InstrumentSpec spec(std::string symbol, int price_precision, int qty_precision) {
  InstrumentSpec out;
  out.id = InstrumentId(std::move(symbol));
  out.price_precision = price_precision;
  out.qty_precision = qty_precision;
  return out;
}

const Timestamp kT0 = timestamp_from_seconds(1696436700);  // 2023-10-04T16:25:00Z

// An ingestor whose events and sent frames the test can inspect.
struct Harness {
  std::vector<Event> events;
  std::vector<std::string> sent;
  std::unique_ptr<DataIngestor> ingestor;

  explicit Harness(std::vector<InstrumentSpec> pairs, int interval_minutes = 1, size_t depth = 10) {
    DataIngestorOptions options;
    options.pairs = std::move(pairs);
    options.book_depth = depth;
    options.ohlc_interval_minutes = interval_minutes;
    options.staleness = std::chrono::seconds(30);
    auto created = DataIngestor::create(
        options, [this](Event event) { events.push_back(std::move(event)); },
        [this](std::string frame) {
          sent.push_back(std::move(frame));
          return true;
        });
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    ingestor = std::move(created).value();
    ingestor->on_connected(kT0);
  }

  template <typename E>
  std::vector<E> of_type() const {
    std::vector<E> out;
    for (const Event& event : events) {
      if (const E* typed = std::get_if<E>(&event)) out.push_back(*typed);
    }
    return out;
  }
};

TEST(DataIngestor, SubscribesToInstrumentBookTradeAndOhlcOnConnect) {
  Harness harness({spec("BTC/USD", 1, 8), spec("ETH/USD", 2, 8)}, 5, 25);
  ASSERT_EQ(harness.sent.size(), 4u);
  EXPECT_THAT(harness.sent[0], HasSubstr(R"("channel":"instrument")"));
  EXPECT_THAT(harness.sent[1],
              HasSubstr(R"("channel":"book","symbol":["BTC/USD","ETH/USD"],"depth":25)"));
  EXPECT_THAT(harness.sent[2], HasSubstr(R"("channel":"trade","symbol":["BTC/USD","ETH/USD"])"));
  EXPECT_THAT(harness.sent[3],
              HasSubstr(R"("channel":"ohlc","symbol":["BTC/USD","ETH/USD"],"interval":5)"));
}

TEST(DataIngestor, RealBookRecordingVerifiesAndPublishesEveryMessage) {
  Harness harness({spec("BTC/USD", 1, 8)});
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  ASSERT_GT(lines.size(), 2u);
  for (const auto& line : lines) harness.ingestor->on_frame(line, kT0);
  const FeedCounters counters = harness.ingestor->counters();
  EXPECT_EQ(counters.checksum_mismatches, 0u);
  EXPECT_EQ(counters.book_messages, lines.size());
  EXPECT_EQ(counters.l2_events, lines.size());
  const auto books = harness.of_type<MarketDataL2Event>();
  ASSERT_EQ(books.size(), lines.size());
  EXPECT_TRUE(books.front().is_snapshot);
  EXPECT_EQ(books.front().instrument.str(), "BTC/USD");
  EXPECT_EQ(books.front().bids.front().price.to_string(), "29430.2");
  EXPECT_EQ(books.front().meta.ts_init, kT0);
  // ts_event is the exchange's timestamp, not the receive time.
  EXPECT_NE(books.back().meta.ts_event, kT0);
  const auto state = harness.ingestor->book(InstrumentId("BTC/USD"));
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->checksum, books.back().checksum.value());
  EXPECT_EQ(state->bids.size(), 10u);
}

TEST(DataIngestor, DocsMaticExampleNeedsThePairPrecision) {
  Harness harness({spec("MATIC/USD", 4, 8)});
  for (const auto& line : sample_lines("ws_v2_book_docs_examples.jsonl")) {
    if (line.find("MATIC/USD") != std::string::npos) harness.ingestor->on_frame(line, kT0);
  }
  EXPECT_EQ(harness.ingestor->counters().checksum_mismatches, 0u);
  EXPECT_EQ(harness.ingestor->counters().l2_events, 2u);
}

TEST(DataIngestor, ChecksumMismatchDropsTheBookAndResubscribesThatPair) {
  Harness harness({spec("BTC/USD", 1, 8), spec("ETH/USD", 2, 8)});
  auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  harness.ingestor->on_frame(lines[0], kT0);
  harness.sent.clear();
  std::string corrupt = lines[1];
  const size_t at = corrupt.find("\"checksum\":") + 11;
  corrupt[at] = corrupt[at] == '1' ? '2' : '1';
  const size_t before = harness.events.size();
  harness.ingestor->on_frame(corrupt, kT0);

  // Nothing from the bad book; one health signal for MonitoringService's checksum condition.
  ASSERT_EQ(harness.events.size(), before + 1);
  const auto* signal = std::get_if<HealthSignalEvent>(&harness.events.back());
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->signal, HealthSignal::kChecksumFailure);
  EXPECT_EQ(signal->source, "feed");
  EXPECT_EQ(signal->instrument, InstrumentId("BTC/USD"));
  EXPECT_EQ(signal->meta.ts_event, kT0);
  EXPECT_THAT(signal->detail, HasSubstr("checksum mismatch"));
  harness.events.pop_back();
  const FeedCounters counters = harness.ingestor->counters();
  EXPECT_EQ(counters.checksum_mismatches, 1u);
  EXPECT_EQ(counters.book_resubscribes, 1u);
  EXPECT_FALSE(harness.ingestor->book(InstrumentId("BTC/USD"))->has_snapshot);
  ASSERT_EQ(harness.sent.size(), 2u);
  EXPECT_THAT(
      harness.sent[0],
      HasSubstr(R"("method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"])"));
  EXPECT_THAT(harness.sent[1],
              HasSubstr(R"("method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"])"));

  // Updates before the new snapshot are not applied; the snapshot restores the book.
  harness.ingestor->on_frame(lines[2], kT0);
  EXPECT_EQ(harness.ingestor->counters().updates_without_snapshot, 1u);
  EXPECT_EQ(harness.events.size(), before);
  harness.ingestor->on_frame(lines[0], kT0);
  EXPECT_TRUE(harness.ingestor->book(InstrumentId("BTC/USD"))->has_snapshot);
  EXPECT_EQ(harness.events.size(), before + 1);
}

TEST(DataIngestor, BadInputIsCountedPerKindAndNeverChangesTheBook) {
  Harness harness({spec("BTC/USD", 1, 8)});
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  harness.ingestor->on_frame(lines[0], kT0);
  const BookState before = *harness.ingestor->book(InstrumentId("BTC/USD"));

  harness.ingestor->on_frame(R"({"channel":"book","type":"update","data":[{"symbol":"BTC/U)", kT0);
  harness.ingestor->on_frame("[]", kT0);
  harness.ingestor->on_frame(R"({"channel":"ticker","type":"update","data":[]})", kT0);
  harness.ingestor->on_frame(
      R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[]}]})", kT0);
  harness.ingestor->on_frame(std::string(5u << 20, ' '), kT0);
  harness.ingestor->on_frame(
      R"({"channel":"book","type":"update","data":[{"symbol":"DOGE/USD","bids":[],"asks":[],"checksum":1}]})",
      kT0);

  const FeedCounters counters = harness.ingestor->counters();
  using kraken::WsDecodeErrorKind;
  EXPECT_EQ(counters.decode_errors[static_cast<size_t>(WsDecodeErrorKind::kMalformedJson)], 1u);
  EXPECT_EQ(counters.decode_errors[static_cast<size_t>(WsDecodeErrorKind::kNotAnObject)], 1u);
  EXPECT_EQ(counters.decode_errors[static_cast<size_t>(WsDecodeErrorKind::kUnsupportedChannel)],
            1u);
  EXPECT_EQ(counters.decode_errors[static_cast<size_t>(WsDecodeErrorKind::kMissingField)], 1u);
  EXPECT_EQ(counters.decode_errors[static_cast<size_t>(WsDecodeErrorKind::kFrameTooLarge)], 1u);
  EXPECT_EQ(counters.decode_error_total(), 5u);
  EXPECT_EQ(counters.unknown_symbols, 1u);
  EXPECT_EQ(counters.checksum_mismatches, 0u);
  EXPECT_EQ(*harness.ingestor->book(InstrumentId("BTC/USD")), before);
}

TEST(DataIngestor, LevelBeyondThePairPrecisionIsRejectedAndResubscribed) {
  Harness harness({spec("BTC/USD", 1, 8)});
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  harness.ingestor->on_frame(lines[0], kT0);
  harness.sent.clear();
  harness.ingestor->on_frame(
      R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":29430.25,"qty":1.0}],"asks":[],"checksum":1,"timestamp":"2023-07-30T15:29:58.343415Z"}]})",
      kT0);
  EXPECT_EQ(harness.ingestor->counters().rejected_book_messages, 1u);
  EXPECT_EQ(harness.sent.size(), 2u);
  EXPECT_FALSE(harness.ingestor->book(InstrumentId("BTC/USD"))->has_snapshot);
}

TEST(DataIngestor, TradesArePublishedOnceInIdOrder) {
  Harness harness({spec("MATIC/USD", 4, 8)});
  const std::string trade =
      R"({"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"sell","price":0.5117,"qty":40.0,"ord_type":"market","trade_id":4665906,"timestamp":"2023-09-25T07:49:37.708706Z"}]})";
  harness.ingestor->on_frame(trade, kT0);
  harness.ingestor->on_frame(trade, kT0);
  const auto trades = harness.of_type<MarketDataTradeEvent>();
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0].price.to_string(), "0.5117");
  EXPECT_EQ(trades[0].qty.to_string(), "40.00000000");
  EXPECT_EQ(trades[0].aggressor, Side::kSell);
  EXPECT_EQ(trades[0].trade_id.str(), "4665906");
  EXPECT_EQ(trades[0].meta.ts_event, parse_iso8601("2023-09-25T07:49:37.708706Z").value());
  EXPECT_EQ(harness.ingestor->counters().duplicate_trades, 1u);
}

std::string candle(std::string_view type, std::string_view begin, std::string_view close,
                   int interval = 5) {
  return std::string(R"({"channel":"ohlc","type":")") + std::string(type) +
         R"(","data":[{"symbol":"ALGO/USD","open":0.09875,"high":0.0988,"low":0.09875,"close":)" +
         std::string(close) +
         R"(,"trades":13,"volume":16255.46368,"vwap":0.09879,"interval_begin":")" +
         std::string(begin) + R"(","interval":)" + std::to_string(interval) + "}]}";
}

TEST(DataIngestor, BarsAreEmittedOnlyOnceClosedByExchangeTime) {
  Harness harness({spec("ALGO/USD", 5, 8)}, 5);
  // The real snapshot, sent at 16:26:01.8 (its top-level timestamp): both its candles (15:25
  // and 15:30) have ended by then. Received at kT0 = 16:25:00 local time.
  for (const auto& line : sample_lines("ws_v2_ohlc.jsonl")) {
    if (line.find("\"type\":\"snapshot\"") != std::string::npos) {
      harness.ingestor->on_frame(line, kT0);
    }
  }
  auto bars = harness.of_type<MarketDataOHLCVEvent>();
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(format_iso8601(bars[0].bar_start), "2023-10-04T15:25:00Z");
  EXPECT_EQ(bars[0].meta.ts_event, bars[0].bar_start + std::chrono::minutes(5));
  EXPECT_EQ(bars[0].meta.ts_init, kT0);
  EXPECT_EQ(bars[0].volume.to_string(), "201.86015000");
  EXPECT_EQ(bars[0].trade_count, 1);
  EXPECT_EQ(bars[1].high.to_string(), "0.09880");

  // Updates of the open candle replace it; a later interval closes it.
  harness.ingestor->on_frame(candle("update", "2023-10-04T16:25:00Z", "0.0990"), kT0);
  harness.ingestor->on_frame(candle("update", "2023-10-04T16:25:00Z", "0.0991"), kT0);
  EXPECT_EQ(harness.of_type<MarketDataOHLCVEvent>().size(), 2u);
  harness.ingestor->on_frame(candle("update", "2023-10-04T16:30:00Z", "0.0993"), kT0);
  bars = harness.of_type<MarketDataOHLCVEvent>();
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(format_iso8601(bars[2].bar_start), "2023-10-04T16:25:00Z");
  EXPECT_EQ(bars[2].close.to_string(), "0.09910");

  // In a quiet market the timer closes the 16:30 bar at 16:35 exchange time: the exchange ran
  // 61.8 s ahead of the local clock, so that is 16:33:58.2 local.
  harness.ingestor->on_timer(parse_iso8601("2023-10-04T16:33:58Z").value());
  EXPECT_EQ(harness.of_type<MarketDataOHLCVEvent>().size(), 3u);
  harness.ingestor->on_timer(parse_iso8601("2023-10-04T16:33:59Z").value());
  bars = harness.of_type<MarketDataOHLCVEvent>();
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_EQ(bars[3].close.to_string(), "0.09930");
  EXPECT_EQ(bars[3].meta.ts_init, parse_iso8601("2023-10-04T16:33:59Z").value());

  // A late update of an emitted bar is counted, not emitted again.
  harness.ingestor->on_frame(candle("update", "2023-10-04T16:30:00Z", "0.0992"), kT0);
  EXPECT_EQ(harness.of_type<MarketDataOHLCVEvent>().size(), 4u);
  EXPECT_EQ(harness.ingestor->counters().late_candles, 1u);
  // A candle of another interval is refused.
  harness.ingestor->on_frame(candle("update", "2023-10-04T16:45:00Z", "0.0992", 1), kT0);
  EXPECT_EQ(harness.ingestor->counters().rejected_candles, 1u);
}

TEST(DataIngestor, StalenessRaisesOneTriggerPerSilence) {
  Harness harness({spec("BTC/USD", 1, 8)});
  harness.ingestor->on_timer(kT0 + std::chrono::seconds(29));
  EXPECT_TRUE(harness.of_type<PotentialHaltTriggerEvent>().empty());
  harness.ingestor->on_timer(kT0 + std::chrono::seconds(30));
  harness.ingestor->on_timer(kT0 + std::chrono::seconds(45));
  auto triggers = harness.of_type<PotentialHaltTriggerEvent>();
  ASSERT_EQ(triggers.size(), 1u);
  EXPECT_THAT(triggers[0].reason, HasSubstr("BTC/USD"));
  EXPECT_EQ(triggers[0].source, "market_data");
  // Data resets it; the next silence triggers again.
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  harness.ingestor->on_frame(lines[0], kT0 + std::chrono::seconds(50));
  harness.ingestor->on_timer(kT0 + std::chrono::seconds(79));
  EXPECT_EQ(harness.of_type<PotentialHaltTriggerEvent>().size(), 1u);
  harness.ingestor->on_timer(kT0 + std::chrono::seconds(80));
  EXPECT_EQ(harness.of_type<PotentialHaltTriggerEvent>().size(), 2u);
}

TEST(DataIngestor, ExchangeStatusOtherThanOnlineIsAHaltTrigger) {
  Harness harness({spec("BTC/USD", 1, 8)});
  harness.ingestor->on_frame(
      R"({"channel":"status","data":[{"api_version":"v2","connection_id":1,"system":"online","version":"2.0.0"}],"type":"update"})",
      kT0);
  EXPECT_TRUE(harness.of_type<PotentialHaltTriggerEvent>().empty());
  harness.ingestor->on_frame(
      R"({"channel":"status","data":[{"api_version":"v2","connection_id":1,"system":"maintenance","version":"2.0.0"}],"type":"update"})",
      kT0);
  auto triggers = harness.of_type<PotentialHaltTriggerEvent>();
  ASSERT_EQ(triggers.size(), 1u);
  EXPECT_THAT(triggers[0].reason, HasSubstr("maintenance"));
}

TEST(DataIngestor, ReconnectClearsBooksAndResubscribes) {
  Harness harness({spec("BTC/USD", 1, 8)});
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  harness.ingestor->on_frame(lines[0], kT0);
  harness.ingestor->on_disconnected(kT0);
  EXPECT_FALSE(harness.ingestor->book(InstrumentId("BTC/USD"))->has_snapshot);
  harness.sent.clear();
  harness.ingestor->on_connected(kT0);
  EXPECT_EQ(harness.sent.size(), 4u);
  const FeedCounters counters = harness.ingestor->counters();
  EXPECT_EQ(counters.connections, 2u);
  EXPECT_EQ(counters.reconnects, 1u);
  EXPECT_EQ(counters.disconnects, 1u);
}

TEST(DataIngestor, LostConnectionsAreReportedAsApiErrorHealthSignals) {
  Harness harness({spec("BTC/USD", 1, 8)});
  harness.ingestor->on_disconnected(kT0);
  harness.ingestor->on_connect_failed(kT0 + std::chrono::seconds(1),
                                      "websocket wss://x:443/v2: TLS handshake failed: boom");
  const auto signals = harness.of_type<HealthSignalEvent>();
  ASSERT_EQ(signals.size(), 2u);
  for (const auto& signal : signals) {
    EXPECT_EQ(signal.signal, HealthSignal::kApiError);
    EXPECT_EQ(signal.source, "feed");
    EXPECT_FALSE(signal.instrument.has_value());
  }
  EXPECT_THAT(signals[0].detail, HasSubstr("connection dropped"));
  EXPECT_THAT(signals[1].detail, HasSubstr("TLS handshake failed: boom"));
  EXPECT_EQ(signals[1].meta.ts_event, kT0 + std::chrono::seconds(1));
  const FeedCounters counters = harness.ingestor->counters();
  EXPECT_EQ(counters.connect_failures, 1u);
  EXPECT_EQ(counters.health_signals, 2u);
}

TEST(DataIngestor, InstrumentPrecisionChangeRebuildsTheBook) {
  Harness harness({spec("BTC/USD", 2, 8)});
  harness.ingestor->on_frame(
      R"({"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":1e-08,"price_precision":1,"price_increment":0.1,"cost_precision":5,"qty_min":0.0001}]}})",
      kT0);
  EXPECT_EQ(harness.ingestor->counters().instrument_precision_changes, 1u);
  // Now the real recording (1 dp) verifies.
  for (const auto& line : sample_lines("ws_v2_book_snapshot_and_updates.jsonl")) {
    harness.ingestor->on_frame(line, kT0);
  }
  EXPECT_EQ(harness.ingestor->counters().checksum_mismatches, 0u);
}

TEST(DataIngestor, RefusesEmptyOrDuplicatePairs) {
  auto sink = [](Event) {};
  auto sender = [](std::string) { return true; };
  EXPECT_EQ(DataIngestor::create({}, sink, sender).status().code(), StatusCode::kInvalidArgument);
  DataIngestorOptions twice;
  twice.pairs = {spec("BTC/USD", 1, 8), spec("BTC/USD", 1, 8)};
  EXPECT_EQ(DataIngestor::create(twice, sink, sender).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace galfriday::feed
