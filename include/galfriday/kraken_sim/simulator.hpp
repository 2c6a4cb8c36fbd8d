#pragma once
// KrakenSimulator: a local stand-in for Kraken's public API on loopback, for tests and for
// running the system without the internet.
//
// WebSocket v2 (path /v2): status on connect; subscribe/unsubscribe for book (depth 10, 25,
// 100, 500, 1000; snapshot then updates, each with Kraken's CRC32 checksum of the levels the
// subscriber holds), trade, ohlc (any Kraken interval) and instrument; heartbeat; ping/pong;
// error acks for anything else. Numbers go out as trimmed JSON numbers like Kraken's ("4.0",
// "0.566"), so clients must re-pad them at the pair's precision for the checksum.
// REST (same port): GET /0/public/Time, AssetPairs, Ticker, OHLC (interval, since), Trades
// (since, count), in Kraken's envelope {"error":[],"result":{...}}. More routes (private
// endpoints) can be added with add_route().
// Private side (SimulatorOptions::private_api set): Kraken's private REST endpoints and the
// ws-auth WebSocket at /ws-auth/v2 for one account, see private_exchange.hpp.
//
// The feed is generated from a seed: a random walk of each pair's book (inserts, changes and
// deletes near the top) and trades that take liquidity at the touch, advancing the simulator's
// exchange clock by `time_per_step` per step, so the same seed and number of steps give the
// same books, trades and bars whatever the wall-clock timing. Alternatively the data frames of a
// recording (feed::read_recording format) are replayed verbatim.
//
// Fault injection (tests and the CLI): drop every connection, corrupt the checksum of the next
// book message, stall the feed, send a malformed frame; or periodically (PeriodicFaults).
//
// Threading: the simulator owns an HTTP/WebSocket server thread and, when tick_interval is
// set, a ticker thread that steps the feed. Every public method is thread-safe.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/kraken_sim/private_exchange.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/net/http_server.hpp"

namespace galfriday::kraken_sim {

struct SimPair {
  InstrumentSpec spec;   // id "BTC/USD", altname "XBTUSD", base/quote, precisions, minimums
  Price start_price;     // the generated book starts around here
  std::string rest_key;  // AssetPairs result key; altname when empty
};

// Faults injected every N steps (0 = never).
struct PeriodicFaults {
  uint64_t drop_every_steps = 0;
  uint64_t corrupt_checksum_every_steps = 0;
  uint64_t malformed_every_steps = 0;
  uint64_t stall_every_steps = 0;
  Duration stall = std::chrono::milliseconds(0);
};

struct SimulatorOptions {
  std::vector<SimPair> pairs;
  uint64_t seed = 42;
  // Wall-clock period of the ticker thread; zero: no ticker, the feed moves only by step().
  Duration tick_interval = std::chrono::milliseconds(50);
  // The exchange clock: starts here and advances by time_per_step per step.
  Timestamp start_time = timestamp_from_seconds(1704067200);  // 2024-01-01T00:00:00Z
  Duration time_per_step = std::chrono::seconds(1);
  size_t book_levels = 60;  // levels per side the generated book keeps
  uint64_t heartbeat_every_steps = 10;
  size_t max_trades_kept = 200000;  // per pair, for REST Trades/OHLC and the ohlc channel
  // Replay the data frames (book, trade, ohlc) of this recording instead of generating.
  std::optional<std::filesystem::path> recording;
  PeriodicFaults faults;
  net::HttpServerOptions server;  // port 0: the OS chooses
  // The private API (an account, its orders, ws-auth); none when unset.
  std::optional<PrivateApiOptions> private_api;
};

// The levels of one pair's book, best first (what a depth-N subscriber should hold).
struct SimBookView {
  std::vector<BookLevel> bids;
  std::vector<BookLevel> asks;
  uint32_t checksum = 0;  // Kraken's CRC32 of the top 10 levels of this view
};

struct SimulatorStats {
  uint64_t steps = 0;
  uint64_t sessions_opened = 0;
  uint64_t frames_sent = 0;
  uint64_t book_messages_sent = 0;
  uint64_t connections_dropped = 0;  // by drop_connections()
  uint64_t checksums_corrupted = 0;
  uint64_t malformed_frames_sent = 0;
  uint64_t stalls = 0;
};

class KrakenSimulator {
 public:
  using RouteHandler = std::function<net::HttpResponse(const net::HttpServerRequest&)>;

  // Starts the server (and the ticker when tick_interval > 0). kInvalidArgument for no pairs
  // or bad precisions, kNotFound/kInvalidArgument for an unreadable recording, kUnavailable
  // when the port cannot be bound.
  static Result<std::unique_ptr<KrakenSimulator>> start(SimulatorOptions options);
  ~KrakenSimulator();  // stop()
  KrakenSimulator(const KrakenSimulator&) = delete;
  KrakenSimulator& operator=(const KrakenSimulator&) = delete;

  uint16_t port() const;
  std::string ws_url() const;       // "ws://127.0.0.1:PORT/v2"
  std::string rest_url() const;     // "http://127.0.0.1:PORT"
  std::string ws_auth_url() const;  // "ws://127.0.0.1:PORT/ws-auth/v2"
  // The private side; nullptr when SimulatorOptions::private_api was not set.
  PrivateExchange* private_exchange();
  void stop();

  // --- Feed control -------------------------------------------------------------------------
  // Ticker pause: no steps (and no heartbeats) until resume(); requests are still answered.
  void pause();
  void resume();
  // Advances the feed by n steps now, sending what they produce.
  void step(uint64_t n = 1);
  // A public trade at `price` now (sent on the trade channel, stored for REST Trades/OHLC, seen
  // by the private side's stops and resting orders): how tests move the market to a level.
  // kNotFound for an unknown pair, kInvalidArgument for a price or qty beyond its precision.
  Status print_trade(const InstrumentId& pair, Side side, Price price, Quantity qty);

  // --- Faults -------------------------------------------------------------------------------
  // Aborts every WebSocket connection without a close frame.
  void drop_connections();
  // The next book message sent (to any session) carries a wrong checksum.
  void corrupt_next_checksum();
  // The ticker sends nothing (no steps, no heartbeats) for `duration`.
  void stall(Duration duration);
  // Sends a truncated JSON frame to every session.
  void send_malformed_frame();

  // --- Inspection ---------------------------------------------------------------------------
  // The generated book's top `depth` levels; nullopt for an unknown pair or in recording mode.
  std::optional<SimBookView> book(const InstrumentId& pair, size_t depth) const;
  // How many sessions have a book subscription for `pair` with a snapshot sent.
  size_t book_subscribers(const InstrumentId& pair) const;
  size_t open_sessions() const;
  Timestamp exchange_time() const;
  SimulatorStats stats() const;

  // Adds or replaces the handler of `method` `path` ("POST", "/0/private/AddOrder").
  void add_route(std::string method, std::string path, RouteHandler handler);

  struct Impl;

 private:
  explicit KrakenSimulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Kraken's CRC32 of a book's top 10 levels: asks low to high then bids high to low, each as
// the decimal digits of its raw fixed-point price then quantity (which is the price printed at
// the pair's precision without the '.' and leading zeros).
uint32_t kraken_book_checksum(const std::vector<BookLevel>& bids,
                              const std::vector<BookLevel>& asks);

// A decimal as Kraken's WebSocket v2 writes it: a JSON number with trailing zeros trimmed but
// at least one decimal ("4.0", "0.566", "30306.1").
std::string wire_number(const Price& value);
std::string wire_number(const Quantity& value);

}  // namespace galfriday::kraken_sim
