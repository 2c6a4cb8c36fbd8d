// Full-pipeline backtest throughput: one year of 1-minute bars for two pairs (1,051,200 bars)
// through features, model, strategy, risk, simulated exchange and portfolio. Prints bars/s and
// the process's peak memory. Target (DESIGN.md): >= 200 k bars/s (<= 5 s for the year).
// Two models: the momentum baseline, and an XGBoost model of 200 trees of depth 6 over the
// configured (default) features, trained once on the first 30 days of BTC/USD.

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <filesystem>

#include "galfriday/app/backtest_runner.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/models/dataset.hpp"
#include "galfriday/prediction/xgboost_training.hpp"

namespace galfriday {
namespace {

constexpr int64_t kBarsPerYear = 365LL * 24 * 60;

struct YearOfData {
  config::Config config = config::default_config();
  std::vector<app::BacktestInput> inputs;
  std::filesystem::path directory;

  YearOfData() {
    directory = std::filesystem::temp_directory_path() / "galfriday-bench-year";
    std::filesystem::create_directories(directory);
    auto instruments = app::build_instruments(config).value();
    uint64_t seed = 7;
    for (const auto& spec : instruments.all()) {
      const auto file = directory / (spec.altname + "_1.csv");
      if (!std::filesystem::exists(file)) {
        SampleDataOptions options;
        options.bars = kBarsPerYear;
        options.seed = seed;
        const Price start =
            Price::parse(spec.base == "BTC" ? "42000" : "2300", spec.price_precision).value();
        if (!write_sample_ohlcvt(file, spec, start, options).is_ok()) std::abort();
      }
      ++seed;
      inputs.push_back({spec.id, file, std::chrono::minutes(1)});
    }
  }
};

void BM_BacktestYearTwoPairs(benchmark::State& state) {
  static YearOfData data;
  int64_t bars = 0;
  for (auto _ : state) {
    auto outcome = app::run_backtest(data.config, data.inputs);
    if (!outcome) {
      state.SkipWithError(outcome.status().to_string().c_str());
      return;
    }
    bars += outcome->summary.bars;
    benchmark::DoNotOptimize(outcome->summary.final_equity);
  }
  state.SetItemsProcessed(bars);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
}
BENCHMARK(BM_BacktestYearTwoPairs)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

// The same year with the 200-tree depth-6 XGBoost model predicting on every bar (synchronous
// inference, as in every backtest).
void BM_BacktestYearTwoPairsXGBoost(benchmark::State& state) {
  static YearOfData data;
  static const config::Config config = [] {
    config::Config c = data.config;
    auto bars = app::load_bars(c, {data.inputs.front()}).value();
    bars.resize(30 * 24 * 60);
    auto labelled =
        models::build_labelled_dataset(bars, c.features, models::label_spec_from(c.models));
    if (!labelled) std::abort();
    TrainingParams params;
    params.rounds = 200;
    params.max_depth = 6;
    auto trained = train_xgboost(labelled->data, params);
    if (!trained) std::abort();
    trained->metadata().model_id = "bench_200x6";
    trained->metadata().target = c.prediction.target;
    const auto path = data.directory / "xgb_200x6.json";
    if (!trained->save(path).is_ok()) std::abort();
    c.prediction.model_type = "xgboost";
    c.prediction.model_path = path;
    c.prediction.model_id = "bench_200x6";
    return c;
  }();
  int64_t bars = 0;
  for (auto _ : state) {
    auto outcome = app::run_backtest(config, data.inputs);
    if (!outcome) {
      state.SkipWithError(outcome.status().to_string().c_str());
      return;
    }
    bars += outcome->summary.bars;
    benchmark::DoNotOptimize(outcome->summary.final_equity);
  }
  state.SetItemsProcessed(bars);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
}
BENCHMARK(BM_BacktestYearTwoPairsXGBoost)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace galfriday

BENCHMARK_MAIN();
