#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

#include "../kraken_rest/fake_transport.hpp"
#include "../support/kraken_account.hpp"
#include "galfriday/history/bar_catalog.hpp"
#include "galfriday/history/historical_data_service.hpp"
#include "galfriday/history/trade_bar_aggregator.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::history {
namespace {

using kraken_rest::test_support::FakeTransport;
using kraken_rest::test_support::ok_response;
using namespace std::chrono_literals;

Price px(std::string_view text) { return *Price::parse(text, 1); }
Quantity qty(std::string_view text) { return *Quantity::parse(text, 8); }
Timestamp at(int64_t seconds) { return timestamp_from_seconds(seconds); }

// ---- Aggregation ---------------------------------------------------------------------------

TEST(TradeBarAggregator, BuildsExactBarsWithVwap) {
  TradeBarAggregator aggregator(galfriday::test::btc_usd_spec(), 1min);
  // Bar [60, 120): three trades; a fourth trade at 185 closes it (and skips the empty minute).
  EXPECT_FALSE(aggregator.add(at(61), px("100.0"), qty("1"))->has_value());
  EXPECT_FALSE(aggregator.add(at(70), px("103.5"), qty("0.5"))->has_value());
  EXPECT_FALSE(aggregator.add(at(119), px("99.9"), qty("0.25000001"))->has_value());
  auto closed = aggregator.add(at(185), px("101.0"), qty("2"));
  ASSERT_TRUE(closed.is_ok());
  ASSERT_TRUE(closed->has_value());
  const AggregatedBar& bar = **closed;
  EXPECT_EQ(bar.bar.bar_start, at(60));
  EXPECT_EQ(bar.bar.interval, Duration(1min));
  EXPECT_EQ(bar.bar.meta.ts_event, at(120));
  EXPECT_EQ(bar.bar.open.to_string(), "100.0");
  EXPECT_EQ(bar.bar.high.to_string(), "103.5");
  EXPECT_EQ(bar.bar.low.to_string(), "99.9");
  EXPECT_EQ(bar.bar.close.to_string(), "99.9");
  EXPECT_EQ(bar.bar.volume.to_string(), "1.75000001");
  EXPECT_EQ(bar.bar.trade_count, 3);
  // (100.0*1 + 103.5*0.5 + 99.9*0.25000001) / 1.75000001 = 176.725000999 / 1.75000001
  // = 100.9857...; at one decimal: 101.0
  EXPECT_EQ(bar.vwap.to_string(), "101.0");
  EXPECT_EQ(aggregator.open_bar_start(), at(180));

  // Out of order: older than the open bar.
  auto old = aggregator.add(at(100), px("1.0"), qty("1"));
  ASSERT_FALSE(old.is_ok());
  EXPECT_EQ(old.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(old.status().message().find("out of order"), std::string::npos);

  EXPECT_FALSE(aggregator.close_if_ended(at(239)).has_value());  // [180, 240) not over
  auto last = aggregator.close_if_ended(at(240));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->bar.bar_start, at(180));
  EXPECT_EQ(last->vwap.to_string(), "101.0");
  EXPECT_FALSE(aggregator.open_bar_start().has_value());
}

TEST(TradeBarAggregator, VwapRoundsHalfEvenAtPricePrecision) {
  TradeBarAggregator aggregator(galfriday::test::btc_usd_spec(), 5min);
  ASSERT_TRUE(aggregator.add(at(0), px("10.0"), qty("1")).is_ok());
  ASSERT_TRUE(aggregator.add(at(1), px("10.1"), qty("1")).is_ok());  // mean 10.05 -> 10.0
  auto bar = aggregator.close_if_ended(at(300));
  ASSERT_TRUE(bar.has_value());
  EXPECT_EQ(bar->vwap.to_string(), "10.0");
  EXPECT_FALSE(aggregator.add(at(301), px("0.0"), qty("1")).is_ok());  // non-positive price
}

TEST(FindGaps, ReportsMissingIntervalsAsRanges) {
  const Duration m = 1min;
  const std::vector<Timestamp> starts = {at(0), at(60), at(240), at(300), at(480)};
  EXPECT_EQ(find_gaps(starts, m, at(0), at(540)),
            (std::vector<TimeRange>{{at(120), at(240)}, {at(360), at(480)}}));
  EXPECT_EQ(find_gaps(starts, m, at(-120), at(600)),
            (std::vector<TimeRange>{
                {at(-120), at(0)}, {at(120), at(240)}, {at(360), at(480)}, {at(540), at(600)}}));
  EXPECT_TRUE(find_gaps(starts, m, at(0), at(120)).empty());
  EXPECT_EQ(find_gaps({}, m, at(0), at(60)), (std::vector<TimeRange>{{at(0), at(60)}}));
}

// ---- The service against SQLite and a fake Kraken ------------------------------------------

class HistoryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("gf_history_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    auto db = persistence::open_sqlite(dir_ / "test.db");
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(persistence::migrate(*db_, clock_).is_ok());
    bars_ = std::make_unique<persistence::SqlBarRepository>(*db_);
    catalog_ = std::make_unique<SqlBarCatalog>(*db_);
  }
  void TearDown() override {
    service_.reset();
    client_.reset();
    bars_.reset();
    catalog_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  HistoricalDataService& service(FakeTransport::Handler handler) {
    transport_ = std::make_unique<FakeTransport>(std::move(handler));
    client_ = std::make_unique<kraken_rest::KrakenPublicClient>(
        *transport_, kraken_rest::KrakenPublicClientOptions{"http://kraken.test", 1s});
    HistoryOptions options;
    options.page_pause = 1500ms;
    options.retry_backoff = 2s;
    options.max_attempts = 3;
    options.import_batch_bars = 2;
    service_ = std::make_unique<HistoricalDataService>(
        *client_, *bars_, *catalog_, clock_, [this](Duration d) { sleeps_.push_back(d); }, options);
    return *service_;
  }

  std::vector<MarketDataOHLCVEvent> stored(Duration interval) {
    auto bars = bars_->range(InstrumentId("BTC/USD"), interval, at(0), at(4'000'000'000));
    EXPECT_TRUE(bars.is_ok()) << bars.status().to_string();
    return bars.is_ok() ? *bars : std::vector<MarketDataOHLCVEvent>{};
  }

  std::filesystem::path dir_;
  SimulatedClock clock_{at(1'600'000'000)};  // each test moves it forward
  std::unique_ptr<persistence::Database> db_;
  std::unique_ptr<persistence::SqlBarRepository> bars_;
  std::unique_ptr<SqlBarCatalog> catalog_;
  std::unique_ptr<FakeTransport> transport_;
  std::unique_ptr<kraken_rest::KrakenPublicClient> client_;
  std::unique_ptr<HistoricalDataService> service_;
  std::vector<Duration> sleeps_;
};

// The official OHLC example (4 one-minute XXBTZUSD bars, 1688671200..1688671380).
std::string official_ohlc_sample() {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/rest_ohlc_response.jsonl");
  std::string line, found;
  while (std::getline(in, line))
    if (line.find("XXBTZUSD") != std::string::npos && line.front() == '{') found = line;
  EXPECT_FALSE(found.empty());
  return found;
}

TEST_F(HistoryServiceTest, FetchOhlcStoresOnlyClosedBarsOfTheRealSample) {
  clock_.advance_to(at(1688671420));  // inside the last bar's minute: that bar is still open
  auto& svc = service([](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    EXPECT_EQ(request.url, "http://kraken.test/0/public/OHLC?pair=XBTUSD&interval=1");
    return ok_response(official_ohlc_sample());
  });
  auto report = svc.fetch_ohlc(galfriday::test::btc_usd_spec(), 1);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->rows, 4);
  EXPECT_EQ(report->bars_stored, 3);
  EXPECT_EQ(report->next_since, "1688672160");
  const auto bars = stored(1min);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0].bar_start, at(1688671200));
  EXPECT_EQ(bars[0].open.to_string(), "30306.1");
  EXPECT_EQ(bars[0].high.to_string(), "30306.2");
  EXPECT_EQ(bars[0].low.to_string(), "30305.7");
  EXPECT_EQ(bars[0].close.to_string(), "30305.7");
  EXPECT_EQ(bars[0].volume.to_string(), "3.39243896");
  EXPECT_EQ(bars[0].trade_count, 23);
  EXPECT_EQ(bars[2].bar_start, at(1688671320));

  // `since` filters: only bars starting at or after it.
  clock_.advance_to(at(1688672000));
  auto later = svc.fetch_ohlc(galfriday::test::btc_usd_spec(), 1, at(1688671380));
  ASSERT_TRUE(later.is_ok());
  EXPECT_EQ(later->bars_stored, 1);
  EXPECT_EQ(stored(1min).size(), 4u);
  EXPECT_EQ(svc.fetch_ohlc(galfriday::test::btc_usd_spec(), 2).status().code(),
            StatusCode::kInvalidArgument);
}

// A synthetic Kraken Trades server: pages keyed by the `since` they answer.
std::string trades_page(const std::vector<std::string>& rows, const std::string& last) {
  std::string body = R"({"error":[],"result":{"XXBTZUSD":[)";
  for (size_t i = 0; i < rows.size(); ++i) body += (i ? "," : "") + rows[i];
  return body + R"(],"last":")" + last + R"("}})";
}

std::string trade(const char* price, const char* volume, const char* time, int64_t id) {
  return std::string("[\"") + price + "\",\"" + volume + "\"," + time + ",\"b\",\"l\",\"\"," +
         std::to_string(id) + "]";
}

std::string since_of(const net::HttpRequest& request) {
  const auto pos = request.url.find("since=");
  if (pos == std::string::npos) return "";
  return request.url.substr(pos + 6, request.url.find('&', pos) - pos - 6);
}

constexpr const char* kStart = "1699999980000000000";  // 2023-11-14T22:13:00Z, a minute boundary

std::map<std::string, std::string> three_pages() {
  return {
      {kStart, trades_page({trade("100.0", "1.00000000", "1699999981.5", 1),
                            trade("101.0", "0.50000000", "1700000010.25", 2),
                            trade("102.0", "0.10000000", "1700000045.0", 3)},
                           "1700000045000000000")},
      // Overlaps the previous page by one trade (id 3), then two more minutes.
      {"1700000045000000000", trades_page({trade("102.0", "0.10000000", "1700000045.0", 3),
                                           trade("99.0", "2.00000000", "1700000050.0", 4),
                                           trade("98.5", "1.00000000", "1700000110.0", 5)},
                                          "1700000110000000000")},
      // The end: Kraken repeats the cursor as `last` with no rows.
      {"1700000110000000000", trades_page({}, "1700000110000000000")},
  };
}

TEST_F(HistoryServiceTest, FetchTradesPaginatesAggregatesAndPaces) {
  clock_.advance_to(at(1700000200));
  const auto pages = three_pages();
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    auto it = pages.find(since_of(request));
    if (it == pages.end()) return ok_response(R"({"error":["EGeneral:Invalid arguments"]})");
    return ok_response(it->second);
  });
  auto report = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->pages, 3);
  EXPECT_EQ(report->rows, 5);  // the repeated trade counted once
  EXPECT_EQ(report->bars_stored, 3);
  EXPECT_EQ(report->next_since, "1700000110000000000");
  EXPECT_EQ(sleeps_, (std::vector<Duration>{1500ms, 1500ms}));  // paced between pages only

  const auto bars = stored(1min);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0].bar_start, at(1699999980));
  EXPECT_EQ(bars[0].open.to_string(), "100.0");
  EXPECT_EQ(bars[0].high.to_string(), "101.0");
  EXPECT_EQ(bars[0].close.to_string(), "101.0");
  EXPECT_EQ(bars[0].volume.to_string(), "1.50000000");
  EXPECT_EQ(bars[0].trade_count, 2);
  EXPECT_EQ(bars[1].bar_start, at(1700000040));
  EXPECT_EQ(bars[1].open.to_string(), "102.0");
  EXPECT_EQ(bars[1].low.to_string(), "99.0");
  EXPECT_EQ(bars[1].volume.to_string(), "2.10000000");
  EXPECT_EQ(bars[1].trade_count, 2);
  // The last minute [100, 160) had ended by the clock (200), so it is stored too.
  EXPECT_EQ(bars[2].bar_start, at(1700000100));
  EXPECT_EQ(bars[2].trade_count, 1);

  const auto requests = transport_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].url,
            "http://kraken.test/0/public/Trades?pair=XBTUSD&since=1699999980000000000&count=1000");
}

