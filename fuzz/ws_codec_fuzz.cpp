// Fuzz target for the Kraken WS v2 decoder and the order books it feeds.
//
// The input is split at '\n' into frames, decoded in order by one decoder; book messages are
// applied to two books (BTC/USD and MATIC/USD precisions) so updates land on earlier
// snapshots, and each book's invariants are checked after every message. Each frame is also
// decoded by a fresh decoder and into one reused message: what a decoder keeps between frames
// (the day of the last timestamp, the symbol of a reused message) must not change the result. A
// broken invariant aborts, which libFuzzer (and the gtest that replays the samples through this
// same function, tests/kraken/ws_codec_test.cpp) reports as a crash.
//
// Build with clang: cmake -DGF_BUILD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ (see
// fuzz/CMakeLists.txt).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/market/order_book.hpp"

namespace galfriday {
namespace {

constexpr size_t kFuzzBookDepth = 10;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "ws_codec_fuzz: invariant broken: %s\n", what);
  std::abort();
}

void check_invariants(const OrderBook& book) {
  const auto bids = book.bids();
  const auto asks = book.asks();
  require(bids.size() <= book.depth() && asks.size() <= book.depth(), "side deeper than depth");
  for (size_t i = 0; i < bids.size(); ++i) {
    require(bids[i].qty.is_positive() && bids[i].price.is_positive(), "bid level not positive");
    require(i == 0 || bids[i - 1].price > bids[i].price, "bids not strictly descending");
  }
  for (size_t i = 0; i < asks.size(); ++i) {
    require(asks[i].qty.is_positive() && asks[i].price.is_positive(), "ask level not positive");
    require(i == 0 || asks[i - 1].price < asks[i].price, "asks not strictly ascending");
  }
  const auto event = book.to_event(kFuzzBookDepth, EventMeta{}, false, book.checksum());
  require(event.bids.size() == std::min(bids.size(), kFuzzBookDepth), "event bid count");
}

// A value the decoder recorded with a number's text (DecimalText::plain_value) is the text's
// value, as the general parser reads it.
void check_recorded_values(const kraken::BookMessage& message) {
  for (const auto* side : {&message.bids, &message.asks}) {
    for (const BookLevelText& level : *side) {
      for (const DecimalText* text : {&level.price, &level.qty}) {
        const auto plain = text->plain_value();
        if (!plain) continue;
        const auto parsed = Price::parse(text->view(), static_cast<int>(plain->fraction_digits));
        require(parsed.is_ok() && parsed->raw() == static_cast<int64_t>(plain->digits),
                "recorded value differs from the text");
      }
    }
  }
}

void apply_book(OrderBook& book, const kraken::BookMessage& message) {
  check_recorded_values(message);
  const Status applied = message.is_snapshot ? book.apply_snapshot(message.bids, message.asks)
                                             : book.apply_update(message.bids, message.asks);
  if (!applied.is_ok()) return;
  check_invariants(book);
  if (!book.verify(message.checksum).is_ok()) book.clear();
}

}  // namespace
}  // namespace galfriday

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace galfriday;
  kraken::WsDecoder decoder;
  kraken::WsDecoder reusing_decoder;
  kraken::WsMessage reused;
  auto btc_usd = OrderBook::create(InstrumentId("BTC/USD"), 1, 8, kFuzzBookDepth);
  auto matic_usd = OrderBook::create(InstrumentId("MATIC/USD"), 4, 8, kFuzzBookDepth);
  require(btc_usd.is_ok() && matic_usd.is_ok(), "book creation");

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const size_t newline = input.find('\n');
    const std::string_view frame = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);

    auto message = decoder.decode(frame);
    kraken::WsDecoder fresh_decoder;
    const auto alone = fresh_decoder.decode(frame);
    const Status into = reusing_decoder.decode_into(frame, reused);
    require(alone.is_ok() == message.is_ok() && into.is_ok() == message.is_ok(),
            "decoders with and without state disagree on success");
    require(fresh_decoder.last_error_kind() == decoder.last_error_kind() &&
                reusing_decoder.last_error_kind() == decoder.last_error_kind(),
            "decoders with and without state disagree on the error");
    if (message) {
      require(*alone == *message && reused == *message,
              "decoders with and without state disagree on the message");
    }
    if (!message) {
      require(!message.status().is_ok() && decoder.last_error_kind().has_value(),
              "failed decode without an error kind");
      continue;
    }
    if (const auto* book = std::get_if<kraken::BookMessage>(&*message)) {
      apply_book(*btc_usd, *book);
      apply_book(*matic_usd, *book);
    } else if (const auto* instruments = std::get_if<kraken::InstrumentMessage>(&*message)) {
      for (const auto& pair : instruments->pairs) (void)kraken::to_instrument_spec(pair);
    } else if (const auto* trades = std::get_if<kraken::TradeMessage>(&*message)) {
      for (const auto& trade : trades->trades) {
        (void)Price::parse(trade.price, 1);
        (void)Quantity::parse(trade.qty, 8);
      }
    }
  }
  return 0;
}
