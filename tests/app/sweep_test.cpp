#include "galfriday/app/sweep.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/prediction/model_metadata.hpp"

namespace galfriday {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr int64_t kJan1 = 1704067200;  // 2024-01-01T00:00:00Z

using TempDir = ::galfriday::test::TempDir;

// ---- Grid ------------------------------------------------------------------------------------

TEST(SweepGrid, ParsesKeyAndValues) {
  auto parameter = app::parse_sweep_parameter("strategy.buy_threshold=0.6,0.65,0.7");
  ASSERT_TRUE(parameter.is_ok()) << parameter.status().to_string();
  EXPECT_EQ(parameter->key, "strategy.buy_threshold");
  EXPECT_THAT(parameter->values, ElementsAre(0.6, 0.65, 0.7));
  auto integer = app::parse_sweep_parameter("strategy.cooldown_bars=0,5");
  ASSERT_TRUE(integer.is_ok());
  EXPECT_THAT(integer->values, ElementsAre(0.0, 5.0));
}

TEST(SweepGrid, BadParameterArgumentsAreNamedErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"strategy.sl_pct", "expected KEY=V1,V2"},
      {"strategy.color=1", "cannot be swept"},
      {"strategy.sl_pct=", "empty value"},
      {"strategy.sl_pct=1,,2", "empty value"},
      {"strategy.sl_pct=abc", "'abc' is not a number"},
      {"strategy.sl_pct=1.5x", "not a number"},
      {"strategy.sl_pct=0", "outside (0, 100)"},
      {"strategy.buy_threshold=1.2", "outside [0, 1]"},
      {"strategy.sl_pct=nan", "not a number"},
      {"strategy.cooldown_bars=2.5", "not a whole number"},
      {"strategy.tp_pct=2,3,2", "given twice"},
  };
  for (const auto& [argument, message] : cases) {
    auto parameter = app::parse_sweep_parameter(argument);
    ASSERT_FALSE(parameter.is_ok()) << argument;
    EXPECT_EQ(parameter.status().code(), StatusCode::kInvalidArgument) << argument;
    EXPECT_THAT(parameter.status().message(), HasSubstr(message)) << argument;
    EXPECT_THAT(parameter.status().message(), HasSubstr(argument)) << argument;
  }
}

TEST(SweepGrid, ExpandsTheCartesianProductLastParameterFastest) {
  std::vector<app::SweepParameter> parameters = {{"strategy.buy_threshold", {0.6, 0.7}},
                                                 {"strategy.sl_pct", {1, 2, 3}}};
  auto points = app::expand_grid(parameters);
  ASSERT_TRUE(points.is_ok());
  ASSERT_EQ(points->size(), 6u);
  EXPECT_THAT((*points)[0],
              ElementsAre(Pair("strategy.buy_threshold", 0.6), Pair("strategy.sl_pct", 1.0)));
  EXPECT_THAT((*points)[1],
              ElementsAre(Pair("strategy.buy_threshold", 0.6), Pair("strategy.sl_pct", 2.0)));
  EXPECT_THAT((*points)[3],
              ElementsAre(Pair("strategy.buy_threshold", 0.7), Pair("strategy.sl_pct", 1.0)));
  EXPECT_THAT((*points)[5],
              ElementsAre(Pair("strategy.buy_threshold", 0.7), Pair("strategy.sl_pct", 3.0)));
  EXPECT_EQ(app::grid_point_label((*points)[5]), "buy_threshold=0.7 sl_pct=3");
}

TEST(SweepGrid, RejectsEmptyRepeatedAndOversizedGrids) {
  auto none = app::expand_grid({});
  ASSERT_FALSE(none.is_ok());
  EXPECT_THAT(none.status().message(), HasSubstr("at least one --param"));
  auto twice = app::expand_grid({{"strategy.sl_pct", {1}}, {"strategy.sl_pct", {2}}});
  ASSERT_FALSE(twice.is_ok());
  EXPECT_THAT(twice.status().message(), HasSubstr("strategy.sl_pct is given twice"));
  auto big =
      app::expand_grid({{"strategy.sl_pct", {1, 2, 3, 4}}, {"strategy.tp_pct", {1, 2, 3}}}, 10);
  ASSERT_FALSE(big.is_ok());
  EXPECT_THAT(big.status().message(), HasSubstr("more than 10 combinations"));
}

