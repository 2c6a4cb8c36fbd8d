#include "galfriday/config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace galfriday::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::filesystem::path kExampleFile =
    std::filesystem::path(GF_SOURCE_DIR) / "config" / "config.example.yaml";

std::string all_messages(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& issue : issues) out += issue.to_string() + "\n";
  return out;
}

// Loads text expected to be valid; fails the test with every issue otherwise.
Config load_valid(std::string_view yaml) {
  LoadResult result = load_config_text(yaml);
  EXPECT_THAT(result.errors, IsEmpty()) << all_messages(result.errors);
  EXPECT_THAT(result.warnings, IsEmpty()) << all_messages(result.warnings);
  return result.config.value_or(Config{});
}

// The single error of text expected to have exactly one.
ConfigIssue only_error(std::string_view yaml) {
  LoadResult result = load_config_text(yaml);
  EXPECT_FALSE(result.config.has_value());
  EXPECT_EQ(result.errors.size(), 1u) << all_messages(result.errors);
  return result.errors.empty() ? ConfigIssue{} : result.errors.front();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- Defaults ----------------------------------------------------------------------------------

TEST(ConfigDefaults, HaveKrakenPairsAtTheirExactPrecisions) {
  const Config config = default_config();
  ASSERT_EQ(config.pairs.size(), 2u);
  const PairConfig& btc = config.pairs[0];
  EXPECT_EQ(btc.symbol, "BTC/USD");
  EXPECT_EQ(btc.altname, "XBTUSD");
  EXPECT_EQ(btc.base, "BTC");
  EXPECT_EQ(btc.quote, "USD");
  EXPECT_EQ(btc.price_precision, 1);
  EXPECT_EQ(btc.qty_precision, 8);
  EXPECT_EQ(btc.cost_precision, 5);
  EXPECT_EQ(btc.ordermin.to_string(), "0.00010000");
  EXPECT_EQ(btc.costmin.to_string(), "0.50000");
  EXPECT_EQ(btc.tick_size.to_string(), "0.1");
  const PairConfig& eth = config.pairs[1];
  EXPECT_EQ(eth.symbol, "ETH/USD");
  EXPECT_EQ(eth.altname, "ETHUSD");
  EXPECT_EQ(eth.price_precision, 2);
  EXPECT_EQ(eth.ordermin.to_string(), "0.00200000");
  EXPECT_EQ(eth.tick_size.to_string(), "0.01");
}

TEST(ConfigDefaults, HaveCapitalAndOrderLimitInValuationCurrency) {
  const Config config = default_config();
  EXPECT_EQ(config.portfolio.valuation_currency, "USD");
  ASSERT_EQ(config.portfolio.initial_capital.size(), 1u);
  EXPECT_EQ(config.portfolio.initial_capital.at("USD").to_string(), "100000.00000000");
  EXPECT_EQ(config.risk.max_order_value.to_string(), "10000.00000000");
  EXPECT_EQ(config.risk.max_total_drawdown_pct, 15.0);
  EXPECT_FALSE(config.kraken.credentials_file.has_value());
}

TEST(ConfigDefaults, EmptyTextGivesDefaultsWithoutIssues) {
  EXPECT_EQ(load_valid(""), default_config());
  EXPECT_EQ(load_valid("# only a comment\n"), default_config());
}

TEST(ConfigDefaults, EmptySectionGivesItsDefaults) {
  EXPECT_EQ(load_valid("risk:\nlogging:\n"), default_config());
}

TEST(ConfigDefaults, FindPairReturnsThePairOrNull) {
  const Config config = default_config();
  const PairConfig* eth = config.find_pair("ETH/USD");
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->altname, "ETHUSD");
  EXPECT_EQ(config.find_pair("ETHUSD"), nullptr);
  EXPECT_EQ(config.find_pair("SOL/USD"), nullptr);
}

TEST(ConfigIssueText, NamesLinePathAndMessage) {
  EXPECT_EQ((ConfigIssue{"risk.sl", 12, "expected x, got 'y'"}).to_string(),
            "line 12: risk.sl: expected x, got 'y'");
  EXPECT_EQ((ConfigIssue{"a.yaml", 0, "cannot read"}).to_string(), "a.yaml: cannot read");
}

// --- The example file --------------------------------------------------------------------------

TEST(ConfigExample, LoadsWithoutIssuesAndEqualsDefaults) {
  const LoadResult result = load_config_file(kExampleFile);
  EXPECT_THAT(result.errors, IsEmpty()) << all_messages(result.errors);
  EXPECT_THAT(result.warnings, IsEmpty()) << all_messages(result.warnings);
  ASSERT_TRUE(result.config.has_value());
  const Config defaults = default_config();
  EXPECT_EQ(*result.config, defaults);
  // Money compares by value; the precision must agree too.
  for (size_t i = 0; i < defaults.pairs.size(); ++i) {
    EXPECT_EQ(result.config->pairs[i].ordermin.to_string(), defaults.pairs[i].ordermin.to_string());
    EXPECT_EQ(result.config->pairs[i].costmin.to_string(), defaults.pairs[i].costmin.to_string());
    EXPECT_EQ(result.config->pairs[i].tick_size.to_string(),
              defaults.pairs[i].tick_size.to_string());
  }
  EXPECT_EQ(result.config->risk.max_order_value.to_string(),
            defaults.risk.max_order_value.to_string());
}

TEST(ConfigExample, MentionsEveryKey) {
  const std::string text = read_file(kExampleFile);
  for (const char* key : {"data_dir",
                          "pairs",
                          "symbol",
                          "altname",
                          "base",
                          "quote",
                          "price_precision",
                          "qty_precision",
                          "cost_precision",
                          "ordermin",
                          "costmin",
                          "tick_size",
                          "portfolio",
                          "valuation_currency",
                          "initial_capital",
                          "features",
                          "fast_window",
                          "slow_window",
                          "indicators",
                          "return_horizons",
                          "rsi_period",
                          "macd_fast",
                          "macd_slow",
                          "macd_signal",
                          "bollinger_period",
                          "bollinger_stddev",
                          "atr_period",
                          "roc_period",
                          "volatility_window",
                          "vwap_window",
                          "prediction",
                          "model_type",
                          "model_path",
                          "model_id",
                          "target",
                          "momentum_sensitivity",
                          "strategy",
                          "id",
                          "buy_threshold",
                          "sell_threshold",
                          "entry_type",
                          "limit_offset_pct",
                          "stop_mode",
                          "sl_pct",
                          "tp_pct",
                          "atr_feature",
                          "sl_atr_multiple",
                          "tp_atr_multiple",
                          "cooldown_bars",
                          "max_holding_bars",
                          "confirmation_rules",
                          "risk",
                          "max_total_drawdown_pct",
                          "max_daily_drawdown_pct",
                          "max_weekly_drawdown_pct",
                          "max_consecutive_losses",
                          "max_exposure_per_pair_pct",
                          "max_total_exposure_pct",
                          "max_order_value",
                          "risk_per_trade_pct",
                          "fat_finger_max_deviation_pct",
                          "min_sl_distance_pct",
                          "execution",
                          "taker_fee_pct",
                          "maker_fee_pct",
                          "slippage_model",
                          "slippage_pct",
                          "impact_pct_per_volume",
                          "fill_liquidity_ratio",
                          "latency_ms",
                          "latency_jitter_ms",
                          "latency_seed",
                          "shutdown_orders",
                          "backtest",
                          "report_dir",
                          "logging",
                          "level",
                          "console",
                          "file",
                          "enabled",
                          "directory",
                          "name",
                          "max_bytes",
                          "backup_count",
                          "kraken",
                          "rest_url",
                          "ws_url",
                          "ws_auth_url",
                          "credentials_file",
                          "market_data",
                          "book_depth",
                          "ohlc_interval_minutes",
                          "staleness_seconds",
                          "idle_timeout_seconds",
                          "reconnect_min_backoff_ms",
                          "reconnect_max_backoff_ms",
                          "reconnect_jitter",
                          "max_frame_bytes",
                          "history",
                          "request_timeout_ms",
                          "page_pause_ms",
                          "max_attempts",
                          "retry_backoff_ms",
                          "models",
                          "registry_dir",
                          "min_return_pct",
                          "horizon_bars",
                          "retraining",
                          "interval_minutes",
                          "training_window_days",
                          "validation_fraction",
                          "walk_forward_folds",
                          "promotion_margin",
                          "rounds",
                          "max_depth",
                          "eta",
                          "drift",
                          "window",
                          "check_interval_minutes",
                          "psi_threshold",
                          "ks_pvalue",
                          "min_hit_rate",
                          "min_outcomes",
                          "triggers_retraining",
                          "experiments",
                          "traffic_split",
                          "significance",
                          "min_samples",
                          "max_duration_hours",
                          "max_loss",
                          "monitoring",
                          "check_interval_seconds",
                          "halt",
                          "position_behavior",
                          "drawdown",
                          "max_total_pct",
                          "max_daily_pct",
                          "max_weekly_pct",
                          "api_errors",
                          "max_count",
                          "window_seconds",
                          "max_consecutive_balance_failures",
                          "market_data",
                          "stale_seconds",
                          "startup_grace_seconds",
                          "volatility",
                          "short_window_bars",
                          "long_window_bars",
                          "max_ratio",
                          "checksum_failures",
                          "max_persistence_queue_fill_pct",
                          "dashboard",
                          "bind_address",
                          "port",
                          "token_file",
                          "database",
                          "backend",
                          "sqlite_file",
                          "url",
                          "schema",
                          "influxdb",
                          "enabled",
                          "api_version",
                          "org",
                          "bucket",
                          "batch_points",
                          "flush_interval_ms",
                          "max_buffered_points",
                          "sample_interval_ms",
                          "stop_timeout_ms",
                          "create_database",
                          "username",
                          "password_file"}) {
    EXPECT_THAT(text, HasSubstr(std::string(key) + ":")) << key;
  }
}

