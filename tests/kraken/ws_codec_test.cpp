#include "galfriday/kraken/ws_codec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <variant>
#include <vector>

#include "galfriday/market/order_book.hpp"

// The fuzz target's entry (fuzz/ws_codec_fuzz.cpp, compiled into this test).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace galfriday {

void PrintTo(const DecimalText& text, std::ostream* os) { *os << '"' << text.view() << '"'; }

namespace kraken {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The JSON lines of a sample file (comment lines start with '#').
std::vector<std::string> sample_lines(const std::string& file) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/" + file);
  EXPECT_TRUE(in.is_open()) << file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

Timestamp at(const char* text) { return parse_iso8601(text).value(); }

template <typename Message>
Message decode_as(WsDecoder& decoder, std::string_view frame) {
  auto message = decoder.decode(frame);
  EXPECT_TRUE(message.is_ok()) << message.status().to_string() << "\n" << frame;
  if (!message.is_ok()) return {};
  EXPECT_TRUE(std::holds_alternative<Message>(*message)) << frame;
  if (!std::holds_alternative<Message>(*message)) return {};
  return std::get<Message>(std::move(message).value());
}

// Decodes a frame that must fail; returns the error kind and checks the decoder recorded it.
struct Failure {
  WsDecodeErrorKind kind;
  Status status;
};
Failure decode_error(WsDecoder& decoder, std::string_view frame) {
  auto message = decoder.decode(frame);
  EXPECT_FALSE(message.is_ok()) << "decoded: " << frame;
  if (message.is_ok()) return {WsDecodeErrorKind::kMalformedJson, Status::ok()};
  EXPECT_TRUE(decoder.last_error_kind().has_value());
  return {decoder.last_error_kind().value_or(WsDecodeErrorKind::kMalformedJson), message.status()};
}

WsDecodeErrorKind error_kind(std::string_view frame) {
  WsDecoder decoder;
  return decode_error(decoder, frame).kind;
}

TEST(WsCodec, DecodesRealBookSnapshotAndUpdatesWithExactNumberText) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  ASSERT_EQ(lines.size(), 7u);
  const auto snapshot = decode_as<BookMessage>(decoder, lines[0]);
  EXPECT_EQ(snapshot.symbol, "BTC/USD");
  EXPECT_TRUE(snapshot.is_snapshot);
  EXPECT_EQ(snapshot.checksum, 2785033588u);
  EXPECT_FALSE(snapshot.timestamp.has_value());
  ASSERT_EQ(snapshot.bids.size(), 10u);
  ASSERT_EQ(snapshot.asks.size(), 10u);
  EXPECT_EQ(snapshot.bids[0], (BookLevelText{"29430.2", "0.18967538"}));
  EXPECT_EQ(snapshot.bids[2], (BookLevelText{"29427.4", "0.001"}));
  EXPECT_EQ(snapshot.bids[3], (BookLevelText{"29426.7", "4.0"}));
  EXPECT_EQ(snapshot.asks[4], (BookLevelText{"29431.0", "0.00011662"}));

  const auto update = decode_as<BookMessage>(decoder, lines[1]);
  EXPECT_FALSE(update.is_snapshot);
  EXPECT_TRUE(update.bids.empty());
  EXPECT_THAT(update.asks,
              ElementsAre(BookLevelText{"29431.1", "0.0"}, BookLevelText{"29433.3", "0.8"},
                          BookLevelText{"29430.6", "0.001"}));
  EXPECT_EQ(update.checksum, 3547452596u);
  EXPECT_EQ(update.timestamp, at("2023-07-30T15:29:58.343415Z"));
  for (const auto& line : lines) EXPECT_TRUE(decoder.decode(line).is_ok());
}

TEST(WsCodec, DecodesDocBookExamples) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_book_docs_examples.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  const auto btc = decode_as<BookMessage>(decoder, lines[0]);
  EXPECT_EQ(btc.checksum, 3310070434u);
  EXPECT_EQ(btc.asks[0], (BookLevelText{"45285.2", "0.00100000"}));  // zeros kept as sent
  EXPECT_EQ(btc.timestamp, at("2023-10-06T17:35:55.440295Z"));
  const auto matic = decode_as<BookMessage>(decoder, lines[1]);
  EXPECT_EQ(matic.bids[6], (BookLevelText{"0.566", "18097.1547"}));
  const auto update = decode_as<BookMessage>(decoder, lines[2]);
  EXPECT_THAT(update.bids, ElementsAre(BookLevelText{"0.5657", "1098.3947558"}));
  EXPECT_EQ(update.checksum, 2114181697u);
}