TEST_F(HistoryServiceTest, FetchTradesStoresTheRawTradesOnceThroughPersistence) {
  clock_.advance_to(at(1700000200));
  const auto pages = three_pages();
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    auto it = pages.find(since_of(request));
    if (it == pages.end()) return ok_response(R"({"error":["EGeneral:Invalid arguments"]})");
    return ok_response(it->second);
  });
  persistence::SqlTradeRepository trades(*db_);
  svc.store_trades_in(&trades);
  auto report = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->trades_stored, 5) << "the trade repeated across pages is stored once";
  EXPECT_EQ(report->bars_stored, 3);

  auto stored_trades = trades.range(InstrumentId("BTC/USD"), at(0), at(1800000000));
  ASSERT_TRUE(stored_trades.is_ok()) << stored_trades.status().to_string();
  ASSERT_EQ(stored_trades->size(), 5u);
  const persistence::MarketTradeRecord& first = stored_trades->front();
  EXPECT_EQ(first.instrument, InstrumentId("BTC/USD"));
  EXPECT_EQ(first.trade_id, 1);
  EXPECT_EQ(first.price.to_string(), "100.0");
  EXPECT_EQ(first.qty.to_string(), "1.00000000");
  EXPECT_EQ(first.side, Side::kBuy);
  EXPECT_EQ(first.ord_type, OrderType::kLimit);
  EXPECT_EQ(first.ts, timestamp_from_nanos(1699999981500000000));
  EXPECT_EQ(stored_trades->back().trade_id, 5);
  EXPECT_EQ(stored_trades->back().price.to_string(), "98.5");

  // Fetching the same range again stores nothing new.
  auto again = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(again->trades_stored, 0);
  auto summary = trades.summary();
  ASSERT_TRUE(summary.is_ok());
  ASSERT_EQ(summary->size(), 1u);
  EXPECT_EQ(summary->front().count, 5);
}

