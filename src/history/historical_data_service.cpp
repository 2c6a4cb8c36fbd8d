#include "galfriday/history/historical_data_service.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "galfriday/history/trade_bar_aggregator.hpp"
#include "galfriday/ingest/ohlcvt_csv.hpp"

namespace galfriday::history {

namespace {

constexpr std::array kKrakenIntervals = {1, 5, 15, 30, 60, 240, 1440, 10080, 21600};

Status check_interval(int minutes) {
  if (is_kraken_interval(minutes)) return Status::ok();
  return invalid_argument("interval " + std::to_string(minutes) +
                          " minutes is not a Kraken interval (1, 5, 15, 30, 60, 240, 1440, "
                          "10080, 21600)");
}

bool is_retryable(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
         code == StatusCode::kResourceExhausted;
}

Result<MarketDataOHLCVEvent> to_bar(const kraken_rest::KrakenOhlcRow& row,
                                    const InstrumentSpec& spec, Duration interval) {
  const std::string where = "OHLC " + spec.altname + " bar " + std::to_string(row.time);
  MarketDataOHLCVEvent bar;
  bar.instrument = spec.id;
  bar.bar_start = timestamp_from_seconds(row.time);
  bar.interval = interval;
  bar.meta.ts_event = bar.meta.ts_init = bar.bar_start + interval;
  const std::pair<const std::string*, Price*> prices[] = {{&row.open, &bar.open},
                                                          {&row.high, &bar.high},
                                                          {&row.low, &bar.low},
                                                          {&row.close, &bar.close}};
  for (const auto& [text, out] : prices) {
    auto price = spec.parse_price(*text);
    if (!price) return data_loss(where + ": " + price.status().message());
    *out = *price;
  }
  auto volume = spec.parse_qty(row.volume);
  if (!volume) return data_loss(where + ": " + volume.status().message());
  bar.volume = *volume;
  bar.trade_count = row.count;
  if (bar.high < std::max(bar.open, bar.close) || bar.low > std::min(bar.open, bar.close) ||
      bar.volume.is_negative() || bar.trade_count < 0)
    return data_loss(where + ": high/low do not bound open/close, or negative volume/count");
  return bar;
}

}  // namespace

bool is_kraken_interval(int minutes) {
  return std::find(kKrakenIntervals.begin(), kKrakenIntervals.end(), minutes) !=
         kKrakenIntervals.end();
}

HistoricalDataService::HistoricalDataService(kraken_rest::KrakenPublicClient& client,
                                             persistence::BarRepository& bars, BarCatalog& catalog,
                                             const Clock& clock, Sleeper sleeper,
                                             HistoryOptions options)
    : client_(client),
      bars_(bars),
      catalog_(catalog),
      clock_(clock),
      sleeper_(std::move(sleeper)),
      options_(options) {}

template <typename T, typename Call>
Result<T> HistoricalDataService::with_retries(std::string_view what, Call&& call) {
  Duration backoff = options_.retry_backoff;
  const int attempts = std::max(1, options_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    Result<T> result = call();
    if (result.is_ok()) return result;
    if (!is_retryable(result.status().code()) || attempt >= attempts) {
      return result.status().with_context(std::string(what) + " (attempt " +
                                          std::to_string(attempt) + " of " +
                                          std::to_string(attempts) + ")");
    }
    sleeper_(backoff);
    backoff *= 2;
  }
}

Status HistoricalDataService::store(std::vector<MarketDataOHLCVEvent>& bars, FetchReport& report) {
  if (bars.empty()) return Status::ok();
  GF_RETURN_IF_ERROR(bars_.upsert(bars));
  report.bars_stored += static_cast<int64_t>(bars.size());
  if (!report.first_bar_start || bars.front().bar_start < *report.first_bar_start)
    report.first_bar_start = bars.front().bar_start;
  if (!report.last_bar_start || bars.back().bar_start > *report.last_bar_start)
    report.last_bar_start = bars.back().bar_start;
  bars.clear();
  return Status::ok();
}

Result<FetchReport> HistoricalDataService::fetch_ohlc(const InstrumentSpec& spec,
                                                      int interval_minutes,
                                                      std::optional<Timestamp> since) {
  GF_RETURN_IF_ERROR(check_interval(interval_minutes));
  const Duration interval = std::chrono::minutes(interval_minutes);
  // No `since` goes to Kraken: it answers with (at most) the latest 720 bars either way, and
  // filtering here does not depend on whether its `since` is inclusive.
  auto page = with_retries<kraken_rest::KrakenOhlcPage>("fetching OHLC " + spec.altname, [&] {
    return client_.ohlc(spec.altname, interval_minutes);
  });
  if (!page) return page.status();
  FetchReport report;
  report.pages = 1;
  report.next_since = std::to_string(page->last);
  const Timestamp now = clock_.now();
  std::vector<MarketDataOHLCVEvent> bars;
  for (const auto& row : page->rows) {
    ++report.rows;
    auto bar = to_bar(row, spec, interval);
    if (!bar) return bar.status();
    if (since && bar->bar_start < *since) continue;
    if (bar->bar_start + interval > now) continue;  // the current interval, not closed yet
    bars.push_back(std::move(bar).value());
  }
  std::sort(bars.begin(), bars.end(),
            [](const auto& a, const auto& b) { return a.bar_start < b.bar_start; });
  GF_RETURN_IF_ERROR(store(bars, report));
  return report;
}

Result<FetchReport> HistoricalDataService::fetch_trades(const InstrumentSpec& spec,
                                                        int interval_minutes, Timestamp since,
                                                        std::optional<Timestamp> until) {
  GF_RETURN_IF_ERROR(check_interval(interval_minutes));
  const Duration interval = std::chrono::minutes(interval_minutes);
  const Timestamp end = std::min(until.value_or(clock_.now()), clock_.now());
  TradeBarAggregator aggregator(spec, interval);
  // Start on a bar boundary so the first bar is complete.
  const Timestamp start =
      aggregator.bar_start_of(since) == since ? since : aggregator.bar_start_of(since) + interval;
  FetchReport report;
  std::string cursor = std::to_string(to_nanos(start));
  std::optional<int64_t> last_trade_id;
  std::vector<MarketDataOHLCVEvent> closed;

  const auto failure = [&](const Status& status) {
    const Timestamp resume = report.last_bar_start ? *report.last_bar_start + interval : start;
    return status.with_context(
        "trades " + spec.altname + " after " + std::to_string(report.pages) + " page(s), " +
        std::to_string(report.bars_stored) + " complete bar(s) stored; resume with since " +
        format_iso8601(resume) + " (" + std::to_string(to_nanos(resume)) + ")");
  };

  for (int64_t page_index = 0; page_index < options_.max_pages; ++page_index) {
    if (page_index > 0) sleeper_(options_.page_pause);
    auto page = with_retries<kraken_rest::KrakenTradesPage>("fetching trades page", [&] {
      return client_.trades(spec.altname, cursor, options_.trades_page_size);
    });
    if (!page) return failure(page.status());
    ++report.pages;
    bool reached_end = false;
    std::vector<persistence::MarketTradeRecord> raw_trades;
    for (const auto& row : page->rows) {
      // Pages may overlap at their edges; trade ids only grow.
      if (row.trade_id && last_trade_id && *row.trade_id <= *last_trade_id) continue;
      auto time = kraken_rest::parse_kraken_time(row.time);
      if (!time) return failure(data_loss(time.status().message()));
      if (*time < start) continue;
      if (*time >= end) {
        reached_end = true;
        break;
      }
      auto price = spec.parse_price(row.price);
      if (!price) return failure(data_loss("trade price: " + price.status().message()));
      auto qty = spec.parse_qty(row.volume);
      if (!qty) return failure(data_loss("trade volume: " + qty.status().message()));
      auto bar = aggregator.add(*time, *price, *qty);
      if (!bar) return failure(data_loss(bar.status().message()));
      if (*bar) closed.push_back(bar->value().bar);
      ++report.rows;
      if (row.trade_id) last_trade_id = row.trade_id;
      if (trades_ != nullptr && row.trade_id) {
        raw_trades.push_back({spec.id, *row.trade_id, *price, *qty,
                              row.buy ? Side::kBuy : Side::kSell,
                              row.market ? OrderType::kMarket : OrderType::kLimit, *time});
      }
    }
    if (!raw_trades.empty()) {
      auto stored_trades = trades_->insert(raw_trades);
      if (!stored_trades) return failure(stored_trades.status());
      report.trades_stored += *stored_trades;
    }
    // The end: `until` reached, no more trades, or Kraken repeating the cursor as `last`.
    const bool done = reached_end || page->rows.empty() || page->last == cursor;
    if (done) {
      if (auto bar = aggregator.close_if_ended(end)) closed.push_back(bar->bar);
    }
    const Status stored = store(closed, report);
    if (!stored.is_ok()) return failure(stored);
    cursor = page->last;
    report.next_since = cursor;
    if (done) return report;
  }
  return failure(Status(StatusCode::kResourceExhausted,
                        "stopped after max_pages = " + std::to_string(options_.max_pages)));
}

Result<ImportReport> HistoricalDataService::import_csv(const std::filesystem::path& path,
                                                       const InstrumentSpec& spec,
                                                       int interval_minutes) {
  GF_RETURN_IF_ERROR(check_interval(interval_minutes));
  auto reader = OhlcvtCsvReader::open(path, spec, std::chrono::minutes(interval_minutes));
  if (!reader) return reader.status();
  ImportReport report;
  FetchReport stored;
  std::vector<MarketDataOHLCVEvent> batch;
  const auto flush = [&]() -> Status {
    GF_RETURN_IF_ERROR(store(batch, stored));
    report.bars_stored = stored.bars_stored;
    report.first_bar_start = stored.first_bar_start;
    report.last_bar_start = stored.last_bar_start;
    return Status::ok();
  };
  for (;;) {
    auto bar = reader->next();
    if (!bar) {
      const Status flushed = flush();
      if (!flushed.is_ok()) return flushed;
      return Status(bar.status().code(), bar.status().message() + "; the " +
                                             std::to_string(report.bars_stored) +
                                             " bar(s) before it were stored");
    }
    if (!*bar) break;
    batch.push_back(std::move(**bar));
    if (static_cast<int64_t>(batch.size()) >= options_.import_batch_bars)
      GF_RETURN_IF_ERROR(flush());
  }
  GF_RETURN_IF_ERROR(flush());
  return report;
}

Result<std::vector<SeriesCoverage>> HistoricalDataService::coverage() {
  auto series = catalog_.series();
  if (!series) return series.status();
  std::vector<SeriesCoverage> out;
  for (const auto& s : *series) {
    const Timestamp to = s.last_bar_start + s.interval;
    auto starts = catalog_.bar_starts(s.instrument, s.interval, s.first_bar_start, to);
    if (!starts) return starts.status();
    out.push_back({s, find_gaps(*starts, s.interval, s.first_bar_start, to)});
  }
  return out;
}

}  // namespace galfriday::history
