#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "galfriday/app/backtest_runner.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/ingest/sample_data.hpp"

namespace galfriday {

// Fixed-point values print as their exact decimal text in failure messages.
template <typename Tag>
void PrintTo(const FixedPoint<Tag>& value, std::ostream* os) {
  *os << value.to_string();
}

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kBarsPerDay = 24 * 60;
constexpr int64_t kDays = 14;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

using TempDir = ::galfriday::test::TempDir;

// Two weeks of one-minute sample bars for both default pairs, written once for the suite.
class BacktestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_dir_ = new TempDir();
    ASSERT_FALSE(data_dir_->path().empty());
    const config::Config config = config::default_config();
    auto instruments = app::build_instruments(config);
    ASSERT_TRUE(instruments.is_ok());
    SampleDataOptions options;
    options.bars = kDays * kBarsPerDay;
    options.seed = 42;
    const InstrumentSpec& btc = *instruments->find(InstrumentId("BTC/USD"));
    ASSERT_TRUE(write_sample_ohlcvt(data_dir_->path() / "XBTUSD_1.csv", btc,
                                    Price::parse("42000.0", 1).value(), options)
                    .is_ok());
    options.seed = 43;
    const InstrumentSpec& eth = *instruments->find(InstrumentId("ETH/USD"));
    ASSERT_TRUE(write_sample_ohlcvt(data_dir_->path() / "ETHUSD_1.csv", eth,
                                    Price::parse("2300.00", 2).value(), options)
                    .is_ok());
  }
  static void TearDownTestSuite() {
    delete data_dir_;
    data_dir_ = nullptr;
  }

  static std::vector<app::BacktestInput> default_inputs() {
    const auto inputs = app::resolve_data_arguments(config::default_config(),
                                                    {(data_dir_->path() / "XBTUSD_1.csv").string(),
                                                     (data_dir_->path() / "ETHUSD_1.csv").string()},
                                                    std::chrono::minutes(1));
    EXPECT_TRUE(inputs.is_ok()) << inputs.status().to_string();
    return inputs.is_ok() ? *inputs : std::vector<app::BacktestInput>{};
  }

  static inline TempDir* data_dir_ = nullptr;
};

void expect_same_summary(const backtest::PerformanceSummary& a,
                         const backtest::PerformanceSummary& b) {
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.initial_equity, b.initial_equity);
  EXPECT_EQ(a.final_equity, b.final_equity);
  EXPECT_EQ(a.realized_pnl, b.realized_pnl);
  EXPECT_EQ(a.fees_paid, b.fees_paid);
  EXPECT_EQ(a.total_return_pct, b.total_return_pct);
  EXPECT_EQ(a.max_drawdown_pct, b.max_drawdown_pct);
  EXPECT_EQ(a.trades, b.trades);
  EXPECT_EQ(a.winning_trades, b.winning_trades);
  EXPECT_EQ(a.win_rate_pct, b.win_rate_pct);
  EXPECT_EQ(a.bars, b.bars);
  EXPECT_EQ(a.signals_proposed, b.signals_proposed);
  EXPECT_EQ(a.signals_approved, b.signals_approved);
  EXPECT_EQ(a.signals_rejected, b.signals_rejected);
  EXPECT_EQ(a.rejections_by_reason, b.rejections_by_reason);
}

