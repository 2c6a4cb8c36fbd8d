// Kraken book path: WS v2 frame bytes -> decoded BookMessage -> OrderBook apply -> checksum
// verified, against bare simdjson parsing of the same bytes (DOM parse, On Demand with numbers
// converted, On Demand with numbers left as raw tokens).
// Target (DESIGN.md): >= 1 M msgs/s and within 2x of bare parsing.
//
// The frames are the real recording in kraken/samples/ws_v2_book_snapshot_and_updates.jsonl
// (BTC/USD, depth 10: one snapshot then six updates), replayed in a loop; each replay starts
// with the snapshot, which resets the book.

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstring>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/market/order_book.hpp"

namespace galfriday {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kBookDepth = 10;
constexpr int kBtcUsdPricePrecision = 1;
constexpr int kBtcUsdQtyPrecision = 8;

std::vector<std::string> book_frames() {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/ws_v2_book_snapshot_and_updates.jsonl");
  std::vector<std::string> frames;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') frames.push_back(line);
  }
  return frames;
}

int64_t total_bytes(const std::vector<std::string>& frames) {
  int64_t bytes = 0;
  for (const auto& frame : frames) bytes += static_cast<int64_t>(frame.size());
  return bytes;
}

OrderBook btc_usd_book() {
  return OrderBook::create(InstrumentId("BTC/USD"), kBtcUsdPricePrecision, kBtcUsdQtyPrecision,
                           kBookDepth)
      .value();
}

Status apply(OrderBook& book, const kraken::BookMessage& message) {
  return message.is_snapshot ? book.apply_snapshot(message.bids, message.asks)
                             : book.apply_update(message.bids, message.asks);
}

void set_counters(benchmark::State& state, const std::vector<std::string>& frames) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(frames.size()));
  state.SetBytesProcessed(state.iterations() * total_bytes(frames));
}

// The full path a market data client runs per frame: decode into the reused message, apply to
// the book, verify the checksum.
Status decode_apply_verify(kraken::WsDecoder& decoder, std::string_view frame,
                           kraken::WsMessage& message, OrderBook& book) {
  if (Status decoded = decoder.decode_into(frame, message); !decoded.is_ok()) return decoded;
  const auto& book_message = std::get<kraken::BookMessage>(message);
  if (Status applied = apply(book, book_message); !applied.is_ok()) return applied;
  return book.verify(book_message.checksum);
}

// Runs `frames` through decode_apply_verify once per iteration, starting each replay from
// `start` (copied in: into vectors of the same capacity, a few hundred bytes, timed too).
void replay_frames(benchmark::State& state, const std::vector<std::string>& frames,
                   const OrderBook& start) {
  kraken::WsDecoder decoder;
  kraken::WsMessage message;  // reused, as a connection's read loop does
  OrderBook book = start;
  for (auto _ : state) {
    book = start;
    for (const auto& frame : frames) {
      if (const Status status = decode_apply_verify(decoder, frame, message, book);
          !status.is_ok()) {
        state.SkipWithError(status.to_string().c_str());
        return;
      }
    }
  }
  set_counters(state, frames);
}

// The recording as it came: the snapshot (which resets the book) then the six updates.
void BM_BookDecodeApplyChecksum(benchmark::State& state) {
  replay_frames(state, book_frames(), btc_usd_book());
}
BENCHMARK(BM_BookDecodeApplyChecksum);

// The snapshot frame alone.
void BM_BookSnapshotDecodeApplyChecksum(benchmark::State& state) {
  const auto frames = book_frames();
  replay_frames(state, {frames.front()}, btc_usd_book());
}
BENCHMARK(BM_BookSnapshotDecodeApplyChecksum);