// --- Reading values ----------------------------------------------------------------------------

TEST(ConfigLoader, ReadsEverySectionFromYaml) {
  const Config config = load_valid(R"(
data_dir: /var/lib/galfriday
pairs:
  - symbol: SOL/EUR
    altname: SOLEUR
    price_precision: 2
    qty_precision: 6
    cost_precision: 4
    ordermin: 0.02
    costmin: "0.45"
    tick_size: 0.05
portfolio:
  valuation_currency: EUR
  initial_capital: {EUR: 5000.5, BTC: "0.25"}
features: {fast_window: 5, slow_window: 20, return_horizons: [3, 7], indicators: [rsi, ma_spread], rsi_period: 9}
prediction: {model_id: m2, target: up, momentum_sensitivity: 250}
strategy:
  id: s1
  buy_threshold: 0.7
  sell_threshold: 0.3
  entry_type: limit
  limit_offset_pct: 0.02
  sl_pct: 1.5
  tp_pct: 3
  cooldown_bars: 0
risk:
  max_total_drawdown_pct: 20
  max_daily_drawdown_pct: 3
  max_weekly_drawdown_pct: 6
  max_consecutive_losses: 3
  max_exposure_per_pair_pct: 5
  max_total_exposure_pct: 50
  max_order_value: "2500.25"
  risk_per_trade_pct: 1
  fat_finger_max_deviation_pct: 4
  min_sl_distance_pct: 0.5
execution: {taker_fee_pct: 0.4, maker_fee_pct: 0.25, slippage_model: none, slippage_pct: 0,
            fill_liquidity_ratio: 1}
backtest: {report_dir: out/reports}
logging:
  level: debug
  console: false
  file: {enabled: false, directory: /tmp/gf, name: gf.log, max_bytes: 1024, backup_count: 0}
kraken:
  rest_url: http://127.0.0.1:8080
  ws_url: ws://127.0.0.1:8081/v2
  ws_auth_url: ws://127.0.0.1:8082/v2
  credentials_file: /etc/galfriday/kraken.yaml
)");
  EXPECT_EQ(config.data_dir, "/var/lib/galfriday");
  ASSERT_EQ(config.pairs.size(), 1u);
  const PairConfig& sol = config.pairs[0];
  EXPECT_EQ(sol.symbol, "SOL/EUR");
  EXPECT_EQ(sol.base, "SOL");
  EXPECT_EQ(sol.quote, "EUR");
  EXPECT_EQ(sol.altname, "SOLEUR");
  EXPECT_EQ(sol.qty_precision, 6);
  EXPECT_EQ(sol.ordermin.to_string(), "0.020000");
  EXPECT_EQ(sol.costmin.to_string(), "0.4500");
  EXPECT_EQ(sol.tick_size.to_string(), "0.05");
  EXPECT_EQ(config.portfolio.valuation_currency, "EUR");
  EXPECT_EQ(config.portfolio.initial_capital.at("EUR").to_string(), "5000.50000000");
  EXPECT_EQ(config.portfolio.initial_capital.at("BTC").to_string(), "0.25000000");
  EXPECT_EQ(config.features.fast_window, 5);
  EXPECT_EQ(config.features.slow_window, 20);
  EXPECT_EQ(config.features.return_horizons, (std::vector<int>{3, 7}));
  EXPECT_EQ(config.features.indicators, (std::vector<std::string>{"rsi", "ma_spread"}));
  EXPECT_EQ(config.features.rsi_period, 9);
  EXPECT_EQ(config.prediction.model_id, "m2");
  EXPECT_EQ(config.prediction.momentum_sensitivity, 250.0);
  EXPECT_EQ(config.strategy.entry_type, EntryType::kLimit);
  EXPECT_EQ(config.strategy.buy_threshold, 0.7);
  EXPECT_EQ(config.strategy.cooldown_bars, 0);
  EXPECT_EQ(config.risk.max_total_drawdown_pct, 20.0);
  EXPECT_EQ(config.risk.max_consecutive_losses, 3);
  EXPECT_EQ(config.risk.max_order_value.to_string(), "2500.25000000");
  EXPECT_EQ(config.execution.slippage_model, SlippageModel::kNone);
  EXPECT_EQ(config.execution.fill_liquidity_ratio, 1.0);
  EXPECT_EQ(config.backtest.report_dir, "out/reports");
  EXPECT_EQ(config.logging.level, LogLevel::kDebug);
  EXPECT_FALSE(config.logging.console);
  EXPECT_FALSE(config.logging.file_enabled);
  EXPECT_EQ(config.logging.file_max_bytes, 1024);
  EXPECT_EQ(config.logging.file_backup_count, 0);
  EXPECT_EQ(config.kraken.rest_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config.kraken.credentials_file, std::filesystem::path("/etc/galfriday/kraken.yaml"));
}

TEST(ConfigLoader, AbsentKeysKeepTheirDefaults) {
  const Config config = load_valid("risk:\n  max_total_drawdown_pct: 20\n");
  Config expected = default_config();
  expected.risk.max_total_drawdown_pct = 20;
  EXPECT_EQ(config, expected);
}

TEST(ConfigLoader, NumbersQuotedAsStringsAreAccepted) {
  const Config config =
      load_valid("features:\n  fast_window: \"15\"\nrisk:\n  max_total_drawdown_pct: '12.5'\n");
  EXPECT_EQ(config.features.fast_window, 15);
  EXPECT_EQ(config.risk.max_total_drawdown_pct, 12.5);
  EXPECT_EQ(only_error("features:\n  fast_window: \"fifteen\"\n").path, "features.fast_window");
}

TEST(ConfigLoader, PairDerivesBaseQuoteAltnameAndTickFromSymbolAndPrecision) {
  const Config config = load_valid("pairs:\n  - symbol: SOL/USD\n    price_precision: 3\n");
  ASSERT_EQ(config.pairs.size(), 1u);
  EXPECT_EQ(config.pairs[0].base, "SOL");
  EXPECT_EQ(config.pairs[0].quote, "USD");
  EXPECT_EQ(config.pairs[0].altname, "SOLUSD");
  EXPECT_EQ(config.pairs[0].tick_size.to_string(), "0.001");
  EXPECT_TRUE(config.pairs[0].ordermin.is_zero());
  EXPECT_EQ(config.pairs[0].ordermin.precision(), 8);
}

TEST(ConfigLoader, AmountsAreReadFromTheScalarTextExactly) {
  // 12345678.12345678 and 0.07 have no exact double; through double they would not round-trip.
  const Config config = load_valid(R"(
pairs:
  - {symbol: BTC/USD, price_precision: 2, ordermin: 0.07, tick_size: 0.07}
portfolio:
  initial_capital: {USD: 12345678.12345678}
risk:
  max_order_value: 1e3
)");
  EXPECT_EQ(config.pairs[0].ordermin.raw(), 7000000);
  EXPECT_EQ(config.pairs[0].tick_size.raw(), 7);
  EXPECT_EQ(config.portfolio.initial_capital.at("USD").raw(), 1234567812345678);
  EXPECT_EQ(config.risk.max_order_value.to_string(), "1000.00000000");
}

TEST(ConfigLoader, CredentialsFileNullOrEmptyMeansUnset) {
  EXPECT_FALSE(load_valid("kraken:\n  credentials_file: null\n").kraken.credentials_file);
  EXPECT_FALSE(load_valid("kraken:\n  credentials_file: \"\"\n").kraken.credentials_file);
}

// --- Malformed and wrongly typed input ---------------------------------------------------------

