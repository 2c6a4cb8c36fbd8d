// Model inference: one XGBoost prediction (latency percentiles) through the native tree
// evaluator (what XGBoostModel::predict serves) and through the XGBoost C API (the reference),
// the synchronous service path through the bus, and predictions/s through the asynchronous
// worker pool. The model: 200 trees of depth 6 on 30 features (binary:logistic), trained here
// once; the raw evaluator is also measured on a 100-tree depth-6 model.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/prediction/prediction_service.hpp"
#include "galfriday/prediction/tree_ensemble.hpp"
#include "galfriday/prediction/xgboost_model.hpp"
#include "galfriday/prediction/xgboost_training.hpp"

namespace galfriday {
namespace {

constexpr size_t kFeatures = 30;
constexpr size_t kTrainingRows = 20000;
constexpr size_t kInputRows = 1024;
constexpr int kTrees = 200;
constexpr int kDepth = 6;

std::vector<std::string> feature_names() {
  std::vector<std::string> names;
  for (size_t i = 0; i < kFeatures; ++i) names.push_back("f" + std::to_string(i));
  return names;
}

// Rows with a signal spread over several features, so the trees use their full depth.
std::vector<double> random_rows(size_t rows, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> values(rows * kFeatures);
  for (double& v : values) v = uniform(engine);
  return values;
}

struct Fixture {
  std::unique_ptr<XGBoostModel> model;
  std::vector<double> inputs = random_rows(kInputRows, 2);
  double training_seconds = 0.0;
};

const Fixture& fixture() {
  static const Fixture* instance = [] {
    auto* f = new Fixture();
    Dataset data;
    data.feature_names = feature_names();
    data.values = random_rows(kTrainingRows, 1);
    std::mt19937_64 engine(3);
    std::normal_distribution<double> noise(0.0, 0.5);
    for (size_t r = 0; r < kTrainingRows; ++r) {
      const double* x = &data.values[r * kFeatures];
      const double signal =
          x[0] + 0.5 * x[1] * x[2] - 0.3 * x[3] + 0.2 * x[4] * x[5] + noise(engine);
      data.labels.push_back(signal > 0.0 ? 1.0 : 0.0);
    }
    TrainingParams params;
    params.rounds = kTrees;
    params.max_depth = kDepth;
    params.eta = 0.1;
    params.nthread = 1;
    const auto start = std::chrono::steady_clock::now();
    auto trained = train_xgboost(data, params);
    f->training_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!trained) {
      std::fprintf(stderr, "training failed: %s\n", trained.status().to_string().c_str());
      std::abort();
    }
    trained->metadata().model_id = "bench_200x6";
    trained->metadata().target = "prob_price_up";
    auto model = trained->to_model();
    if (!model) {
      std::fprintf(stderr, "model failed: %s\n", model.status().to_string().c_str());
      std::abort();
    }
    f->model = std::move(*model);
    return f;
  }();
  return *instance;
}

std::vector<double> row_at(const Fixture& f, size_t i) {
  const auto begin = f.inputs.begin() + static_cast<ptrdiff_t>((i % kInputRows) * kFeatures);
  return std::vector<double>(begin, begin + kFeatures);
}

double percentile(std::vector<double>& samples, double q) {
  const size_t index = static_cast<size_t>(q * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(index), samples.end());
  return samples[index];
}

// Latency percentiles of `predict` on the fixture's rows, one call per iteration.
template <typename Predict>
void measure_one_row(benchmark::State& state, Predict&& predict) {
  const Fixture& f = fixture();
  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < kInputRows; ++i) rows.push_back(row_at(f, i));
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto p = predict(rows[i++ % kInputRows]);
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(p);
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  state.counters["p50_us"] = percentile(latencies_us, 0.50);
  state.counters["p99_us"] = percentile(latencies_us, 0.99);
  state.counters["train_s"] = f.training_seconds;
  state.SetItemsProcessed(state.iterations());
}

// One row through XGBoostModel::predict: input checks + the native tree evaluator.
void BM_XGBoostPredictOne(benchmark::State& state) {
  if (!fixture().model->native_evaluation()) {
    state.SkipWithError(fixture().model->native_fallback_reason().c_str());
    return;
  }
  measure_one_row(state,
                  [](const std::vector<double>& row) { return fixture().model->predict(row); });
}
BENCHMARK(BM_XGBoostPredictOne)->Iterations(200000);

// The same rows through the XGBoost C API (XGBoosterPredictFromDense): the reference path.
void BM_XGBoostPredictOneCApi(benchmark::State& state) {
  measure_one_row(state, [](const std::vector<double>& row) {
    return fixture().model->predict_with_xgboost(row);
  });
}
BENCHMARK(BM_XGBoostPredictOneCApi)->Iterations(50000);