TEST(SweepGrid, AppliesPointsAndRefusesCrossFieldViolations) {
  const config::Config base = config::default_config();
  auto config = app::apply_grid_point(
      base,
      {{"strategy.sl_pct", 1.5}, {"risk.risk_per_trade_pct", 1}, {"strategy.cooldown_bars", 3}});
  ASSERT_TRUE(config.is_ok());
  EXPECT_EQ(config->strategy.sl_pct, 1.5);
  EXPECT_EQ(config->risk.risk_per_trade_pct, 1.0);
  EXPECT_EQ(config->strategy.cooldown_bars, 3);
  EXPECT_EQ(config->strategy.tp_pct, base.strategy.tp_pct);
  auto crossed = app::apply_grid_point(base, {{"strategy.buy_threshold", 0.3}});
  ASSERT_FALSE(crossed.is_ok());
  EXPECT_EQ(crossed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(crossed.status().message(), HasSubstr("buy_threshold 0.3 is not above"));
  auto exposure = app::apply_grid_point(base, {{"risk.max_exposure_per_pair_pct", 50}});
  ASSERT_FALSE(exposure.is_ok());
  EXPECT_THAT(exposure.status().message(), HasSubstr("max_total_exposure_pct"));
}

TEST(SweepRanking, OrdersByMetricWithDrawdownAscendingAndNanLast) {
  std::vector<backtest::PerformanceSummary> s(4);
  s[0].sharpe_ratio = 1.0;
  s[1].sharpe_ratio = std::nan("");
  s[2].sharpe_ratio = 2.0;
  s[3].sharpe_ratio = 1.0;
  EXPECT_THAT(app::rank_order(s, config::RankMetric::kSharpe), ElementsAre(2, 0, 3, 1));
  s[0].max_drawdown_pct = 5;
  s[1].max_drawdown_pct = 1;
  s[2].max_drawdown_pct = 3;
  s[3].max_drawdown_pct = 1;
  EXPECT_THAT(app::rank_order(s, config::RankMetric::kMaxDrawdown), ElementsAre(1, 3, 2, 0));
}

// ---- Walk-forward windows -----------------------------------------------------------------------

Timestamp day(int d) { return timestamp_from_seconds(kJan1 + 86400LL * d); }
constexpr auto kDay = std::chrono::hours(24);

TEST(WalkForwardWindows, RollsByTheTestLengthAndStopsAtTheDataEnd) {
  auto windows = app::walk_forward_windows(day(0), day(10), {3 * kDay, 2 * kDay, {}, false});
  ASSERT_TRUE(windows.is_ok()) << windows.status().to_string();
  // Tests [3,5), [5,7), [7,9); [9,11) does not fit in 10 days.
  ASSERT_EQ(windows->size(), 3u);
  EXPECT_EQ((*windows)[0].train_start, day(0));
  EXPECT_EQ((*windows)[0].train_end, day(3));
  EXPECT_EQ((*windows)[0].test_start, day(3));
  EXPECT_EQ((*windows)[0].test_end, day(5));
  EXPECT_EQ((*windows)[2].train_start, day(4));
  EXPECT_EQ((*windows)[2].test_start, day(7));
  EXPECT_EQ((*windows)[2].test_end, day(9));
  EXPECT_EQ((*windows)[2].index, 2);
}

TEST(WalkForwardWindows, ExactFitStepAndAnchoredTraining) {
  auto exact = app::walk_forward_windows(day(0), day(9), {3 * kDay, 2 * kDay, {}, false});
  ASSERT_TRUE(exact.is_ok());
  EXPECT_EQ(exact->back().test_end, day(9));  // a window ending exactly at the data end counts
  auto stepped = app::walk_forward_windows(day(0), day(10), {3 * kDay, 2 * kDay, kDay, false});
  ASSERT_TRUE(stepped.is_ok());
  ASSERT_EQ(stepped->size(), 6u);  // tests start on days 3..8
  EXPECT_EQ((*stepped)[1].train_start, day(1));
  EXPECT_EQ((*stepped)[1].test_start, day(4));
  auto anchored = app::walk_forward_windows(day(0), day(10), {3 * kDay, 2 * kDay, {}, true});
  ASSERT_TRUE(anchored.is_ok());
  ASSERT_EQ(anchored->size(), 3u);
  EXPECT_EQ((*anchored)[2].train_start, day(0));
  EXPECT_EQ((*anchored)[2].train_end, day(7));
}

TEST(WalkForwardWindows, ErrorsNameTheLengths) {
  auto short_data = app::walk_forward_windows(day(0), day(4), {3 * kDay, 2 * kDay, {}, false});
  ASSERT_FALSE(short_data.is_ok());
  EXPECT_THAT(short_data.status().message(), HasSubstr("spans 96 h"));
  EXPECT_THAT(short_data.status().message(), HasSubstr("72 h + 48 h"));
  EXPECT_FALSE(app::walk_forward_windows(day(0), day(9), {{}, kDay, {}, false}).is_ok());
  EXPECT_FALSE(app::walk_forward_windows(day(0), day(9), {kDay, -kDay, {}, false}).is_ok());
}

// ---- Runs over generated data
// --------------------------------------------------------------------

class SweepRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const config::Config config = config::default_config();
    auto instruments = app::build_instruments(config);
    ASSERT_TRUE(instruments.is_ok());
    SampleDataOptions options;
    options.bars = 6 * 24 * 60;
    options.seed = 5;
    const InstrumentSpec& btc = *instruments->find(InstrumentId("BTC/USD"));
    ASSERT_TRUE(write_sample_ohlcvt(dir_->path() / "XBTUSD_1.csv", btc,
                                    Price::parse("42000.0", 1).value(), options)
                    .is_ok());
    options.seed = 6;
    const InstrumentSpec& eth = *instruments->find(InstrumentId("ETH/USD"));
    ASSERT_TRUE(write_sample_ohlcvt(dir_->path() / "ETHUSD_1.csv", eth,
                                    Price::parse("2300.00", 2).value(), options)
                    .is_ok());
    inputs_ = new std::vector<app::BacktestInput>(
        app::resolve_data_arguments(
            config,
            {(dir_->path() / "XBTUSD_1.csv").string(), (dir_->path() / "ETHUSD_1.csv").string()},
            std::chrono::minutes(1))
            .value());
    bars_ = new std::vector<MarketDataOHLCVEvent>(app::load_bars(config, *inputs_).value());
  }
  static void TearDownTestSuite() {
    delete bars_;
    delete inputs_;
    delete dir_;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::vector<app::BacktestInput>* inputs_ = nullptr;
  static inline std::vector<MarketDataOHLCVEvent>* bars_ = nullptr;
};

