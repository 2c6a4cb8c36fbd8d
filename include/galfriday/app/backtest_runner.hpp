#pragma once
// Runs a backtest: recorded bars through the full pipeline on a simulated clock, then a
// report. Deterministic: the same config and data give the same result, byte for byte.

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
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

// Streams the files' bars (one row ahead per file) through a fresh pipeline.
Result<BacktestOutcome> run_backtest(const config::Config& config,
                                     const std::vector<BacktestInput>& inputs,
                                     const BusObserver& observe = {});

// Replays a recording of Kraken's public WebSocket stream (`galfriday record`,
// feed/recording.hpp) through a fresh pipeline: the frames are decoded by the live feed's
// DataIngestor (market_data section: book depth, bar interval), the simulated clock moves to
// each frame's receive time (firing timers on the way) before its events are published, books
// drive the simulated exchange's fills and the closed bars drive features, strategy and the
// equity curve (one point per bar close time). Deterministic: the same file and config give the
// same outcome. kInvalidArgument when the recording holds no closed bar of a configured pair.
Result<BacktestOutcome> run_replay_backtest(const config::Config& config,
                                            const std::filesystem::path& recording,
                                            const BusObserver& observe = {});

// Every bar of the files in replay order (by close time, then file order), for runs that
// replay the same data many times (sweeps, walk-forward): read once, shared read-only.
Result<std::vector<MarketDataOHLCVEvent>> load_bars(const config::Config& config,
                                                    const std::vector<BacktestInput>& inputs);

// Which bars of a run count for the report. Bars closing at or before score_after are replayed
// (they warm up the features) but the equity curve, and so every figure of the summary, starts
// at the first bar closing after it. Trades the strategy makes before then would still count:
// a window's warm-up prefix should be no longer than the features' warm-up.
struct ScoreWindow {
  std::optional<Timestamp> score_after;
};

// Replays in-memory bars (in replay order) through a fresh pipeline: its own clock, scheduler,
// bus and services, so runs on several threads at once never share state.
Result<BacktestOutcome> run_backtest_on_bars(const config::Config& config,
                                             std::span<const MarketDataOHLCVEvent> bars,
                                             const ScoreWindow& window = {},
                                             const BusObserver& observe = {});

// Writes report.html, summary.txt, summary.json, trades.csv and equity.csv into `directory`
// (created if needed). Each file is written to a temporary name and renamed into place.
Status write_backtest_report(const BacktestOutcome& outcome, const std::filesystem::path& directory,
                             const std::string& currency);

}  // namespace galfriday::app
