#pragma once
// DataIngestor: turns Kraken WebSocket v2 public frames into market data events.
//
// It subscribes book (configured depth), trade, ohlc (configured interval) and instrument for
// the configured pairs whenever a connection comes up, keeps one OrderBook per pair, and
// emits:
//   - MarketDataL2Event after every book message that applied cleanly and whose checksum
//     matched (the top `book_depth` levels);
//   - MarketDataTradeEvent per trade (trade ids must increase per pair; repeats are dropped);
//   - MarketDataOHLCVEvent per closed bar: Kraken streams updates of the open candle, so a bar
//     is emitted once a candle of a later interval arrives or the exchange time passes its
//     end, never twice. Exchange time is the newest timestamp in the stream (book, trade, ohlc
//     messages); on_timer(now) estimates it as now plus the offset last seen between exchange
//     and receive times, so bars close on time in quiet markets and with a simulator or replay
//     whose clock is far from the local one;
//   - PotentialHaltTriggerEvent when a pair has had no message for `staleness` (once per
//     silence), or when Kraken's status channel reports a state other than online;
//   - HealthSignalEvent for MonitoringService's halt conditions (source "feed"):
//     kChecksumFailure (instrument set) per book checksum mismatch, which its
//     checksum_failures condition counts in a sliding window; kApiError per dropped connection
//     and per failed connection attempt, which count toward api_error_rate (a feed that keeps
//     losing Kraken halts trading instead of trading on books it keeps rebuilding).
// ts_event is the exchange time (message timestamp, trade time, bar close time), ts_init the
// local receive time of the frame (or on_timer's now), so replaying recorded frames with their
// receive times reproduces the same events.
//
// On a checksum mismatch the pair's book is cleared (nothing more is emitted from it) and
// its book subscription is renewed (unsubscribe + subscribe) for a fresh snapshot. On a new
// connection every book is cleared and everything is subscribed again. Bad input of any kind
// is counted per kind (FeedCounters), logged once per kind, and never changes a book.
//
// Threading: on_connected/on_frame/on_disconnected come from the feed thread, on_timer
// typically from the engine thread; all public methods are thread-safe (one internal mutex).
// The sink and the sender are called with that mutex held, so they must not call back into
// the ingestor; PubSubManager::post and WsClient::send qualify.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday::feed {

struct DataIngestorOptions {
  std::vector<InstrumentSpec> pairs;  // symbols (WS v2 "BTC/USD") and their precisions
  size_t book_depth = 10;             // 10, 25, 100, 500 or 1000
  int ohlc_interval_minutes = 1;
  Duration staleness = std::chrono::seconds(60);
  size_t max_frame_bytes = size_t{4} << 20;
};

// What the ingestor saw, for monitoring. Every field only grows.
struct FeedCounters {
  uint64_t frames = 0;
  uint64_t connections = 0;
  uint64_t reconnects = 0;  // connections after the first
  uint64_t disconnects = 0;
  uint64_t connect_failures = 0;  // attempts that never became a connection

  uint64_t book_messages = 0;
  uint64_t trade_messages = 0;
  uint64_t ohlc_messages = 0;
  uint64_t instrument_messages = 0;
  uint64_t status_messages = 0;
  uint64_t heartbeats = 0;
  uint64_t pongs = 0;
  uint64_t subscribe_acks = 0;

  uint64_t l2_events = 0;
  uint64_t trade_events = 0;
  uint64_t bar_events = 0;
  uint64_t halt_triggers = 0;   // staleness and exchange status
  uint64_t health_signals = 0;  // HealthSignalEvents (checksum failures, connection losses)

  uint64_t checksum_mismatches = 0;
  uint64_t book_resubscribes = 0;  // after a mismatch or a changed precision
  uint64_t instrument_precision_changes = 0;

  // Bad or unusable input, by kind.
  std::array<uint64_t, kraken::kWsDecodeErrorKindCount> decode_errors{};  // by WsDecodeErrorKind
  uint64_t unknown_symbols = 0;           // data for a pair that is not configured
  uint64_t rejected_book_messages = 0;    // levels the book refused (bad decimal, precision)
  uint64_t updates_without_snapshot = 0;  // book updates while awaiting a snapshot
  uint64_t duplicate_trades = 0;          // trade id not above the pair's last one
  uint64_t rejected_trades = 0;           // price or qty unusable at the pair's precision
  uint64_t late_candles = 0;              // updates of a bar that was already emitted
  uint64_t rejected_candles = 0;          // wrong interval, or values unusable
  uint64_t subscribe_errors = 0;          // subscribe acks with success false

  uint64_t decode_error_total() const;
};

// A copy of one pair's book.
struct BookState {
  bool has_snapshot = false;
  std::vector<BookLevel> bids;  // best first, up to the depth
  std::vector<BookLevel> asks;
  uint32_t checksum = 0;
  friend bool operator==(const BookState&, const BookState&) = default;
};

class DataIngestor {
 public:
  using EventSink = std::function<void(Event)>;
  // Sends one text frame to Kraken; false when it could not be queued.
  using FrameSender = std::function<bool(std::string)>;

  // kInvalidArgument for no pairs, a duplicate pair, or a depth or precision the book refuses.
  static Result<std::unique_ptr<DataIngestor>> create(DataIngestorOptions options, EventSink sink,
                                                      FrameSender sender);
  ~DataIngestor();
  DataIngestor(const DataIngestor&) = delete;
  DataIngestor& operator=(const DataIngestor&) = delete;

  // A connection came up: clears every book and sends the subscriptions.
  void on_connected(Timestamp now);
  // One text frame as received.
  void on_frame(std::string_view frame, Timestamp received);
  // The connection dropped: clears every book (a snapshot follows the reconnect) and reports a
  // kApiError health signal. The signal does not carry the drop's reason (the feed logs it):
  // recordings hold no reasons, and a replay must give the live run's events exactly.
  void on_disconnected(Timestamp now);
  // A connection attempt failed before it was established (a retry follows): reports a
  // kApiError health signal with `reason`. Recordings hold connections, not attempts, so a
  // replay has none of these.
  void on_connect_failed(Timestamp now, std::string_view reason);
  // Periodic: closes bars whose interval has ended and raises staleness triggers.
  void on_timer(Timestamp now);

  FeedCounters counters() const;
  // nullopt for a pair that is not configured.
  std::optional<BookState> book(const InstrumentId& pair) const;
  const DataIngestorOptions& options() const;

  // The subscribe requests sent on every connection, in order (instrument, book, trade, ohlc).
  std::vector<std::string> subscribe_requests() const;

  struct Impl;

 private:
  explicit DataIngestor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace galfriday::feed