TEST(WsCodec, DecodesTrades) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_trade.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  // The first line is our own subscribe request, which a server never sends.
  EXPECT_EQ(decode_error(decoder, lines[0]).kind, WsDecodeErrorKind::kMissingField);

  const auto single = decode_as<TradeMessage>(decoder, lines[1]);
  EXPECT_FALSE(single.is_snapshot);
  ASSERT_EQ(single.trades.size(), 1u);
  const Trade& matic = single.trades[0];
  EXPECT_EQ(matic.symbol, "MATIC/USD");
  EXPECT_EQ(matic.side, Side::kSell);
  EXPECT_EQ(matic.price, "0.5117");
  EXPECT_EQ(matic.qty, "40.0");
  EXPECT_EQ(matic.ord_type, OrderType::kMarket);
  EXPECT_EQ(matic.trade_id, 4665906u);
  EXPECT_EQ(matic.timestamp, at("2023-09-25T07:49:37.708706Z"));

  const auto batch = decode_as<TradeMessage>(decoder, lines[2]);
  ASSERT_EQ(batch.trades.size(), 2u);
  EXPECT_EQ(batch.trades[0].side, Side::kBuy);
  EXPECT_EQ(batch.trades[0].price, "105944.20");  // the trailing zero survives
  EXPECT_EQ(batch.trades[0].qty, "0.00027625");
  EXPECT_EQ(batch.trades[0].ord_type, OrderType::kLimit);
  EXPECT_EQ(batch.trades[1].price, "105910.50");
  EXPECT_EQ(batch.trades[1].trade_id, 10218209u);
  EXPECT_EQ(batch.trades[1].timestamp, at("2023-10-06T17:35:56.123456Z"));
}

TEST(WsCodec, DecodesOhlcCandles) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_ohlc.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(decode_error(decoder, lines[0]).kind, WsDecodeErrorKind::kMissingField);

  const auto snapshot = decode_as<OhlcMessage>(decoder, lines[1]);
  EXPECT_TRUE(snapshot.is_snapshot);
  EXPECT_EQ(snapshot.timestamp, at("2023-10-04T16:26:01.806315597Z"));
  ASSERT_EQ(snapshot.candles.size(), 2u);
  const Candle& first = snapshot.candles[0];
  EXPECT_EQ(first.symbol, "ALGO/USD");
  EXPECT_EQ(first.open, "0.09875");
  EXPECT_EQ(first.close, "0.09875");
  EXPECT_EQ(first.volume, "201.86015");
  EXPECT_EQ(first.trades, 1);
  EXPECT_EQ(first.interval_minutes, 5);
  EXPECT_EQ(first.interval_begin, at("2023-10-04T15:25:00Z"));
  EXPECT_EQ(snapshot.candles[1].high, "0.0988");
  EXPECT_EQ(snapshot.candles[1].vwap, "0.09879");
  EXPECT_EQ(snapshot.candles[1].trades, 13);

  const auto update = decode_as<OhlcMessage>(decoder, lines[2]);
  EXPECT_FALSE(update.is_snapshot);
  EXPECT_FALSE(update.timestamp.has_value());
  ASSERT_EQ(update.candles.size(), 1u);
  const Candle& btc = update.candles[0];
  EXPECT_EQ(btc.symbol, "BTC/USD");
  EXPECT_EQ(btc.interval_minutes, 1);
  EXPECT_EQ(btc.open, "106038.2");
  EXPECT_EQ(btc.low, "106038.1");
  EXPECT_EQ(btc.volume, "30927.68066226");
  EXPECT_EQ(btc.vwap, "106039.6");
  EXPECT_EQ(btc.trades, 12);
}

TEST(WsCodec, DecodesStatusHeartbeatAndPong) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_misc.jsonl");
  ASSERT_EQ(lines.size(), 15u);
  const auto status = decode_as<StatusMessage>(decoder, lines[0]);
  EXPECT_EQ(status.system, SystemStatus::kOnline);
  EXPECT_EQ(status.system_text, "online");
  EXPECT_EQ(status.api_version, "v2");
  EXPECT_EQ(status.connection_id, 13834774380200032777u);  // beyond int64
  EXPECT_EQ(status.version, "2.0.0");

  decode_as<Heartbeat>(decoder, lines[1]);
  // Our own ping request is not a server message.
  EXPECT_EQ(decode_error(decoder, lines[2]).kind, WsDecodeErrorKind::kUnsupportedMethod);

  const auto pong = decode_as<Pong>(decoder, lines[3]);
  EXPECT_EQ(pong.req_id, 101);
  EXPECT_EQ(pong.time_in, at("2023-09-24T14:10:23.799685Z"));
  EXPECT_EQ(pong.time_out, at("2023-09-24T14:10:23.799703Z"));
}

