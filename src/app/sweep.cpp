#include "galfriday/app/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <thread>

#include "galfriday/features/feature_engine.hpp"
#include "galfriday/models/dataset.hpp"
#include "galfriday/prediction/xgboost_training.hpp"

namespace galfriday::app {
namespace {

constexpr double kUnbounded = std::numeric_limits<double>::infinity();

// A key a sweep may set, with the range the config loader accepts for it.
struct SweepKey {
  std::string_view key;
  double min;
  double max;
  bool min_exclusive;
  bool max_exclusive;
  bool integer;
  void (*set)(config::Config&, double);
};

const std::vector<SweepKey>& sweep_keys() {
  static const std::vector<SweepKey> keys = {
      {"strategy.buy_threshold", 0, 1, false, false, false,
       [](config::Config& c, double v) { c.strategy.buy_threshold = v; }},
      {"strategy.sell_threshold", 0, 1, false, false, false,
       [](config::Config& c, double v) { c.strategy.sell_threshold = v; }},
      {"strategy.sl_pct", 0, 100, true, true, false,
       [](config::Config& c, double v) { c.strategy.sl_pct = v; }},
      {"strategy.tp_pct", 0, 100, true, true, false,
       [](config::Config& c, double v) { c.strategy.tp_pct = v; }},
      {"strategy.sl_atr_multiple", 0, kUnbounded, true, false, false,
       [](config::Config& c, double v) { c.strategy.sl_atr_multiple = v; }},
      {"strategy.tp_atr_multiple", 0, kUnbounded, true, false, false,
       [](config::Config& c, double v) { c.strategy.tp_atr_multiple = v; }},
      {"strategy.limit_offset_pct", 0, 100, false, false, false,
       [](config::Config& c, double v) { c.strategy.limit_offset_pct = v; }},
      {"strategy.cooldown_bars", 0, 1e9, false, false, true,
       [](config::Config& c, double v) { c.strategy.cooldown_bars = static_cast<int>(v); }},
      {"strategy.max_holding_bars", 0, 1e9, false, false, true,
       [](config::Config& c, double v) { c.strategy.max_holding_bars = static_cast<int>(v); }},
      {"risk.risk_per_trade_pct", 0, 100, true, false, false,
       [](config::Config& c, double v) { c.risk.risk_per_trade_pct = v; }},
      {"risk.max_exposure_per_pair_pct", 0, 100, false, false, false,
       [](config::Config& c, double v) { c.risk.max_exposure_per_pair_pct = v; }},
      {"risk.max_total_exposure_pct", 0, 100, false, false, false,
       [](config::Config& c, double v) { c.risk.max_total_exposure_pct = v; }},
      {"risk.fat_finger_max_deviation_pct", 0, 100, false, false, false,
       [](config::Config& c, double v) { c.risk.fat_finger_max_deviation_pct = v; }},
      {"prediction.momentum_sensitivity", 0, kUnbounded, true, false, false,
       [](config::Config& c, double v) { c.prediction.momentum_sensitivity = v; }},
  };
  return keys;
}

const SweepKey* find_key(std::string_view key) {
  for (const auto& candidate : sweep_keys()) {
    if (candidate.key == key) return &candidate;
  }
  return nullptr;
}

// Shortest text that reads back as the same double ("0.65", "2", "100", "1e-05").
std::string number_text(double value) {
  char buffer[32];
  if (value == std::floor(value) && std::abs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", digits, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "null";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string_view short_key(std::string_view key) {
  const auto dot = key.find('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

size_t resolve_threads(size_t threads) {
  if (threads > 0) return threads;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

std::vector<std::string> sweepable_keys() {
  std::vector<std::string> out;
  for (const auto& key : sweep_keys()) out.emplace_back(key.key);
  return out;
}

Result<SweepParameter> parse_sweep_parameter(std::string_view argument) {
  const std::string where = "--param " + std::string(argument);
  const auto equals = argument.find('=');
  if (equals == std::string_view::npos) {
    return invalid_argument(where + ": expected KEY=V1,V2,... (e.g. strategy.sl_pct=1,2,3)");
  }
  SweepParameter parameter;
  parameter.key = std::string(argument.substr(0, equals));
  const SweepKey* spec = find_key(parameter.key);
  if (spec == nullptr) {
    std::string known;
    for (const auto& key : sweep_keys())
      known += (known.empty() ? "" : ", ") + std::string(key.key);
    return invalid_argument(where + ": " + parameter.key +
                            " cannot be swept; sweepable keys: " + known);
  }
  std::string_view rest = argument.substr(equals + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string text(rest.substr(0, comma));
    if (text.empty()) return invalid_argument(where + ": empty value");
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value)) {
      return invalid_argument(where + ": '" + text + "' is not a number");
    }
    const bool below = spec->min_exclusive ? value <= spec->min : value < spec->min;
    const bool above = spec->max_exclusive ? value >= spec->max : value > spec->max;
    if (below || above) {
      return invalid_argument(where + ": " + text + " is outside " +
                              (spec->min_exclusive ? "(" : "[") + number_text(spec->min) + ", " +
                              (std::isinf(spec->max) ? "inf" : number_text(spec->max)) +
                              (spec->max_exclusive ? ")" : "]"));
    }
    if (spec->integer && value != std::floor(value)) {
      return invalid_argument(where + ": " + text + " is not a whole number");
    }
    if (std::find(parameter.values.begin(), parameter.values.end(), value) !=
        parameter.values.end()) {
      return invalid_argument(where + ": " + text + " is given twice");
    }
    parameter.values.push_back(value);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return parameter;
}

Result<std::vector<GridPoint>> expand_grid(const std::vector<SweepParameter>& parameters,
                                           size_t max_points) {
  if (parameters.empty()) return invalid_argument("a sweep needs at least one --param");
  size_t total = 1;
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].values.empty()) {
      return invalid_argument("--param " + parameters[i].key + " has no values");
    }
    for (size_t j = 0; j < i; ++j) {
      if (parameters[j].key == parameters[i].key) {
        return invalid_argument("--param " + parameters[i].key + " is given twice");
      }
    }
    if (total > max_points / parameters[i].values.size()) {
      return invalid_argument("the grid has more than " + std::to_string(max_points) +
                              " combinations");
    }
    total *= parameters[i].values.size();
  }
  std::vector<GridPoint> points;
  points.reserve(total);
  std::vector<size_t> digits(parameters.size(), 0);
  for (size_t n = 0; n < total; ++n) {
    GridPoint point;
    for (size_t i = 0; i < parameters.size(); ++i) {
      point.emplace_back(parameters[i].key, parameters[i].values[digits[i]]);
    }
    points.push_back(std::move(point));
    // Odometer: the last parameter turns fastest.
    for (size_t i = parameters.size(); i-- > 0;) {
      if (++digits[i] < parameters[i].values.size()) break;
      digits[i] = 0;
    }
  }
  return points;
}

Result<config::Config> apply_grid_point(const config::Config& base, const GridPoint& point) {
  config::Config config = base;
  for (const auto& [key, value] : point) {
    const SweepKey* spec = find_key(key);
    if (spec == nullptr) return invalid_argument(key + " cannot be swept");
    spec->set(config, value);
  }
  // The loader's rules across fields that sweepable keys take part in.
  if (!(config.strategy.buy_threshold > config.strategy.sell_threshold)) {
    return failed_precondition(
        "strategy.buy_threshold " + number_text(config.strategy.buy_threshold) +
        " is not above strategy.sell_threshold " + number_text(config.strategy.sell_threshold));
  }
  if (config.risk.max_exposure_per_pair_pct > config.risk.max_total_exposure_pct) {
    return failed_precondition(
        "risk.max_exposure_per_pair_pct " + number_text(config.risk.max_exposure_per_pair_pct) +
        " exceeds risk.max_total_exposure_pct " + number_text(config.risk.max_total_exposure_pct));
  }
  if (config.strategy.sl_pct < config.risk.min_sl_distance_pct) {
    return failed_precondition("strategy.sl_pct " + number_text(config.strategy.sl_pct) +
                               " is below risk.min_sl_distance_pct " +
                               number_text(config.risk.min_sl_distance_pct));
  }
  return config;
}

std::string grid_point_label(const GridPoint& point) {
  std::string out;
  for (const auto& [key, value] : point) {
    if (!out.empty()) out += ' ';
    out += std::string(short_key(key)) + "=" + number_text(value);
  }
  return out;
}

std::string_view to_string(config::RankMetric metric) {
  switch (metric) {
    case config::RankMetric::kSharpe:
      return "sharpe";
    case config::RankMetric::kSortino:
      return "sortino";
    case config::RankMetric::kCalmar:
      return "calmar";
    case config::RankMetric::kTotalReturn:
      return "total_return";
    case config::RankMetric::kMaxDrawdown:
      return "max_drawdown";
    case config::RankMetric::kProfitFactor:
      return "profit_factor";
    case config::RankMetric::kWinRate:
      return "win_rate";
  }
  return "?";
}

double metric_value(const backtest::PerformanceSummary& s, config::RankMetric metric) {
  switch (metric) {
    case config::RankMetric::kSharpe:
      return s.sharpe_ratio;
    case config::RankMetric::kSortino:
      return s.sortino_ratio;
    case config::RankMetric::kCalmar:
      return s.calmar_ratio;
    case config::RankMetric::kTotalReturn:
      return s.total_return_pct;
    case config::RankMetric::kMaxDrawdown:
      return s.max_drawdown_pct;
    case config::RankMetric::kProfitFactor:
      return s.profit_factor;
    case config::RankMetric::kWinRate:
      return s.win_rate_pct;
  }
  return 0.0;
}

std::vector<size_t> rank_order(std::span<const backtest::PerformanceSummary> summaries,
                               config::RankMetric metric) {
  std::vector<size_t> order(summaries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const bool lower_is_better = metric == config::RankMetric::kMaxDrawdown;
  // Higher-is-better score; NaN becomes -inf so it ranks last.
  const auto score = [&](size_t i) {
    const double v = metric_value(summaries[i], metric);
    if (std::isnan(v)) return -kUnbounded;
    return lower_is_better ? -v : v;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score(a) > score(b); });
  return order;
}

Result<std::vector<backtest::PerformanceSummary>> run_tasks(const std::vector<BacktestTask>& tasks,
                                                            size_t threads) {
  std::vector<std::optional<Result<backtest::PerformanceSummary>>> results(tasks.size());
  std::atomic<size_t> next{0};
  const auto work = [&] {
    // Each task writes only its own slot; which thread runs it does not matter.
    for (size_t i = next.fetch_add(1); i < tasks.size(); i = next.fetch_add(1)) {
      const BacktestTask& task = tasks[i];
      auto outcome = run_backtest_on_bars(task.config, task.bars, task.window);
      if (!outcome) {
        results[i] = outcome.status().with_context(task.label);
      } else if (outcome->handler_failures > 0) {
        results[i] = internal_error(task.label + ": " + std::to_string(outcome->handler_failures) +
                                    " handler failure(s) during the run");
      } else {
        results[i] = std::move(outcome->summary);
      }
    }
  };
  const size_t workers = std::min(resolve_threads(threads), std::max<size_t>(tasks.size(), 1));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();

  std::vector<backtest::PerformanceSummary> summaries;
  summaries.reserve(tasks.size());
  for (auto& result : results) {
    if (!result->is_ok()) return result->status();
    summaries.push_back(std::move(**result));
  }
  return summaries;
}

Result<SweepResult> run_sweep(const config::Config& base,
                              std::span<const MarketDataOHLCVEvent> bars,
                              const std::vector<SweepParameter>& parameters,
                              config::RankMetric rank_by, size_t threads) {
  auto points = expand_grid(parameters);
  if (!points) return points.status();
  SweepResult result;
  result.rank_by = rank_by;
  std::vector<BacktestTask> tasks;
  std::vector<size_t> task_point;
  for (size_t i = 0; i < points->size(); ++i) {
    auto config = apply_grid_point(base, (*points)[i]);
    if (!config) {
      if (config.status().code() != StatusCode::kFailedPrecondition) return config.status();
      result.skipped.push_back((*points)[i]);
      continue;
    }
    tasks.push_back({"run " + std::to_string(i) + " (" + grid_point_label((*points)[i]) + ")",
                     std::move(*config), bars, ScoreWindow{}});
    task_point.push_back(i);
  }
  if (tasks.empty()) {
    return invalid_argument("every grid combination breaks a config rule (e.g. " +
                            grid_point_label(result.skipped.front()) + ")");
  }
  auto summaries = run_tasks(tasks, threads);
  if (!summaries) return summaries.status();
  for (const size_t t : rank_order(*summaries, rank_by)) {
    result.runs.push_back({task_point[t], (*points)[task_point[t]], (*summaries)[t]});
  }
  return result;
}

Result<std::vector<WalkForwardWindow>> walk_forward_windows(Timestamp data_start,
                                                            Timestamp data_end,
                                                            const WalkForwardSpec& spec) {
  if (spec.train <= Duration::zero())
    return invalid_argument("walk-forward: train length must be > 0");
  if (spec.test <= Duration::zero())
    return invalid_argument("walk-forward: test length must be > 0");
  if (spec.step < Duration::zero()) return invalid_argument("walk-forward: step must be >= 0");
  const Duration step = spec.step == Duration::zero() ? spec.test : spec.step;
  std::vector<WalkForwardWindow> windows;
  for (int k = 0;; ++k) {
    WalkForwardWindow w;
    w.index = k;
    w.train_start = spec.anchored ? data_start : data_start + step * k;
    w.train_end = data_start + spec.train + step * k;
    w.test_start = w.train_end;
    w.test_end = w.test_start + spec.test;
    if (w.test_end > data_end) break;
    windows.push_back(w);
  }
  if (windows.empty()) {
    const auto hours = [](Duration d) {
      return number_text(std::chrono::duration<double, std::ratio<3600>>(d).count());
    };
    return invalid_argument("walk-forward: the data spans " + hours(data_end - data_start) +
                            " h (" + format_iso8601(data_start) + " to " +
                            format_iso8601(data_end) + "), less than one train + test window (" +
                            hours(spec.train) + " h + " + hours(spec.test) + " h)");
  }
  return windows;
}

namespace {

// The bars closing in (from, to]; `bars` are in close-time order.
std::span<const MarketDataOHLCVEvent> bars_closing_in(std::span<const MarketDataOHLCVEvent> bars,
                                                      Timestamp from, Timestamp to) {
  const auto by_close = [](const MarketDataOHLCVEvent& bar, Timestamp t) {
    return bar.meta.ts_event <= t;
  };
  const auto begin = std::partition_point(bars.begin(), bars.end(),
                                          [&](const auto& bar) { return by_close(bar, from); });
  const auto end =
      std::partition_point(begin, bars.end(), [&](const auto& bar) { return by_close(bar, to); });
  return {begin, end};
}

struct TrainedWindow {
  std::filesystem::path model_path;
  std::map<std::string, double> metrics;
};

// Trains the window's model on its training bars: one labelled dataset per pair through the
// same FeatureEngine code as live features, rows concatenated.
Result<TrainedWindow> train_window(const config::Config& config,
                                   std::span<const MarketDataOHLCVEvent> train_bars,
                                   const WalkForwardWindow& window,
                                   const std::filesystem::path& model_dir) {
  std::map<InstrumentId, std::vector<MarketDataOHLCVEvent>> by_pair;
  for (const auto& bar : train_bars) by_pair[bar.instrument].push_back(bar);
  const models::LabelSpec labels = models::label_spec_from(config.models);
  Dataset data;
  for (const auto& [instrument, bars] : by_pair) {
    auto labelled = models::build_labelled_dataset(bars, config.features, labels);
    if (!labelled) return labelled.status().with_context(instrument.str());
    if (data.feature_names.empty()) data.feature_names = labelled->data.feature_names;
    data.values.insert(data.values.end(), labelled->data.values.begin(),
                       labelled->data.values.end());
    data.labels.insert(data.labels.end(), labelled->data.labels.begin(),
                       labelled->data.labels.end());
  }
  if (data.rows() == 0) return invalid_argument("the training window holds no labelled rows");
  TrainingParams params;
  params.rounds = config.models.rounds;
  params.max_depth = config.models.max_depth;
  params.eta = config.models.eta;
  params.seed = 0;
  params.nthread = 1;
  auto trained = train_xgboost(data, params);
  if (!trained) return trained.status();
  trained->metadata().model_id = "walk_forward_" + std::to_string(window.index);
  trained->metadata().target = config.prediction.target;
  trained->metadata().training_start = window.train_start;
  trained->metadata().training_end = window.train_end;
  const std::filesystem::path directory = model_dir / ("window_" + std::to_string(window.index));
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return permission_denied("cannot create " + directory.string() + ": " + ec.message());
  TrainedWindow out;
  out.model_path = directory / "model.json";
  GF_RETURN_IF_ERROR(trained->save(out.model_path));
  out.metrics = trained->metadata().metrics;
  return out;
}

}  // namespace

Result<WalkForwardResult> run_walk_forward(const config::Config& config,
                                           std::span<const MarketDataOHLCVEvent> bars,
                                           const WalkForwardSpec& spec,
                                           const std::filesystem::path& model_dir, size_t threads) {
  if (bars.empty()) return invalid_argument("walk-forward: no bars");
  Duration interval = Duration::zero();
  Timestamp data_start = bars.front().bar_start;
  for (const auto& bar : bars) {
    interval = std::max(interval, bar.interval);
    data_start = std::min(data_start, bar.bar_start);
  }
  auto windows = walk_forward_windows(data_start, bars.back().meta.ts_event, spec);
  if (!windows) return windows.status();
  auto engine = FeatureEngine::create(config.features);
  if (!engine) return engine.status();
  // Replayed before each test window so its features are warm when the window opens.
  const Duration warmup = interval * (*engine)->warmup_bars();
  const bool train = config.prediction.model_type == "xgboost";

  std::vector<WalkForwardRun> runs(windows->size());
  std::vector<std::optional<Status>> failures(windows->size());
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next.fetch_add(1); i < windows->size(); i = next.fetch_add(1)) {
      const WalkForwardWindow& window = (*windows)[i];
      const std::string label = "window " + std::to_string(window.index) + " (test " +
                                format_iso8601(window.test_start) + " to " +
                                format_iso8601(window.test_end) + ")";
      config::Config run_config = config;
      runs[i].window = window;
      if (train) {
        auto trained = train_window(
            config, bars_closing_in(bars, window.train_start, window.train_end), window, model_dir);
        if (!trained) {
          failures[i] = trained.status().with_context(label + ": training");
          continue;
        }
        run_config.prediction.model_path = trained->model_path;
        run_config.prediction.model_id = "walk_forward_" + std::to_string(window.index);
        runs[i].model_path = trained->model_path;
        runs[i].training_metrics = std::move(trained->metrics);
      }
      auto outcome = run_backtest_on_bars(
          run_config, bars_closing_in(bars, window.test_start - warmup, window.test_end),
          ScoreWindow{window.test_start});
      if (!outcome) {
        failures[i] = outcome.status().with_context(label);
        continue;
      }
      runs[i].summary = std::move(outcome->summary);
    }
  };
  const size_t workers = std::min(resolve_threads(threads), windows->size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  for (const auto& failure : failures) {
    if (failure) return *failure;
  }

  WalkForwardResult result;
  double growth = 1.0;
  double sharpe_sum = 0.0;
  for (const auto& run : runs) {
    growth *= 1.0 + run.summary.total_return_pct / 100.0;
    sharpe_sum += run.summary.sharpe_ratio;
    result.trades += run.summary.trades;
  }
  result.compounded_return_pct = (growth - 1.0) * 100.0;
  result.mean_sharpe = sharpe_sum / static_cast<double>(runs.size());
  result.runs = std::move(runs);
  return result;
}

// ---- Output -------------------------------------------------------------------------------------

namespace {

struct Column {
  const char* name;
  std::string (*value)(const backtest::PerformanceSummary&);
};

const std::vector<Column>& metric_columns() {
  static const std::vector<Column> columns = {
      {"total_return_pct", [](const auto& s) { return fixed(s.total_return_pct, 4); }},
      {"sharpe", [](const auto& s) { return fixed(s.sharpe_ratio, 4); }},
      {"sortino", [](const auto& s) { return fixed(s.sortino_ratio, 4); }},
      {"calmar", [](const auto& s) { return fixed(s.calmar_ratio, 4); }},
      {"max_drawdown_pct", [](const auto& s) { return fixed(s.max_drawdown_pct, 4); }},
      {"profit_factor", [](const auto& s) { return fixed(s.profit_factor, 4); }},
      {"win_rate_pct", [](const auto& s) { return fixed(s.win_rate_pct, 2); }},
      {"trades", [](const auto& s) { return std::to_string(s.trades); }},
      {"fees_paid", [](const auto& s) { return s.fees_paid.to_string(); }},
      {"final_equity", [](const auto& s) { return s.final_equity.to_string(); }},
  };
  return columns;
}

std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

// Rows of cells to aligned text (right-aligned, two spaces apart).
std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) out += (c ? "  " : "") + pad(row[c], widths[c]);
    out += '\n';
  }
  return out;
}

