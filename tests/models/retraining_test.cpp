// The lifecycle end to end: train on generated bars with a planted signal, register in staging,
// promote (there is no production model yet), and serve: the PredictionService follows the
// registry's production model without a restart. Then a retraining that does not beat production
// by the margin stays in staging; the worker runs off the engine thread and posts its result.

#include "galfriday/models/retraining.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "galfriday/features/feature_engine.hpp"
#include "galfriday/models/registry_watcher.hpp"
#include "models_support.hpp"

namespace galfriday::models {
namespace {

using testing::HasSubstr;
using testing_support::TempDir;

class RetrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing_support::open_migrated(dir_ / "galfriday.db", clock_);
    ASSERT_NE(db_, nullptr);
    registry_ = std::make_unique<ModelRegistry>(*db_, clock_, dir_ / "registry");
    options_.target = "prob_price_up";
    options_.label = LabelSpec{0.1, 5};
    options_.features = testing_support::small_features();
    options_.params = testing_support::small_params();
    options_.validation_fraction = 0.25;
    options_.walk_forward_folds = 3;
    options_.promotion_margin = 0.005;
  }

  RetrainingPipeline pipeline(std::vector<MarketDataOHLCVEvent> bars, BacktestFn backtest = {}) {
    return RetrainingPipeline(
        *registry_, *db_, clock_, options_,
        [bars = std::move(bars)]() -> Result<std::vector<MarketDataOHLCVEvent>> { return bars; },
        std::move(backtest));
  }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1704500000)};
  std::unique_ptr<persistence::Database> db_;
  std::unique_ptr<ModelRegistry> registry_;
  RetrainingOptions options_;
};

TEST_F(RetrainingTest, LabelsComeFromFixedPointClosesWithinTheHorizon) {
  auto bars = testing_support::planted_bars(8, 1, 0.0);
  for (size_t i = 0; i < bars.size(); ++i) bars[i].close = Price::from_raw(100000, 2);  // 1000.00
  bars[3].close = Price::from_raw(100100, 2);  // exactly +0.1 %: counts as up
  const LabelSpec spec{0.1, 2};
  EXPECT_EQ(label_at(bars, 0, spec), std::optional<double>(0.0));  // bars 1, 2: flat
  EXPECT_EQ(label_at(bars, 1, spec), std::optional<double>(1.0));  // bar 3 within 2
  EXPECT_EQ(label_at(bars, 2, spec), std::optional<double>(1.0));
  EXPECT_EQ(label_at(bars, 3, spec), std::optional<double>(0.0));  // falls back
  EXPECT_EQ(label_at(bars, 6, spec), std::nullopt);                // only one bar follows
  bars[3].close = Price::from_raw(100099, 2);                      // just under
  EXPECT_EQ(label_at(bars, 1, spec), std::optional<double>(0.0));
}

TEST_F(RetrainingTest, DatasetUsesTheLiveFeatureEngine) {
  const auto bars = testing_support::planted_bars(400, 2);
  auto dataset = build_labelled_dataset(bars, options_.features, options_.label);
  ASSERT_TRUE(dataset.is_ok()) << dataset.status().to_string();
  // The same engine, fed bar by bar, gives the same first row.
  auto engine = FeatureEngine::create(options_.features);
  ASSERT_TRUE(engine.is_ok());
  std::optional<FeatureVector> first;
  for (const auto& bar : bars) {
    first = (*engine)->update(bar);
    if (first) break;
  }
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(dataset->data.feature_names, *(*engine)->names());
  EXPECT_EQ(std::vector<double>(dataset->data.row(0).begin(), dataset->data.row(0).end()),
            first->values);
  EXPECT_EQ(dataset->data.rows(), bars.size() - static_cast<size_t>((*engine)->warmup_bars()) + 1 -
                                      static_cast<size_t>(options_.label.horizon_bars));
  auto mixed = bars;
  mixed[10].instrument = InstrumentId("ETH/USD");
  EXPECT_THAT(build_labelled_dataset(mixed, options_.features, options_.label).status().message(),
              HasSubstr("mix instruments"));
}