TEST(WsCodec, DecodesSubscribeAcksIncludingKrakenErrors) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_misc.jsonl");
  ASSERT_EQ(lines.size(), 15u);
  EXPECT_EQ(decode_error(decoder, lines[4]).kind, WsDecodeErrorKind::kMissingField);  // request

  const auto book = decode_as<SubscribeAck>(decoder, lines[5]);
  EXPECT_EQ(book.method, SubscriptionMethod::kSubscribe);
  EXPECT_TRUE(book.success);
  EXPECT_EQ(book.channel, "book");
  EXPECT_EQ(book.symbol, "ALGO/USD");
  EXPECT_FALSE(book.req_id.has_value());
  EXPECT_EQ(book.time_in, at("2023-10-06T17:35:55.219022Z"));

  const auto ticker = decode_as<SubscribeAck>(decoder, lines[6]);
  EXPECT_EQ(ticker.channel, "ticker");
  EXPECT_EQ(ticker.req_id, 1);

  const auto rejected = decode_as<SubscribeAck>(decoder, lines[7]);
  EXPECT_FALSE(rejected.success);
  EXPECT_EQ(rejected.error, "Currency pair not supported XBT/EUR");
  EXPECT_EQ(rejected.symbol, "XBT/EUR");
  EXPECT_TRUE(rejected.channel.empty());

  const auto instrument = decode_as<SubscribeAck>(decoder, lines[10]);
  EXPECT_EQ(instrument.channel, "instrument");
  EXPECT_EQ(instrument.req_id, 79);
  EXPECT_THAT(instrument.warnings, ElementsAre("tick_size is deprecated, use price_increment"));

  const auto unsubscribed = decode_as<SubscribeAck>(
      decoder,
      R"({"method":"unsubscribe","result":{"channel":"book","symbol":"BTC/USD"},"success":true,"req_id":7})");
  EXPECT_EQ(unsubscribed.method, SubscriptionMethod::kUnsubscribe);
  EXPECT_EQ(unsubscribed.req_id, 7);
}

TEST(WsCodec, DecodesInstrumentSnapshotIntoSpecs) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_misc.jsonl");
  ASSERT_EQ(lines.size(), 15u);
  EXPECT_EQ(decode_error(decoder, lines[8]).kind,
            WsDecodeErrorKind::kUnsupportedChannel);                                  // ticker
  EXPECT_EQ(decode_error(decoder, lines[9]).kind, WsDecodeErrorKind::kMissingField);  // request

  const auto message = decode_as<InstrumentMessage>(decoder, lines[11]);
  EXPECT_TRUE(message.is_snapshot);
  ASSERT_EQ(message.assets.size(), 2u);
  EXPECT_EQ(message.assets[0].id, "USD");
  EXPECT_EQ(message.assets[1].precision, 10);
  EXPECT_EQ(message.assets[1].precision_display, 5);
  ASSERT_EQ(message.pairs.size(), 1u);
  const InstrumentPair& pair = message.pairs[0];
  EXPECT_EQ(pair.symbol, "BTC/USD");
  EXPECT_EQ(pair.base, "BTC");
  EXPECT_EQ(pair.quote, "USD");
  EXPECT_EQ(pair.status, "online");
  EXPECT_EQ(pair.price_precision, 1);
  EXPECT_EQ(pair.qty_precision, 8);
  EXPECT_EQ(pair.cost_precision, 5);
  EXPECT_EQ(pair.qty_increment, "1e-08");
  EXPECT_EQ(pair.price_increment, "0.1");
  EXPECT_EQ(pair.qty_min, "0.0001");
  EXPECT_EQ(pair.cost_min, "0.5");

  const auto spec = to_instrument_spec(pair);
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  EXPECT_EQ(spec->id, InstrumentId("BTC/USD"));
  EXPECT_EQ(spec->tick_size.to_string(), "0.1");
  EXPECT_EQ(spec->ordermin.to_string(), "0.00010000");
  EXPECT_EQ(spec->costmin.to_string(), "0.50000");

  // Balances are a private channel this decoder leaves to another.
  EXPECT_EQ(decode_error(decoder, lines[12]).kind, WsDecodeErrorKind::kMissingField);  // request
  EXPECT_EQ(decode_error(decoder, lines[13]).kind, WsDecodeErrorKind::kUnsupportedChannel);
  EXPECT_EQ(decode_error(decoder, lines[14]).kind, WsDecodeErrorKind::kUnsupportedChannel);
}

TEST(WsCodec, InstrumentSpecRejectsDecimalsBeyondPrecision) {
  InstrumentPair pair;
  pair.symbol = "BTC/USD";
  pair.price_precision = 1;
  pair.qty_precision = 8;
  pair.price_increment = "0.05";
  pair.qty_min = "0.0001";
  EXPECT_EQ(to_instrument_spec(pair).status().code(), StatusCode::kInvalidArgument);
}