std::string summary_json_fields(const backtest::PerformanceSummary& s,
                                const std::string& currency) {
  std::string out = "\"start\": " + json_string(format_iso8601(s.start)) +
                    ", \"end\": " + json_string(format_iso8601(s.end)) +
                    ", \"bars\": " + std::to_string(s.bars) +
                    ", \"currency\": " + json_string(currency);
  for (const auto& column : metric_columns()) {
    const std::string value = column.value(s);
    const bool text = std::string_view(column.name) == "fees_paid" ||
                      std::string_view(column.name) == "final_equity";
    out += std::string(", \"") + column.name + "\": " + (text ? json_string(value) : value);
  }
  return out;
}

}  // namespace

std::string format_sweep_table(const SweepResult& result, size_t limit) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"rank", "run"};
  if (!result.runs.empty()) {
    for (const auto& [key, value] : result.runs.front().point) header.emplace_back(short_key(key));
  }
  for (const auto& column : metric_columns()) header.emplace_back(column.name);
  rows.push_back(header);
  for (size_t r = 0; r < result.runs.size() && (limit == 0 || r < limit); ++r) {
    const SweepRun& run = result.runs[r];
    std::vector<std::string> row = {std::to_string(r + 1), std::to_string(run.index)};
    for (const auto& [key, value] : run.point) row.push_back(number_text(value));
    for (const auto& column : metric_columns()) row.push_back(column.value(run.summary));
    rows.push_back(std::move(row));
  }
  std::string out =
      "sweep: " + std::to_string(result.runs.size()) + " run(s) ranked by " +
      std::string(to_string(result.rank_by)) +
      (result.rank_by == config::RankMetric::kMaxDrawdown ? " (smallest first)" : " (best first)");
  if (!result.skipped.empty()) {
    out += "; " + std::to_string(result.skipped.size()) +
           " combination(s) skipped (buy_threshold <= sell_threshold or similar)";
  }
  return out + "\n" + render_table(rows);
}

