// Model lifecycle benchmark: one year of 1-minute bars (525,600) through the retraining path —
// labelled dataset via the live FeatureEngine, one XGBoost fit with the default models config
// (100 rounds, depth 4, eta 0.1, hist, 1 thread), and the whole RetrainingPipeline (3
// walk-forward folds + final fit + holdout metrics + registration, no backtest). Each runs once:
// the figures are wall-clock seconds on this machine, not pass/fail thresholds.
//
//   build/bench/models_bench --benchmark_filter=Dataset|Fit|Pipeline

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "galfriday/models/retraining.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace {

using namespace galfriday;

constexpr size_t kYearOfMinutes = 365 * 24 * 60;

// A random walk with momentum (log returns AR(1), phi 0.3), so the model has something to fit.
std::vector<MarketDataOHLCVEvent> year_of_bars() {
  std::mt19937_64 engine(42);
  std::normal_distribution<double> noise(0.0, 0.0012);
  std::vector<MarketDataOHLCVEvent> bars;
  bars.reserve(kYearOfMinutes);
  double close = 42000.0;
  double previous = 0.0;
  const Timestamp start = timestamp_from_seconds(1704067200);
  const auto price = [](double value) {
    return Price::from_raw(static_cast<int64_t>(std::llround(value * 10.0)), 1);
  };
  for (size_t i = 0; i < kYearOfMinutes; ++i) {
    previous = 0.3 * previous + noise(engine);
    const double open = close;
    close = open * std::exp(previous);
    MarketDataOHLCVEvent bar;
    bar.instrument = InstrumentId("BTC/USD");
    bar.interval = std::chrono::minutes(1);
    bar.bar_start = start + std::chrono::minutes(static_cast<int64_t>(i));
    bar.meta.ts_event = bar.bar_start + bar.interval;
    bar.open = price(open);
    bar.close = price(close);
    bar.high = price(std::max(open, close) * 1.0004);
    bar.low = price(std::min(open, close) * 0.9996);
    bar.volume = Quantity::from_raw(250000000 + static_cast<int64_t>(i % 13) * 10000000, 8);
    bar.trade_count = 40;
    bars.push_back(bar);
  }
  return bars;
}

const std::vector<MarketDataOHLCVEvent>& bars() {
  static const auto kBars = year_of_bars();
  return kBars;
}

config::Config bench_config() { return config::default_config(); }

void BM_DatasetYearOfMinuteBars(benchmark::State& state) {
  const auto config = bench_config();
  const auto& input = bars();
  size_t rows = 0;
  for (auto _ : state) {
    auto dataset = models::build_labelled_dataset(input, config.features,
                                                  models::label_spec_from(config.models));
    if (!dataset) state.SkipWithError(dataset.status().to_string().c_str());
    rows = dataset->data.rows();
  }
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_DatasetYearOfMinuteBars)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BM_FitYearOfMinuteBars(benchmark::State& state) {
  const auto config = bench_config();
  auto dataset = models::build_labelled_dataset(bars(), config.features,
                                                models::label_spec_from(config.models));
  if (!dataset) {
    state.SkipWithError(dataset.status().to_string().c_str());
    return;
  }
  const auto options = models::retraining_options_from(config);
  double auc = 0.0;
  for (auto _ : state) {
    auto trained = train_xgboost(dataset->data, options.params);
    if (!trained) state.SkipWithError(trained.status().to_string().c_str());
    auc = trained->metadata().metrics.at("train_auc");
  }
  state.counters["rows"] = static_cast<double>(dataset->data.rows());
  state.counters["features"] = static_cast<double>(dataset->data.feature_names.size());
  state.counters["train_auc"] = auc;
}
BENCHMARK(BM_FitYearOfMinuteBars)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BM_PipelineYearOfMinuteBars(benchmark::State& state) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "gf_models_bench_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::filesystem::path dir = pattern;
  SimulatedClock clock(timestamp_from_seconds(1735689600));
  persistence::SqliteOptions sqlite;
  sqlite.durability = persistence::Durability::kNormal;
  auto db = persistence::open_sqlite(dir / "bench.db", sqlite);
  if (!db || !persistence::migrate(**db, clock).is_ok()) {
    state.SkipWithError("cannot open the benchmark database");
    return;
  }
  models::ModelRegistry registry(**db, clock, dir / "registry");
  const auto config = bench_config();
  models::RetrainingPipeline pipeline(
      registry, **db, clock, models::retraining_options_from(config),
      []() -> Result<std::vector<MarketDataOHLCVEvent>> { return bars(); });
  double auc = 0.0;
  for (auto _ : state) {
    auto report = pipeline.run("benchmark");
    if (!report) {
      state.SkipWithError(report.status().to_string().c_str());
      break;
    }
    auc = report->validation.auc;
  }
  state.counters["holdout_auc"] = auc;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
BENCHMARK(BM_PipelineYearOfMinuteBars)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