TEST(WsCodec, MalformedJsonIsAnError) {
  const auto update = sample_lines("ws_v2_book_snapshot_and_updates.jsonl")[1];
  EXPECT_EQ(error_kind(update.substr(0, update.size() / 2)), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(update.substr(0, update.size() - 1)), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(""), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind("   "), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind("{"), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(R"({"channel":"heartbeat"}})"), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(R"({"channel":"heartbeat"} {})"), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(R"({"channel":"heart)"), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind("{\"channel\":\"heartbeat\",\"x\":\"\xff\xfe\"}"),
            WsDecodeErrorKind::kMalformedJson);  // not UTF-8
}

TEST(WsCodec, NonObjectsAndUnknownMessagesAreErrors) {
  EXPECT_EQ(error_kind("[]"), WsDecodeErrorKind::kNotAnObject);
  EXPECT_EQ(error_kind("\"book\""), WsDecodeErrorKind::kNotAnObject);
  EXPECT_EQ(error_kind("42"), WsDecodeErrorKind::kNotAnObject);
  EXPECT_EQ(error_kind("null"), WsDecodeErrorKind::kNotAnObject);
  EXPECT_EQ(error_kind("{}"), WsDecodeErrorKind::kUnknownMessage);
  EXPECT_EQ(error_kind(R"({"event":"heartbeat"})"), WsDecodeErrorKind::kUnknownMessage);
  EXPECT_EQ(error_kind(R"({"channel":"level3","type":"update","data":[]})"),
            WsDecodeErrorKind::kUnsupportedChannel);
  EXPECT_EQ(error_kind(R"({"method":"add_order","success":true})"),
            WsDecodeErrorKind::kUnsupportedMethod);
}