std::string sweep_to_json(const SweepResult& result, const std::string& currency) {
  std::string out =
      "{\n  \"rank_by\": " + json_string(to_string(result.rank_by)) + ",\n  \"runs\": [";
  for (size_t r = 0; r < result.runs.size(); ++r) {
    const SweepRun& run = result.runs[r];
    out += std::string(r ? "," : "") + "\n    {\"rank\": " + std::to_string(r + 1) +
           ", \"run\": " + std::to_string(run.index) + ", \"params\": {";
    for (size_t p = 0; p < run.point.size(); ++p) {
      out += std::string(p ? ", " : "") + json_string(run.point[p].first) + ": " +
             number_text(run.point[p].second);
    }
    out += "}, " + summary_json_fields(run.summary, currency) + "}";
  }
  out += "\n  ],\n  \"skipped\": [";
  for (size_t i = 0; i < result.skipped.size(); ++i) {
    out += std::string(i ? ", " : "") + json_string(grid_point_label(result.skipped[i]));
  }
  return out + "]\n}\n";
}

std::string sweep_to_csv(const SweepResult& result) {
  std::string out = "rank,run";
  if (!result.runs.empty()) {
    for (const auto& [key, value] : result.runs.front().point) out += "," + key;
  }
  for (const auto& column : metric_columns()) out += std::string(",") + column.name;
  out += '\n';
  for (size_t r = 0; r < result.runs.size(); ++r) {
    const SweepRun& run = result.runs[r];
    out += std::to_string(r + 1) + "," + std::to_string(run.index);
    for (const auto& [key, value] : run.point) out += "," + number_text(value);
    for (const auto& column : metric_columns()) out += "," + column.value(run.summary);
    out += '\n';
  }
  return out;
}