TEST_F(HistoryServiceTest, OpenBarIsNotStoredBeforeItsIntervalEnds) {
  clock_.advance_to(at(1700000150));  // inside [100, 160)
  const auto pages = three_pages();
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    return ok_response(pages.at(since_of(request)));
  });
  auto report = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->bars_stored, 2);
  EXPECT_EQ(stored(1min).size(), 2u);
}

TEST_F(HistoryServiceTest, UntilStopsEarly) {
  clock_.advance_to(at(1700000200));
  const auto pages = three_pages();
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    return ok_response(pages.at(since_of(request)));
  });
  auto report =
      svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980), at(1700000040));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->pages, 1);
  EXPECT_EQ(report->bars_stored, 1);
  EXPECT_EQ(stored(1min).front().trade_count, 2);
}

TEST_F(HistoryServiceTest, ErrorMidwayLeavesOnlyCompleteBarsAndSaysWhereToResume) {
  clock_.advance_to(at(1700000200));
  const auto pages = three_pages();
  int calls = 0;
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    ++calls;
    if (since_of(request) == kStart) return ok_response(pages.at(kStart));
    net::HttpResponse busy = ok_response("<html>502</html>");
    busy.status = 502;
    return busy;
  });
  auto report = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnavailable);
  const std::string message = report.status().message();
  EXPECT_NE(message.find("1 complete bar(s) stored"), std::string::npos) << message;
  EXPECT_NE(message.find("resume with since 2023-11-14T22:14:00"), std::string::npos) << message;
  EXPECT_NE(message.find("attempt 3 of 3"), std::string::npos) << message;
  EXPECT_EQ(calls, 4);  // one good page, then three attempts
  // Pause, then two backoffs (2 s, 4 s) between the three attempts.
  EXPECT_EQ(sleeps_, (std::vector<Duration>{1500ms, 2s, 4s}));
  // Only the first minute is complete; the open bar [60, 120) was not stored.
  const auto bars = stored(1min);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].bar_start, at(1699999980));
}

