// `galfriday sweep`: a grid of strategy/risk parameters over the same bars, ranked.
// `galfriday walk-forward`: rolling train/test windows (XGBoost retrained per window).
// Exit codes as main.cpp: 0 success, 1 the run failed, 2 bad input.

#include "cli_sweep.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "galfriday/app/sweep.hpp"
#include "galfriday/config/config.hpp"

namespace galfriday::app {
namespace {

// The options both commands share.
struct CommonOptions {
  std::string config_path;
  std::vector<std::string> data;
  int interval_minutes = 1;
  std::string out_dir;
  int threads = -1;  // -1: backtest.threads from the config
  std::string rank_by;

  void add_to(CLI::App* command) {
    command->add_option("--config,-c", config_path, "config.yaml")->required();
    command
        ->add_option("--data,-d", data,
                     "bar file(s): <ALTNAME>_<minutes>.csv in Kraken OHLCVT format, or SYMBOL=FILE")
        ->required();
    command
        ->add_option("--interval", interval_minutes, "bar interval in minutes for SYMBOL=FILE data")
        ->check(CLI::Range(1, 21600));
    command
        ->add_option("--threads", threads,
                     "worker threads (default: backtest.threads; 0 = one per hardware thread)")
        ->check(CLI::Range(0, 256));
  }
};

struct Loaded {
  config::Config config;
  std::vector<MarketDataOHLCVEvent> bars;
  size_t threads = 0;
};

std::optional<Loaded> load(const CommonOptions& options, int& exit_code) {
  auto loaded = config::load_config_file(options.config_path);
  for (const auto& warning : loaded.warnings)
    std::cerr << options.config_path << ": warning: " << warning.to_string() << "\n";
  for (const auto& error : loaded.errors)
    std::cerr << options.config_path << ": error: " << error.to_string() << "\n";
  if (!loaded.config) {
    exit_code = kExitBadInput;
    return std::nullopt;
  }
  auto inputs = resolve_data_arguments(*loaded.config, options.data,
                                       std::chrono::minutes(options.interval_minutes));
  if (!inputs) {
    exit_code = fail(inputs.status());
    return std::nullopt;
  }
  auto bars = load_bars(*loaded.config, *inputs);
  if (!bars) {
    exit_code = fail(bars.status());
    return std::nullopt;
  }
  Loaded out{*loaded.config, std::move(*bars), 0};
  out.threads =
      static_cast<size_t>(options.threads >= 0 ? options.threads : loaded.config->backtest.threads);
  return out;
}

Status write_file(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc | std::ios::binary);
    if (!out) return permission_denied("cannot write " + temporary.string());
    out << content;
    out.close();
    if (!out) return data_loss("writing " + temporary.string() + " failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return data_loss("cannot rename " + temporary.string() + ": " + ec.message());
  return Status::ok();
}

Status make_directory(const std::filesystem::path& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return permission_denied("cannot create directory " + directory.string() + ": " + ec.message());
  }
  return Status::ok();
}

Result<config::RankMetric> parse_rank(const std::string& text) {
  for (const auto metric :
       {config::RankMetric::kSharpe, config::RankMetric::kSortino, config::RankMetric::kCalmar,
        config::RankMetric::kTotalReturn, config::RankMetric::kMaxDrawdown,
        config::RankMetric::kProfitFactor, config::RankMetric::kWinRate}) {
    if (text == to_string(metric)) return metric;
  }
  return invalid_argument("--rank-by " + text +
                          ": expected sharpe, sortino, calmar, total_return, max_drawdown, "
                          "profit_factor or win_rate");
}

int run_sweep_command(const CommonOptions& options, const std::vector<std::string>& params,
                      size_t top) {
  int exit_code = kExitOk;
  std::vector<SweepParameter> parameters;
  for (const auto& argument : params) {
    auto parameter = parse_sweep_parameter(argument);
    if (!parameter) return fail(parameter.status());
    parameters.push_back(std::move(*parameter));
  }
  auto loaded = load(options, exit_code);
  if (!loaded) return exit_code;
  config::RankMetric rank_by = loaded->config.backtest.rank_by;
  if (!options.rank_by.empty()) {
    auto parsed = parse_rank(options.rank_by);
    if (!parsed) return fail(parsed.status());
    rank_by = *parsed;
  }
  auto result = run_sweep(loaded->config, loaded->bars, parameters, rank_by, loaded->threads);
  if (!result) return fail(result.status());
  const std::string currency = loaded->config.portfolio.valuation_currency;
  std::cout << format_sweep_table(*result, top);
  const std::filesystem::path directory = options.out_dir.empty()
                                              ? loaded->config.backtest.report_dir / "sweep"
                                              : std::filesystem::path(options.out_dir);
  for (const Status& status :
       {make_directory(directory),
        write_file(directory / "sweep.json", sweep_to_json(*result, currency)),
        write_file(directory / "sweep.csv", sweep_to_csv(*result))}) {
    if (!status.is_ok()) return fail(status);
  }
  std::cout << "results written to " << directory.string() << "/ (sweep.json, sweep.csv)\n";
  return kExitOk;
}

int run_walk_forward_command(const CommonOptions& options, double train_days, double test_days,
                             double step_days, bool anchored) {
  int exit_code = kExitOk;
  auto loaded = load(options, exit_code);
  if (!loaded) return exit_code;
  const auto days = [](double d) {
    return std::chrono::duration_cast<Duration>(
        std::chrono::duration<double, std::ratio<86400>>(d));
  };
  WalkForwardSpec spec{days(train_days), days(test_days), days(step_days), anchored};
  const std::filesystem::path directory = options.out_dir.empty()
                                              ? loaded->config.backtest.report_dir / "walk_forward"
                                              : std::filesystem::path(options.out_dir);
  if (const Status made = make_directory(directory); !made.is_ok()) return fail(made);
  auto result =
      run_walk_forward(loaded->config, loaded->bars, spec, directory / "models", loaded->threads);
  if (!result) return fail(result.status());
  const std::string currency = loaded->config.portfolio.valuation_currency;
  std::cout << format_walk_forward_table(*result);
  for (const Status& status :
       {write_file(directory / "walk_forward.json", walk_forward_to_json(*result, currency)),
        write_file(directory / "walk_forward.csv", walk_forward_to_csv(*result))}) {
    if (!status.is_ok()) return fail(status);
  }
  std::cout << "results written to " << directory.string()
            << "/ (walk_forward.json, walk_forward.csv"
            << (loaded->config.prediction.model_type == "xgboost" ? ", models/" : "") << ")\n";
  return kExitOk;
}

}  // namespace

