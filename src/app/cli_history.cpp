// `galfriday history`: fetch bars from Kraken REST (OHLC for the latest 720 bars, Trades for
// anything older), import Kraken OHLCVT CSV files, and list what is stored with its gaps.
// Exit codes: 0 done, 1 the operation failed (network, database), 2 bad input.

#include "cli_history.hpp"

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "galfriday/app/pipeline.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/history/historical_data_service.hpp"
#include "galfriday/ingest/ohlcvt_csv.hpp"
#include "galfriday/net/beast_http_transport.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/sql_repositories.hpp"

namespace galfriday::app {
namespace {

// Kraken's REST OHLC serves this many of the most recent bars.
constexpr int64_t kOhlcWindowBars = 720;
// How many gap ranges `list` prints per series before summarising the rest.
constexpr size_t kGapsShown = 20;

struct HistoryOptionsCli {
  std::string config_path;
  std::string pair;
  int interval_minutes = 1;
  std::string since;
  std::string until;
  std::string source = "auto";
  std::vector<std::string> files;
};

// What every history command needs: the config, the instruments and a migrated database.
struct Context {
  config::Config config;
  InstrumentRegistry instruments;
  std::unique_ptr<persistence::Database> db;
  std::unique_ptr<persistence::BarRepository> bars;
  std::unique_ptr<history::SqlBarCatalog> catalog;
  std::unique_ptr<persistence::TradeRepository> trades;  // raw trades of `fetch --source trades`
};

Result<Context> open_context(const std::string& config_path, const Clock& clock) {
  auto loaded = config::load_config_file(config_path);
  for (const auto& warning : loaded.warnings)
    std::cerr << config_path << ": warning: " << warning.to_string() << "\n";
  if (!loaded.config) {
    for (const auto& error : loaded.errors)
      std::cerr << config_path << ": error: " << error.to_string() << "\n";
    return invalid_argument(config_path + ": invalid configuration");
  }
  Context context;
  context.config = *loaded.config;
  auto instruments = build_instruments(context.config);
  if (!instruments) return instruments.status();
  context.instruments = std::move(instruments).value();
  auto target = persistence::resolve_database(context.config.database, context.config.data_dir,
                                              std::getenv(persistence::kDatabaseUrlEnv));
  if (!target) return target.status();
  auto db = persistence::open_database(*target);
  if (!db) return db.status().with_context(target->description);
  context.db = std::move(db).value();
  GF_RETURN_IF_ERROR(persistence::migrate(*context.db, clock).with_context(target->description));
  context.bars = std::make_unique<persistence::SqlBarRepository>(*context.db);
  context.catalog = std::make_unique<history::SqlBarCatalog>(*context.db);
  context.trades = std::make_unique<persistence::SqlTradeRepository>(*context.db);
  return context;
}

Result<const InstrumentSpec*> find_pair(const Context& context, const std::string& name) {
  if (const auto* spec = context.instruments.find(InstrumentId(name))) return spec;
  if (const auto* spec = context.instruments.find_by_altname(name)) return spec;
  return not_found("pair '" + name +
                   "' is not configured (pairs: symbol such as BTC/USD or "
                   "altname such as XBTUSD)");
}

Result<Timestamp> parse_time_option(const std::string& name, const std::string& text) {
  auto parsed = parse_iso8601(text);
  if (parsed) return parsed;
  // Plain dates are accepted as midnight UTC.
  auto midnight = parse_iso8601(text + "T00:00:00Z");
  if (midnight) return midnight;
  return invalid_argument("--" + name + " '" + text +
                          "': expected an RFC 3339 time (2024-01-31T00:00:00Z) or a date");
}

void print_range(std::optional<Timestamp> first, std::optional<Timestamp> last) {
  if (first && last)
    std::cout << " (" << format_iso8601(*first) << " .. " << format_iso8601(*last) << ")";
}

// The service with its REST client. import and list never call Kraken, but share the service
// (creating the transport opens no connection).
struct Service {
  std::unique_ptr<net::BeastHttpTransport> transport;
  std::unique_ptr<kraken_rest::KrakenPublicClient> client;
  std::unique_ptr<history::HistoricalDataService> service;
};

Result<Service> make_service(Context& context, const Clock& clock) {
  const auto& config = context.config.history;
  Service out;
  auto transport = net::BeastHttpTransport::create();
  if (!transport) return transport.status();
  out.transport = std::move(transport).value();
  out.client = std::make_unique<kraken_rest::KrakenPublicClient>(
      *out.transport,
      kraken_rest::KrakenPublicClientOptions{context.config.kraken.rest_url,
                                             std::chrono::milliseconds(config.request_timeout_ms)});
  history::HistoryOptions options;
  options.page_pause = std::chrono::milliseconds(config.page_pause_ms);
  options.max_attempts = config.max_attempts;
  options.retry_backoff = std::chrono::milliseconds(config.retry_backoff_ms);
  out.service = std::make_unique<history::HistoricalDataService>(
      *out.client, *context.bars, *context.catalog, clock,
      [](Duration pause) { std::this_thread::sleep_for(pause); }, options);
  out.service->store_trades_in(context.trades.get());
  return out;
}

int run_fetch(const HistoryOptionsCli& options) {
  LiveClock clock;
  auto context = open_context(options.config_path, clock);
  if (!context) return fail(context.status());
  auto spec = find_pair(*context, options.pair);
  if (!spec) return fail(spec.status());
  if (!history::is_kraken_interval(options.interval_minutes))
    return fail(invalid_argument("--interval " + std::to_string(options.interval_minutes) +
                                 ": expected 1, 5, 15, 30, 60, 240, 1440, 10080 or 21600"));
  std::optional<Timestamp> since;
  std::optional<Timestamp> until;
  if (!options.since.empty()) {
    auto parsed = parse_time_option("since", options.since);
    if (!parsed) return fail(parsed.status());
    since = *parsed;
  }
  if (!options.until.empty()) {
    auto parsed = parse_time_option("until", options.until);
    if (!parsed) return fail(parsed.status());
    until = *parsed;
  }
  std::string source = options.source;
  if (source == "auto") {
    // OHLC reaches back 720 bars; anything older has to be rebuilt from trades.
    const Duration window = std::chrono::minutes(options.interval_minutes) * kOhlcWindowBars;
    source = (!since || *since >= clock.now() - window) && !until ? "ohlc" : "trades";
  }
  if (source == "trades" && !since) return fail(invalid_argument("--source trades needs --since"));

  auto service = make_service(*context, clock);
  if (!service) return fail(service.status());
  auto report =
      source == "ohlc"
          ? service->service->fetch_ohlc(**spec, options.interval_minutes, since)
          : service->service->fetch_trades(**spec, options.interval_minutes, *since, until);
  if (!report) return fail(report.status());
  std::cout << (*spec)->id.str() << " " << options.interval_minutes << "m from " << source << ": "
            << report->pages << " page(s), " << report->rows << " row(s), " << report->bars_stored
            << " bar(s) stored";
  print_range(report->first_bar_start, report->last_bar_start);
  std::cout << "\n";
  if (source == "trades") {
    std::cout << report->trades_stored << " new trade(s) stored\n";
    std::cout << "next since: " << report->next_since << "\n";
  }
  return kExitOk;
}

int run_import(const HistoryOptionsCli& options) {
  LiveClock clock;
  auto context = open_context(options.config_path, clock);
  if (!context) return fail(context.status());
  // Check every file's pair and interval before importing any.
  struct Job {
    std::filesystem::path path;
    const InstrumentSpec* spec;
    int interval_minutes;
  };
  std::vector<Job> jobs;
  for (const auto& file : options.files) {
    const auto name = parse_kraken_csv_name(file);
    if (!name && options.pair.empty())
      return fail(invalid_argument(file + ": name is not <ALTNAME>_<minutes>.csv; pass --pair and "
                                          "--interval"));
    auto spec = find_pair(*context, options.pair.empty() ? name->altname : options.pair);
    if (!spec) return fail(spec.status().with_context(file));
    const int interval = options.pair.empty() ? name->interval_minutes : options.interval_minutes;
    if (!history::is_kraken_interval(interval))
      return fail(invalid_argument(file + ": interval " + std::to_string(interval) +
                                   " minutes is not a Kraken interval"));
    jobs.push_back({file, *spec, interval});
  }
  auto service = make_service(*context, clock);
  if (!service) return fail(service.status());
  for (const Job& job : jobs) {
    auto report = service->service->import_csv(job.path, *job.spec, job.interval_minutes);
    if (!report) return fail(report.status());
    std::cout << job.path.string() << ": " << report->bars_stored << " bar(s) of "
              << job.spec->id.str() << " " << job.interval_minutes << "m stored";
    print_range(report->first_bar_start, report->last_bar_start);
    std::cout << "\n";
  }
  return kExitOk;
}

std::string interval_text(Duration interval) {
  return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(interval).count()) + "m";
}

int run_list(const HistoryOptionsCli& options) {
  LiveClock clock;
  auto context = open_context(options.config_path, clock);
  if (!context) return fail(context.status());
  auto service = make_service(*context, clock);
  if (!service) return fail(service.status());
  auto coverage = service->service->coverage();
  if (!coverage) return fail(coverage.status());
  if (coverage->empty()) std::cout << "no bars stored\n";
  for (const auto& series : *coverage) {
    const auto& s = series.series;
    std::cout << s.instrument.str() << " " << interval_text(s.interval) << ": " << s.bars
              << " bar(s) " << format_iso8601(s.first_bar_start) << " .. "
              << format_iso8601(s.last_bar_start) << ", " << series.gaps.size() << " gap(s)\n";
    for (size_t i = 0; i < series.gaps.size() && i < kGapsShown; ++i) {
      const auto& gap = series.gaps[i];
      std::cout << "  gap " << format_iso8601(gap.from) << " .. " << format_iso8601(gap.to) << " ("
                << (gap.to - gap.from) / s.interval << " bar(s) missing)\n";
    }
    if (series.gaps.size() > kGapsShown)
      std::cout << "  ... " << series.gaps.size() - kGapsShown << " more gap(s)\n";
  }
  auto trades = context->trades->summary();
  if (!trades) return fail(trades.status());
  for (const auto& t : *trades) {
    std::cout << t.instrument.str() << " trades: " << t.count << " trade(s) "
              << format_iso8601(t.first) << " .. " << format_iso8601(t.last) << " (ids "
              << t.first_trade_id << " .. " << t.last_trade_id << ")\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<CliCommand> register_history_commands(CLI::App& cli) {
  auto options = std::make_shared<HistoryOptionsCli>();
  auto* history_cmd = cli.add_subcommand(
      "history", "Historical bars: fetch from Kraken REST, import Kraken CSV files, list");
  history_cmd->require_subcommand(1);

  auto* fetch = history_cmd->add_subcommand(
      "fetch",
      "Download bars of a pair from Kraken REST (OHLC: latest 720 bars; older history is "
      "built from Trades)");
  fetch->add_option("--config,-c", options->config_path, "config.yaml")->required();
  fetch->add_option("--pair,-p", options->pair, "pair symbol (BTC/USD) or altname (XBTUSD)")
      ->required();
  fetch->add_option("--interval,-i", options->interval_minutes, "bar interval in minutes")
      ->capture_default_str();
  fetch->add_option("--since", options->since, "first bar time, RFC 3339 or date (UTC)");
  fetch->add_option("--until", options->until, "stop at this time (trades only)");
  fetch->add_option("--source", options->source, "auto | ohlc | trades")
      ->check(CLI::IsMember({"auto", "ohlc", "trades"}))
      ->capture_default_str();

  auto* import = history_cmd->add_subcommand(
      "import", "Import Kraken OHLCVT CSV files (<ALTNAME>_<minutes>.csv)");
  import->add_option("--config,-c", options->config_path, "config.yaml")->required();
  import->add_option("files", options->files, "CSV files")->required();
  import->add_option("--pair,-p", options->pair, "pair of every file (when names do not say)");
  import->add_option("--interval,-i", options->interval_minutes,
                     "interval in minutes of every file (with --pair)");

  auto* list =
      history_cmd->add_subcommand("list", "Show stored bars per pair and interval, with gaps");
  list->add_option("--config,-c", options->config_path, "config.yaml")->required();

  return {{fetch, [options] { return run_fetch(*options); }},
          {import, [options] { return run_import(*options); }},
          {list, [options] { return run_list(*options); }}};
}

}  // namespace galfriday::app
