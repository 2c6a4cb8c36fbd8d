#include "galfriday/market/order_book.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "galfriday/kraken/ws_codec.hpp"

namespace galfriday {

template <typename Tag>
void PrintTo(const FixedPoint<Tag>& value, std::ostream* os) {
  *os << value.to_string();
}

void PrintTo(const DecimalText& text, std::ostream* os) { *os << '"' << text.view() << '"'; }

namespace {

using ::testing::HasSubstr;

constexpr size_t kDepth10 = 10;

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

std::vector<kraken::BookMessage> book_messages(const std::string& file) {
  kraken::WsDecoder decoder;
  std::vector<kraken::BookMessage> messages;
  for (const auto& line : sample_lines(file)) {
    auto message = decoder.decode(line);
    EXPECT_TRUE(message.is_ok()) << message.status().to_string();
    if (message.is_ok()) messages.push_back(std::get<kraken::BookMessage>(*message));
  }
  return messages;
}

OrderBook make_book(std::string symbol, int price_precision, int qty_precision, size_t depth) {
  auto book =
      OrderBook::create(InstrumentId(std::move(symbol)), price_precision, qty_precision, depth);
  EXPECT_TRUE(book.is_ok()) << book.status().to_string();
  return std::move(book).value();
}

Status apply(OrderBook& book, const kraken::BookMessage& message) {
  return message.is_snapshot ? book.apply_snapshot(message.bids, message.asks)
                             : book.apply_update(message.bids, message.asks);
}

std::vector<BookLevelText> levels(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<BookLevelText> out;
  for (const auto& [price, qty] : list) out.push_back({price, qty});
  return out;
}

std::vector<std::pair<std::string, std::string>> as_text(const OrderBook::LevelsView& side) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const BookLevel level : side)
    out.emplace_back(level.price.to_string(), level.qty.to_string());
  return out;
}