TEST(ConfigLoader, MalformedYamlReportsTheLine) {
  const ConfigIssue issue = only_error("risk:\n  sl_pct: 2\n  tp_pct: [4\nlogging: {}\n");
  EXPECT_THAT(issue.message, HasSubstr("invalid YAML"));
  EXPECT_GE(issue.line, 3);
  EXPECT_EQ(issue.path, "<text>");

  const ConfigIssue bad_indent = only_error("risk:\n  sl_pct: 2\n tp_pct: 4\n");
  EXPECT_EQ(bad_indent.line, 3);
  EXPECT_THAT(bad_indent.message, HasSubstr("invalid YAML"));
}

TEST(ConfigLoader, SourceNameAppearsInFileLevelErrors) {
  const LoadResult result = load_config_text("- a\n- b\n", "my.yaml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, "my.yaml");
  EXPECT_THAT(result.errors[0].message, HasSubstr("got a list"));
}

TEST(ConfigLoader, SectionOfWrongTypeIsAnError) {
  const ConfigIssue issue = only_error("risk: 5\n");
  EXPECT_EQ(issue.to_string(), "line 1: risk: expected a map of risk settings, got '5'");
}

TEST(ConfigLoader, WrongTypesAreErrors) {
  EXPECT_EQ(only_error("features:\n  fast_window: abc\n").to_string(),
            "line 2: features.fast_window: expected an integer >= 1, got 'abc'");
  EXPECT_EQ(only_error("features:\n  fast_window: 2.5\n").path, "features.fast_window");
  EXPECT_EQ(only_error("logging:\n  console: yes\n").to_string(),
            "line 2: logging.console: expected true or false, got 'yes'");
  EXPECT_EQ(only_error("strategy:\n  sl_pct: [1, 2]\n").to_string(),
            "line 2: strategy.sl_pct: expected a number greater than 0 and less than 100, got a "
            "list");
  EXPECT_EQ(only_error("pairs: {symbol: BTC/USD}\n").path, "pairs");
  EXPECT_EQ(only_error("pairs:\n  - BTC/USD\n").to_string(),
            "line 2: pairs[0]: expected a map with symbol, altname, precisions, ..., got "
            "'BTC/USD'");
  EXPECT_EQ(only_error("portfolio:\n  initial_capital: 1000\n").path, "portfolio.initial_capital");
  EXPECT_EQ(only_error("data_dir: [a]\n").path, "data_dir");
  EXPECT_EQ(only_error("features:\n  fast_window:\n").to_string(),
            "line 2: features.fast_window: expected an integer >= 1, got an empty value");
}

TEST(ConfigLoader, BooleansAreTrueOrFalse) {
  EXPECT_FALSE(load_valid("logging:\n  console: false\n").logging.console);
  EXPECT_EQ(only_error("logging:\n  file:\n    enabled: on\n").path, "logging.file.enabled");
}

TEST(ConfigLoader, OutOfRangeNamesTheRangeAndTheValue) {
  EXPECT_EQ(only_error("risk:\n  max_total_drawdown_pct: abc\n").to_string(),
            "line 2: risk.max_total_drawdown_pct: expected a number between 0 and 100, got 'abc'");
  EXPECT_EQ(only_error("risk:\n  max_total_drawdown_pct: 150\n").to_string(),
            "line 2: risk.max_total_drawdown_pct: expected a number between 0 and 100, got '150'");
  EXPECT_EQ(only_error("risk:\n  risk_per_trade_pct: 0\n").to_string(),
            "line 2: risk.risk_per_trade_pct: expected a number greater than 0 and at most 100, "
            "got '0'");
  EXPECT_EQ(only_error("strategy:\n  tp_pct: 100\n").path, "strategy.tp_pct");
  EXPECT_EQ(only_error("strategy:\n  buy_threshold: 1.5\n").to_string(),
            "line 2: strategy.buy_threshold: expected a number between 0 and 1, got '1.5'");
  EXPECT_EQ(only_error("strategy:\n  cooldown_bars: -1\n").path, "strategy.cooldown_bars");
  EXPECT_EQ(only_error("features:\n  return_horizons: [1, 0]\n").to_string(),
            "line 2: features.return_horizons[1]: expected bar counts >= 1, got '0'");
  EXPECT_EQ(only_error("features:\n  return_horizons: []\n").path, "features.return_horizons");
  EXPECT_EQ(only_error("features:\n  indicators: [rsi, rsx]\n").path, "features.indicators[1]");
  EXPECT_EQ(only_error("features:\n  macd_fast: 30\n").to_string(),
            "line 2: features.macd_fast: must be less than features.macd_slow (26), got 30");
  EXPECT_EQ(only_error("features:\n  volatility_window: 1\n").path, "features.volatility_window");
  EXPECT_EQ(only_error("risk:\n  max_consecutive_losses: 0\n").path, "risk.max_consecutive_losses");
  EXPECT_EQ(only_error("risk:\n  max_order_value: 0\n").path, "risk.max_order_value");
  EXPECT_EQ(only_error("execution:\n  fill_liquidity_ratio: 0\n").to_string(),
            "line 2: execution.fill_liquidity_ratio: expected a number greater than 0 and at most "
            "1, got '0'");
  EXPECT_EQ(only_error("execution:\n  fill_liquidity_ratio: 1.01\n").path,
            "execution.fill_liquidity_ratio");
  EXPECT_EQ(only_error("prediction:\n  momentum_sensitivity: .nan\n").path,
            "prediction.momentum_sensitivity");
  EXPECT_EQ(only_error("logging:\n  file:\n    max_bytes: 1023\n").to_string(),
            "line 3: logging.file.max_bytes: expected an integer >= 1024, got '1023'");
  EXPECT_EQ(only_error("logging:\n  file:\n    backup_count: -1\n").path,
            "logging.file.backup_count");
  EXPECT_EQ(only_error("logging:\n  file:\n    name: a/b.log\n").path, "logging.file.name");
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, price_precision: 19}\n").to_string(),
            "line 2: pairs[0].price_precision: expected an integer between 0 and 18, got '19'");
  EXPECT_EQ(only_error("kraken:\n  ws_url: https://ws.kraken.com\n").path, "kraken.ws_url");
  EXPECT_EQ(only_error("kraken:\n  rest_url: api.kraken.com\n").path, "kraken.rest_url");
}

TEST(ConfigLoader, EnumsAcceptOnlyTheirNames) {
  EXPECT_EQ(only_error("logging:\n  level: verbose\n").to_string(),
            "line 2: logging.level: expected one of trace, debug, info, warn, error, critical, got "
            "'verbose'");
  EXPECT_EQ(only_error("strategy:\n  entry_type: stop\n").to_string(),
            "line 2: strategy.entry_type: expected one of market, limit, got 'stop'");
  EXPECT_EQ(only_error("execution:\n  slippage_model: random\n").path, "execution.slippage_model");
  EXPECT_EQ(only_error("execution:\n  shutdown_orders: leave\n").to_string(),
            "line 2: execution.shutdown_orders: expected one of cancel, keep, got 'leave'");
  EXPECT_EQ(load_valid("execution:\n  shutdown_orders: keep\n").execution.shutdown_orders,
            ShutdownOrders::kKeep);
  EXPECT_EQ(default_config().execution.shutdown_orders, ShutdownOrders::kCancel);
  EXPECT_EQ(only_error("prediction:\n  model_type: lstm\n").path, "prediction.model_type");
  EXPECT_EQ(only_error("prediction:\n  model_type: xgboost\n").to_string(),
            "line 2: prediction.model_path: is required when prediction.model_type is xgboost");
  EXPECT_EQ(load_valid("logging:\n  level: critical\n").logging.level, LogLevel::kCritical);
}

TEST(ConfigLoader, CollectsAllErrorsAtOnceInFileOrder) {
  const LoadResult result = load_config_text(R"(logging:
  level: loud
risk:
  max_total_drawdown_pct: abc
  max_consecutive_losses: 0
pairs:
  - symbol: BTC/USD
  - symbol: ETH/USD
    price_precision: -1
features:
  fast_window: x
)");
  EXPECT_FALSE(result.config.has_value());
  std::vector<std::string> paths;
  std::vector<int> lines;
  for (const auto& issue : result.errors) {
    paths.push_back(issue.path);
    lines.push_back(issue.line);
  }
  EXPECT_THAT(paths, ElementsAre("logging.level", "risk.max_total_drawdown_pct",
                                 "risk.max_consecutive_losses", "pairs[1].price_precision",
                                 "features.fast_window"));
  EXPECT_THAT(lines, ElementsAre(2, 4, 5, 9, 11));
}

// --- Unknown keys ------------------------------------------------------------------------------

TEST(ConfigLoader, UnknownKeyWarnsWithSuggestion) {
  const LoadResult result = load_config_text("risk:\n  max_totl_drawdown_pct: 10\n");
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_TRUE(result.config.has_value());
  EXPECT_EQ(*result.config, default_config());  // the misspelt value is not applied
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].path, "risk.max_totl_drawdown_pct");
  EXPECT_EQ(result.warnings[0].line, 2);
  EXPECT_EQ(result.warnings[0].message,
            "unknown key 'risk.max_totl_drawdown_pct' (did you mean 'max_total_drawdown_pct'?)");
}