// The six update frames alone, the steady state of a live feed, each replay from the book the
// snapshot left.
void BM_BookUpdatesDecodeApplyChecksum(benchmark::State& state) {
  const auto frames = book_frames();
  kraken::WsDecoder decoder;
  kraken::WsMessage message;
  OrderBook after_snapshot = btc_usd_book();
  if (const Status status = decode_apply_verify(decoder, frames.front(), message, after_snapshot);
      !status.is_ok()) {
    state.SkipWithError(status.to_string().c_str());
    return;
  }
  replay_frames(state, std::vector<std::string>(frames.begin() + 1, frames.end()), after_snapshot);
}
BENCHMARK(BM_BookUpdatesDecodeApplyChecksum);

// The decoder alone: frame bytes to BookMessage, into a reused message.
void BM_BookDecodeOnly(benchmark::State& state) {
  const auto frames = book_frames();
  kraken::WsDecoder decoder;
  kraken::WsMessage message;
  for (auto _ : state) {
    for (const auto& frame : frames) {
      Status decoded = decoder.decode_into(frame, message);
      benchmark::DoNotOptimize(decoded);
      benchmark::DoNotOptimize(message);
    }
  }
  set_counters(state, frames);
}
BENCHMARK(BM_BookDecodeOnly);

// The decoder alone, a fresh message per frame (decode() returning Result<WsMessage>).
void BM_BookDecodeFreshMessage(benchmark::State& state) {
  const auto frames = book_frames();
  kraken::WsDecoder decoder;
  for (auto _ : state) {
    for (const auto& frame : frames) {
      auto message = decoder.decode(frame);
      benchmark::DoNotOptimize(message);
    }
  }
  set_counters(state, frames);
}
BENCHMARK(BM_BookDecodeFreshMessage);

// The book alone: applying decoded messages and verifying their checksums.
void BM_BookApplyChecksumOnly(benchmark::State& state) {
  const auto frames = book_frames();
  kraken::WsDecoder decoder;
  std::vector<kraken::BookMessage> messages;
  messages.reserve(frames.size());
  for (const auto& frame : frames) {
    messages.push_back(std::get<kraken::BookMessage>(decoder.decode(frame).value()));
  }
  OrderBook book = btc_usd_book();
  for (auto _ : state) {
    for (const auto& message : messages) {
      Status status = apply(book, message);
      if (status.is_ok()) status = book.verify(message.checksum);
      if (!status.is_ok()) {
        state.SkipWithError(status.to_string().c_str());
        return;
      }
    }
  }
  set_counters(state, frames);
}
BENCHMARK(BM_BookApplyChecksumOnly);

// Visits every value of a document: keys and strings unescaped, numbers read as their raw token
// (kNumbersAsDouble false) or converted to double. Returns a value that depends on all of them.
// Written the way ws_codec.cpp iterates (checked results used in place), so the comparison
// measures what the decoder adds, not a difference in iteration style.
template <bool kNumbersAsDouble>
double walk(od::value& value);

template <bool kNumbersAsDouble>
double walk_object(od::object& object) {
  double sum = 0;
  for (auto field_result : object) {
    if (field_result.error() != simdjson::SUCCESS) return sum;
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (field.unescaped_key().get(key) == simdjson::SUCCESS) sum += static_cast<double>(key.size());
    sum += walk<kNumbersAsDouble>(field.value());
  }
  return sum;
}

template <bool kNumbersAsDouble>
double walk(od::value& value) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return 0;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      return value.get_object().get(object) == simdjson::SUCCESS
                 ? walk_object<kNumbersAsDouble>(object)
                 : 0;
    }
    case od::json_type::array: {
      od::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return 0;
      double sum = 0;
      for (auto element_result : array) {
        if (element_result.error() != simdjson::SUCCESS) return sum;
        sum += walk<kNumbersAsDouble>(element_result.value_unsafe());
      }
      return sum;
    }
    case od::json_type::number: {
      if constexpr (kNumbersAsDouble) {
        double number = 0;
        return value.get_double().get(number) == simdjson::SUCCESS ? number : 0;
      } else {
        return static_cast<double>(value.raw_json_token().size());
      }
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text) == simdjson::SUCCESS ? static_cast<double>(text.size())
                                                               : 0;
    }
    case od::json_type::boolean:
    case od::json_type::null:
      return 1;
  }
  return 0;
}

