#include "galfriday/ingest/ohlcvt_csv.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/kraken_account.hpp"
#include "galfriday/ingest/market_price_service.hpp"
#include "galfriday/ingest/sample_data.hpp"

namespace galfriday {

// Fixed-point values print as their exact decimal text in failure messages.
template <typename Tag>
void PrintTo(const FixedPoint<Tag>& value, std::ostream* os) {
  *os << value.to_string();
}

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Duration kMinute = std::chrono::minutes(1);
constexpr int64_t kJan1 = 1704067200;  // 2024-01-01T00:00:00Z

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A fresh directory under the system temp dir, removed with its contents.
class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gf_ingest_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return path;
  }

  // Every bar of a file that must read cleanly.
  std::vector<MarketDataOHLCVEvent> read_all(const fs::path& path) {
    std::vector<MarketDataOHLCVEvent> bars;
    auto reader = OhlcvtCsvReader::open(path, galfriday::test::btc_usd_spec(), kMinute);
    EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
    if (!reader) return bars;
    while (true) {
      auto bar = reader->next();
      EXPECT_TRUE(bar.is_ok()) << bar.status().to_string();
      if (!bar || !*bar) break;
      bars.push_back(std::move(**bar));
    }
    return bars;
  }

  // The error of the first row that fails; rows before it must read.
  Status first_error(const fs::path& path) {
    auto reader = OhlcvtCsvReader::open(path, galfriday::test::btc_usd_spec(), kMinute);
    EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
    if (!reader) return reader.status();
    while (true) {
      auto bar = reader->next();
      if (!bar) return bar.status();
      if (!*bar) return Status::ok();
    }
  }

  fs::path dir_;
};

TEST_F(CsvTest, ReadsRowsExactlyAtTheInstrumentPrecision) {
  const fs::path path = write("XBTUSD_1.csv",
                              "1704067200,42000.1,42010.5,41990.0,42005.3,1.23456789,17\n"
                              "1704067260,42005.3,42020,42000.00,42015.0,0.5,3\n");
  const auto bars = read_all(path);
  ASSERT_EQ(bars.size(), 2u);

  const MarketDataOHLCVEvent& first = bars[0];
  EXPECT_EQ(first.instrument, InstrumentId("BTC/USD"));
  EXPECT_EQ(first.bar_start, timestamp_from_seconds(kJan1));
  EXPECT_EQ(first.interval, kMinute);
  // A closed bar is known at its close: ts_event = bar start + interval.
  EXPECT_EQ(first.meta.ts_event, timestamp_from_seconds(kJan1 + 60));
  EXPECT_EQ(first.open.raw(), 420001);
  EXPECT_EQ(first.high.raw(), 420105);
  EXPECT_EQ(first.low.raw(), 419900);
  EXPECT_EQ(first.close.raw(), 420053);
  for (const Price& price : {first.open, first.high, first.low, first.close}) {
    EXPECT_EQ(price.precision(), 1);
  }
  EXPECT_EQ(first.volume.raw(), 123456789);
  EXPECT_EQ(first.volume.precision(), 8);
  EXPECT_EQ(first.trade_count, 17);

  // Fewer written decimals, or extra zeros, still land on the instrument precision.
  const MarketDataOHLCVEvent& second = bars[1];
  EXPECT_EQ(second.high.to_string(), "42020.0");
  EXPECT_EQ(second.low.to_string(), "42000.0");
  EXPECT_EQ(second.volume.to_string(), "0.50000000");
  EXPECT_EQ(second.meta.ts_event, timestamp_from_seconds(kJan1 + 120));
  EXPECT_EQ(format_ohlcvt_row(first), "1704067200,42000.1,42010.5,41990.0,42005.3,1.23456789,17");
}

TEST_F(CsvTest, UsesTheGivenIntervalForTheCloseTime) {
  const fs::path path = write("XBTUSD_60.csv", "1704067200,1.0,1.0,1.0,1.0,0,0\n");
  auto reader = OhlcvtCsvReader::open(path, galfriday::test::btc_usd_spec(), std::chrono::hours(1));
  ASSERT_TRUE(reader.is_ok());
  auto bar = reader->next();
  ASSERT_TRUE(bar.is_ok());
  ASSERT_TRUE(bar->has_value());
  EXPECT_EQ((*bar)->meta.ts_event, timestamp_from_seconds(kJan1 + 3600));
  EXPECT_EQ((*bar)->volume, Quantity::from_raw(0, 8));
}