TEST(ConfigLoader, UnknownKeyWarnsAtEveryLevel) {
  const LoadResult result = load_config_text(R"(rsik: {}
pairs:
  - symbol: BTC/USD
  - symbol: ETH/USD
    tick: "0.01"
logging:
  file:
    max_byte: 2048
)");
  EXPECT_THAT(result.errors, IsEmpty()) << all_messages(result.errors);
  ASSERT_EQ(result.warnings.size(), 3u) << all_messages(result.warnings);
  EXPECT_EQ(result.warnings[0].message, "unknown key 'rsik' (did you mean 'risk'?)");
  EXPECT_EQ(result.warnings[1].message, "unknown key 'pairs[1].tick' (did you mean 'tick_size'?)");
  EXPECT_EQ(result.warnings[1].line, 5);
  EXPECT_EQ(result.warnings[2].message,
            "unknown key 'logging.file.max_byte' (did you mean 'max_bytes'?)");
}

TEST(ConfigLoader, UnknownKeyWithoutCloseMatchListsTheKnownKeys) {
  const LoadResult result = load_config_text("backtest:\n  something_else: 1\n");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].message,
            "unknown key 'backtest.something_else' (known keys here: report_dir, threads, "
            "rank_by)");
}

TEST(ConfigLoader, DuplicateKeyIsAnError) {
  const ConfigIssue issue =
      only_error("risk:\n  max_total_drawdown_pct: 10\n  max_total_drawdown_pct: 12\n");
  EXPECT_EQ(issue.to_string(),
            "line 3: risk.max_total_drawdown_pct: duplicate key (first given on line 2); keep "
            "only one");
}

// --- Pairs and precision -----------------------------------------------------------------------

TEST(ConfigLoader, OrderminFinerThanQtyPrecisionIsAnError) {
  const std::string yaml = "pairs:\n  - symbol: BTC/USD\n    qty_precision: 8\n    ordermin: ";
  EXPECT_EQ(only_error(yaml + "\"0.000000001\"\n").to_string(),
            "line 4: pairs[0].ordermin: expected a quantity >= 0 with at most 8 decimals "
            "(qty_precision), got '0.000000001'");
  EXPECT_EQ(load_valid(yaml + "\"0.00000001\"\n").pairs[0].ordermin.raw(), 1);
  // Trailing zeros beyond the precision change nothing.
  EXPECT_EQ(load_valid(yaml + "\"0.0001000000\"\n").pairs[0].ordermin.raw(), 10000);
}

TEST(ConfigLoader, PairAmountsAreCheckedAtTheirOwnPrecision) {
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, price_precision: 1, tick_size: 0.05}\n").path,
            "pairs[0].tick_size");
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, cost_precision: 0, costmin: 0.5}\n").path,
            "pairs[0].costmin");
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, tick_size: 0}\n").path, "pairs[0].tick_size");
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, costmin: \"-1\"}\n").path,
            "pairs[0].costmin");
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, ordermin: abc}\n").path, "pairs[0].ordermin");
}

TEST(ConfigLoader, InvalidPrecisionIsReportedOnceNotAgainForItsAmounts) {
  const ConfigIssue issue =
      only_error("pairs:\n  - {symbol: BTC/USD, qty_precision: 40, ordermin: \"0.0001\"}\n");
  EXPECT_EQ(issue.path, "pairs[0].qty_precision");
}

TEST(ConfigLoader, PairSymbolMustBeBaseSlashQuote) {
  EXPECT_EQ(only_error("pairs:\n  - symbol: BTCUSD\n").to_string(),
            "line 2: pairs[0].symbol: expected a symbol BASE/QUOTE in upper case, such as "
            "'BTC/USD', got 'BTCUSD'");
  EXPECT_EQ(only_error("pairs:\n  - symbol: btc/usd\n").path, "pairs[0].symbol");
  EXPECT_EQ(only_error("pairs:\n  - symbol: BTC/\n").path, "pairs[0].symbol");
  EXPECT_EQ(only_error("pairs:\n  - symbol: A/B/C\n").path, "pairs[0].symbol");
}

TEST(ConfigLoader, PairWithoutSymbolIsAnError) {
  EXPECT_EQ(only_error("pairs:\n  - altname: XBTUSD\n").to_string(),
            "line 2: pairs[0].symbol: missing; every pair needs a symbol such as 'BTC/USD'");
}

TEST(ConfigLoader, DuplicatePairSymbolIsAnError) {
  EXPECT_EQ(only_error("pairs:\n  - symbol: BTC/USD\n  - symbol: BTC/USD\n").to_string(),
            "line 3: pairs[1].symbol: duplicate symbol 'BTC/USD' (already pairs[0]); list each "
            "pair once");
}

TEST(ConfigLoader, PairBaseAndQuoteMustMatchTheSymbol) {
  EXPECT_EQ(only_error("pairs:\n  - symbol: BTC/USD\n    base: XBT\n").to_string(),
            "line 3: pairs[0].base: must match the symbol 'BTC/USD': expected 'BTC', got 'XBT'");
  EXPECT_EQ(only_error("pairs:\n  - {symbol: BTC/USD, quote: EUR}\n").path, "pairs[0].quote");
  EXPECT_EQ(load_valid("pairs:\n  - {symbol: BTC/USD, base: BTC, quote: USD}\n").pairs[0].base,
            "BTC");
}

TEST(ConfigLoader, ExplicitlyEmptyPairListIsAnError) {
  EXPECT_EQ(only_error("pairs: []\n").to_string(),
            "line 1: pairs: expected at least one pair, got a list");
  EXPECT_EQ(only_error("pairs:\n").path, "pairs");
}

TEST(ConfigLoader, InitialCapitalMustIncludeTheValuationCurrency) {
  EXPECT_EQ(only_error("portfolio:\n  valuation_currency: EUR\n").to_string(),
            "line 2: portfolio.initial_capital: must include the valuation currency 'EUR', e.g. "
            "initial_capital: {EUR: 100000}");
  EXPECT_EQ(only_error("portfolio:\n  initial_capital: {BTC: 1}\n").path,
            "portfolio.initial_capital");
  EXPECT_EQ(only_error("portfolio:\n  initial_capital: {USD: \"-5\"}\n").path,
            "portfolio.initial_capital.USD");
  EXPECT_EQ(only_error("portfolio:\n  initial_capital: {USD: 0.000000001}\n").path,
            "portfolio.initial_capital.USD");
  EXPECT_EQ(only_error("portfolio:\n  initial_capital: {USD: 1, usd: 2}\n").path,
            "portfolio.initial_capital.usd");
  const Config config = load_valid("portfolio:\n  initial_capital: {USD: 0}\n");
  EXPECT_TRUE(config.portfolio.initial_capital.at("USD").is_zero());
}

// --- Rules across fields -----------------------------------------------------------------------

TEST(ConfigLoader, BuyThresholdMustExceedSellThreshold) {
  EXPECT_EQ(only_error("strategy:\n  buy_threshold: 0.5\n  sell_threshold: 0.5\n").to_string(),
            "line 2: strategy.buy_threshold: must be greater than strategy.sell_threshold (0.5), "
            "got 0.5");
  // Against the other field's default, reported where the file sets a value.
  EXPECT_EQ(only_error("strategy:\n  id: x\n  sell_threshold: 0.9\n").to_string(),
            "line 3: strategy.buy_threshold: must be greater than strategy.sell_threshold (0.9), "
            "got 0.65");
}

TEST(ConfigLoader, ReadsStopModeTimeStopAndConfirmationRules) {
  const Config config = load_valid(R"(strategy:
  stop_mode: atr
  sl_atr_multiple: 1.5
  max_holding_bars: 240
  confirmation_rules:
    - {feature: rsi_14, op: lt, value: 70}
    - {feature: volatility_30, op: ge, value: 0.0001}
)");
  EXPECT_EQ(config.strategy.stop_mode, StopMode::kAtr);
  EXPECT_EQ(config.strategy.sl_atr_multiple, 1.5);
  EXPECT_EQ(config.strategy.max_holding_bars, 240);
  ASSERT_EQ(config.strategy.confirmation_rules.size(), 2u);
  EXPECT_EQ(config.strategy.confirmation_rules[0].feature, "rsi_14");
  EXPECT_EQ(config.strategy.confirmation_rules[0].op, ConfirmationRule::Op::kLess);
  EXPECT_EQ(config.strategy.confirmation_rules[1].value, 0.0001);
}

