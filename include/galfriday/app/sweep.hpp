#pragma once
// Parameter sweeps and walk-forward analysis: many backtests over the same in-memory bars on
// worker threads. Every run is isolated (run_backtest_on_bars builds its own clock, scheduler,
// bus and services) and results are stored by run index, so the output is identical for any
// number of threads.

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "galfriday/app/backtest_runner.hpp"

namespace galfriday::app {

// ---- Grids -----------------------------------------------------------------------------------

// One swept parameter: a config key and the values to try, parsed from
// "strategy.buy_threshold=0.6,0.65,0.7".
struct SweepParameter {
  std::string key;
  std::vector<double> values;
};

// The keys a sweep may vary (strategy.*, risk.*, prediction.momentum_sensitivity).
std::vector<std::string> sweepable_keys();

// Fails naming the argument on a missing '=', an unknown key, an empty or non-numeric value, a
// value outside the key's range, a fractional value for an integer key, or a repeated value.
Result<SweepParameter> parse_sweep_parameter(std::string_view argument);

// One combination of values: (key, value) in parameter order.
using GridPoint = std::vector<std::pair<std::string, double>>;

// The cartesian product of the parameters' values, the last parameter varying fastest. Fails on
// no parameters, a key given twice, or more than max_points combinations.
inline constexpr size_t kMaxGridPoints = 100000;
Result<std::vector<GridPoint>> expand_grid(const std::vector<SweepParameter>& parameters,
                                           size_t max_points = kMaxGridPoints);

// `base` with the point's values set. FAILED_PRECONDITION when the combination breaks a rule
// across fields (buy_threshold must exceed sell_threshold): a sweep skips such points.
Result<config::Config> apply_grid_point(const config::Config& base, const GridPoint& point);

// "buy_threshold=0.6 sl_pct=2": keys without their section, values in shortest form.
std::string grid_point_label(const GridPoint& point);

// ---- Ranking ----------------------------------------------------------------------------------

std::string_view to_string(config::RankMetric metric);
// The metric's value in a summary; higher ranks first except max_drawdown (lower first).
double metric_value(const backtest::PerformanceSummary& summary, config::RankMetric metric);
// Indexes of `summaries` best first by `metric`; ties (and NaN, ranked last) keep index order.
std::vector<size_t> rank_order(std::span<const backtest::PerformanceSummary> summaries,
                               config::RankMetric metric);

// ---- Running many backtests -------------------------------------------------------------------

struct BacktestTask {
  std::string label;  // names the task in errors
  config::Config config;
  std::span<const MarketDataOHLCVEvent> bars;
  ScoreWindow window;
};

// Runs every task on `threads` workers (at least 1; 0 = one per hardware thread). Summaries are
// in task order. When tasks fail, the error is that of the lowest-numbered failing task, with
// its label, whatever the thread count.
Result<std::vector<backtest::PerformanceSummary>> run_tasks(const std::vector<BacktestTask>& tasks,
                                                            size_t threads);

struct SweepRun {
  size_t index = 0;  // position in the expanded grid
  GridPoint point;
  backtest::PerformanceSummary summary;
};

struct SweepResult {
  std::vector<SweepRun> runs;  // best first by the rank metric
  config::RankMetric rank_by = config::RankMetric::kSharpe;
  std::vector<GridPoint> skipped;  // combinations that break a cross-field rule
};

Result<SweepResult> run_sweep(const config::Config& base,
                              std::span<const MarketDataOHLCVEvent> bars,
                              const std::vector<SweepParameter>& parameters,
                              config::RankMetric rank_by, size_t threads);

// ---- Walk-forward -----------------------------------------------------------------------------

struct WalkForwardSpec {
  Duration train{};       // length of each training window
  Duration test{};        // length of each test window, which starts where its training ends
  Duration step{};        // how far each window moves on; zero = test (back-to-back test windows)
  bool anchored = false;  // training windows all start at the data's start (expanding)
};

struct WalkForwardWindow {
  int index = 0;
  Timestamp train_start{};
  Timestamp train_end{};
  Timestamp test_start{};
  Timestamp test_end{};
};

// Windows over [data_start, data_end): window k trains on [start_k, start_k + train) (anchored:
// [data_start, data_start + train + k·step)) and tests on the following `test`; windows are
// produced while the test window ends by data_end. Fails on non-positive lengths or when not
// even one window fits, with the lengths involved.
Result<std::vector<WalkForwardWindow>> walk_forward_windows(Timestamp data_start,
                                                            Timestamp data_end,
                                                            const WalkForwardSpec& spec);

struct WalkForwardRun {
  WalkForwardWindow window;
  backtest::PerformanceSummary summary;  // over the test window only
  std::filesystem::path model_path;      // the window's trained model (xgboost), else empty
  std::map<std::string, double> training_metrics;  // xgboost: train_auc, train_rows, ...
};

struct WalkForwardResult {
  std::vector<WalkForwardRun> runs;    // in window order
  double compounded_return_pct = 0.0;  // test windows' returns chained
  double mean_sharpe = 0.0;
  int64_t trades = 0;
};

// For each window: with prediction.model_type xgboost, trains a model on the training window's
// bars (features through FeatureEngine, labels and XGBoost settings from the models section,
// one thread, seed 0) and saves it under model_dir/window_<k>/; then backtests the test window
// with that model (any other model type is used as configured). Each test run replays the
// features' warm-up bars before its window, which are not scored.
Result<WalkForwardResult> run_walk_forward(const config::Config& config,
                                           std::span<const MarketDataOHLCVEvent> bars,
                                           const WalkForwardSpec& spec,
                                           const std::filesystem::path& model_dir, size_t threads);

// ---- Output -----------------------------------------------------------------------------------

// A fixed-width table of the runs in ranked order (at most `limit` rows; 0 = all).
std::string format_sweep_table(const SweepResult& result, size_t limit);
std::string sweep_to_json(const SweepResult& result, const std::string& currency);
std::string sweep_to_csv(const SweepResult& result);

std::string format_walk_forward_table(const WalkForwardResult& result);
std::string walk_forward_to_json(const WalkForwardResult& result, const std::string& currency);
std::string walk_forward_to_csv(const WalkForwardResult& result);

}  // namespace galfriday::app