TEST_F(CsvTest, BlankTrailingLineIsAccepted) {
  const fs::path path = write("XBTUSD_1.csv", "1704067200,1.0,2.0,0.5,1.5,3,4\n\n");
  auto reader = OhlcvtCsvReader::open(path, galfriday::test::btc_usd_spec(), kMinute);
  ASSERT_TRUE(reader.is_ok());
  auto first = reader->next();
  ASSERT_TRUE(first.is_ok());
  ASSERT_TRUE(first->has_value());
  auto end = reader->next();
  ASSERT_TRUE(end.is_ok()) << end.status().to_string();
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(reader->line(), 2);
}

TEST_F(CsvTest, WindowsLineEndingsAreAccepted) {
  const fs::path path = write("XBTUSD_1.csv",
                              "1704067200,1.0,2.0,0.5,1.5,3,4\r\n"
                              "1704067260,1.5,2.5,1.0,2.0,1.25,12\r\n");
  const auto bars = read_all(path);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].trade_count, 4);
  EXPECT_EQ(bars[1].close.to_string(), "2.0");
  EXPECT_EQ(bars[1].volume.to_string(), "1.25000000");
  EXPECT_EQ(bars[1].trade_count, 12);
}

// Lines are read into a fixed buffer: a row of exactly the 4096-character limit (plus "\r\n")
// reads, one character more is an error naming the line, and a last row without a newline reads.
TEST_F(CsvTest, LineLengthLimitIsExactAndTheLastLineNeedsNoNewline) {
  const std::string head = "1704067260,";
  const std::string tail = ",2.0,0.5,1.5,3,4";
  // Leading zeros pad the open price to the length wanted; the value stays 1.0.
  const auto row_of_length = [&](size_t length) {
    return head + std::string(length - head.size() - tail.size() - 3, '0') + "1.0" + tail;
  };
  const std::string longest = row_of_length(4096);
  ASSERT_EQ(longest.size(), 4096u);
  const auto bars = read_all(write("XBTUSD_1.csv", "1704067200,1.0,2.0,0.5,1.5,3,4\r\n" + longest +
                                                       "\r\n1704067320,1.0,2.0,0.5,1.5,3,9"));
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[1].open.to_string(), "1.0");
  EXPECT_EQ(bars[2].trade_count, 9);

  const fs::path too_long =
      write("ETHUSD_1.csv", "1704067200,1.0,2.0,0.5,1.5,3,4\n" + row_of_length(4097) + "\n");
  const Status status = first_error(too_long);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), StartsWith(too_long.string() + ":2: line is longer than 4096"));
}

TEST_F(CsvTest, MissingFileIsNotFound) {
  auto reader =
      OhlcvtCsvReader::open(dir_ / "XBTUSD_1.csv", galfriday::test::btc_usd_spec(), kMinute);
  ASSERT_FALSE(reader.is_ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(reader.status().message(), HasSubstr("XBTUSD_1.csv"));
}

struct BadRow {
  std::string name;
  std::string second_row;  // follows a valid first row, so the error is on line 2
  std::string expected_message;
};

class CsvRowErrors : public CsvTest, public ::testing::WithParamInterface<BadRow> {};

TEST_P(CsvRowErrors, NameFileAndLine) {
  const BadRow& row = GetParam();
  const fs::path path =
      write("XBTUSD_1.csv", "1704067200,1.0,2.0,0.5,1.5,3,4\n" + row.second_row + "\n");
  const Status status = first_error(path);
  ASSERT_FALSE(status.is_ok()) << row.name << " was accepted";
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), StartsWith(path.string() + ":2: "));
  EXPECT_THAT(status.message(), HasSubstr(row.expected_message));
}

INSTANTIATE_TEST_SUITE_P(
    OhlcvtCsvReader, CsvRowErrors,
    ::testing::Values(
        BadRow{"TooFewColumns", "1704067260,1.0,2.0,0.5,1.5,3", "expected 7 columns"},
        BadRow{"TooManyColumns", "1704067260,1.0,2.0,0.5,1.5,3,4,5", "found more"},
        BadRow{"NonNumericTime", "noon,1.0,2.0,0.5,1.5,3,4", "time 'noon' is not a unix timestamp"},
        BadRow{"FractionalTime", "1704067260.5,1.0,2.0,0.5,1.5,3,4", "is not a unix timestamp"},
        BadRow{"ExcessPricePrecision", "1704067260,1.05,2.0,0.5,1.5,3,4",
               "open: '1.05' has more decimals than the allowed 1"},
        BadRow{"HighBelowClose", "1704067260,1.0,1.4,0.5,1.5,3,4",
               "high/low do not bound open and close"},
        BadRow{"LowAboveOpen", "1704067260,1.0,2.0,1.1,1.5,3,4",
               "high/low do not bound open and close"},
        BadRow{"RepeatedTime", "1704067200,1.0,2.0,0.5,1.5,3,4", "is not after the previous bar"},
        BadRow{"EarlierTime", "1704067140,1.0,2.0,0.5,1.5,3,4",
               "bar time 2023-12-31T23:59:00Z is not after the previous bar "
               "2024-01-01T00:00:00Z"},
        BadRow{"NegativeVolume", "1704067260,1.0,2.0,0.5,1.5,-0.1,4",
               "volume must not be negative"},
        BadRow{"NonNumericVolume", "1704067260,1.0,2.0,0.5,1.5,lots,4", "volume: "},
        BadRow{"NegativeTrades", "1704067260,1.0,2.0,0.5,1.5,3,-4", "trades '-4'"},
        BadRow{"ZeroPrice", "1704067260,0.0,2.0,0.5,1.5,3,4", "open must be positive"},
        BadRow{"LineTooLong", "1704067260," + std::string(5000, '1') + ",2.0,0.5,1.5,3,4",
               "line is longer than 4096 characters"}),
    [](const ::testing::TestParamInfo<BadRow>& param_info) { return param_info.param.name; });