TEST(ConfigLoader, MalformedConfirmationRulesAreErrorsWithTheirIndex) {
  EXPECT_EQ(
      only_error("strategy:\n  confirmation_rules:\n    - {feature: rsi_14, op: above, value: 1}\n")
          .to_string(),
      "line 3: strategy.confirmation_rules[0].op: expected one of gt, ge, lt, le, got 'above'");
  EXPECT_EQ(only_error("strategy:\n  confirmation_rules:\n    - {feature: rsi_14}\n").to_string(),
            "line 3: strategy.confirmation_rules[0]: a rule needs a feature and a value");
  EXPECT_EQ(only_error("strategy:\n  confirmation_rules: 5\n").path, "strategy.confirmation_rules");
  EXPECT_EQ(only_error("strategy:\n  stop_mode: trailing\n").path, "strategy.stop_mode");
}

TEST(ConfigLoader, FastWindowMustBeShorterThanSlowWindow) {
  EXPECT_EQ(only_error("features:\n  fast_window: 120\n").to_string(),
            "line 2: features.fast_window: must be less than features.slow_window (120), got 120");
}

TEST(ConfigLoader, ReadsTradeAndBookFeaturesAndBacktestSweepKeys) {
  const Config config = load_valid(R"(features:
  indicators: [returns, trades, book]
  trade_window_seconds: 300
  book_levels: 10
  emit_on_book_update: true
backtest:
  threads: 4
  rank_by: max_drawdown
)");
  EXPECT_EQ(config.features.indicators, (std::vector<std::string>{"returns", "trades", "book"}));
  EXPECT_EQ(config.features.trade_window_seconds, 300);
  EXPECT_EQ(config.features.book_levels, 10);
  EXPECT_TRUE(config.features.emit_on_book_update);
  EXPECT_EQ(config.backtest.threads, 4);
  EXPECT_EQ(config.backtest.rank_by, RankMetric::kMaxDrawdown);
}

TEST(ConfigLoader, TradeBookAndSweepKeysAreRangeChecked) {
  EXPECT_EQ(only_error("features:\n  trade_window_seconds: 0\n").path,
            "features.trade_window_seconds");
  EXPECT_EQ(only_error("features:\n  book_levels: 1001\n").path, "features.book_levels");
  EXPECT_EQ(only_error("features:\n  emit_on_book_update: sometimes\n").path,
            "features.emit_on_book_update");
  EXPECT_EQ(only_error("backtest:\n  threads: -1\n").path, "backtest.threads");
  EXPECT_EQ(only_error("backtest:\n  rank_by: luck\n").path, "backtest.rank_by");
}

TEST(ConfigLoader, DrawdownAndExposureLimitsMustNest) {
  EXPECT_EQ(only_error("risk:\n  max_daily_drawdown_pct: 6\n").path, "risk.max_daily_drawdown_pct");
  EXPECT_EQ(only_error("risk:\n  max_weekly_drawdown_pct: 16\n").path,
            "risk.max_weekly_drawdown_pct");
  EXPECT_EQ(only_error("risk:\n  max_total_exposure_pct: 5\n").path,
            "risk.max_exposure_per_pair_pct");
  EXPECT_EQ(only_error("risk:\n  min_sl_distance_pct: 3\n").path, "strategy.sl_pct");
}

TEST(ConfigLoader, CrossFieldRuleIsSkippedWhenAFieldIsAlreadyInvalid) {
  const ConfigIssue issue = only_error("strategy:\n  buy_threshold: x\n  sell_threshold: 0.9\n");
  EXPECT_EQ(issue.path, "strategy.buy_threshold");
  EXPECT_THAT(issue.message, HasSubstr("expected a number between 0 and 1"));
}

// --- Files -------------------------------------------------------------------------------------

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gf_config_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path write(const std::string& name, const std::string& text, mode_t mode) {
    const auto path = dir_ / name;
    {
      std::ofstream out(path);
      out << text;
    }
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::filesystem::path dir_;
};

using ConfigFile = TempDir;

TEST_F(ConfigFile, LoadsAFile) {
  const auto path = write("config.yaml", "features:\n  fast_window: 7\n", 0644);
  const LoadResult result = load_config_file(path);
  ASSERT_TRUE(result.config.has_value()) << all_messages(result.errors);
  EXPECT_EQ(result.config->features.fast_window, 7);
}

TEST_F(ConfigFile, MissingFileIsAnErrorNamingThePath) {
  const auto path = dir_ / "nope.yaml";
  const LoadResult result = load_config_file(path);
  EXPECT_FALSE(result.config.has_value());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(),
            path.string() + ": cannot read the config file: No such file or directory");
}

TEST_F(ConfigFile, DirectoryIsAnError) {
  const LoadResult result = load_config_file(dir_);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].to_string(), HasSubstr(dir_.string()));
  EXPECT_THAT(result.errors[0].message, HasSubstr("directory"));
}

TEST_F(ConfigFile, SyntaxErrorNamesTheFile) {
  const auto path = write("bad.yaml", "risk: {sl_pct: 2\n", 0644);
  const LoadResult result = load_config_file(path);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, path.string());
  EXPECT_GT(result.errors[0].line, 0);
}

// --- Secrets -----------------------------------------------------------------------------------

constexpr const char* kKey = "KEY-7f3a9c1e";
constexpr const char* kSecret = "c2VjcmV0LXZhbHVlLTFiMmMzZA==";

// Each test starts without the credential variables and gets the original ones back after.
class Secrets : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    for (const char* name : {"KRAKEN_API_KEY", "KRAKEN_API_SECRET"}) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    ::unsetenv("KRAKEN_API_KEY");
    ::unsetenv("KRAKEN_API_SECRET");
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
    TempDir::TearDown();
  }

  KrakenConfig with_file(const std::filesystem::path& path) {
    KrakenConfig kraken;
    kraken.credentials_file = path;
    return kraken;
  }

  std::string secrets_file_text() const {
    return std::string("api_key: ") + kKey + "\napi_secret: \"" + kSecret + "\"\n";
  }

  static void expect_no_secret(const Status& status) {
    EXPECT_THAT(status.message(), Not(HasSubstr(kKey)));
    EXPECT_THAT(status.message(), Not(HasSubstr(kSecret)));
    EXPECT_THAT(status.to_string(), Not(HasSubstr(kSecret)));
  }

  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(Secrets, EnvironmentVariablesWinOverTheFile) {
  ::setenv("KRAKEN_API_KEY", "env-key", 1);
  ::setenv("KRAKEN_API_SECRET", "env-secret", 1);
  const auto path = write("creds.yaml", secrets_file_text(), 0600);
  const auto secrets = load_secrets(with_file(path));
  ASSERT_TRUE(secrets.is_ok()) << secrets.status().to_string();
  EXPECT_EQ(secrets->api_key, "env-key");
  EXPECT_EQ(secrets->api_secret, "env-secret");
}

TEST_F(Secrets, OnlyOneEnvironmentVariableIsAnError) {
  ::setenv("KRAKEN_API_SECRET", kSecret, 1);
  const auto secrets = load_secrets(KrakenConfig{});
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(secrets.status().message(),
            "KRAKEN_API_SECRET is set but KRAKEN_API_KEY is not; set both or neither");
  expect_no_secret(secrets.status());
}

TEST_F(Secrets, NoSourceIsNotFoundAndSaysHowToProvideThem) {
  const auto secrets = load_secrets(KrakenConfig{});
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(secrets.status().message(), HasSubstr("KRAKEN_API_KEY"));
  EXPECT_THAT(secrets.status().message(), HasSubstr("kraken.credentials_file"));
}

TEST_F(Secrets, FileWithMode0600IsAccepted) {
  const auto path = write("creds.yaml", secrets_file_text(), 0600);
  const auto secrets = load_secrets(with_file(path));
  ASSERT_TRUE(secrets.is_ok()) << secrets.status().to_string();
  EXPECT_EQ(secrets->api_key, kKey);
  EXPECT_EQ(secrets->api_secret, kSecret);
}

TEST_F(Secrets, FileReadableByOthersIsRefusedWithChmodAdvice) {
  const auto path = write("creds.yaml", secrets_file_text(), 0644);
  const auto secrets = load_secrets(with_file(path));
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(secrets.status().message(),
            "credentials file " + path.string() + " has mode 0644; run chmod 600 " + path.string());
  expect_no_secret(secrets.status());
}

TEST_F(Secrets, FileReadableByGroupIsRefused) {
  const auto path = write("creds.yaml", secrets_file_text(), 0640);
  const auto secrets = load_secrets(with_file(path));
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(secrets.status().message(), HasSubstr("mode 0640"));
}

TEST_F(Secrets, SymlinkIsRefused) {
  const auto target = write("creds.yaml", secrets_file_text(), 0600);
  const auto link = dir_ / "link.yaml";
  std::filesystem::create_symlink(target, link);
  const auto secrets = load_secrets(with_file(link));
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(secrets.status().message(), HasSubstr("not a regular file"));
  expect_no_secret(secrets.status());
}