TEST_F(SweepRunTest, InMemoryRunMatchesTheStreamingRun) {
  const config::Config config = config::default_config();
  auto streamed = app::run_backtest(config, *inputs_);
  auto in_memory = app::run_backtest_on_bars(config, *bars_);
  ASSERT_TRUE(streamed.is_ok()) << streamed.status().to_string();
  ASSERT_TRUE(in_memory.is_ok()) << in_memory.status().to_string();
  EXPECT_EQ(bars_->size(), static_cast<size_t>(2 * 6 * 24 * 60));
  EXPECT_EQ(app::sweep_to_csv({{{0, {}, streamed->summary}}, config::RankMetric::kSharpe, {}}),
            app::sweep_to_csv({{{0, {}, in_memory->summary}}, config::RankMetric::kSharpe, {}}));
  EXPECT_EQ(streamed->trades.size(), in_memory->trades.size());
  EXPECT_EQ(streamed->final_state.equity, in_memory->final_state.equity);
}

TEST_F(SweepRunTest, ResultsAreIdenticalForAnyThreadCount) {
  const config::Config base = config::default_config();
  const std::vector<app::SweepParameter> parameters = {
      {"strategy.buy_threshold", {0.3, 0.55, 0.65}},  // 0.3 <= sell 0.35: skipped
      {"strategy.sl_pct", {1, 3}},
      {"prediction.momentum_sensitivity", {200, 800}}};
  auto one = app::run_sweep(base, *bars_, parameters, config::RankMetric::kSharpe, 1);
  auto three = app::run_sweep(base, *bars_, parameters, config::RankMetric::kSharpe, 3);
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  ASSERT_TRUE(three.is_ok()) << three.status().to_string();
  EXPECT_EQ(one->runs.size(), 8u);
  EXPECT_EQ(one->skipped.size(), 4u);
  EXPECT_EQ(app::sweep_to_json(*one, "USD"), app::sweep_to_json(*three, "USD"));
  EXPECT_EQ(app::sweep_to_csv(*one), app::sweep_to_csv(*three));
  int64_t trades = 0;
  for (size_t r = 0; r < one->runs.size(); ++r) {
    trades += one->runs[r].summary.trades;
    if (r > 0) {
      EXPECT_GE(one->runs[r - 1].summary.sharpe_ratio, one->runs[r].summary.sharpe_ratio);
    }
  }
  EXPECT_GT(trades, 0) << "the grid should trade, or determinism proves little";
  // Each ranked run is the single backtest of its point.
  const auto& best = one->runs.front();
  auto single = app::run_backtest_on_bars(app::apply_grid_point(base, best.point).value(), *bars_);
  ASSERT_TRUE(single.is_ok());
  EXPECT_EQ(single->summary.final_equity, best.summary.final_equity);
  EXPECT_EQ(single->summary.trades, best.summary.trades);
}

