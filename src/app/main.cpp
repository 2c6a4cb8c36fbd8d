// galfriday: the command-line entry point. Exit codes: 0 success, 1 the run failed,
// 2 bad input (arguments, config, data files).

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "cli_ctl.hpp"
#include "cli_history.hpp"
#include "cli_market.hpp"
#include "cli_model.hpp"
#include "cli_run.hpp"
#include "cli_sweep.hpp"
#include "galfriday/app/backtest_runner.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/log/logger.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"

namespace {

using namespace galfriday;

using app::fail;
using app::kExitBadInput;
using app::kExitFailure;
using app::kExitOk;

// Loads a config file, printing warnings; nullopt (after printing the errors) when invalid.
std::optional<config::Config> load_config_or_report(const std::string& path) {
  auto loaded = config::load_config_file(path);
  for (const auto& warning : loaded.warnings)
    std::cerr << path << ": warning: " << warning.to_string() << "\n";
  for (const auto& error : loaded.errors)
    std::cerr << path << ": error: " << error.to_string() << "\n";
  return loaded.config;
}

int run_config_check(const std::string& path) {
  auto loaded = config::load_config_file(path);
  for (const auto& warning : loaded.warnings)
    std::cout << "warning: " << warning.to_string() << "\n";
  if (!loaded.errors.empty()) {
    for (const auto& error : loaded.errors) std::cout << "error: " << error.to_string() << "\n";
    std::cout << path << ": " << loaded.errors.size() << " error(s)\n";
    return kExitBadInput;
  }
  std::cout << path << ": OK\n";
  return kExitOk;
}

int run_data_generate(const std::string& config_path, const std::string& out_dir, int days,
                      uint64_t seed) {
  auto config = load_config_or_report(config_path);
  if (!config) return kExitBadInput;
  auto instruments = app::build_instruments(*config);
  if (!instruments) return fail(instruments.status());
  uint64_t pair_seed = seed;
  for (const InstrumentSpec& spec : instruments->all()) {
    SampleDataOptions options;
    options.bars = static_cast<int64_t>(days) * 24 * 60;
    options.seed = pair_seed++;
    const std::filesystem::path file = std::filesystem::path(out_dir) / (spec.altname + "_1.csv");
    const Status status = write_sample_ohlcvt(file, spec, sample_start_price(spec), options);
    if (!status.is_ok()) return fail(status);
    std::cout << "wrote " << file.string() << " (" << options.bars << " one-minute bars of "
              << spec.id.str() << ")\n";
  }
  return kExitOk;
}

// `replay` (a `galfriday record` file) replaces the bar files when given.
int run_backtest_command(const std::string& config_path, const std::vector<std::string>& data,
                         const std::string& replay, const std::string& report_dir,
                         int interval_minutes) {
  if (data.empty() == replay.empty()) {
    return fail(invalid_argument("backtest: give bar files (--data) or a recording (--replay)"));
  }
  auto config = load_config_or_report(config_path);
  if (!config) return kExitBadInput;
  std::vector<app::BacktestInput> inputs;
  if (replay.empty()) {
    auto resolved =
        app::resolve_data_arguments(*config, data, std::chrono::minutes(interval_minutes));
    if (!resolved) return fail(resolved.status());
    inputs = std::move(*resolved);
  }
  auto logger = logging::LoggerService::create(config->logging, config->data_dir);
  if (!logger) return fail(logger.status());
  const app::BusObserver observe = [&](PubSubManager& bus) { (*logger)->attach(bus); };
  if (replay.empty()) {
    spdlog::info("backtest: {} data file(s), config {}", inputs.size(), config_path);
  } else {
    spdlog::info("backtest: replay of recording {}, config {}", replay, config_path);
  }
  auto outcome = replay.empty() ? app::run_backtest(*config, inputs, observe)
                                : app::run_replay_backtest(*config, replay, observe);
  if (!outcome) {
    spdlog::error("backtest failed: {}", outcome.status().to_string());
    return fail(outcome.status());
  }
  spdlog::info("backtest done: {} bars, {} events, final equity {}", outcome->summary.bars,
               outcome->events_dispatched, outcome->summary.final_equity.to_string());
  const std::filesystem::path directory =
      report_dir.empty() ? config->backtest.report_dir : std::filesystem::path(report_dir);
  const std::string currency = config->portfolio.valuation_currency;
  std::cout << backtest::format_summary(outcome->summary, currency);
  const Status written = app::write_backtest_report(*outcome, directory, currency);
  if (!written.is_ok()) return fail(written);
  std::cout << "report written to " << directory.string()
            << "/ (report.html, summary.txt, summary.json, trades.csv, equity.csv)\n";
  if (outcome->handler_failures > 0) {
    std::cerr << "error: " << outcome->handler_failures
              << " handler failure(s) during the run; see the log\n";
    return kExitFailure;
  }
  return kExitOk;
}

// `db migrate` applies pending migrations to the configured database (SQLite file or
// PostgreSQL, docs/persistence.md); `db status` only reports.
int run_db_command(const std::string& config_path, bool apply) {
  auto config = load_config_or_report(config_path);
  if (!config) return kExitBadInput;
  auto target = persistence::resolve_database(config->database, config->data_dir,
                                              std::getenv(persistence::kDatabaseUrlEnv));
  if (!target) return fail(target.status());
  auto db = persistence::open_database(*target);
  if (!db) return fail(db.status());  // names the file or the redacted URL
  // Never the password; after open_database, so a configured SQLite fallback shows.
  const std::string path = target->description;
  if (apply) {
    LiveClock clock;
    const Status migrated = persistence::migrate(**db, clock);
    if (!migrated.is_ok()) return fail(migrated.with_context(path));
  }
  auto status = persistence::migration_status(**db);
  if (!status) return fail(status.status().with_context(path));
  std::cout << path << ": schema version " << status->current_version << " of "
            << status->latest_version << "\n";
  for (const auto& name : status->pending) std::cout << "pending: " << name << "\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Gal-Friday: automated trading for Kraken spot markets"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "galfriday 0.1.0");

