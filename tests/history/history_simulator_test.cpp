// HistoricalDataService against the local Kraken simulator over real HTTP on loopback: bars
// rebuilt from paginated REST Trades equal the simulator's own REST OHLC bars.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../kraken_sim/sim_test_support.hpp"
#include "galfriday/history/historical_data_service.hpp"
#include "galfriday/kraken_sim/simulator.hpp"
#include "galfriday/net/beast_http_transport.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::history {
namespace {

using namespace std::chrono_literals;

// One SQLite database with its bar repository and catalog.
struct Store {
  std::unique_ptr<persistence::Database> db;
  std::unique_ptr<persistence::SqlBarRepository> bars;
  std::unique_ptr<SqlBarCatalog> catalog;
};

Store open_store(const std::filesystem::path& path, const Clock& clock) {
  Store store;
  auto db = persistence::open_sqlite(path);
  EXPECT_TRUE(db.is_ok()) << db.status().to_string();
  store.db = std::move(db).value();
  EXPECT_TRUE(persistence::migrate(*store.db, clock).is_ok());
  store.bars = std::make_unique<persistence::SqlBarRepository>(*store.db);
  store.catalog = std::make_unique<SqlBarCatalog>(*store.db);
  return store;
}

TEST(HistoryAgainstSimulator, BarsFromTradesEqualTheSimulatorsOhlc) {
  auto sim = kraken_sim::KrakenSimulator::start(kraken_sim::testing::manual_options());
  ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();
  const Timestamp start = (*sim)->exchange_time();
  (*sim)->step(1800);  // thirty minutes of exchange time
  SimulatedClock clock((*sim)->exchange_time());

  const auto dir =
      std::filesystem::temp_directory_path() / ("gf_history_sim_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto transport = net::BeastHttpTransport::create();
    ASSERT_TRUE(transport.is_ok());
    kraken_rest::KrakenPublicClient client(**transport, {(*sim)->rest_url(), 10s});

    // The instrument comes from the simulator's AssetPairs, as it would from Kraken's.
    auto pairs = client.asset_pairs({"XBTUSD"});
    ASSERT_TRUE(pairs.is_ok()) << pairs.status().to_string();
    ASSERT_EQ(pairs->size(), 1u);
    auto spec = kraken_rest::to_instrument_spec(pairs->front());
    ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
    EXPECT_EQ(spec->id, InstrumentId("BTC/USD"));
    EXPECT_EQ(spec->price_precision, 1);
    EXPECT_EQ(spec->qty_precision, 8);

    Store from_trades = open_store(dir / "trades.db", clock);
    Store from_ohlc = open_store(dir / "ohlc.db", clock);
    std::vector<Duration> sleeps;
    HistoryOptions options;
    options.trades_page_size = 100;  // many pages
    const auto sleeper = [&](Duration d) { sleeps.push_back(d); };
    HistoricalDataService trades_service(client, *from_trades.bars, *from_trades.catalog, clock,
                                         sleeper, options);
    HistoricalDataService ohlc_service(client, *from_ohlc.bars, *from_ohlc.catalog, clock, sleeper,
                                       options);

    auto trades_report = trades_service.fetch_trades(*spec, 1, start);
    ASSERT_TRUE(trades_report.is_ok()) << trades_report.status().to_string();
    EXPECT_GT(trades_report->pages, 2);
    EXPECT_EQ(static_cast<int64_t>(sleeps.size()), trades_report->pages - 1);
    auto ohlc_report = ohlc_service.fetch_ohlc(*spec, 1);
    ASSERT_TRUE(ohlc_report.is_ok()) << ohlc_report.status().to_string();
    EXPECT_GE(ohlc_report->bars_stored, 25);

    const Timestamp end = clock.now();
    auto rebuilt = from_trades.bars->range(spec->id, 1min, start, end);
    auto served = from_ohlc.bars->range(spec->id, 1min, start, end);
    ASSERT_TRUE(rebuilt.is_ok() && served.is_ok());
    ASSERT_EQ(rebuilt->size(), served->size());
    for (size_t i = 0; i < served->size(); ++i)
      EXPECT_EQ((*rebuilt)[i], (*served)[i]) << "bar " << format_iso8601((*served)[i].bar_start);

    auto coverage = trades_service.coverage();
    ASSERT_TRUE(coverage.is_ok());
    ASSERT_EQ(coverage->size(), 1u);
    EXPECT_EQ(coverage->front().series.bars, static_cast<int64_t>(served->size()));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace galfriday::history