TEST(WsCodec, FieldsDecodeInAnyOrder) {
  // Kraken puts "channel" first, which the decoder reads in one pass; any other order is looked
  // up and gives the same message. "channel" wins over "method" wherever they are.
  WsDecoder decoder;
  const auto sample = sample_lines("ws_v2_book_snapshot_and_updates.jsonl")[1];
  const auto expected = decode_as<BookMessage>(decoder, sample);
  const std::string data = sample.substr(sample.find(R"("data":)"));
  for (const std::string& frame :
       {R"({"type":"update","channel":"book",)" + data,
        R"({"type":"update",)" + data.substr(0, data.size() - 1) + R"(,"channel":"book"})",
        R"({"method":"pong","type":"update","channel":"book",)" + data,
        R"({"channel":"book","type":"update","method":"pong",)" + data}) {
    SCOPED_TRACE(frame);
    const auto decoded = decode_as<BookMessage>(decoder, frame);
    EXPECT_EQ(decoded.bids, expected.bids);
    EXPECT_EQ(decoded.asks, expected.asks);
    EXPECT_EQ(decoded.checksum, expected.checksum);
    EXPECT_EQ(decoded.timestamp, expected.timestamp);
    EXPECT_EQ(decoded.symbol, expected.symbol);
  }
  EXPECT_EQ(decode_as<Pong>(decoder, R"({"req_id":7,"method":"pong"})").req_id, 7);
  EXPECT_EQ(decode_error(decoder, R"({"type":"update","channel":7})").kind,
            WsDecodeErrorKind::kWrongType);
  // Anything after the object is malformed, whichever way the object was read.
  EXPECT_EQ(decode_error(decoder, sample + " x").kind, WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(decode_error(decoder, R"({"type":"update","channel":"book",)" + data + "}").kind,
            WsDecodeErrorKind::kMalformedJson);
}

TEST(WsCodec, WrongTypesAreErrorsNamingTheField) {
  EXPECT_EQ(error_kind(R"({"channel":5})"), WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(R"({"method":["pong"]})"), WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(R"({"channel":"book","type":"update","data":{}})"),
            WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":{},"checksum":1}]})"),
      WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","checksum":"1"}]})"),
      WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"ord_type":"limit","trade_id":"3","timestamp":"2023-10-06T17:35:55Z"}]})"),
      WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(R"({"method":"subscribe","success":"yes","result":{"channel":"book"}})"),
            WsDecodeErrorKind::kWrongType);

  WsDecoder decoder;
  const auto failure = decode_error(
      decoder,
      R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[{"price":"29431.1","qty":0.5}],"checksum":1}]})");
  EXPECT_EQ(failure.kind, WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(failure.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(failure.status.message(), HasSubstr("asks[0].price"));
  EXPECT_THAT(failure.status.message(), HasSubstr("expected a number, got a string"));
}

TEST(WsCodec, NonNumericPricesAreErrors) {
  auto book_with_price = [](const std::string& price) {
    return R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":)" +
           price + R"(,"qty":1.5}],"asks":[],"checksum":1}]})";
  };
  EXPECT_EQ(error_kind(book_with_price("\"abc\"")), WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(book_with_price("true")), WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(book_with_price("null")), WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(book_with_price("[1]")), WsDecodeErrorKind::kWrongType);
  EXPECT_EQ(error_kind(book_with_price("1.2.3")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_with_price("-")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_with_price("01.5")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_with_price("1.")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_with_price("1e")), WsDecodeErrorKind::kMalformedJson);

  WsDecoder decoder;
  const auto ok = decode_as<BookMessage>(decoder, book_with_price("-2.5E+3"));
  EXPECT_EQ(ok.bids[0].price, "-2.5E+3");  // valid JSON; the book refuses non-positive prices
  const auto spaced = decode_as<BookMessage>(
      decoder,
      "{ \"channel\" : \"book\" , \"type\" : \"update\" , \"data\" : [ { \"symbol\" : \"BTC/USD\" "
      ", \"bids\" : [ { \"price\" : 29431.1 \n, \"qty\" : 0.5\t} ] , \"checksum\" : 7 } ] }\n");
  EXPECT_EQ(spaced.bids[0], (BookLevelText{"29431.1", "0.5"}));
}

TEST(WsCodec, RecordsTheValueOfPlainDecimalsForTheBook) {
  // Plain decimals (Kraken's book numbers) carry their value, read while validating the token,
  // so that the book need not read the digits again; other numbers carry only their text.
  auto book_with = [](const std::string& price, const std::string& qty) {
    return R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":)" +
           price + R"(,"qty":)" + qty + R"(}],"asks":[],"checksum":1}]})";
  };
  WsDecoder decoder;
  auto level = decode_as<BookMessage>(decoder, book_with("29430.2", "0.00011621")).bids.at(0);
  ASSERT_TRUE(level.price.plain_value().has_value());
  EXPECT_EQ(level.price.plain_value()->digits, 294302u);
  EXPECT_EQ(level.price.plain_value()->fraction_digits, 1u);
  ASSERT_TRUE(level.qty.plain_value().has_value());
  EXPECT_EQ(level.qty.plain_value()->digits, 11621u);
  EXPECT_EQ(level.qty.plain_value()->fraction_digits, 8u);

  for (const char* other : {"1e-05", "-2.5", "123456789.5", "0.12345678901234567"}) {
    level = decode_as<BookMessage>(decoder, book_with(other, "0")).bids.at(0);
    EXPECT_EQ(level.price, other);
    EXPECT_FALSE(level.price.plain_value().has_value()) << other;
  }
  // Whitespace after the number: valid JSON, read by the byte-wise grammar.
  level = decode_as<BookMessage>(decoder, book_with("7.5 ", "1")).bids.at(0);
  EXPECT_EQ(level.price, "7.5");

  // Random numbers, valid and not: the decoder accepts exactly JSON's number grammar, and the
  // book reads a recorded value exactly as it reads the text.
  std::mt19937_64 random(5);
  auto digits = [&](size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += static_cast<char>('0' + random() % 10);
    return out;
  };
  const std::regex json_number(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  for (int i = 0; i < 20000; ++i) {
    std::string text = digits(1 + random() % 9);
    if (random() % 4 != 0) text += "." + digits(random() % 12);
    if (random() % 30 == 0) text += "e" + digits(random() % 3);
    const int precision = static_cast<int>(random() % 11);
    auto decoded = decoder.decode(book_with(text, "1"));
    ASSERT_EQ(decoded.is_ok(), std::regex_match(text, json_number)) << text;
    if (!decoded.is_ok()) continue;
    const BookLevelText& decoded_level = std::get<BookMessage>(*decoded).bids.at(0);
    auto with_value = OrderBook::create(InstrumentId("X/Y"), precision, 8, 10).value();
    auto text_only = with_value;
    const BookLevelText copied{decoded_level.price.str(), "1"};  // no recorded value
    ASSERT_FALSE(copied.price.plain_value().has_value());
    const Status from_value = with_value.apply_snapshot({&decoded_level, 1}, {});
    const Status from_text = text_only.apply_snapshot({&copied, 1}, {});
    ASSERT_EQ(from_value.code(), from_text.code()) << text << " at " << precision;
    if (from_value.is_ok()) {
      ASSERT_EQ(with_value.bids()[0].price.raw(), text_only.bids()[0].price.raw()) << text;
    }
  }
}

TEST(WsCodec, StringsWithAndWithoutEscapesReadTheSame) {
  // Strings written without escapes that match what the decoder expects ("book", "update", the
  // symbol already in a reused message) are compared as written; anything else is unescaped by
  // simdjson. Both give the string's value, into a fresh or a reused message, and what JSON
  // forbids in a string stays an error.
  auto book_for = [](const std::string& symbol, const std::string& channel = R"("book")",
                     const std::string& type = R"("update")") {
    return R"({"channel":)" + channel + R"(,"type":)" + type + R"(,"data":[{"symbol":)" + symbol +
           R"(,"bids":[],"asks":[],"checksum":0,"timestamp":"2023-07-30T15:29:58.343415Z"}]})";
  };
  struct Case {
    std::string symbol_json;
    std::string symbol;
  };
  const std::vector<Case> cases = {{R"("BTC/USD")", "BTC/USD"},
                                   {R"("BTC\/USD")", "BTC/USD"},
                                   {R"("BTC/USD")", "BTC/USD"},
                                   {R"("ETH/USD")", "ETH/USD"},
                                   {R"("")", ""},
                                   {R"( "BTC/USD" )", "BTC/USD"},
                                   {R"("BTC/USD\\")", "BTC/USD\\"},
                                   {R"("BTC/USD\\")", "BTC/USD\\"},
                                   {R"("BTC/USD")", "BTC/USD"},
                                   {R"("BTC/USD\"")", "BTC/USD\""},
                                   {R"("BTC/USD\"")", "BTC/USD\""},
                                   {R"("BTC/USD")", "BTC/USD"}};
  WsDecoder decoder;
  WsMessage reused;
  for (const auto& [symbol_json, symbol] : cases) {
    SCOPED_TRACE(symbol_json);
    EXPECT_EQ(decode_as<BookMessage>(decoder, book_for(symbol_json)).symbol, symbol);
    ASSERT_TRUE(decoder.decode_into(book_for(symbol_json), reused).is_ok());
    EXPECT_EQ(std::get<BookMessage>(reused).symbol, symbol);
  }
  const auto escaped =
      decode_as<BookMessage>(decoder, book_for(R"("X/Y")", R"("bo\u006fk")", R"("upd\u0061te")"));
  EXPECT_EQ(escaped.symbol, "X/Y");
  EXPECT_FALSE(escaped.is_snapshot);
  EXPECT_TRUE(decode_as<BookMessage>(decoder, book_for(R"("X/Y")", R"("book")", R"("snapshot")"))
                  .is_snapshot);
  EXPECT_TRUE(
      decode_as<BookMessage>(decoder, book_for(R"("X/Y")", R"("book")", R"("snap\u0073hot")"))
          .is_snapshot);
  EXPECT_EQ(decode_error(decoder, book_for(R"("X/Y")", R"("book")", R"("updates")")).kind,
            WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(decode_error(decoder, book_for(R"("X/Y")", R"("books")")).kind,
            WsDecodeErrorKind::kUnsupportedChannel);

  // Errors, also right after the same symbol was read into the reused message.
  for (const std::string bad : {"\"BTC\x01/USD\"", "\"BTC\n/USD\"", R"("BTC\q/USD")",
                                "\"BTC\xff/USD\"", "7", R"("BTC/USD)"}) {
    SCOPED_TRACE(bad);
    ASSERT_TRUE(decoder.decode_into(book_for(R"("BTC/USD")"), reused).is_ok());
    EXPECT_FALSE(decoder.decode_into(book_for(bad), reused).is_ok());
  }
  EXPECT_EQ(error_kind(book_for("\"BTC\x01/USD\"")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_for("\"BTC\n/USD\"")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_for(R"("BTC\q/USD")")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_for("\"BTC\xff/USD\"")), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(error_kind(book_for("7")), WsDecodeErrorKind::kWrongType);
}

TEST(WsCodec, MissingFieldsAreErrors) {
  EXPECT_EQ(error_kind(R"({"channel":"book","type":"update"})"), WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(error_kind(R"({"channel":"trade","type":"update"})"), WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(error_kind(R"({"channel":"book","data":[{"symbol":"BTC/USD","checksum":1}]})"),
            WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(
      error_kind(R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[]}]})"),
      WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1}],"checksum":1}]})"),
      WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"ord_type":"limit","timestamp":"2023-10-06T17:35:55Z"}]})"),
      WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(error_kind(R"({"channel":"status","data":[{"api_version":"v2"}],"type":"update"})"),
            WsDecodeErrorKind::kMissingField);
  EXPECT_EQ(error_kind(R"({"method":"subscribe","success":true})"),
            WsDecodeErrorKind::kMissingField);

  WsDecoder decoder;
  const auto failure = decode_error(
      decoder,
      R"({"channel":"ohlc","type":"update","data":[{"symbol":"BTC/USD","interval":1,"interval_begin":"2023-10-04T16:25:00Z","open":1,"high":1,"low":1,"close":1,"vwap":1,"trades":1}]})");
  EXPECT_EQ(failure.kind, WsDecodeErrorKind::kMissingField);
  EXPECT_THAT(failure.status.message(), HasSubstr("data[0].volume"));
}