TEST_F(Secrets, MissingFileIsNotFoundNamingIt) {
  const auto path = dir_ / "absent.yaml";
  const auto secrets = load_secrets(with_file(path));
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(secrets.status().message(), HasSubstr(path.string()));
}

TEST_F(Secrets, FileNeedsBothNonEmptyKeys) {
  const auto no_secret =
      write("a.yaml", std::string("api_key: ") + kKey + "\napi_secret: \"\"\n", 0600);
  const auto result = load_secrets(with_file(no_secret));
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("api_secret is missing or empty"));
  expect_no_secret(result.status());

  const auto no_key = write("b.yaml", std::string("api_secret: ") + kSecret + "\n", 0600);
  const auto other = load_secrets(with_file(no_key));
  ASSERT_FALSE(other.is_ok());
  EXPECT_THAT(other.status().message(), HasSubstr("api_key is missing or empty"));
  expect_no_secret(other.status());
}

TEST(ConfigLoader, ReadsAndValidatesTheModelsSection) {
  const LoadResult good = load_config_text(R"(
models:
  registry_dir: /srv/models
  target: {name: prob_up_02, min_return_pct: 0.2, horizon_bars: 10}
  retraining: {interval_minutes: 0, validation_fraction: 0.25, walk_forward_folds: 4,
               promotion_margin: 0.01, rounds: 50, max_depth: 3, eta: 0.3}
  drift: {window: 500, psi_threshold: 0.25, ks_pvalue: 0.001, min_hit_rate: 0.45,
          triggers_retraining: false}
  experiments: {traffic_split: 0.2, significance: 0.01, min_samples: 50, max_loss: "250.5"}
)");
  ASSERT_TRUE(good.config.has_value()) << all_messages(good.errors);
  const ModelsConfig& models = good.config->models;
  EXPECT_EQ(models.registry_dir, "/srv/models");
  EXPECT_EQ(models.target, "prob_up_02");
  EXPECT_EQ(models.target_horizon_bars, 10);
  EXPECT_EQ(models.retrain_interval_minutes, 0);
  EXPECT_EQ(models.walk_forward_folds, 4);
  EXPECT_DOUBLE_EQ(models.drift_ks_pvalue, 0.001);
  EXPECT_FALSE(models.drift_triggers_retraining);
  EXPECT_DOUBLE_EQ(models.experiment_traffic_split, 0.2);
  EXPECT_EQ(models.experiment_max_loss.to_string(), "250.50000000");

  const LoadResult bad = load_config_text(R"(
models:
  retraining: {validation_fraction: 0.9}
  drift: {ks_pvalue: 1.5}
  experiments: {traffic_split: 1, max_loss: "-5"}
)");
  EXPECT_FALSE(bad.config.has_value());
  const std::string messages = all_messages(bad.errors);
  EXPECT_THAT(messages, HasSubstr("models.retraining.validation_fraction"));
  EXPECT_THAT(messages, HasSubstr("models.drift.ks_pvalue"));
  EXPECT_THAT(messages, HasSubstr("models.experiments.traffic_split"));
  EXPECT_THAT(messages, HasSubstr("models.experiments.max_loss"));
}

TEST_F(Secrets, MalformedFileErrorDoesNotQuoteItsContents) {
  const auto path =
      write("bad.yaml", std::string("api_key: ") + kKey + "\napi_secret: [" + kSecret + "\n", 0600);
  const auto secrets = load_secrets(with_file(path));
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(secrets.status().message(), HasSubstr("not valid YAML"));
  expect_no_secret(secrets.status());

  const auto not_a_map =
      write("list.yaml", std::string("- ") + kKey + "\n- " + kSecret + "\n", 0600);
  const auto list = load_secrets(with_file(not_a_map));
  ASSERT_FALSE(list.is_ok());
  expect_no_secret(list.status());
}

// --- monitoring ---------------------------------------------------------------------------------

TEST(ConfigLoader, ReadsTheMonitoringSection) {
  const Config config = load_valid(R"(
monitoring:
  check_interval_seconds: 5
  halt:
    position_behavior: close
  drawdown:
    max_total_pct: 10
    max_daily_pct: 1.5
    max_weekly_pct: 4
  max_consecutive_losses: 3
  api_errors: {max_count: 7, window_seconds: 30}
  max_consecutive_balance_failures: 2
  market_data: {stale_seconds: 45, startup_grace_seconds: 0}
  volatility: {short_window_bars: 10, long_window_bars: 100, max_ratio: 2.5}
  checksum_failures: {max_count: 4, window_seconds: 20}
  max_persistence_queue_fill_pct: 90
  dashboard: {enabled: true, bind_address: "::1", port: 0, token_file: /etc/gf/token}
)");
  const MonitoringConfig& m = config.monitoring;
  EXPECT_EQ(m.check_interval_seconds, 5);
  EXPECT_EQ(m.position_behavior, HaltPositionBehavior::kClose);
  EXPECT_EQ(m.max_total_drawdown_pct, 10.0);
  EXPECT_EQ(m.max_daily_drawdown_pct, 1.5);
  EXPECT_EQ(m.max_weekly_drawdown_pct, 4.0);
  EXPECT_EQ(m.max_consecutive_losses, 3);
  EXPECT_EQ(m.api_error_max_count, 7);
  EXPECT_EQ(m.api_error_window_seconds, 30);
  EXPECT_EQ(m.max_consecutive_balance_failures, 2);
  EXPECT_EQ(m.market_data_stale_seconds, 45);
  EXPECT_EQ(m.startup_grace_seconds, 0);
  EXPECT_EQ(m.volatility_short_window_bars, 10);
  EXPECT_EQ(m.volatility_long_window_bars, 100);
  EXPECT_EQ(m.volatility_max_ratio, 2.5);
  EXPECT_EQ(m.checksum_failure_max_count, 4);
  EXPECT_EQ(m.checksum_failure_window_seconds, 20);
  EXPECT_EQ(m.max_persistence_queue_fill_pct, 90.0);
  EXPECT_TRUE(m.dashboard_enabled);
  EXPECT_EQ(m.dashboard_bind_address, "::1");
  EXPECT_EQ(m.dashboard_port, 0);
  EXPECT_EQ(m.dashboard_token_file, std::filesystem::path("/etc/gf/token"));
}

TEST(ConfigLoader, MonitoringValuesAreValidated) {
  EXPECT_THAT(only_error("monitoring:\n  halt:\n    position_behavior: liquidate\n").message,
              HasSubstr("one of maintain, close"));
  EXPECT_EQ(only_error("monitoring:\n  dashboard:\n    bind_address: 0.0.0.0\n").path,
            "monitoring.dashboard.bind_address");
  EXPECT_EQ(only_error("monitoring:\n  api_errors:\n    max_count: 0\n").path,
            "monitoring.api_errors.max_count");
  EXPECT_EQ(only_error("monitoring:\n  volatility:\n    max_ratio: 1\n").path,
            "monitoring.volatility.max_ratio");
  EXPECT_EQ(only_error("monitoring:\n  dashboard:\n    port: 70000\n").path,
            "monitoring.dashboard.port");
  const ConfigIssue windows = only_error(
      "monitoring:\n  volatility:\n    short_window_bars: 50\n    long_window_bars: 50\n");
  EXPECT_EQ(windows.path, "monitoring.volatility.short_window_bars");
  EXPECT_EQ(windows.line, 3);
}

// --- history (Kraken REST downloads) ----------------------------------------------------------

TEST(ConfigLoader, ReadsHistorySection) {
  const Config config = load_valid(R"(history:
  request_timeout_ms: 5000
  page_pause_ms: 0
  max_attempts: 2
  retry_backoff_ms: 250
)");
  EXPECT_EQ(config.history.request_timeout_ms, 5000);
  EXPECT_EQ(config.history.page_pause_ms, 0);
  EXPECT_EQ(config.history.max_attempts, 2);
  EXPECT_EQ(config.history.retry_backoff_ms, 250);
  EXPECT_EQ(default_config().history, HistoryConfig{});
}

TEST(ConfigLoader, HistoryRejectsOutOfRangeValues) {
  const ConfigIssue issue = only_error("history:\n  max_attempts: 0\n");
  EXPECT_EQ(issue.path, "history.max_attempts");
}

// --- market_data (the WebSocket feed) ----------------------------------------------------------