// The same summary, equity curve, trades and final state.
void expect_same_outcome(const app::BacktestOutcome& first, const app::BacktestOutcome& second) {
  expect_same_summary(first.summary, second.summary);
  ASSERT_EQ(first.equity_curve.size(), second.equity_curve.size());
  for (size_t i = 0; i < first.equity_curve.size(); ++i) {
    ASSERT_EQ(first.equity_curve[i].time, second.equity_curve[i].time) << "point " << i;
    ASSERT_EQ(first.equity_curve[i].equity, second.equity_curve[i].equity) << "point " << i;
  }
  ASSERT_EQ(first.trades.size(), second.trades.size());
  for (size_t i = 0; i < first.trades.size(); ++i) {
    const ClosedTrade& a = first.trades[i];
    const ClosedTrade& b = second.trades[i];
    EXPECT_EQ(a.instrument, b.instrument) << "trade " << i;
    EXPECT_EQ(a.entry_time, b.entry_time) << "trade " << i;
    EXPECT_EQ(a.exit_time, b.exit_time) << "trade " << i;
    EXPECT_EQ(a.qty, b.qty) << "trade " << i;
    EXPECT_EQ(a.cost, b.cost) << "trade " << i;
    EXPECT_EQ(a.proceeds, b.proceeds) << "trade " << i;
    EXPECT_EQ(a.pnl, b.pnl) << "trade " << i;
    EXPECT_EQ(a.fees, b.fees) << "trade " << i;
  }
  EXPECT_EQ(first.final_state.cash, second.final_state.cash);
  EXPECT_EQ(first.final_state.equity, second.final_state.equity);
  EXPECT_EQ(first.events_dispatched, second.events_dispatched);
}

TEST_F(BacktestTest, SameDataGivesTheSameResult) {
  const auto inputs = default_inputs();
  auto first = app::run_backtest(config::default_config(), inputs);
  auto second = app::run_backtest(config::default_config(), inputs);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  expect_same_outcome(*first, *second);
}

// Bars of both pairs close at the same minutes: the order the files are named in must not
// decide which is processed first.
TEST_F(BacktestTest, FileOrderDoesNotChangeTheResult) {
  auto inputs = default_inputs();
  auto first = app::run_backtest(config::default_config(), inputs);
  std::reverse(inputs.begin(), inputs.end());
  auto second = app::run_backtest(config::default_config(), inputs);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  expect_same_outcome(*first, *second);
}

TEST_F(BacktestTest, ReportFilesAreByteIdenticalAcrossRuns) {
  const auto inputs = default_inputs();
  TempDir reports;
  std::vector<fs::path> directories;
  for (const char* name : {"first", "second"}) {
    auto outcome = app::run_backtest(config::default_config(), inputs);
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    directories.push_back(reports.path() / name);
    const Status written = app::write_backtest_report(*outcome, directories.back(), "USD");
    ASSERT_TRUE(written.is_ok()) << written.to_string();
  }
  std::map<std::string, std::string> first_files;
  for (const auto& entry : fs::directory_iterator(directories[0])) {
    first_files[entry.path().filename().string()] = read_bytes(entry.path());
  }
  for (const char* expected : {"summary.txt", "summary.json", "trades.csv", "equity.csv"}) {
    ASSERT_TRUE(first_files.contains(expected)) << expected;
    EXPECT_FALSE(first_files[expected].empty()) << expected;
  }
  size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(directories[1])) {
    const std::string name = entry.path().filename().string();
    ASSERT_TRUE(first_files.contains(name)) << name << " only in the second report";
    EXPECT_EQ(read_bytes(entry.path()), first_files[name]) << name << " differs";
    ++compared;
  }
  EXPECT_EQ(compared, first_files.size());
  EXPECT_FALSE(fs::exists(directories[0] / "summary.json.tmp"));
}

