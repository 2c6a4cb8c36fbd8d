// Full-pipeline backtest throughput: one year of 1-minute bars for two pairs (1,051,200 bars)
// through features, model, strategy, risk, simulated exchange and portfolio. Prints bars/s and
// the process's peak memory. Target (DESIGN.md): >= 200 k bars/s (<= 5 s for the year).
// The model is the momentum baseline until the XGBoost backend lands.

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <filesystem>

#include "galfriday/app/backtest_runner.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/ingest/sample_data.hpp"

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

}  // namespace
}  // namespace galfriday

BENCHMARK_MAIN();