TEST(KrakenCsvName, ParsesAltnameAndInterval) {
  const auto name = parse_kraken_csv_name("XBTUSD_1.csv");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->altname, "XBTUSD");
  EXPECT_EQ(name->interval_minutes, 1);

  const auto in_directory = parse_kraken_csv_name("/data/kraken/ETHUSD_1440.csv");
  ASSERT_TRUE(in_directory.has_value());
  EXPECT_EQ(in_directory->altname, "ETHUSD");
  EXPECT_EQ(in_directory->interval_minutes, 1440);

  // The interval follows the last underscore.
  const auto underscored = parse_kraken_csv_name("XBT_USD_5.csv");
  ASSERT_TRUE(underscored.has_value());
  EXPECT_EQ(underscored->altname, "XBT_USD");
  EXPECT_EQ(underscored->interval_minutes, 5);
}

TEST(KrakenCsvName, RejectsNamesNotFollowingThePattern) {
  for (const char* name :
       {"XBTUSD.csv", "XBTUSD_1.txt", "XBTUSD_1", "XBTUSD_0.csv", "XBTUSD_-5.csv", "XBTUSD_x.csv",
        "XBTUSD_1m.csv", "_1.csv", "XBTUSD_.csv"}) {
    EXPECT_FALSE(parse_kraken_csv_name(name).has_value()) << name;
  }
}

SampleDataOptions small_sample(uint64_t seed) {
  SampleDataOptions options;
  options.bars = 500;
  options.seed = seed;
  return options;
}

TEST_F(CsvTest, SampleDataIsDeterministicPerSeed) {
  const Price start = Price::parse("42000.0", 1).value();
  const fs::path a = dir_ / "a" / "XBTUSD_1.csv";
  const fs::path b = dir_ / "b" / "XBTUSD_1.csv";
  const fs::path c = dir_ / "c" / "XBTUSD_1.csv";
  ASSERT_TRUE(
      write_sample_ohlcvt(a, galfriday::test::btc_usd_spec(), start, small_sample(7)).is_ok());
  ASSERT_TRUE(
      write_sample_ohlcvt(b, galfriday::test::btc_usd_spec(), start, small_sample(7)).is_ok());
  ASSERT_TRUE(
      write_sample_ohlcvt(c, galfriday::test::btc_usd_spec(), start, small_sample(8)).is_ok());
  const std::string bytes = read_bytes(a);
  EXPECT_FALSE(bytes.empty());
  EXPECT_EQ(bytes, read_bytes(b));
  EXPECT_NE(bytes, read_bytes(c));
  // Written through a temporary name that does not stay behind.
  EXPECT_FALSE(fs::exists(a.string() + ".tmp"));
}

TEST_F(CsvTest, SampleDataReadsBackAsConsecutiveBars) {
  const SampleDataOptions options = small_sample(11);
  const fs::path path = dir_ / "XBTUSD_1.csv";
  ASSERT_TRUE(write_sample_ohlcvt(path, galfriday::test::btc_usd_spec(),
                                  Price::parse("42000.0", 1).value(), options)
                  .is_ok());
  const auto bars = read_all(path);
  ASSERT_EQ(static_cast<int64_t>(bars.size()), options.bars);
  EXPECT_EQ(bars.front().bar_start, options.start);
  EXPECT_EQ(bars.front().open.to_string(), "42000.0");
  for (size_t i = 1; i < bars.size(); ++i) {
    EXPECT_EQ(bars[i].bar_start - bars[i - 1].bar_start, options.interval) << "bar " << i;
    EXPECT_TRUE(bars[i].volume.is_positive()) << "bar " << i;
  }
}