TEST_F(HistoryServiceTest, TransientFailureIsRetriedAndNonRetryableIsNot) {
  clock_.advance_to(at(1700000200));
  const auto pages = three_pages();
  int failures_left = 1;
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    if (failures_left > 0) {
      --failures_left;
      return ok_response(R"({"error":["EAPI:Rate limit exceeded"]})");
    }
    return ok_response(pages.at(since_of(request)));
  });
  auto report = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->bars_stored, 3);
  EXPECT_EQ(sleeps_.front(), Duration(2s));

  auto& bad = service([](const net::HttpRequest&) -> Result<net::HttpResponse> {
    return ok_response(R"({"error":["EQuery:Unknown asset pair"]})");
  });
  sleeps_.clear();
  auto unknown = bad.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(HistoryServiceTest, MalformedTradeStopsWithDataLossAndKeepsEarlierBars) {
  clock_.advance_to(at(1700000200));
  auto pages = three_pages();
  pages["1700000045000000000"] = trades_page(
      {trade("99.0", "2.00000000", "1700000050.0", 4), trade("98.55", "1.0", "1700000110.0", 5)},
      "1700000110000000000");  // 98.55 is finer than the pair's one decimal
  auto& svc = service([&](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    return ok_response(pages.at(since_of(request)));
  });
  auto report = svc.fetch_trades(galfriday::test::btc_usd_spec(), 1, at(1699999980));
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(report.status().message().find("trade price"), std::string::npos)
      << report.status().message();
  EXPECT_EQ(stored(1min).size(), 1u);
}