TEST(Crc32, MatchesZlibCheckValueAndContinues) {
  EXPECT_EQ(crc32_ieee("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32_ieee(""), 0u);
  EXPECT_EQ(crc32_ieee("56789", crc32_ieee("1234")), 0xCBF43926u);
  // Long enough to take the eight-bytes-at-a-time path with a tail.
  EXPECT_EQ(crc32_ieee("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(Crc32, AcceleratedPathMatchesTablesForAnyLengthAndStart) {
  std::mt19937_64 random(42);
  std::string data;
  for (size_t size = 0; size < 700; ++size) {
    data.resize(size);
    for (char& c : data) c = static_cast<char>(random());
    const auto start = static_cast<uint32_t>(random());
    ASSERT_EQ(crc32_ieee(data, start), crc32_detail::crc32_ieee_portable(data, start))
        << "size " << size;
  }
  const std::string zeros(4096, '\0');
  EXPECT_EQ(crc32_ieee(zeros), crc32_detail::crc32_ieee_portable(zeros));
}

TEST(Crc32, LeadingZerosWithTheirStartStateLeaveTheCrcUnchanged) {
  std::mt19937_64 random(8);
  std::string text;
  for (size_t size = 0; size < 300; ++size) {
    text.resize(size);
    for (char& c : text) c = static_cast<char>(random());
    for (size_t zeros = 0; zeros <= kCrc32MaxZeroPrefix; ++zeros) {
      ASSERT_EQ(crc32_ieee_after_zeros(std::string(zeros, '\0') + text, zeros), crc32_ieee(text))
          << size << " " << zeros;
    }
  }
}

TEST(Crc32, CombineJoinsTheCrcsOfTwoParts) {
  EXPECT_EQ(crc32_combine(crc32_ieee("1234"), crc32_ieee("56789"), 5), 0xCBF43926u);
  EXPECT_EQ(crc32_combine(crc32_ieee("123456789"), crc32_ieee(""), 0), 0xCBF43926u);
  EXPECT_EQ(crc32_combine(crc32_ieee(""), crc32_ieee("123456789"), 9), 0xCBF43926u);
  std::mt19937_64 random(7);
  std::string a;
  std::string b;
  for (int i = 0; i < 3000; ++i) {
    a.resize(random() % 400);
    b.resize(i < 1025 ? static_cast<size_t>(i) : random() % (kCrc32CombineMaxBytes + 1));
    for (char& c : a) c = static_cast<char>(random());
    for (char& c : b) c = static_cast<char>(random());
    const uint32_t whole = crc32_ieee(a + b);
    ASSERT_EQ(crc32_combine(crc32_ieee(a), crc32_ieee(b), b.size()), whole) << i;
    ASSERT_EQ(crc32_detail::crc32_combine_portable(crc32_ieee(a), crc32_ieee(b), b.size()), whole)
        << i;
  }
}

// The checksum text of every level is printed by format_decimal: it must print exactly what
// std::to_chars prints, at every length and around every power of ten.
TEST(FormatDecimal, PrintsWhatToCharsPrints) {
  auto expect_same = [](uint64_t value) {
    char mine[32];
    char reference[32];
    const size_t size = order_book_detail::format_decimal(value, mine);
    const auto end = std::to_chars(reference, reference + sizeof(reference), value).ptr;
    ASSERT_EQ(std::string_view(mine, size), std::string_view(reference, end)) << value;
  };
  for (uint64_t value = 0; value < 100000; ++value) expect_same(value);
  uint64_t power = 1;
  for (int exponent = 0; exponent <= 19; ++exponent, power *= 10) {
    for (uint64_t delta = 0; delta <= 3; ++delta) {
      expect_same(power + delta);
      expect_same(power - delta);
    }
  }
  expect_same(std::numeric_limits<uint64_t>::max());
  std::mt19937_64 random(7);
  for (int i = 0; i < 200000; ++i) expect_same(random() >> (random() % 64));
}

TEST(OrderBook, ChecksumMatchesKrakenDocBtcUsdExample) {
  const auto messages = book_messages("ws_v2_book_docs_examples.jsonl");
  ASSERT_EQ(messages.size(), 3u);
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(apply(book, messages[0]).is_ok());
  EXPECT_EQ(book.checksum(), 3310070434u);
  EXPECT_EQ(messages[0].checksum, 3310070434u);
  EXPECT_TRUE(book.verify(messages[0].checksum).is_ok());
}

TEST(OrderBook, DocumentedChecksumTextHasTheDocumentedCrc) {
  // The sample file spells out the checksum input of the BTC/USD example in a comment.
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/ws_v2_book_docs_examples.jsonl");
  std::string text;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# 452852", 0) == 0) text = line.substr(2);
  }
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(crc32_ieee(text), 3310070434u);
}

TEST(OrderBook, MaticDocExampleVerifiesOnlyAtPairPrecision) {
  const auto messages = book_messages("ws_v2_book_docs_examples.jsonl");
  ASSERT_EQ(messages.size(), 3u);
  const auto& snapshot = messages[1];
  const auto& update = messages[2];
  ASSERT_EQ(snapshot.symbol, "MATIC/USD");

  auto book = make_book("MATIC/USD", 4, 8, kDepth10);
  ASSERT_TRUE(apply(book, snapshot).is_ok());
  EXPECT_EQ(book.checksum(), 2439117997u);
  EXPECT_TRUE(book.verify(snapshot.checksum).is_ok());

  ASSERT_TRUE(apply(book, update).is_ok());
  EXPECT_EQ(book.checksum(), 2114181697u);
  EXPECT_TRUE(book.verify(update.checksum).is_ok());
  EXPECT_EQ(book.bids()[9].qty.to_string(), "1098.39475580");

  // The same levels printed as the trimmed wire floats ("0.566", "18097.1547") give another CRC.
  auto naive = [](std::string_view token) {
    std::string digits;
    for (char c : token) {
      if (c != '.') digits += c;
    }
    return digits.substr(std::min(digits.find_first_not_of('0'), digits.size()));
  };
  std::string naive_text;
  for (const auto& level : snapshot.asks) naive_text += naive(level.price) + naive(level.qty);
  for (const auto& level : snapshot.bids) naive_text += naive(level.price) + naive(level.qty);
  EXPECT_EQ(crc32_ieee(naive_text), 3830085102u);
  EXPECT_NE(crc32_ieee(naive_text), snapshot.checksum);
}

TEST(OrderBook, RealRecordingVerifiesEveryMessage) {
  const auto messages = book_messages("ws_v2_book_snapshot_and_updates.jsonl");
  ASSERT_EQ(messages.size(), 7u);
  ASSERT_TRUE(messages[0].is_snapshot);
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  for (size_t i = 0; i < messages.size(); ++i) {
    ASSERT_TRUE(apply(book, messages[i]).is_ok()) << "message " << i;
    EXPECT_TRUE(book.verify(messages[i].checksum).is_ok()) << "message " << i;
  }
}

TEST(OrderBook, TruncatesToDepthSoPushedOutLevelsDoNotReturn) {
  const auto messages = book_messages("ws_v2_book_snapshot_and_updates.jsonl");
  ASSERT_EQ(messages.size(), 7u);
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  auto untruncated = make_book("BTC/USD", 1, 8, 1000);
  for (const auto& message : messages) {
    ASSERT_TRUE(apply(book, message).is_ok());
    ASSERT_TRUE(apply(untruncated, message).is_ok());
  }
  // The first update deletes one ask and adds two: 11 asks, the worst (29433.3) out of scope.
  EXPECT_EQ(book.asks().size(), 10u);
  EXPECT_EQ(untruncated.asks().size(), 11u);
  EXPECT_EQ(book.asks()[9].price.to_string(), "29433.1");

  // The recording never deletes an ask after that, so it verifies even without truncation. The
  // next delete of a top ask would let the stale level back into the top 10 of an untruncated
  // book, and Kraken's checksum (which has no 29433.3) would fail. Expected values from
  // kraken_book_checksum_ref.py's model at depth 10 and 1000.
  const auto delete_best_ask = levels({{"29430.3", "0.0"}});
  ASSERT_TRUE(book.apply_update({}, delete_best_ask).is_ok());
  ASSERT_TRUE(untruncated.apply_update({}, delete_best_ask).is_ok());
  EXPECT_EQ(book.asks().size(), 9u);
  EXPECT_EQ(book.checksum(), 3290625618u);
  EXPECT_EQ(untruncated.asks()[9].price.to_string(), "29433.3");
  EXPECT_EQ(untruncated.checksum(), 326414101u);
}

TEST(OrderBook, CorruptedLevelMakesChecksumMismatchWithDataLoss) {
  auto messages = book_messages("ws_v2_book_docs_examples.jsonl");
  ASSERT_EQ(messages.size(), 3u);
  auto corrupted = messages[0];
  corrupted.bids[3].qty = "0.10000001";
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(apply(book, corrupted).is_ok());
  const Status status = book.verify(corrupted.checksum);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("3310070434"));
  EXPECT_THAT(status.message(), HasSubstr(std::to_string(book.checksum())));
  EXPECT_THAT(status.message(), HasSubstr("BTC/USD"));

  // The caller drops the book; updates wait for the next snapshot.
  book.clear();
  EXPECT_FALSE(book.has_snapshot());
  EXPECT_TRUE(book.bids().empty());
  EXPECT_EQ(book.apply_update(levels({{"45283.5", "1"}}), {}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(apply(book, messages[0]).is_ok());
  EXPECT_TRUE(book.verify(messages[0].checksum).is_ok());
}

TEST(OrderBook, SnapshotReplacesTheBook) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(book.apply_snapshot(levels({{"100.0", "1"}}), levels({{"101", "2"}})).is_ok());
  ASSERT_TRUE(book.apply_snapshot(levels({{"99.5", "3"}}), {}).is_ok());
  EXPECT_EQ(as_text(book.bids()),
            (std::vector<std::pair<std::string, std::string>>{{"99.5", "3.00000000"}}));
  EXPECT_TRUE(book.asks().empty());
}

TEST(OrderBook, SnapshotLevelsInAnyOrderAreSorted) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(book.apply_snapshot(levels({{"99", "1"}, {"101", "2"}, {"100", "3"}}),
                                  levels({{"105", "1"}, {"103", "2"}, {"104", "0"}}))
                  .is_ok());
  EXPECT_EQ(book.bids()[0].price.to_string(), "101.0");
  EXPECT_EQ(book.bids()[2].price.to_string(), "99.0");
  ASSERT_EQ(book.asks().size(), 2u);  // a zero quantity in a snapshot is no level
  EXPECT_EQ(book.asks()[0].price.to_string(), "103.0");
}

TEST(OrderBook, ZeroQuantityDeletesAndUnknownDeleteIsIgnored) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(book.apply_snapshot(levels({{"100", "1"}, {"99", "1"}}), {}).is_ok());
  ASSERT_TRUE(book.apply_update(levels({{"100", "0.0"}, {"50", "0"}}), {}).is_ok());
  EXPECT_EQ(as_text(book.bids()),
            (std::vector<std::pair<std::string, std::string>>{{"99.0", "1.00000000"}}));
}

TEST(OrderBook, SamePriceTwiceInOneUpdateAppliesInOrder) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(book.apply_snapshot(levels({{"100", "1"}}), levels({{"101", "1"}})).is_ok());
  ASSERT_TRUE(book.apply_update(levels({{"100", "0"}, {"100", "2.5"}}),
                                levels({{"101", "3"}, {"101", "0"}}))
                  .is_ok());
  EXPECT_EQ(book.bids()[0].qty.to_string(), "2.50000000");
  EXPECT_TRUE(book.asks().empty());
}