template <bool kNumbersAsDouble>
void bare_simdjson(benchmark::State& state) {
  const auto frames = book_frames();
  std::vector<simdjson::padded_string> padded;
  padded.reserve(frames.size());
  for (const auto& frame : frames) padded.emplace_back(frame);
  od::parser parser;
  for (auto _ : state) {
    for (const auto& json : padded) {
      od::document doc;
      od::object root;
      if (parser.iterate(json).get(doc) != simdjson::SUCCESS ||
          doc.get_object().get(root) != simdjson::SUCCESS) {
        state.SkipWithError("simdjson could not parse a sample frame");
        return;
      }
      benchmark::DoNotOptimize(walk_object<kNumbersAsDouble>(root));
    }
  }
  set_counters(state, frames);
}

// Bare parsing, every value visited, numbers left as raw tokens (the least work possible). The
// frames are padded once, before timing: a lower bound the decoder cannot reach, as frames from
// the WebSocket come unpadded.
void BM_BareSimdjsonWalkRawNumbers(benchmark::State& state) { bare_simdjson<false>(state); }
BENCHMARK(BM_BareSimdjsonWalkRawNumbers);

// The same walk over each frame copied into a reused padded buffer first, as WsDecoder must do
// with a frame from the WebSocket: the like-for-like baseline for BM_BookDecodeApplyChecksum.
void BM_BareSimdjsonWalkRawNumbersFromFrames(benchmark::State& state) {
  const auto frames = book_frames();
  std::vector<char> buffer;
  od::parser parser;
  for (auto _ : state) {
    for (const auto& frame : frames) {
      const size_t padded_size = frame.size() + simdjson::SIMDJSON_PADDING;
      if (buffer.size() < padded_size) buffer.resize(padded_size);
      std::memcpy(buffer.data(), frame.data(), frame.size());
      std::memset(buffer.data() + frame.size(), 0, simdjson::SIMDJSON_PADDING);
      od::document doc;
      od::object root;
      if (parser.iterate(buffer.data(), frame.size(), buffer.size()).get(doc) !=
              simdjson::SUCCESS ||
          doc.get_object().get(root) != simdjson::SUCCESS) {
        state.SkipWithError("simdjson could not parse a sample frame");
        return;
      }
      benchmark::DoNotOptimize(walk_object<false>(root));
    }
  }
  set_counters(state, frames);
}
BENCHMARK(BM_BareSimdjsonWalkRawNumbersFromFrames);

// Bare parsing, every value visited and converted (numbers to double).
void BM_BareSimdjsonParseToDoubles(benchmark::State& state) { bare_simdjson<true>(state); }
BENCHMARK(BM_BareSimdjsonParseToDoubles);

// simdjson's own parse of the same frames: the DOM parser builds its tape of every value
// (numbers converted), what simdjson's benchmarks call parsing. Each frame is copied into the
// parser from the unpadded frame, as WsDecoder must.
void dom_parse(benchmark::State& state, const std::vector<std::string>& frames) {
  simdjson::dom::parser parser;
  for (auto _ : state) {
    for (const auto& frame : frames) {
      simdjson::dom::element root;
      if (parser.parse(frame).get(root) != simdjson::SUCCESS) {
        state.SkipWithError("simdjson could not parse a sample frame");
        return;
      }
      benchmark::DoNotOptimize(root);
    }
  }
  set_counters(state, frames);
}

void BM_BareSimdjsonDomParse(benchmark::State& state) { dom_parse(state, book_frames()); }
BENCHMARK(BM_BareSimdjsonDomParse);

// The baseline of BM_BookUpdatesDecodeApplyChecksum: the six update frames.
void BM_BareSimdjsonDomParseUpdates(benchmark::State& state) {
  const auto frames = book_frames();
  dom_parse(state, std::vector<std::string>(frames.begin() + 1, frames.end()));
}
BENCHMARK(BM_BareSimdjsonDomParseUpdates);

}  // namespace
}  // namespace galfriday

BENCHMARK_MAIN();