TEST_F(BacktestTest, EventsFlowEndToEnd) {
  std::map<OrderStatus, int> fills_by_status;
  int errors = 0;
  int proposals = 0;
  int bars = 0;
  auto outcome =
      app::run_backtest(config::default_config(), default_inputs(), [&](PubSubManager& bus) {
        bus.subscribe<ExecutionReportEvent>([&](const ExecutionReportEvent& report) {
          if (report.last_fill) ++fills_by_status[report.status];
        });
        bus.subscribe<SystemErrorEvent>([&](const SystemErrorEvent&) { ++errors; });
        bus.subscribe<TradeSignalProposedEvent>(
            [&](const TradeSignalProposedEvent&) { ++proposals; });
        bus.subscribe<MarketDataOHLCVEvent>([&](const MarketDataOHLCVEvent&) { ++bars; });
      });
  ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
  const backtest::PerformanceSummary& summary = outcome->summary;

  EXPECT_EQ(summary.bars, 2 * kDays * kBarsPerDay);
  EXPECT_EQ(bars, summary.bars);
  EXPECT_EQ(static_cast<int64_t>(outcome->equity_curve.size()), kDays * kBarsPerDay);
  EXPECT_EQ(summary.start, timestamp_from_seconds(1704067200 + 60));
  EXPECT_EQ(summary.end, timestamp_from_seconds(1704067200 + 60 * kDays * kBarsPerDay));
  // The pipeline trades: signals are proposed, sized, filled and closed.
  EXPECT_EQ(static_cast<uint64_t>(proposals), summary.signals_proposed);
  EXPECT_GT(summary.signals_proposed, 0u);
  EXPECT_GT(summary.signals_approved, 0u);
  EXPECT_EQ(summary.signals_proposed, summary.signals_approved + summary.signals_rejected);
  EXPECT_GT(summary.trades, 0);
  // Every closed trade took at least a filled entry and a filled exit.
  EXPECT_GE(fills_by_status[OrderStatus::kFilled], 2 * summary.trades);
  EXPECT_TRUE(summary.fees_paid.is_positive());
  EXPECT_NE(summary.final_equity, summary.initial_equity);
  EXPECT_EQ(summary.initial_equity, Money::parse("100000", 8).value());
  // No handler threw and nothing was reported broken.
  EXPECT_EQ(outcome->handler_failures, 0u);
  EXPECT_EQ(errors, 0);

  // The outcome agrees with itself.
  const PortfolioState& state = outcome->final_state;
  EXPECT_EQ(summary.final_equity, state.equity);
  EXPECT_EQ(outcome->equity_curve.back().equity, state.equity);
  EXPECT_EQ(state.equity, state.initial_equity + state.realized_pnl + state.unrealized_pnl);
  EXPECT_EQ(static_cast<int64_t>(outcome->trades.size()), summary.trades);
  Money closed_pnl;
  for (const ClosedTrade& trade : outcome->trades) {
    EXPECT_LE(trade.entry_time, trade.exit_time);
    closed_pnl += trade.pnl;
  }
  if (state.positions.empty()) {
    EXPECT_EQ(closed_pnl, state.realized_pnl);
  }
}

TEST_F(BacktestTest, MalformedRowFailsWithFileAndLine) {
  TempDir dir;
  const fs::path file = dir.path() / "XBTUSD_1.csv";
  fs::copy_file(data_dir_->path() / "XBTUSD_1.csv", file);
  {
    std::ofstream out(file, std::ios::app);
    out << "1705276800,42000.0,41000.0,42100.0,42050.0,1.0,5\n";  // high below open
  }
  auto inputs = app::resolve_data_arguments(config::default_config(), {file.string()},
                                            std::chrono::minutes(1));
  ASSERT_TRUE(inputs.is_ok());
  auto outcome = app::run_backtest(config::default_config(), *inputs);
  ASSERT_FALSE(outcome.is_ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kInvalidArgument);
  const std::string line = std::to_string(kDays * kBarsPerDay + 1);
  EXPECT_THAT(outcome.status().message(), StartsWith(file.string() + ":" + line + ": "));
  EXPECT_THAT(outcome.status().message(), HasSubstr("high/low do not bound"));
}

TEST_F(BacktestTest, MissingAndEmptyFilesFail) {
  TempDir dir;
  std::vector<app::BacktestInput> missing = {
      {InstrumentId("BTC/USD"), dir.path() / "XBTUSD_1.csv", std::chrono::minutes(1)}};
  auto outcome = app::run_backtest(config::default_config(), missing);
  ASSERT_FALSE(outcome.is_ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kNotFound);

  std::ofstream(dir.path() / "XBTUSD_1.csv").flush();
  auto empty = app::run_backtest(config::default_config(), missing);
  ASSERT_FALSE(empty.is_ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("no bars"));
}

