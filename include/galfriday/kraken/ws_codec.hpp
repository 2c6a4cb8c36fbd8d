#pragma once
// WsDecoder: one Kraken WebSocket v2 text frame in, one typed message (ws_messages.hpp) out.
//
// Decodes the server messages a market data client needs: channels book, trade, ohlc,
// instrument, status and heartbeat, and methods pong, subscribe and unsubscribe (acks). Number
// fields that carry prices and quantities are returned as their exact JSON token text; the
// caller parses them at the pair's precision (see ws_messages.hpp). A book message goes to the
// pair's OrderBook as:
//
//   auto message = decoder.decode(frame);  // or decoder.decode_into(frame, reused_message)
//   if (auto* book = std::get_if<kraken::BookMessage>(&*message)) {
//     Status s = book->is_snapshot ? order_book.apply_snapshot(book->bids, book->asks)
//                                  : order_book.apply_update(book->bids, book->asks);
//     if (s.is_ok()) s = order_book.verify(book->checksum);
//   }
//
// Bad input never throws and never crashes: malformed or truncated JSON, an unknown channel or
// method, a missing field, a wrong type or an unusable value all come back as an error Status
// naming the field, and the decoder records a WsDecodeErrorKind for it so callers can count
// errors per kind and log each kind once. Only std::bad_alloc can escape.
//
// Not thread-safe: one decoder per connection (it reuses its parser and buffer across frames).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "galfriday/core/status.hpp"
#include "galfriday/kraken/ws_messages.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday::kraken {

// What was wrong with a frame that did not decode. Status codes: kFrameTooLarge is
// kResourceExhausted; every other kind is kInvalidArgument.
enum class WsDecodeErrorKind {
  kFrameTooLarge,       // longer than WsDecoderOptions::max_frame_bytes
  kMalformedJson,       // not JSON: truncated, bad token, bad number, trailing bytes
  kNotAnObject,         // the top-level value is not an object ([], "x", 1)
  kUnknownMessage,      // an object with neither "channel" nor "method"
  kUnsupportedChannel,  // a channel this decoder does not decode (ticker, executions, ...)
  kUnsupportedMethod,   // a method this decoder does not decode (add_order, a ping request, ...)
  kMissingField,        // a required field is absent
  kWrongType,           // a field has the wrong JSON type (a string price, an object for data)
  kInvalidValue,        // the right type but an unusable value: unknown side or type, bad
                        // timestamp, integer out of range, not exactly one book entry
};

inline constexpr size_t kWsDecodeErrorKindCount = 9;

// "malformed_json" etc., for logs and metric labels.
std::string_view to_string(WsDecodeErrorKind kind);

struct WsDecoderOptions {
  // Frames longer than this are refused before parsing. Kraken's largest frames are book
  // snapshots at depth 1000 and instrument snapshots, well under 1 MiB.
  size_t max_frame_bytes = size_t{1} << 20;
};

class WsDecoder {
 public:
  explicit WsDecoder(WsDecoderOptions options = {});
  ~WsDecoder();
  WsDecoder(WsDecoder&&) noexcept;
  WsDecoder& operator=(WsDecoder&&) noexcept;
  WsDecoder(const WsDecoder&) = delete;
  WsDecoder& operator=(const WsDecoder&) = delete;

  // Decodes one text frame (the bytes are copied; the frame need not outlive the call). On
  // error, last_error_kind() says what kind of error it was and error_count() counts it.
  Result<WsMessage> decode(std::string_view frame);

  // The same, decoding into `out` and reusing the storage it holds: a connection's read loop
  // that keeps one WsMessage decodes book and trade messages without allocating. On error,
  // `out` holds some valid but meaningless message.
  Status decode_into(std::string_view frame, WsMessage& out);

  // The kind of the most recent failed decode(); nullopt after a successful one.
  std::optional<WsDecodeErrorKind> last_error_kind() const;
  // How many decode() calls failed with `kind` since construction.
  uint64_t error_count(WsDecodeErrorKind kind) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The InstrumentSpec of a pair from the instrument channel: precisions, ordermin (qty_min),
// costmin (cost_min, at cost_precision) and tick size (price_increment). altname is left empty
// (it is REST-only). kInvalidArgument when a decimal does not fit the pair's precisions.
Result<InstrumentSpec> to_instrument_spec(const InstrumentPair& pair);

}  // namespace galfriday::kraken
