#pragma once
// Kraken WebSocket v2 messages from the server, as plain values (decoded by WsDecoder in
// ws_codec.hpp). Field names follow Kraken's (docs.kraken.com/api/docs/websocket-v2).
//
// Prices, quantities and other decimals are kept as the exact text of their JSON number token
// (DecimalText: "0.566", "4.0", "1e-05"): Kraken sends trimmed floats, and their value is only
// meaningful at the pair's precision, which the caller knows (InstrumentSpec, or an
// InstrumentMessage) and the decoder does not. Parse them with Price::parse(text, precision)
// and friends, or hand book levels to OrderBook, which parses them at its pair's precision.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "galfriday/core/time.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/market/order_book.hpp"

namespace galfriday::kraken {

// channel "book": one symbol's snapshot or update (Kraken: "the book element is always the
// first and only item in the data payload").
struct BookMessage {
  std::string symbol;  // "BTC/USD"
  bool is_snapshot = false;
  std::vector<BookLevelText> bids;  // in message order; apply in this order
  std::vector<BookLevelText> asks;
  uint32_t checksum = 0;               // CRC32 of the top 10 levels after applying
  std::optional<Timestamp> timestamp;  // absent on some snapshots
  friend bool operator==(const BookMessage&, const BookMessage&) = default;
};

// One entry of channel "trade".
struct Trade {
  std::string symbol;
  Side side = Side::kBuy;  // the taker's side
  DecimalText price;
  DecimalText qty;
  OrderType ord_type = OrderType::kMarket;  // kLimit or kMarket
  uint64_t trade_id = 0;                    // sequence, unique per book
  Timestamp timestamp{};
  friend bool operator==(const Trade&, const Trade&) = default;
};

// channel "trade": one or more trades; a snapshot holds the last 50.
struct TradeMessage {
  bool is_snapshot = false;
  std::vector<Trade> trades;
  friend bool operator==(const TradeMessage&, const TradeMessage&) = default;
};

// One entry of channel "ohlc". Updates are driven by trades: the candle of interval_begin may
// still change until the next interval starts.
struct Candle {
  std::string symbol;
  DecimalText open;
  DecimalText high;
  DecimalText low;
  DecimalText close;
  DecimalText vwap;
  DecimalText volume;
  int64_t trades = 0;
  Timestamp interval_begin{};
  int interval_minutes = 0;
  friend bool operator==(const Candle&, const Candle&) = default;
};

// channel "ohlc".
struct OhlcMessage {
  bool is_snapshot = false;
  std::optional<Timestamp> timestamp;  // the message's top-level timestamp, when sent
  std::vector<Candle> candles;
  friend bool operator==(const OhlcMessage&, const OhlcMessage&) = default;
};

// A pair of channel "instrument": the reference data the book checksum and orders need.
struct InstrumentPair {
  std::string symbol;  // "BTC/USD"
  std::string base;    // "BTC"
  std::string quote;   // "USD"
  std::string status;  // "online", "cancel_only", "post_only", "limit_only", "reduce_only", ...
  int price_precision = 0;
  int qty_precision = 0;
  std::optional<int> cost_precision;
  DecimalText price_increment;  // e.g. "0.1"
  DecimalText qty_increment;    // e.g. "1e-08"
  DecimalText qty_min;
  std::optional<DecimalText> cost_min;
  friend bool operator==(const InstrumentPair&, const InstrumentPair&) = default;
};

// An asset of channel "instrument".
struct InstrumentAsset {
  std::string id;      // "BTC"
  std::string status;  // "enabled", ...
  int precision = 0;
  std::optional<int> precision_display;
  friend bool operator==(const InstrumentAsset&, const InstrumentAsset&) = default;
};

// channel "instrument" (its data is an object {assets, pairs}, not an array).
struct InstrumentMessage {
  bool is_snapshot = false;
  std::vector<InstrumentAsset> assets;
  std::vector<InstrumentPair> pairs;
  friend bool operator==(const InstrumentMessage&, const InstrumentMessage&) = default;
};

// Kraken's trading engine state.
enum class SystemStatus { kOnline, kCancelOnly, kMaintenance, kPostOnly, kUnknown };

// channel "status": sent on connect and whenever the engine state changes.
struct StatusMessage {
  SystemStatus system = SystemStatus::kUnknown;
  std::string system_text;  // as sent, so an unknown state can still be logged
  std::string api_version;  // "v2"
  std::optional<uint64_t> connection_id;
  std::string version;  // "2.0.0"
  friend bool operator==(const StatusMessage&, const StatusMessage&) = default;
};

// channel "heartbeat": about once a second when nothing else flows (after a subscription).
struct Heartbeat {
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// method "pong": the answer to {"method":"ping","req_id":N}.
struct Pong {
  std::optional<int64_t> req_id;
  std::optional<Timestamp> time_in;
  std::optional<Timestamp> time_out;
  friend bool operator==(const Pong&, const Pong&) = default;
};

enum class SubscriptionMethod { kSubscribe, kUnsubscribe };

// method "subscribe" / "unsubscribe" acknowledgement. Kraken sends one per symbol.
struct SubscribeAck {
  SubscriptionMethod method = SubscriptionMethod::kSubscribe;
  bool success = false;
  std::string channel;  // result.channel; empty on errors, which do not name it
  std::string symbol;   // result.symbol, or the top-level symbol of an error; may be empty
  std::string error;    // Kraken's message when success is false, e.g. "Currency pair not
                        // supported XBT/EUR"
  std::optional<int64_t> req_id;
  std::vector<std::string> warnings;  // e.g. "tick_size is deprecated, use price_increment"
  std::optional<Timestamp> time_in;
  std::optional<Timestamp> time_out;
  friend bool operator==(const SubscribeAck&, const SubscribeAck&) = default;
};

using WsMessage = std::variant<BookMessage, TradeMessage, OhlcMessage, InstrumentMessage,
                               StatusMessage, Heartbeat, Pong, SubscribeAck>;

}  // namespace galfriday::kraken