TEST(ConfigLoader, ReadsMarketDataSection) {
  const LoadResult result = load_config_text(R"(market_data:
  book_depth: 25
  ohlc_interval_minutes: 5
  staleness_seconds: 30
  idle_timeout_seconds: 4
  reconnect_min_backoff_ms: 100
  reconnect_max_backoff_ms: 2000
  reconnect_jitter: 0.5
  max_frame_bytes: 65536
)");
  ASSERT_TRUE(result.config.has_value())
      << (result.errors.empty() ? "" : result.errors[0].to_string());
  const MarketDataConfig& market_data = result.config->market_data;
  EXPECT_EQ(market_data.book_depth, 25);
  EXPECT_EQ(market_data.ohlc_interval_minutes, 5);
  EXPECT_EQ(market_data.staleness_seconds, 30);
  EXPECT_EQ(market_data.idle_timeout_seconds, 4);
  EXPECT_EQ(market_data.reconnect_min_backoff_ms, 100);
  EXPECT_EQ(market_data.reconnect_max_backoff_ms, 2000);
  EXPECT_EQ(market_data.reconnect_jitter, 0.5);
  EXPECT_EQ(market_data.max_frame_bytes, 65536);
}

TEST(ConfigLoader, MarketDataAcceptsOnlyKrakenDepthsAndIntervals) {
  const LoadResult result =
      load_config_text("market_data:\n  book_depth: 20\n  ohlc_interval_minutes: 3\n");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].path, "market_data.book_depth");
  EXPECT_THAT(result.errors[0].message, HasSubstr("one of 10 25 100 500 1000"));
  EXPECT_EQ(result.errors[1].path, "market_data.ohlc_interval_minutes");
  EXPECT_THAT(result.errors[1].message, HasSubstr("15"));
}

TEST(ConfigLoader, MarketDataBackoffMinimumMustNotExceedMaximum) {
  const LoadResult result = load_config_text(
      "market_data:\n  reconnect_min_backoff_ms: 5000\n  reconnect_max_backoff_ms: 1000\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, "market_data.reconnect_min_backoff_ms");
  EXPECT_THAT(result.errors[0].message, HasSubstr("1000"));
}

TEST(ConfigLoader, MarketDataRangesAreChecked) {
  const LoadResult result = load_config_text(
      "market_data:\n  reconnect_jitter: 1.5\n  max_frame_bytes: 1000\n  staleness_seconds: 0\n");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_FALSE(result.config.has_value());
}

// --- InfluxDB secrets -------------------------------------------------------------------------

constexpr const char* kInfluxPassword = "pw-9d41c7e2";

// Each test starts without the InfluxDB variables and gets the original ones back after.
class InfluxSecretsTest : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    for (const char* name : {kInfluxTokenVariable, kInfluxPasswordVariable}) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    ::unsetenv(kInfluxTokenVariable);
    ::unsetenv(kInfluxPasswordVariable);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
    TempDir::TearDown();
  }

  static InfluxConfig with_user(std::optional<std::filesystem::path> password_file = {}) {
    InfluxConfig influx;
    influx.username = "metrics";
    influx.password_file = std::move(password_file);
    return influx;
  }

  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(InfluxSecretsTest, NoUsernameGivesTheTokenAndNoPassword) {
  const auto none = load_influx_secrets(InfluxConfig{});
  ASSERT_TRUE(none.is_ok()) << none.status().to_string();
  EXPECT_TRUE(none->token.empty());
  EXPECT_TRUE(none->password.empty());
  ::setenv(kInfluxTokenVariable, "t0k3n-value", 1);
  const auto token = load_influx_secrets(InfluxConfig{});
  ASSERT_TRUE(token.is_ok()) << token.status().to_string();
  EXPECT_EQ(token->token, "t0k3n-value");
}

TEST_F(InfluxSecretsTest, TokenAndUsernameTogetherAreAnErrorNamingBoth) {
  ::setenv(kInfluxTokenVariable, "t0k3n-value", 1);
  ::setenv(kInfluxPasswordVariable, kInfluxPassword, 1);
  const auto secrets = load_influx_secrets(with_user());
  ASSERT_FALSE(secrets.is_ok());
  EXPECT_EQ(secrets.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(secrets.status().message(),
            "GALFRIDAY_INFLUX_TOKEN and influxdb.username are both set; use the token (InfluxDB "
            "2.x) or influxdb.username with GALFRIDAY_INFLUX_PASSWORD (InfluxDB 1.x), not both");
}

TEST_F(InfluxSecretsTest, PasswordWithoutUsernameAndUsernameWithoutPasswordAreErrors) {
  ::setenv(kInfluxPasswordVariable, kInfluxPassword, 1);
  const auto no_user = load_influx_secrets(InfluxConfig{});
  ASSERT_FALSE(no_user.is_ok());
  EXPECT_EQ(no_user.status().message(),
            "GALFRIDAY_INFLUX_PASSWORD is set but influxdb.username is empty; set both or neither");
  ::unsetenv(kInfluxPasswordVariable);
  const auto no_password = load_influx_secrets(with_user());
  ASSERT_FALSE(no_password.is_ok());
  EXPECT_EQ(no_password.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(no_password.status().message(), HasSubstr("GALFRIDAY_INFLUX_PASSWORD"));
  EXPECT_THAT(no_password.status().message(), HasSubstr("influxdb.password_file"));
}

TEST_F(InfluxSecretsTest, PasswordFromTheEnvironmentWinsOverTheFile) {
  const auto path = write("influx.yaml", "password: from-the-file\n", 0600);
  ::setenv(kInfluxPasswordVariable, kInfluxPassword, 1);
  const auto secrets = load_influx_secrets(with_user(path));
  ASSERT_TRUE(secrets.is_ok()) << secrets.status().to_string();
  EXPECT_EQ(secrets->password, kInfluxPassword);
  EXPECT_TRUE(secrets->token.empty());
}

TEST_F(InfluxSecretsTest, PasswordFileFollowsTheCredentialsFileRules) {
  const auto good =
      write("influx.yaml", std::string("password: \"") + kInfluxPassword + "\"\n", 0600);
  const auto secrets = load_influx_secrets(with_user(good));
  ASSERT_TRUE(secrets.is_ok()) << secrets.status().to_string();
  EXPECT_EQ(secrets->password, kInfluxPassword);

  const auto shared = write("shared.yaml", std::string("password: ") + kInfluxPassword, 0644);
  const auto refused = load_influx_secrets(with_user(shared));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(), "InfluxDB password file " + shared.string() +
                                            " has mode 0644; run chmod 600 " + shared.string());

  const auto link = dir_ / "link.yaml";
  std::filesystem::create_symlink(good, link);
  const auto linked = load_influx_secrets(with_user(link));
  ASSERT_FALSE(linked.is_ok());
  EXPECT_THAT(linked.status().message(), HasSubstr("point influxdb.password_file at the file"));

  const auto wrong_key = write("wrong.yaml", std::string("pasword: ") + kInfluxPassword, 0600);
  const auto missing = load_influx_secrets(with_user(wrong_key));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message(), "InfluxDB password file " + wrong_key.string() +
                                            ": password is missing or empty; it needs non-empty "
                                            "password");
  const auto absent = load_influx_secrets(with_user(dir_ / "absent.yaml"));
  ASSERT_FALSE(absent.is_ok());
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);
  for (const auto& status : {refused.status(), linked.status(), missing.status()}) {
    EXPECT_THAT(status.to_string(), Not(HasSubstr(kInfluxPassword)));
  }
}

// --- database and influxdb (docs/persistence.md) ---------------------------------------------

TEST(ConfigDatabase, ReadsThePostgresBackendAndInfluxSettings) {
  const Config config = load_valid(R"(
database: {backend: postgres, url: "postgresql://trader@db.example:5432/galfriday", schema: live,
           fallback_to_sqlite: true}
influxdb: {enabled: true, url: "http://influx:8086", api_version: 2, org: acme, bucket: gf,
           batch_points: 100, flush_interval_ms: 250, max_buffered_points: 1000}
)");
  EXPECT_EQ(config.database.backend, DatabaseBackend::kPostgres);
  EXPECT_EQ(config.database.url, "postgresql://trader@db.example:5432/galfriday");
  EXPECT_EQ(config.database.schema, "live");
  EXPECT_TRUE(config.database.fallback_to_sqlite);
  EXPECT_FALSE(DatabaseConfig().fallback_to_sqlite) << "no fallback unless configured";
  EXPECT_TRUE(config.influxdb.enabled);
  EXPECT_EQ(config.influxdb.api_version, 2);
  EXPECT_EQ(config.influxdb.bucket, "gf");
  EXPECT_EQ(config.influxdb.max_buffered_points, 1000);
}

TEST(ConfigDatabase, RefusesAPasswordInTheFileAndBadValues) {
  EXPECT_EQ(only_error("database: {url: \"postgresql://trader:s3cret@db/galfriday\"}\n").path,
            "database.url");
  EXPECT_EQ(only_error("database: {url: \"postgresql://db/x?password=s3cret\"}\n").path,
            "database.url");
  EXPECT_EQ(only_error("database: {backend: mysql}\n").path, "database.backend");
  EXPECT_EQ(only_error("database: {fallback_to_sqlite: maybe}\n").path,
            "database.fallback_to_sqlite");
  EXPECT_EQ(only_error("database: {schema: \"a;b\"}\n").path, "database.schema");
  EXPECT_EQ(only_error("influxdb: {api_version: 3}\n").path, "influxdb.api_version");
}