TEST_F(CsvTest, SampleDataRejectsNoBars) {
  SampleDataOptions options;
  options.bars = 0;
  const Status status = write_sample_ohlcvt(dir_ / "XBTUSD_1.csv", galfriday::test::btc_usd_spec(),
                                            Price::parse("1.0", 1).value(), options);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}

// --- MarketPriceService ------------------------------------------------------------------------

class MarketPriceServiceTest : public ::testing::Test {
 protected:
  static constexpr Duration kStaleAfter = std::chrono::seconds(10);

  MarketDataL2Event book(const std::string& bid, const std::string& ask) {
    MarketDataL2Event event;
    event.meta.ts_event = clock_.now();
    event.instrument = btc_;
    event.bids.push_back({Price::parse(bid, 1).value(), Quantity::parse("1", 8).value()});
    event.asks.push_back({Price::parse(ask, 1).value(), Quantity::parse("1", 8).value()});
    return event;
  }

  MarketDataTradeEvent trade(const std::string& price) {
    MarketDataTradeEvent event;
    event.meta.ts_event = clock_.now();
    event.instrument = btc_;
    event.price = Price::parse(price, 1).value();
    event.qty = Quantity::parse("0.1", 8).value();
    return event;
  }

  const InstrumentId btc_{"BTC/USD"};
  SimulatedClock clock_{timestamp_from_seconds(kJan1)};
  MarketPriceService prices_{clock_, kStaleAfter};
};

TEST_F(MarketPriceServiceTest, NothingKnownBeforeData) {
  EXPECT_FALSE(prices_.bid(btc_).has_value());
  EXPECT_FALSE(prices_.ask(btc_).has_value());
  EXPECT_FALSE(prices_.last(btc_).has_value());
  EXPECT_FALSE(prices_.mid(btc_).has_value());
  EXPECT_FALSE(prices_.reference_price(btc_).has_value());
  EXPECT_TRUE(prices_.is_stale(btc_));
}

TEST_F(MarketPriceServiceTest, MidIsExactAtOneMoreDecimal) {
  prices_.on_book(book("30000.1", "30000.4"));
  EXPECT_EQ(prices_.bid(btc_), Price::parse("30000.1", 1).value());
  EXPECT_EQ(prices_.ask(btc_), Price::parse("30000.4", 1).value());
  const auto mid = prices_.mid(btc_);
  ASSERT_TRUE(mid.has_value());
  EXPECT_EQ(mid->precision(), 2);
  EXPECT_EQ(mid->to_string(), "30000.25");
  // The book wins over the last trade as the reference price.
  prices_.on_trade(trade("29999.0"));
  EXPECT_EQ(prices_.last(btc_), Price::parse("29999.0", 1).value());
  EXPECT_EQ(prices_.reference_price(btc_)->to_string(), "30000.25");
}

TEST_F(MarketPriceServiceTest, LastComesFromTradesAndBarsViaTheBus) {
  PubSubManager bus(clock_);
  prices_.attach(bus);
  bus.publish(trade("30500.7"));
  bus.run_until_idle();
  EXPECT_EQ(prices_.last(btc_)->to_string(), "30500.7");
  EXPECT_EQ(prices_.reference_price(btc_)->to_string(), "30500.7");
  EXPECT_FALSE(prices_.mid(btc_).has_value());

  MarketDataOHLCVEvent bar;
  bar.meta.ts_event = clock_.now();
  bar.instrument = btc_;
  bar.open = bar.high = bar.low = Price::parse("30500.0", 1).value();
  bar.close = Price::parse("30501.2", 1).value();
  bar.high = bar.close;
  bus.publish(bar);
  bus.run_until_idle();
  EXPECT_EQ(prices_.last(btc_)->to_string(), "30501.2");
  // Other pairs are unaffected.
  EXPECT_FALSE(prices_.last(InstrumentId("ETH/USD")).has_value());
}

TEST_F(MarketPriceServiceTest, StaleAfterTheConfiguredQuietPeriod) {
  prices_.on_trade(trade("30000.0"));
  EXPECT_FALSE(prices_.is_stale(btc_));
  clock_.advance_to(clock_.now() + kStaleAfter);
  EXPECT_FALSE(prices_.is_stale(btc_));
  clock_.advance_to(clock_.now() + Duration(1));
  EXPECT_TRUE(prices_.is_stale(btc_));
  // A new book update makes it fresh again; the price is still known while stale.
  EXPECT_TRUE(prices_.last(btc_).has_value());
  prices_.on_book(book("30000.0", "30000.2"));
  EXPECT_FALSE(prices_.is_stale(btc_));
  EXPECT_TRUE(prices_.is_stale(InstrumentId("ETH/USD")));
}

}  // namespace
}  // namespace galfriday