  auto* backtest = cli.add_subcommand(
      "backtest", "Replay recorded bars through the full pipeline and write a report");
  std::string config_path;
  std::vector<std::string> data;
  std::string replay;
  std::string report_dir;
  int interval_minutes = 1;
  backtest->add_option("--config,-c", config_path, "config.yaml")->required();
  auto* data_option = backtest->add_option(
      "--data,-d", data,
      "bar file(s): <ALTNAME>_<minutes>.csv in Kraken OHLCVT format, or SYMBOL=FILE");
  backtest
      ->add_option("--replay", replay,
                   "a recording of Kraken's WebSocket feed (galfriday record) instead of bar "
                   "files: books fill the orders, closed bars drive the strategy")
      ->excludes(data_option);
  backtest->add_option("--report-dir", report_dir,
                       "where to write the report (default: backtest.report_dir)");
  backtest
      ->add_option("--interval", interval_minutes, "bar interval in minutes for SYMBOL=FILE data")
      ->check(CLI::Range(1, 21600));

  auto* config_cmd = cli.add_subcommand("config", "Configuration tools");
  config_cmd->require_subcommand(1);
  auto* check =
      config_cmd->add_subcommand("check", "Validate a config file: prints OK or every error");
  std::string check_path;
  check->add_option("file", check_path, "config.yaml")->required();

  auto* data_cmd = cli.add_subcommand("data", "Market data tools");
  data_cmd->require_subcommand(1);
  auto* generate = data_cmd->add_subcommand(
      "generate", "Write deterministic sample 1-minute bars for the configured pairs");
  std::string generate_config;
  std::string out_dir = "data";
  int days = 30;
  uint64_t seed = 42;
  generate->add_option("--config,-c", generate_config, "config.yaml")->required();
  generate->add_option("--out-dir,-o", out_dir, "output directory")->capture_default_str();
  generate->add_option("--days", days, "days of data")
      ->check(CLI::Range(1, 3660))
      ->capture_default_str();
  generate->add_option("--seed", seed, "random seed")->capture_default_str();

  auto* db_cmd =
      cli.add_subcommand("db", "Database tools (database.backend: SQLite file or PostgreSQL)");
  db_cmd->require_subcommand(1);
  std::string db_config;
  auto* db_migrate = db_cmd->add_subcommand("migrate", "Apply pending schema migrations");
  db_migrate->add_option("--config,-c", db_config, "config.yaml")->required();
  auto* db_status =
      db_cmd->add_subcommand("status", "Show the schema version and pending migrations");
  db_status->add_option("--config,-c", db_config, "config.yaml")->required();

  const auto sweep_commands = app::register_sweep_commands(cli);
  const auto ctl_commands = app::register_ctl_commands(cli);
  const auto history_commands = app::register_history_commands(cli);
  const auto model_commands = app::register_model_commands(cli);
  const auto market_commands = app::register_market_commands(cli);
  const auto run_commands = app::register_run_commands(cli);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  if (*backtest)
    return run_backtest_command(config_path, data, replay, report_dir, interval_minutes);
  if (*check) return run_config_check(check_path);
  if (*generate) return run_data_generate(generate_config, out_dir, days, seed);
  if (*db_migrate || *db_status) return run_db_command(db_config, db_migrate->parsed());
  for (const auto* commands : {&sweep_commands, &ctl_commands, &history_commands, &model_commands,
                               &market_commands, &run_commands}) {
    for (const auto& command : *commands) {
      if (*command.command) return command.run();
    }
  }
  return kExitBadInput;
}