std::string format_walk_forward_table(const WalkForwardResult& result) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"window", "train_start", "test_start", "test_end"};
  for (const auto& column : metric_columns()) header.emplace_back(column.name);
  rows.push_back(header);
  for (const auto& run : result.runs) {
    std::vector<std::string> row = {
        std::to_string(run.window.index), format_iso8601(run.window.train_start),
        format_iso8601(run.window.test_start), format_iso8601(run.window.test_end)};
    for (const auto& column : metric_columns()) row.push_back(column.value(run.summary));
    rows.push_back(std::move(row));
  }
  return "walk-forward: " + std::to_string(result.runs.size()) +
         " window(s); test windows chained: return " + fixed(result.compounded_return_pct, 4) +
         " %, mean Sharpe " + fixed(result.mean_sharpe, 4) + ", " + std::to_string(result.trades) +
         " trade(s)\n" + render_table(rows);
}

std::string walk_forward_to_json(const WalkForwardResult& result, const std::string& currency) {
  std::string out = "{\n  \"compounded_return_pct\": " + fixed(result.compounded_return_pct, 6) +
                    ",\n  \"mean_sharpe\": " + fixed(result.mean_sharpe, 6) +
                    ",\n  \"trades\": " + std::to_string(result.trades) + ",\n  \"windows\": [";
  for (size_t i = 0; i < result.runs.size(); ++i) {
    const auto& run = result.runs[i];
    out += std::string(i ? "," : "") + "\n    {\"window\": " + std::to_string(run.window.index) +
           ", \"train_start\": " + json_string(format_iso8601(run.window.train_start)) +
           ", \"train_end\": " + json_string(format_iso8601(run.window.train_end)) +
           ", \"test_start\": " + json_string(format_iso8601(run.window.test_start)) +
           ", \"test_end\": " + json_string(format_iso8601(run.window.test_end)) +
           ", \"model_path\": " + json_string(run.model_path.generic_string()) +
           ", \"training_metrics\": {";
    bool first = true;
    for (const auto& [name, value] : run.training_metrics) {
      out += std::string(first ? "" : ", ") + json_string(name) + ": " + fixed(value, 6);
      first = false;
    }
    out += "}, " + summary_json_fields(run.summary, currency) + "}";
  }
  return out + "\n  ]\n}\n";
}

std::string walk_forward_to_csv(const WalkForwardResult& result) {
  std::string out = "window,train_start,train_end,test_start,test_end";
  for (const auto& column : metric_columns()) out += std::string(",") + column.name;
  out += '\n';
  for (const auto& run : result.runs) {
    out += std::to_string(run.window.index) + "," + format_iso8601(run.window.train_start) + "," +
           format_iso8601(run.window.train_end) + "," + format_iso8601(run.window.test_start) +
           "," + format_iso8601(run.window.test_end);
    for (const auto& column : metric_columns()) out += "," + column.value(run.summary);
    out += '\n';
  }
  return out;
}

}  // namespace galfriday::app