TEST(OrderBook, AcceptsJsonFloatSpellings) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(book.apply_snapshot(levels({{"29426.7", "4.0"}, {"29427.4", "0.001"}}),
                                  levels({{"29430.3", "1e-05"}, {"2.94305e4", "1E-8"}}))
                  .is_ok());
  EXPECT_EQ(book.bids()[1].qty.raw(), 400000000);
  EXPECT_EQ(book.bids()[0].qty.raw(), 100000);
  EXPECT_EQ(book.asks()[0].qty.raw(), 1000);
  EXPECT_EQ(book.asks()[1].price.to_string(), "29430.5");
  EXPECT_EQ(book.asks()[1].qty.raw(), 1);
}

TEST(OrderBook, BadLevelIsRejectedAndLeavesTheBookUnchanged) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  ASSERT_TRUE(book.apply_snapshot(levels({{"100", "1"}}), levels({{"101", "1"}})).is_ok());
  const uint32_t before = book.checksum();

  const Status too_precise = book.apply_update(levels({{"99", "1"}}), levels({{"101.25", "1"}}));
  EXPECT_EQ(too_precise.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(too_precise.message(), HasSubstr("asks[0].price"));

  EXPECT_EQ(book.apply_update(levels({{"99", "1"}, {"abc", "1"}}), {}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(book.apply_update(levels({{"99", "-1"}}), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(book.apply_update(levels({{"0", "1"}}), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(book.apply_update(levels({{"-5", "1"}}), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(book.apply_update(levels({{"99", "1e30"}}), {}).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(book.apply_snapshot(levels({{"99", ""}}), {}).code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(book.checksum(), before);
  EXPECT_EQ(book.bids().size(), 1u);
  EXPECT_TRUE(book.has_snapshot());
}

TEST(OrderBook, ParsesLevelsExactlyAsFixedPointDoes) {
  // The book's fast path for plain decimals must agree with FixedPoint::parse on every text:
  // same value, or an error with the same code.
  std::mt19937_64 random(7);
  auto digits = [&](size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += static_cast<char>('0' + random() % 10);
    return out;
  };
  // Lengths around the word-at-a-time path's limits (8-digit words, 17 characters), every
  // precision, and a stray character anywhere now and then.
  for (int i = 0; i < 40000; ++i) {
    const int precision = static_cast<int>(random() % (kMaxPrecision + 1));
    std::string text = digits(random() % 13);
    if (random() % 3 != 0) text += "." + digits(random() % 13);
    if (random() % 4 == 0) text += std::string(random() % 12, '0');
    if (random() % 50 == 0) text.insert(0, 1, '-');
    if (random() % 40 == 0 && !text.empty()) {
      text[random() % text.size()] = "x. /:9"[random() % 6];
    }
    if (text.size() > DecimalText::kCapacity) continue;  // see RefusesDecimalTextTooLongToHold
    auto book = make_book("X/Y", precision, 8, kDepth10);
    const Status applied = book.apply_snapshot(levels({{text.c_str(), "1"}}), {});
    const auto expected = Price::parse(text, precision);
    if (!expected.is_ok()) {
      EXPECT_EQ(applied.code(), expected.status().code()) << text << " at " << precision;
    } else if (!expected->is_positive()) {
      EXPECT_EQ(applied.code(), StatusCode::kInvalidArgument) << text;
    } else {
      ASSERT_TRUE(applied.is_ok()) << text << " at " << precision << ": " << applied.to_string();
      EXPECT_EQ(book.bids()[0].price.raw(), expected->raw()) << text << " at " << precision;
    }
  }
}

TEST(OrderBook, RefusesDecimalTextTooLongToHold) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  const BookLevelText level{std::string(DecimalText::kCapacity + 1, '1'), "1"};
  EXPECT_TRUE(level.price.too_long());
  const Status status = book.apply_snapshot(std::vector<BookLevelText>{level}, {});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("bids[0].price: longer than 31 characters"));
}

TEST(OrderBook, BestLevelsViewsAndEvent) {
  auto book = make_book("BTC/USD", 1, 8, kDepth10);
  EXPECT_FALSE(book.best_bid().has_value());
  EXPECT_FALSE(book.best_ask().has_value());
  ASSERT_TRUE(book.apply_snapshot(levels({{"100", "1"}, {"99.9", "2"}, {"99.8", "3"}}),
                                  levels({{"100.1", "4"}, {"100.2", "5"}}))
                  .is_ok());
  EXPECT_EQ(book.best_bid()->price.to_string(), "100.0");
  EXPECT_EQ(book.best_ask()->qty.to_string(), "4.00000000");
  EXPECT_FALSE(book.is_crossed());

  EventMeta meta;
  meta.ts_event = timestamp_from_seconds(1700000000);
  const auto event = book.to_event(2, meta, true, book.checksum());
  EXPECT_EQ(event.instrument, InstrumentId("BTC/USD"));
  EXPECT_EQ(event.meta, meta);
  EXPECT_TRUE(event.is_snapshot);
  EXPECT_EQ(event.checksum, book.checksum());
  ASSERT_EQ(event.bids.size(), 2u);
  ASSERT_EQ(event.asks.size(), 2u);
  EXPECT_EQ(event.bids[1], (BookLevel{Price::from_raw(999, 1), Quantity::from_raw(200000000, 8)}));
  EXPECT_EQ(event.asks[0].price, Price::from_raw(1001, 1));

  ASSERT_TRUE(book.apply_update(levels({{"100.1", "1"}}), {}).is_ok());
  EXPECT_TRUE(book.is_crossed());
}

TEST(OrderBook, CreateRejectsZeroDepthAndBadPrecision) {
  EXPECT_EQ(OrderBook::create(InstrumentId("X/Y"), 1, 8, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OrderBook::create(InstrumentId("X/Y"), -1, 8, 10).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OrderBook::create(InstrumentId("X/Y"), 1, 19, 10).status().code(),
            StatusCode::kInvalidArgument);
  InstrumentSpec spec;
  spec.id = InstrumentId("BTC/USD");
  spec.price_precision = 1;
  spec.qty_precision = 8;
  auto book = OrderBook::create(spec, 25);
  ASSERT_TRUE(book.is_ok());
  EXPECT_EQ(book->depth(), 25u);
  EXPECT_EQ(book->price_precision(), 1);
  EXPECT_EQ(book->qty_precision(), 8);
  EXPECT_EQ(book->instrument(), spec.id);
}

// A reference model: std::map per side, levels applied one by one, then truncated.
struct ReferenceBook {
  std::map<int64_t, int64_t, std::greater<>> bids;
  std::map<int64_t, int64_t> asks;

  template <typename Map>
  static void apply(Map& side, const std::vector<std::pair<int64_t, int64_t>>& levels,
                    size_t depth) {
    for (const auto& [price, qty] : levels) {
      if (qty == 0) {
        side.erase(price);
      } else {
        side[price] = qty;
      }
    }
    while (side.size() > depth) side.erase(std::prev(side.end()));
  }
};

TEST(OrderBook, MatchesLevelByLevelModelForSmallAndLargeMessages) {
  // Small messages take the in-order path, large ones the sort-and-merge path; both must
  // give exactly what applying each level in turn gives.
  std::mt19937_64 random(20240527);
  auto next = [&](uint64_t bound) { return static_cast<int64_t>(random() % bound); };
  for (const size_t depth : {size_t{10}, size_t{25}, size_t{100}}) {
    auto book = make_book("BTC/USD", 1, 8, depth);
    ReferenceBook model;
    ASSERT_TRUE(book.apply_snapshot({}, {}).is_ok());
    for (int message = 0; message < 400; ++message) {
      const bool large = next(4) == 0;
      std::vector<std::pair<int64_t, int64_t>> bid_levels;
      std::vector<std::pair<int64_t, int64_t>> ask_levels;
      std::vector<BookLevelText> bid_text;
      std::vector<BookLevelText> ask_text;
      const int64_t count = large ? 17 + next(120) : next(6);
      for (int64_t i = 0; i < count; ++i) {
        // Prices on a narrow grid so levels collide, repeat and delete often.
        const bool bid = next(2) == 0;
        const int64_t price = bid ? 1000 - next(150) : 1001 + next(150);
        const int64_t qty = next(3) == 0 ? 0 : 1 + next(1000);
        (bid ? bid_levels : ask_levels).emplace_back(price, qty);
        (bid ? bid_text : ask_text)
            .push_back(
                {Price::from_raw(price, 1).to_string(), Quantity::from_raw(qty, 8).to_string()});
      }
      ASSERT_TRUE(book.apply_update(bid_text, ask_text).is_ok());
      ReferenceBook::apply(model.bids, bid_levels, depth);
      ReferenceBook::apply(model.asks, ask_levels, depth);

      ASSERT_EQ(book.bids().size(), model.bids.size()) << "message " << message;
      ASSERT_EQ(book.asks().size(), model.asks.size()) << "message " << message;
      size_t i = 0;
      for (const auto& [price, qty] : model.bids) {
        ASSERT_EQ(book.bids()[i].price.raw(), price);
        ASSERT_EQ(book.bids()[i++].qty.raw(), qty);
      }
      i = 0;
      for (const auto& [price, qty] : model.asks) {
        ASSERT_EQ(book.asks()[i].price.raw(), price);
        ASSERT_EQ(book.asks()[i++].qty.raw(), qty);
      }
    }
  }
}

}  // namespace
}  // namespace galfriday