TEST(WsCodec, UnusableValuesAreErrors) {
  EXPECT_EQ(error_kind(R"({"channel":"book","type":"partial","data":[]})"),
            WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(error_kind(R"({"channel":"book","type":"update","data":[]})"),
            WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"A/B","checksum":1},{"symbol":"C/D","checksum":2}]})"),
      WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","checksum":4294967296}]})"),
      WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","checksum":1,"timestamp":"yesterday"}]})"),
      WsDecodeErrorKind::kInvalidValue);
  // Past 2262 a timestamp no longer fits int64 nanoseconds (found by the fuzzer).
  EXPECT_EQ(
      error_kind(
          R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","checksum":1,"timestamp":"4045-07-30T15:29:58Z"}]})"),
      WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(error_kind(R"({"method":"pong","time_in":"0001-01-01T00:00:00Z"})"),
            WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"hold","price":1,"qty":1,"ord_type":"limit","trade_id":3,"timestamp":"2023-10-06T17:35:55Z"}]})"),
      WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"instrument","type":"snapshot","data":{"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","price_precision":40,"qty_precision":8,"price_increment":0.1,"qty_increment":1e-08,"qty_min":0.0001}]}})"),
      WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(error_kind(R"({"method":"pong","req_id":99999999999999999999})"),
            WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(error_kind(R"({"method":"pong","req_id":1.5})"), WsDecodeErrorKind::kInvalidValue);
  EXPECT_EQ(
      error_kind(
          R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"ord_type":"limit","trade_id":-3,"timestamp":"2023-10-06T17:35:55Z"}]})"),
      WsDecodeErrorKind::kInvalidValue);
}