// --- resolve_data_arguments --------------------------------------------------------------------

TEST(ResolveDataArguments, MapsKrakenFileNamesToConfiguredPairs) {
  auto inputs = app::resolve_data_arguments(
      config::default_config(), {"/data/XBTUSD_5.csv", "ETHUSD_1440.csv"}, std::chrono::minutes(1));
  ASSERT_TRUE(inputs.is_ok()) << inputs.status().to_string();
  ASSERT_EQ(inputs->size(), 2u);
  EXPECT_EQ((*inputs)[0].instrument, InstrumentId("BTC/USD"));
  EXPECT_EQ((*inputs)[0].file, fs::path("/data/XBTUSD_5.csv"));
  EXPECT_EQ((*inputs)[0].interval, std::chrono::minutes(5));
  EXPECT_EQ((*inputs)[1].instrument, InstrumentId("ETH/USD"));
  EXPECT_EQ((*inputs)[1].interval, std::chrono::minutes(1440));
}

TEST(ResolveDataArguments, SymbolEqualsFileNamesThePair) {
  auto inputs = app::resolve_data_arguments(
      config::default_config(), {"ETH/USD=/data/eth prices.csv"}, std::chrono::minutes(15));
  ASSERT_TRUE(inputs.is_ok()) << inputs.status().to_string();
  ASSERT_EQ(inputs->size(), 1u);
  EXPECT_EQ((*inputs)[0].instrument, InstrumentId("ETH/USD"));
  EXPECT_EQ((*inputs)[0].file, fs::path("/data/eth prices.csv"));
  EXPECT_EQ((*inputs)[0].interval, std::chrono::minutes(15));

  auto unknown = app::resolve_data_arguments(config::default_config(), {"DOGE/USD=doge.csv"},
                                             std::chrono::minutes(1));
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("pair DOGE/USD is not in the config's pairs"));
}

TEST(ResolveDataArguments, RejectsAnUnknownAltname) {
  auto inputs = app::resolve_data_arguments(config::default_config(), {"DOGEUSD_1.csv"},
                                            std::chrono::minutes(1));
  ASSERT_FALSE(inputs.is_ok());
  EXPECT_EQ(inputs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(inputs.status().message(), HasSubstr("no configured pair has altname DOGEUSD"));
}

TEST(ResolveDataArguments, RejectsAFileNameWithoutPairAndInterval) {
  auto inputs = app::resolve_data_arguments(config::default_config(), {"prices.csv"},
                                            std::chrono::minutes(1));
  ASSERT_FALSE(inputs.is_ok());
  EXPECT_EQ(inputs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(inputs.status().message(), HasSubstr("cannot tell the pair from the file name"));
  // The message shows the explicit form to use instead.
  EXPECT_THAT(inputs.status().message(), HasSubstr("BTC/USD=prices.csv"));
}

TEST(ResolveDataArguments, RejectsTwoFilesForOnePair) {
  auto inputs = app::resolve_data_arguments(
      config::default_config(), {"XBTUSD_1.csv", "BTC/USD=other.csv"}, std::chrono::minutes(1));
  ASSERT_FALSE(inputs.is_ok());
  EXPECT_EQ(inputs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(inputs.status().message(), HasSubstr("two files for BTC/USD"));
}

TEST(ResolveDataArguments, RejectsNoArguments) {
  auto inputs = app::resolve_data_arguments(config::default_config(), {}, std::chrono::minutes(1));
  ASSERT_FALSE(inputs.is_ok());
  EXPECT_THAT(inputs.status().message(), HasSubstr("no --data files"));
}

}  // namespace
}  // namespace galfriday