TEST_F(RetrainingTest, TrainsRegistersPromotesAndServesThePlantedSignal) {
  const auto bars = testing_support::planted_bars(4000, 21);
  size_t backtest_bars = 0;
  std::string backtest_model;
  auto run =
      pipeline(bars,
               [&](const std::filesystem::path& model_path,
                   const std::vector<MarketDataOHLCVEvent>& window) -> Result<BacktestFigures> {
                 // The candidate must be a loadable artifact; the window the holdout plus warm-up.
                 auto model = XGBoostModel::load(model_path);
                 if (!model) return model.status();
                 backtest_model = (*model)->id();
                 backtest_bars = window.size();
                 return BacktestFigures{Money::from_raw(1234, 2), 0.0123, 7, 57.1};
               });
  auto report = run.run("on demand");
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->promoted);
  EXPECT_THAT(report->decision, HasSubstr("no production model"));
  EXPECT_EQ(report->fold_aucs.size(), 3U);
  // The planted momentum is learnable: clearly better than chance out of sample.
  EXPECT_GT(report->validation.auc, 0.6);
  for (double auc : report->fold_aucs) EXPECT_GT(auc, 0.55);
  EXPECT_EQ(backtest_model, report->model_id);
  EXPECT_GT(backtest_bars, report->validation_rows);
  EXPECT_EQ(report->model_id.rfind("prob_price_up_j1_", 0), 0U) << report->model_id;

  auto record = registry_->get(report->model_id);
  ASSERT_TRUE(record.is_ok());
  EXPECT_EQ(record->stage, ModelStage::kProduction);
  EXPECT_DOUBLE_EQ(record->metrics.at("valid_auc"), report->validation.auc);
  EXPECT_DOUBLE_EQ(record->metrics.at("valid_backtest_trades"), 7.0);
  ASSERT_TRUE(record->training_start && record->training_end);
  EXPECT_LT(*record->training_end, bars.back().meta.ts_event);
  auto distribution = registry_->distribution(report->model_id);
  ASSERT_TRUE(distribution.is_ok()) << distribution.status().to_string();
  EXPECT_EQ(distribution->features.size(), record->feature_names.size());
  EXPECT_TRUE(distribution->prediction.has_value());
  auto history = registry_->history(report->model_id);
  ASSERT_EQ(history->size(), 2U);  // registered in staging, then promoted
  EXPECT_EQ((*history)[0].to, ModelStage::kStaging);
  EXPECT_FALSE(
      std::filesystem::exists(dir_ / "registry" / ".candidates" / (report->model_id + ".json")));

  // Serve: a PredictionService starts on the momentum baseline and follows the registry.
  PubSubManager bus(clock_);
  const auto names = *FeatureEngine::create(options_.features).value()->names();
  auto service = PredictionService::create(
      std::make_unique<MomentumModel>("momentum_v1", 400.0, "return_1"), "prob_price_up", names);
  ASSERT_TRUE(service.is_ok()) << service.status().to_string();
  (*service)->attach(bus);
  std::vector<PredictionEvent> predictions;
  bus.subscribe<PredictionEvent>([&](const PredictionEvent& p) { predictions.push_back(p); });
  std::vector<LogEvent> logs;
  bus.subscribe<LogEvent>([&](const LogEvent& log) { logs.push_back(log); });
  const std::filesystem::path db_file = dir_ / "galfriday.db";
  auto watcher =
      RegistryWatcher::create([&]() { return persistence::open_sqlite(db_file); }, clock_,
                              dir_ / "registry", "prob_price_up", **service, bus);
  ASSERT_TRUE(watcher.is_ok()) << watcher.status().to_string();

  auto engine = FeatureEngine::create(options_.features);
  FeatureEvent features;
  features.instrument = InstrumentId("BTC/USD");
  for (const auto& bar : bars) {
    if (auto vector = (*engine)->update(bar)) features.features = *vector;
  }
  bus.publish(features);
  bus.run_until_idle();
  ASSERT_EQ(predictions.size(), 1U);
  EXPECT_EQ(predictions[0].model_id, "momentum_v1");

  Scheduler scheduler(clock_);
  (*watcher)->schedule(scheduler, std::chrono::seconds(30));
  scheduler.advance_to(clock_, clock_.now() + std::chrono::seconds(30));  // asks the worker
  (*watcher)->wait_idle();
  scheduler.advance_to(clock_, clock_.now() + std::chrono::seconds(30));  // applies the swap
  bus.run_until_idle();
  EXPECT_EQ((*watcher)->swaps(), 1U);
  EXPECT_EQ((*service)->model_id(), report->model_id);
  ASSERT_FALSE(logs.empty());
  EXPECT_THAT(logs.back().message, HasSubstr("now serving production model '" + report->model_id));

  bus.publish(features);
  bus.run_until_idle();
  ASSERT_EQ(predictions.size(), 2U);
  EXPECT_EQ(predictions[1].model_id, report->model_id);
  auto served = registry_->load(report->model_id);
  ASSERT_TRUE(served.is_ok());
  EXPECT_DOUBLE_EQ(predictions[1].value, *(*served)->predict(features.features.values));
  EXPECT_NE(predictions[1].value, predictions[0].value);

  // Nothing changes in the registry: further polls keep the model and swap nothing.
  scheduler.advance_to(clock_, clock_.now() + std::chrono::seconds(30));
  (*watcher)->wait_idle();
  scheduler.advance_to(clock_, clock_.now() + std::chrono::seconds(30));
  EXPECT_EQ((*watcher)->swaps(), 1U);

  // A second run on the same data trains the same model: no better by the margin, so it stays
  // in staging and production is unchanged.
  clock_.advance_to(clock_.now() + std::chrono::hours(1));
  auto second = run.run("schedule");
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_FALSE(second->promoted);
  EXPECT_EQ(second->production_id, std::optional<std::string>(report->model_id));
  EXPECT_DOUBLE_EQ(second->production_auc.value_or(-1), report->validation.auc);
  EXPECT_THAT(second->decision, HasSubstr("kept in staging"));
  EXPECT_EQ(registry_->get(second->model_id)->stage, ModelStage::kStaging);
  EXPECT_EQ(registry_->production("prob_price_up")->value().model_id, report->model_id);

  auto jobs = RetrainingJobStore(*db_).recent(10);
  ASSERT_TRUE(jobs.is_ok());
  ASSERT_EQ(jobs->size(), 2U);
  EXPECT_EQ((*jobs)[0].trigger, "schedule");
  EXPECT_EQ((*jobs)[0].status, JobStatus::kSucceeded);
  EXPECT_FALSE((*jobs)[0].promoted);
  EXPECT_TRUE((*jobs)[1].promoted);
}

