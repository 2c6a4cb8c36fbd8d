#pragma once
// HistoricalDataService: fills the bar store from Kraken REST and from Kraken's OHLCVT CSV
// files, and reports what is stored and where the gaps are.
//
//   - fetch_ohlc: one REST OHLC call. Kraken serves only the 720 most recent bars of an
//     interval, whatever `since` asks for; the bar of the current (unfinished) interval is
//     dropped, so only closed bars are stored.
//   - fetch_trades: REST Trades pages from `since`, following each page's `last`, aggregated
//     into bars of the interval (TradeBarAggregator). This is how history older than 720 bars
//     is built. Closed bars are stored after every page, each page in one transaction, so an
//     error mid-way leaves only complete bars behind; the error says where to resume. With a
//     trade store (store_trades_in), the page's raw trades are stored first (idempotent by pair
//     and Kraken trade id, so a resumed or repeated fetch stores each trade once; a trade
//     without an id, which only old responses have, is aggregated but not stored).
//   - import_csv: Kraken's downloadable OHLCVT files (ingest/ohlcvt_csv.hpp), in batches.
//   - coverage: stored series with their first/last bars and their gaps.
//
// Pacing: between REST pages the service sleeps `page_pause` through the injected sleeper
// (Kraken throttles public calls per IP). Retryable failures (kUnavailable, kDeadlineExceeded,
// kResourceExhausted: all safe for these read-only calls) are retried up to `max_attempts`
// times with doubling backoff, also through the sleeper. Time comes from the injected Clock.
// Not thread-safe; one fetch at a time.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/history/bar_catalog.hpp"
#include "galfriday/kraken_rest/public_client.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/persistence/repositories.hpp"

namespace galfriday::history {

struct HistoryOptions {
  Duration page_pause = std::chrono::seconds(1);     // between REST pages
  int max_attempts = 4;                              // per page, first try included
  Duration retry_backoff = std::chrono::seconds(2);  // doubled after every failed attempt
  int trades_page_size = 1000;                       // Kraken's maximum
  int64_t max_pages = 1'000'000;                     // a guard against a server that never ends
  int64_t import_batch_bars = 10'000;                // bars per transaction in import_csv
};

// Waits for the given time: std::this_thread::sleep_for in the app, a recorder in tests.
using Sleeper = std::function<void(Duration)>;

// The Kraken OHLC intervals in minutes: 1, 5, 15, 30, 60, 240, 1440, 10080, 21600.
bool is_kraken_interval(int minutes);

struct FetchReport {
  int64_t pages = 0;
  int64_t rows = 0;  // OHLC rows or trades received (duplicates excluded)
  int64_t bars_stored = 0;
  std::optional<Timestamp> first_bar_start;  // of the bars stored by this fetch
  std::optional<Timestamp> last_bar_start;
  // Trades: the `since` value to continue from (Kraken's last id, nanoseconds).
  std::string next_since;
  int64_t trades_stored = 0;  // raw trades new to the trade store (store_trades_in)
};

struct ImportReport {
  int64_t bars_stored = 0;
  std::optional<Timestamp> first_bar_start;
  std::optional<Timestamp> last_bar_start;
};

struct SeriesCoverage {
  StoredSeries series;
  std::vector<TimeRange> gaps;  // between the first and the last stored bar
};

class HistoricalDataService {
 public:
  // Everything passed by reference must outlive the service.
  HistoricalDataService(kraken_rest::KrakenPublicClient& client, persistence::BarRepository& bars,
                        BarCatalog& catalog, const Clock& clock, Sleeper sleeper,
                        HistoryOptions options = {});

  // Stores the closed bars of the latest 720 (at most) that start at or after `since`.
  Result<FetchReport> fetch_ohlc(const InstrumentSpec& spec, int interval_minutes,
                                 std::optional<Timestamp> since = std::nullopt);

  // Stores bars built from trades from `since` until `until` (default: now). A bar is stored
  // once its interval has ended by `until` and the clock. A failure after some pages returns
  // the error, with context naming the bars already stored and the `since` to resume from.
  Result<FetchReport> fetch_trades(const InstrumentSpec& spec, int interval_minutes,
                                   Timestamp since, std::optional<Timestamp> until = std::nullopt);

  // Imports one OHLCVT CSV file of the given instrument and interval.
  Result<ImportReport> import_csv(const std::filesystem::path& path, const InstrumentSpec& spec,
                                  int interval_minutes);

  // Every stored series with its gaps.
  Result<std::vector<SeriesCoverage>> coverage();

  // Where fetch_trades also stores the raw trades; nullptr (the default): nowhere. Must outlive
  // the service.
  void store_trades_in(persistence::TradeRepository* trades) { trades_ = trades; }

 private:
  template <typename T, typename Call>
  Result<T> with_retries(std::string_view what, Call&& call);
  Status store(std::vector<MarketDataOHLCVEvent>& bars, FetchReport& report);

  kraken_rest::KrakenPublicClient& client_;
  persistence::BarRepository& bars_;
  BarCatalog& catalog_;
  const Clock& clock_;
  Sleeper sleeper_;
  HistoryOptions options_;
  persistence::TradeRepository* trades_ = nullptr;
};

}  // namespace galfriday::history