TEST(WsCodec, UnsignedIntegersReadWordWiseOrBySimdjsonAlike) {
  // Up to 15 digits are read from the token directly, longer ones and every other spelling by
  // simdjson: both must give the value or the same kind of error.
  auto checksum_of = [](const std::string& number) -> Result<uint32_t> {
    WsDecoder decoder;
    auto message = decoder.decode(
        R"({"channel":"book","type":"update","data":[{"symbol":"BTC/USD","checksum":)" + number +
        "}]}");
    if (!message) return message.status();
    return std::get<BookMessage>(*message).checksum;
  };
  for (const auto& [text, value] :
       std::vector<std::pair<std::string, uint32_t>>{{"0", 0},
                                                     {"7", 7},
                                                     {"3547452596", 3547452596u},
                                                     {"4294967295", 4294967295u},
                                                     {" 434883881 ", 434883881u},
                                                     {"434883881\n", 434883881u}}) {
    EXPECT_EQ(checksum_of(text).value(), value) << text;
  }
  for (const std::string text : {"4294967296", "000000000000000001", "0123", "-1", "1.0", "1e3",
                                 "12a", "99999999999999999999"}) {
    EXPECT_FALSE(checksum_of(text).is_ok()) << text;
  }
  // 15 digits and more, as trade ids.
  WsDecoder decoder;
  for (const uint64_t id :
       {uint64_t{123456789012345}, uint64_t{1234567890123456}, uint64_t{18446744073709551615u}}) {
    const auto trades = decode_as<TradeMessage>(
        decoder,
        R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"ord_type":"limit","trade_id":)" +
            std::to_string(id) + R"(,"timestamp":"2023-10-06T17:35:55Z"}]})");
    ASSERT_EQ(trades.trades.size(), 1u);
    EXPECT_EQ(trades.trades[0].trade_id, id);
  }
}

TEST(WsCodec, FramesOverTheLimitAreRefusedBeforeParsing) {
  WsDecoder decoder;
  const std::string huge = R"({"channel":"heartbeat","pad":")" + std::string(2 << 20, 'x') + "\"}";
  const auto failure = decode_error(decoder, huge);
  EXPECT_EQ(failure.kind, WsDecodeErrorKind::kFrameTooLarge);
  EXPECT_EQ(failure.status.code(), StatusCode::kResourceExhausted);

  WsDecoder small(WsDecoderOptions{.max_frame_bytes = 16});
  EXPECT_TRUE(small.decode(R"({"channel":"heartbeat"})").status().code() ==
              StatusCode::kResourceExhausted);
  EXPECT_TRUE(small.decode(R"({"a":1})").status().code() == StatusCode::kInvalidArgument);
}