// The bare evaluator (no input checks) on 100 trees of depth 6 built from the booster's JSON:
// the cost of the tree walk itself, per row.
void BM_TreeEnsembleRow(benchmark::State& state) {
  const Fixture& f = fixture();
  static const TreeEnsemble* const hundred = [] {
    Dataset data;
    data.feature_names = feature_names();
    data.values = random_rows(kTrainingRows, 1);
    for (size_t r = 0; r < kTrainingRows; ++r) {
      const double* x = &data.values[r * kFeatures];
      data.labels.push_back(x[0] + 0.5 * x[1] * x[2] - 0.3 * x[3] > 0.0 ? 1.0 : 0.0);
    }
    TrainingParams params;
    params.rounds = 100;
    params.max_depth = kDepth;
    auto trained = train_xgboost(data, params);
    if (!trained) std::abort();
    auto json = trained->serialize("json");
    if (!json) std::abort();
    auto ensemble = TreeEnsemble::from_xgboost_json(*json, "bench_100x6");
    if (!ensemble) std::abort();
    return new TreeEnsemble(std::move(*ensemble));
  }();
  const TreeEnsemble& ensemble = *hundred;
  size_t i = 0;
  for (auto _ : state) {
    const auto row =
        std::span<const double>(f.inputs).subspan((i++ % kInputRows) * kFeatures, kFeatures);
    auto p = ensemble.predict(row);
    benchmark::DoNotOptimize(p);
  }
  state.counters["trees"] = static_cast<double>(ensemble.tree_count());
  state.counters["nodes"] = static_cast<double>(ensemble.node_count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TreeEnsembleRow);

// 1024 rows in one call, for comparison: the per-call overhead amortised.
void BM_XGBoostPredictBatch(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    auto p = f.model->predict_rows(f.inputs);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kInputRows));
}
BENCHMARK(BM_XGBoostPredictBatch);

// The model behind a shared_ptr so the fixture's stays usable by the other benchmarks.
class SharedModel final : public PredictionModel {
 public:
  explicit SharedModel(const XGBoostModel& model) : model_(model) {}
  const std::string& id() const override { return model_.id(); }
  const std::vector<std::string>& feature_names() const override { return model_.feature_names(); }
  Result<double> predict(const std::vector<double>& inputs) const override {
    return model_.predict(inputs);
  }

 private:
  const XGBoostModel& model_;
};

FeatureEvent feature_event(const Fixture& f, size_t i,
                           const std::shared_ptr<const std::vector<std::string>>& names) {
  FeatureEvent event;
  event.instrument = InstrumentId(i % 2 == 0 ? "BTC/USD" : "ETH/USD");
  event.meta.ts_event = timestamp_from_seconds(1704067200 + static_cast<int64_t>(i) * 60);
  event.features.names = names;
  event.features.values = row_at(f, i);
  return event;
}

// FeatureEvent -> PredictionEvent on the engine thread (backtest mode), bus included.
void BM_ServiceSynchronous(benchmark::State& state) {
  const Fixture& f = fixture();
  SimulatedClock clock(timestamp_from_seconds(1704067200));
  PubSubManager bus(clock);
  const auto names = std::make_shared<const std::vector<std::string>>(feature_names());
  auto service =
      PredictionService::create(std::make_unique<SharedModel>(*f.model), "prob_price_up", *names);
  (*service)->attach(bus);
  uint64_t predictions = 0;
  bus.subscribe<PredictionEvent>([&](const PredictionEvent&) { ++predictions; });
  std::vector<FeatureEvent> events;
  for (size_t i = 0; i < kInputRows; ++i) events.push_back(feature_event(f, i, names));
  size_t i = 0;
  for (auto _ : state) {
    bus.publish(events[i++ % kInputRows]);
    bus.run_until_idle();
  }
  state.counters["predictions"] = static_cast<double>(predictions);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ServiceSynchronous);

// Predictions/s through the asynchronous pool: batches of FeatureEvents published on the engine
// thread, computed by `threads` workers, posted back and dispatched.
void BM_ServicePoolThroughput(benchmark::State& state) {
  const Fixture& f = fixture();
  SimulatedClock clock(timestamp_from_seconds(1704067200));
  PubSubManager bus(clock);
  const auto names = std::make_shared<const std::vector<std::string>>(feature_names());
  PredictionServiceOptions options;
  options.mode = InferenceMode::kAsynchronous;
  options.worker_threads = static_cast<size_t>(state.range(0));
  options.queue_capacity = 1024;
  options.deadline = Duration::zero();
  auto service = PredictionService::create(std::make_unique<SharedModel>(*f.model), "prob_price_up",
                                           *names, options);
  (*service)->attach(bus);
  uint64_t outcomes = 0;
  uint64_t errors = 0;
  bus.subscribe<PredictionEvent>([&](const PredictionEvent&) { ++outcomes; });
  bus.subscribe<SystemErrorEvent>([&](const SystemErrorEvent&) {
    ++outcomes;
    ++errors;
  });
  constexpr size_t kBatch = 512;
  std::vector<FeatureEvent> events;
  for (size_t i = 0; i < kBatch; ++i) events.push_back(feature_event(f, i, names));
  for (auto _ : state) {
    const uint64_t target = outcomes + kBatch;
    for (const FeatureEvent& event : events) bus.publish(event);
    bus.run_until_idle();
    while (outcomes < target) {
      bus.wait_for_posted(std::chrono::milliseconds(1));
      bus.run_until_idle();
    }
  }
  state.counters["errors"] = static_cast<double>(errors);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBatch));
}
BENCHMARK(BM_ServicePoolThroughput)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace galfriday

BENCHMARK_MAIN();