TEST_F(HistoryServiceTest, ImportCsvAndCoverageWithGaps) {
  auto& svc = service(
      [](const net::HttpRequest&) -> Result<net::HttpResponse> { return unavailable("offline"); });
  const auto csv = dir_ / "XBTUSD_1.csv";
  {
    std::ofstream out(csv);
    out << "1700000000,100.0,101.0,99.0,100.5,1.5,3\n"
           "1700000060,100.5,100.5,100.0,100.0,0.25,1\n"
           // 1700000120 and 1700000180 are missing
           "1700000240,100.0,102.0,100.0,102.0,3,7\n";
  }
  auto report = svc.import_csv(csv, galfriday::test::btc_usd_spec(), 1);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->bars_stored, 3);
  EXPECT_EQ(report->first_bar_start, at(1700000000));
  EXPECT_EQ(report->last_bar_start, at(1700000240));
  const auto bars = stored(1min);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[2].high.to_string(), "102.0");
  EXPECT_EQ(bars[2].trade_count, 7);

  auto coverage = svc.coverage();
  ASSERT_TRUE(coverage.is_ok()) << coverage.status().to_string();
  ASSERT_EQ(coverage->size(), 1u);
  const SeriesCoverage& series = coverage->front();
  EXPECT_EQ(series.series.instrument, InstrumentId("BTC/USD"));
  EXPECT_EQ(series.series.interval, Duration(1min));
  EXPECT_EQ(series.series.bars, 3);
  EXPECT_EQ(series.series.first_bar_start, at(1700000000));
  EXPECT_EQ(series.series.last_bar_start, at(1700000240));
  EXPECT_EQ(series.gaps, (std::vector<TimeRange>{{at(1700000120), at(1700000240)}}));
}

TEST_F(HistoryServiceTest, ImportStopsAtAMalformedRowKeepingEarlierBatches) {
  auto& svc = service(
      [](const net::HttpRequest&) -> Result<net::HttpResponse> { return unavailable("offline"); });
  const auto csv = dir_ / "XBTUSD_5.csv";
  {
    std::ofstream out(csv);
    out << "1700000100,1.0,1.0,1.0,1.0,1,1\n"
           "1700000400,1.0,1.0,1.0,1.0,1,1\n"
           "1700000700,1.0,1.0,oops,1.0,1,1\n";
  }
  auto report = svc.import_csv(csv, galfriday::test::btc_usd_spec(), 5);
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("2 bar(s) before it were stored"), std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("XBTUSD_5.csv"), std::string::npos)
      << report.status().message();
  EXPECT_EQ(stored(5min).size(), 2u);
  EXPECT_EQ(
      svc.import_csv(dir_ / "missing.csv", galfriday::test::btc_usd_spec(), 5).status().code(),
      StatusCode::kNotFound);
}

}  // namespace
}  // namespace galfriday::history
