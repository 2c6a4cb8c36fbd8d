#pragma once
// Runs a backtest: recorded bars through the full pipeline on a simulated clock, then a
// report. Deterministic: the same config and data give the same result, byte for byte.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "galfriday/backtest/performance.hpp"
#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"

namespace galfriday::app {

struct BacktestInput {
  InstrumentId instrument;
  std::filesystem::path file;
  Duration interval{};
};

// Maps --data arguments to pairs: "BTC/USD=path.csv" names the pair; a bare path must be a
// Kraken file name <ALTNAME>_<minutes>.csv of a configured pair. `default_interval` applies to
// the explicit form.
Result<std::vector<BacktestInput>> resolve_data_arguments(const config::Config& config,
                                                          const std::vector<std::string>& arguments,
                                                          Duration default_interval);

struct BacktestOutcome {
  backtest::PerformanceSummary summary;
  std::vector<backtest::EquityPoint> equity_curve;  // after each bar close time
  std::vector<ClosedTrade> trades;
  PortfolioState final_state;
  uint64_t events_dispatched = 0;
  uint64_t handler_failures = 0;
};

// Called with the run's bus before the first bar, to attach observers (logger, event log).
using BusObserver = std::function<void(PubSubManager&)>;

Result<BacktestOutcome> run_backtest(const config::Config& config,
                                     const std::vector<BacktestInput>& inputs,
                                     const BusObserver& observe = {});

// Writes report.html, summary.txt, summary.json, trades.csv and equity.csv into `directory`
// (created if needed). Each file is written to a temporary name and renamed into place.
Status write_backtest_report(const BacktestOutcome& outcome, const std::filesystem::path& directory,
                             const std::string& currency);

}  // namespace galfriday::app