TEST_F(RetrainingTest, FailuresAreRecordedAsFailedJobs) {
  auto run = pipeline(testing_support::planted_bars(150, 3));
  auto report = run.run("on demand");
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("give it more history"));
  auto jobs = RetrainingJobStore(*db_).recent(1);
  ASSERT_EQ(jobs->size(), 1U);
  EXPECT_EQ((*jobs)[0].status, JobStatus::kFailed);
  EXPECT_THAT((*jobs)[0].message, HasSubstr("give it more history"));
}

TEST_F(RetrainingTest, WorkerRunsOffTheEngineThreadAndPostsTheOutcome) {
  PubSubManager bus(clock_);
  std::vector<LogEvent> logs;
  std::vector<SystemErrorEvent> errors;
  bus.subscribe<LogEvent>([&](const LogEvent& log) { logs.push_back(log); });
  bus.subscribe<SystemErrorEvent>([&](const SystemErrorEvent& e) { errors.push_back(e); });
  const std::filesystem::path db_file = dir_ / "galfriday.db";
  const auto bars = testing_support::planted_bars(3000, 5);
  const auto engine_thread = std::this_thread::get_id();
  std::thread::id worker_thread;
  auto worker = RetrainingWorker::create(
      [&](const std::string& trigger) -> Result<RetrainingReport> {
        worker_thread = std::this_thread::get_id();
        // The worker's own connection, registry and pipeline.
        auto db = persistence::open_sqlite(db_file);
        if (!db) return db.status();
        ModelRegistry registry(**db, clock_, dir_ / "registry");
        RetrainingPipeline run(registry, **db, clock_, options_,
                               [&]() -> Result<std::vector<MarketDataOHLCVEvent>> { return bars; });
        return run.run(trigger);
      },
      &bus);
  ASSERT_TRUE(worker.is_ok());
  Scheduler scheduler(clock_);
  (*worker)->schedule(scheduler, std::chrono::hours(24));
  scheduler.advance_to(clock_, clock_.now() + std::chrono::hours(24));
  (*worker)->wait_idle();
  bus.run_until_idle();
  EXPECT_EQ((*worker)->runs(), 1U);
  EXPECT_NE(worker_thread, engine_thread);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(logs.size(), 1U);
  EXPECT_EQ(logs[0].source, "models.retraining");
  EXPECT_THAT(logs[0].message, HasSubstr("(schedule): model prob_price_up_j1_"));
  EXPECT_THAT(logs[0].message, HasSubstr("promoted"));
  ASSERT_TRUE((*worker)->last().has_value());
  EXPECT_TRUE((*worker)->last()->is_ok());
}

}  // namespace
}  // namespace galfriday::models