TEST_F(SweepRunTest, AFailingRunFailsTheSweepNamingIt) {
  config::Config base = config::default_config();
  base.prediction.model_type = "no_such_model";
  auto result =
      app::run_sweep(base, *bars_, {{"strategy.sl_pct", {1, 2}}}, config::RankMetric::kSharpe, 2);
  ASSERT_FALSE(result.is_ok());
  EXPECT_THAT(result.status().message(), HasSubstr("run 0 (sl_pct=1)"));
}

TEST_F(SweepRunTest, WalkForwardWithMomentumScoresOnlyTheTestWindows) {
  const config::Config config = config::default_config();
  TempDir models;
  const app::WalkForwardSpec spec{2 * kDay, kDay, {}, false};
  auto one = app::run_walk_forward(config, *bars_, spec, models.path(), 1);
  auto two = app::run_walk_forward(config, *bars_, spec, models.path(), 2);
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  ASSERT_TRUE(two.is_ok());
  ASSERT_EQ(one->runs.size(), 4u);  // tests on days 3, 4, 5, 6 of 6
  EXPECT_EQ(app::walk_forward_to_json(*one, "USD"), app::walk_forward_to_json(*two, "USD"));
  for (const auto& run : one->runs) {
    EXPECT_TRUE(run.model_path.empty());
    // One bar of each pair per minute of the test day, nothing from the warm-up prefix.
    EXPECT_EQ(run.summary.bars, 2 * 24 * 60);
    EXPECT_GT(run.summary.start, run.window.test_start);
    EXPECT_LE(run.summary.end, run.window.test_end);
  }
}

TEST_F(SweepRunTest, WalkForwardTrainsAnXGBoostModelPerWindow) {
  config::Config config = config::default_config();
  config.prediction.model_type = "xgboost";
  config.prediction.model_path = "unused-until-trained.json";
  config.models.rounds = 8;
  config.models.max_depth = 3;
  TempDir models;
  const app::WalkForwardSpec spec{3 * kDay, kDay, {}, false};
  auto one = app::run_walk_forward(config, *bars_, spec, models.path(), 1);
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  ASSERT_EQ(one->runs.size(), 3u);
  std::string first_model;
  for (const auto& run : one->runs) {
    ASSERT_TRUE(fs::exists(run.model_path)) << run.model_path;
    EXPECT_TRUE(fs::exists(metadata_path_for(run.model_path)));
    EXPECT_GT(run.training_metrics.at("train_rows"), 1000.0);
  }
  const std::string json_one = app::walk_forward_to_json(*one, "USD");
  TempDir models_again;
  auto three = app::run_walk_forward(config, *bars_, spec, models_again.path(), 3);
  ASSERT_TRUE(three.is_ok()) << three.status().to_string();
  // Same numbers; only the model directory differs.
  std::string json_three = app::walk_forward_to_json(*three, "USD");
  for (size_t pos; (pos = json_three.find(models_again.path().string())) != std::string::npos;) {
    json_three.replace(pos, models_again.path().string().size(), models.path().string());
  }
  EXPECT_EQ(json_one, json_three);
}

}  // namespace
}  // namespace galfriday