TEST(WsCodec, CountsErrorsPerKindAndClearsLastKindOnSuccess) {
  WsDecoder decoder;
  EXPECT_FALSE(decoder.last_error_kind().has_value());
  (void)decoder.decode("[]");
  (void)decoder.decode("[1]");
  (void)decoder.decode("{");
  EXPECT_EQ(decoder.last_error_kind(), WsDecodeErrorKind::kMalformedJson);
  EXPECT_EQ(decoder.error_count(WsDecodeErrorKind::kNotAnObject), 2u);
  EXPECT_EQ(decoder.error_count(WsDecodeErrorKind::kMalformedJson), 1u);
  EXPECT_EQ(decoder.error_count(WsDecodeErrorKind::kMissingField), 0u);
  ASSERT_TRUE(decoder.decode(R"({"channel":"heartbeat"})").is_ok());
  EXPECT_FALSE(decoder.last_error_kind().has_value());
  EXPECT_EQ(to_string(WsDecodeErrorKind::kUnsupportedChannel), "unsupported_channel");
}

TEST(WsCodec, DecodeIntoReusesStorageWithoutStaleFields) {
  // Every sample frame, decoded into one reused message in file order and in reverse, must
  // equal a fresh decode (no field left over from the previous message).
  std::vector<std::string> frames;
  for (const char* file :
       {"ws_v2_book_snapshot_and_updates.jsonl", "ws_v2_book_docs_examples.jsonl",
        "ws_v2_trade.jsonl", "ws_v2_ohlc.jsonl", "ws_v2_misc.jsonl"}) {
    for (auto& line : sample_lines(file)) frames.push_back(std::move(line));
  }
  for (int pass = 0; pass < 2; ++pass) {
    WsDecoder reused_decoder;
    WsDecoder fresh_decoder;
    WsMessage reused;
    for (const auto& frame : frames) {
      const Status status = reused_decoder.decode_into(frame, reused);
      auto fresh = fresh_decoder.decode(frame);
      ASSERT_EQ(status.is_ok(), fresh.is_ok()) << frame;
      if (fresh.is_ok()) {
        EXPECT_TRUE(reused == *fresh) << frame;
      }
    }
    std::reverse(frames.begin(), frames.end());
  }
}

TEST(WsCodec, DecoderIsReusableAfterErrors) {
  WsDecoder decoder;
  const auto lines = sample_lines("ws_v2_book_snapshot_and_updates.jsonl");
  for (const auto& line : lines) {
    (void)decoder.decode(line.substr(0, line.size() / 3));
    EXPECT_TRUE(decoder.decode(line).is_ok());
  }
}

// Every sample line, each sample file as one multi-frame input (so book updates follow their
// snapshot), and thousands of deterministic mutations of them go through the fuzz entry.
TEST(WsCodecFuzz, SamplesAndMutationsRunThroughTheFuzzEntry) {
  auto run = [](const std::string& input) {
    return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  };
  std::vector<std::string> inputs;
  for (const char* file :
       {"ws_v2_book_snapshot_and_updates.jsonl", "ws_v2_book_docs_examples.jsonl",
        "ws_v2_trade.jsonl", "ws_v2_ohlc.jsonl", "ws_v2_misc.jsonl", "ws_v2_executions.jsonl",
        "ws_v2_add_order.jsonl"}) {
    std::string joined;
    for (const auto& line : sample_lines(file)) {
      inputs.push_back(line);
      joined += line + '\n';
    }
    inputs.push_back(joined);
  }
  for (const auto& input : inputs) ASSERT_EQ(run(input), 0);

  std::mt19937_64 random(0x6761'6c66'7269'6461);  // fixed seed: the same mutations every run
  auto below = [&](size_t bound) { return bound == 0 ? 0 : static_cast<size_t>(random() % bound); };
  constexpr int kMutations = 4000;
  for (int i = 0; i < kMutations; ++i) {
    std::string input = inputs[below(inputs.size())];
    const size_t edits = 1 + below(4);
    for (size_t e = 0; e < edits && !input.empty(); ++e) {
      const size_t pos = below(input.size());
      switch (below(6)) {
        case 0:
          input[pos] = static_cast<char>(random());
          break;  // byte replaced
        case 1:
          input[pos] = static_cast<char>(input[pos] ^ (1 << below(8)));
          break;  // bit flip
        case 2:
          input.resize(pos);
          break;  // truncation
        case 3:
          input.erase(pos, 1 + below(8));
          break;  // deletion
        case 4:
          input.insert(pos, 1, "{}[]\",:0-.e9"[below(12)]);
          break;  // structural insert
        case 5:
          input.insert(pos, input.substr(below(input.size()), below(32)));
          break;  // copy
      }
    }
    ASSERT_EQ(run(input), 0) << "mutation " << i;
  }
}

}  // namespace
}  // namespace kraken
}  // namespace galfriday