TEST(ConfigDatabase, InfluxSamplingKeysAndVersionTwoNeedsOrgAndBucket) {
  const Config config = load_valid("influxdb: {sample_interval_ms: 250, stop_timeout_ms: 0}\n");
  EXPECT_EQ(config.influxdb.sample_interval_ms, 250);
  EXPECT_EQ(config.influxdb.stop_timeout_ms, 0);
  EXPECT_EQ(default_config().influxdb.sample_interval_ms, 10000);
  EXPECT_EQ(only_error("influxdb: {sample_interval_ms: 0}\n").path, "influxdb.sample_interval_ms");
  EXPECT_EQ(only_error("influxdb: {stop_timeout_ms: -1}\n").path, "influxdb.stop_timeout_ms");
  EXPECT_EQ(only_error("influxdb: {enabled: true, api_version: 2, bucket: gf}\n").to_string(),
            "line 1: influxdb.org: is required when influxdb.api_version is 2 and "
            "influxdb.enabled is true");
  EXPECT_EQ(only_error("influxdb: {enabled: true, api_version: 2, org: acme}\n").path,
            "influxdb.bucket");
  // Disabled, the 2.x settings may stay incomplete.
  EXPECT_FALSE(load_valid("influxdb: {api_version: 2}\n").influxdb.enabled);
}

TEST(ConfigDatabase, InfluxAuthenticationAndDatabaseCreationKeys) {
  const InfluxConfig defaults = default_config().influxdb;
  EXPECT_TRUE(defaults.create_database) << "a fresh influxd works without a manual step";
  EXPECT_TRUE(defaults.username.empty());
  EXPECT_FALSE(defaults.password_file.has_value());
  const Config config = load_valid(
      "influxdb: {enabled: true, create_database: false, username: metrics,\n"
      "           password_file: /etc/galfriday/influx.yaml}\n");
  EXPECT_FALSE(config.influxdb.create_database);
  EXPECT_EQ(config.influxdb.username, "metrics");
  EXPECT_EQ(config.influxdb.password_file, std::filesystem::path("/etc/galfriday/influx.yaml"));
  EXPECT_FALSE(load_valid("influxdb: {password_file: null}\n").influxdb.password_file.has_value());
  EXPECT_EQ(only_error("influxdb: {create_database: yes please}\n").path,
            "influxdb.create_database");
}

TEST(ConfigDatabase, InfluxSecretsInTheFileAreRefusedWithoutEchoingThem) {
  for (const std::string yaml : {"influxdb: {url: \"http://metrics:s3cr3t-pw@influx:8086\"}\n",
                                 "influxdb: {url: \"https://metrics@influx:8086/\"}\n"}) {
    const ConfigIssue issue = only_error(yaml);
    EXPECT_EQ(issue.path, "influxdb.url");
    EXPECT_THAT(issue.message, HasSubstr("influxdb.username"));
    EXPECT_THAT(issue.message, HasSubstr("GALFRIDAY_INFLUX_PASSWORD"));
    EXPECT_THAT(issue.message, Not(HasSubstr("s3cr3t-pw")));
  }
  // An '@' in the path or query is not userinfo.
  EXPECT_EQ(load_valid("influxdb: {url: \"http://influx:8086/a@b\"}\n").influxdb.url,
            "http://influx:8086/a@b");
  const ConfigIssue password = only_error("influxdb: {username: m, password: s3cr3t-pw}\n");
  EXPECT_EQ(password.to_string(),
            "line 1: influxdb.password: secrets do not go in the config file: use "
            "GALFRIDAY_INFLUX_PASSWORD or influxdb.password_file");
  const ConfigIssue token = only_error("influxdb: {token: t0k3n-value}\n");
  EXPECT_EQ(token.path, "influxdb.token");
  EXPECT_THAT(token.message, HasSubstr("GALFRIDAY_INFLUX_TOKEN"));
  EXPECT_THAT(token.message, Not(HasSubstr("t0k3n-value")));
}

TEST(ConfigDatabase, InfluxUsernameIsOneXOnlyAndThePasswordFileNeedsIt) {
  EXPECT_EQ(
      only_error("influxdb: {api_version: 2, org: a, bucket: b, username: metrics}\n").to_string(),
      "line 1: influxdb.username: is InfluxDB 1.x authentication; with "
      "influxdb.api_version 2 use the token (GALFRIDAY_INFLUX_TOKEN) and leave "
      "influxdb.username empty");
  EXPECT_EQ(only_error("influxdb: {password_file: /tmp/pw.yaml}\n").to_string(),
            "line 1: influxdb.password_file: is set but influxdb.username is empty; set both or "
            "neither");
}

TEST(ConfigLoader, LiveTradingKeysLoadAndAreValidated) {
  const Config config = load_valid(
      "kraken:\n  verification_tier: pro\n  request_timeout_ms: 5000\n"
      "  dead_mans_switch_interval_seconds: 15\n  dead_mans_switch_timeout_seconds: 45\n"
      "  rest_poll_interval_seconds: 2\n  nonce_file: state/nonce\n"
      "execution:\n  limit_order_timeout_seconds: 90\n");
  EXPECT_EQ(config.kraken.verification_tier, VerificationTier::kPro);
  EXPECT_EQ(config.kraken.request_timeout_ms, 5000);
  EXPECT_EQ(config.kraken.dead_mans_switch_interval_seconds, 15);
  EXPECT_EQ(config.kraken.dead_mans_switch_timeout_seconds, 45);
  EXPECT_EQ(config.kraken.rest_poll_interval_seconds, 2);
  EXPECT_EQ(config.kraken.nonce_file, std::filesystem::path("state/nonce"));
  EXPECT_EQ(config.execution.limit_order_timeout_seconds, 90);
  // Disabled switch: any interval.
  EXPECT_EQ(load_valid("kraken:\n  dead_mans_switch_timeout_seconds: 0\n")
                .kraken.dead_mans_switch_timeout_seconds,
            0);

  EXPECT_EQ(only_error("kraken:\n  verification_tier: gold\n").path, "kraken.verification_tier");
  EXPECT_EQ(only_error("kraken:\n  dead_mans_switch_timeout_seconds: 86400\n").path,
            "kraken.dead_mans_switch_timeout_seconds");
  EXPECT_EQ(only_error("execution:\n  limit_order_timeout_seconds: 0\n").path,
            "execution.limit_order_timeout_seconds");
  const ConfigIssue late = only_error(
      "kraken:\n  dead_mans_switch_interval_seconds: 60\n  dead_mans_switch_timeout_seconds: 60\n");
  EXPECT_EQ(late.path, "kraken.dead_mans_switch_interval_seconds");
  EXPECT_EQ(late.line, 2);
}

TEST(ConfigLoader, SimulatedLatencyKeysLoadAndAreValidated) {
  const Config defaults = load_valid("execution:\n  taker_fee_pct: 0.26\n");
  EXPECT_EQ(defaults.execution.latency_ms, 0.0);
  EXPECT_EQ(defaults.execution.latency_jitter_ms, 0.0);
  const Config config =
      load_valid("execution:\n  latency_ms: 12.5\n  latency_jitter_ms: 3\n  latency_seed: 77\n");
  EXPECT_EQ(config.execution.latency_ms, 12.5);
  EXPECT_EQ(config.execution.latency_jitter_ms, 3.0);
  EXPECT_EQ(config.execution.latency_seed, 77);
  EXPECT_EQ(only_error("execution:\n  latency_ms: -1\n").path, "execution.latency_ms");
  EXPECT_EQ(only_error("execution:\n  latency_jitter_ms: 60001\n").path,
            "execution.latency_jitter_ms");
  EXPECT_EQ(only_error("execution:\n  latency_seed: -3\n").path, "execution.latency_seed");
}

TEST(ConfigLoader, ReconciliationKeysLoadAndAreValidated) {
  const Config defaults = load_valid("kraken:\n  rest_poll_interval_seconds: 5\n");
  EXPECT_EQ(defaults.kraken.reconcile_interval_seconds, 300);
  EXPECT_FALSE(defaults.kraken.adopt_unknown_orders);
  const Config config =
      load_valid("kraken:\n  reconcile_interval_seconds: 60\n  adopt_unknown_orders: true\n");
  EXPECT_EQ(config.kraken.reconcile_interval_seconds, 60);
  EXPECT_TRUE(config.kraken.adopt_unknown_orders);
  EXPECT_EQ(only_error("kraken:\n  reconcile_interval_seconds: 5\n").path,
            "kraken.reconcile_interval_seconds");
  EXPECT_EQ(only_error("kraken:\n  adopt_unknown_orders: sometimes\n").path,
            "kraken.adopt_unknown_orders");
}

}  // namespace
}  // namespace galfriday::config