std::vector<CliCommand> register_sweep_commands(CLI::App& cli) {
  // The parsed values live as long as the process; the callbacks read them after parsing.
  auto sweep_options = std::make_shared<CommonOptions>();
  auto params = std::make_shared<std::vector<std::string>>();
  auto top = std::make_shared<size_t>(20);
  auto* sweep = cli.add_subcommand(
      "sweep", "Backtest every combination of a parameter grid on worker threads, ranked");
  sweep_options->add_to(sweep);
  sweep
      ->add_option("--param,-p", *params,
                   "KEY=V1,V2,... e.g. strategy.buy_threshold=0.6,0.65,0.7 (repeatable)")
      ->required();
  sweep->add_option("--rank-by", sweep_options->rank_by,
                    "sharpe|sortino|calmar|total_return|max_drawdown|profit_factor|win_rate "
                    "(default: backtest.rank_by)");
  sweep->add_option("--top", *top, "rows of the printed table (0 = all)")->capture_default_str();
  sweep->add_option("--out,-o", sweep_options->out_dir,
                    "where to write sweep.json and sweep.csv (default: <report_dir>/sweep)");

  auto wf_options = std::make_shared<CommonOptions>();
  auto train_days = std::make_shared<double>(60);
  auto test_days = std::make_shared<double>(15);
  auto step_days = std::make_shared<double>(0);
  auto anchored = std::make_shared<bool>(false);
  auto* walk = cli.add_subcommand(
      "walk-forward",
      "Rolling train/test windows: retrain (xgboost) on each training window, test on the next");
  wf_options->add_to(walk);
  walk->add_option("--train-days", *train_days, "training window length in days")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  walk->add_option("--test-days", *test_days, "test window length in days")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  walk->add_option("--step-days", *step_days, "window step in days (default: test length)")
      ->check(CLI::NonNegativeNumber);
  walk->add_flag("--anchored", *anchored, "expanding training windows from the data's start");
  walk->add_option("--out,-o", wf_options->out_dir,
                   "where to write results and models (default: <report_dir>/walk_forward)");

  return {
      {sweep, [=] { return run_sweep_command(*sweep_options, *params, *top); }},
      {walk,
       [=] {
         return run_walk_forward_command(*wf_options, *train_days, *test_days, *step_days,
                                         *anchored);
       }},
  };
}

}  // namespace galfriday::app
