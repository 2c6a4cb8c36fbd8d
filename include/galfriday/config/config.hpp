#pragma once
// The typed configuration of a Gal-Friday instance, loaded from config.yaml.
// config/config.example.yaml documents every key with its default; the defaults below and
// that file must agree (a test loads the example and compares).
//
// Percentages are written as percent numbers (15.0 means 15 %), as a trader reads them.
// Money and precision-bearing values are decimal strings parsed exactly.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/status.hpp"

namespace galfriday::config {

// One tradable spot pair and its Kraken precisions (AssetPairs / WS v2 instrument channel).
struct PairConfig {
  std::string symbol;  // WS v2 symbol, "BTC/USD"
  std::string
      altname;        // REST altname, "XBTUSD"; Kraken CSV files are named <altname>_<interval>.csv
  std::string base;   // "BTC"
  std::string quote;  // "USD"
  int price_precision = 1;  // pair_decimals
  int qty_precision = 8;    // lot_decimals
  int cost_precision = 5;   // cost_decimals
  Quantity ordermin;        // minimum order volume, base units
  Money costmin;            // minimum order cost, quote units
  Price tick_size;          // price increment

  // Field-wise, here and below; money compares by value, whatever its precision.
  bool operator==(const PairConfig&) const = default;
};

// Decimals at which initial_capital amounts and risk.max_order_value are parsed and held.
inline constexpr int kAmountPrecision = 8;

struct PortfolioConfig {
  std::string valuation_currency = "USD";
  std::map<std::string, Money> initial_capital;  // currency -> amount; default {USD: 100000}

  bool operator==(const PortfolioConfig&) const = default;
};

// Indicators computed on every closed bar. Each indicator's feature names carry its
// parameters (rsi_14, macd_12_26_9, ...), so a model's feature list pins what it was trained on.
struct FeaturesConfig {
  // Which indicators, by name: ma_spread, returns, rsi, macd, bollinger, atr, roc, volatility,
  // vwap. Their order is the order of the features.
  std::vector<std::string> indicators = {"ma_spread", "returns", "rsi",        "macd", "bollinger",
                                         "atr",       "roc",     "volatility", "vwap"};
  int fast_window = 30;                           // ma_spread: bars in the fast moving average
  int slow_window = 120;                          // ma_spread: bars in the slow moving average
  std::vector<int> return_horizons = {1, 5, 15};  // returns: bars back
  int rsi_period = 14;
  int macd_fast = 12;
  int macd_slow = 26;
  int macd_signal = 9;
  int bollinger_period = 20;
  double bollinger_stddev = 2.0;
  int atr_period = 14;
  int roc_period = 10;
  int volatility_window = 30;  // log returns in the stddev
  int vwap_window = 20;
  bool operator==(const FeaturesConfig&) const = default;
};

struct PredictionConfig {
  // "momentum": probability of a rise from the fast/slow moving-average spread (logistic);
  // "xgboost": the model at model_path with its <name>.meta.json sidecar (docs/models.md).
  std::string model_type = "momentum";
  std::filesystem::path model_path;  // xgboost: the model file (.json or .ubj)
  std::string model_id = "momentum_v1";
  std::string target = "prob_price_up";
  double momentum_sensitivity = 400.0;  // logistic slope per unit of relative MA spread

  bool operator==(const PredictionConfig&) const = default;
};

enum class EntryType { kMarket, kLimit };

// How stop-loss and take-profit distances are set: a percentage of the entry, or multiples of
// the average true range (a volatility-scaled stop).
enum class StopMode { kPercent, kAtr };

// A condition on a feature that must hold for an entry, e.g. {feature: rsi_14, op: lt, value: 70}.
struct ConfirmationRule {
  enum class Op { kGreater, kGreaterOrEqual, kLess, kLessOrEqual };
  std::string feature;
  Op op = Op::kGreater;
  double value = 0.0;
  bool operator==(const ConfirmationRule&) const = default;
};

struct StrategyConfig {
  std::string id = "default";
  double buy_threshold = 0.65;   // probability at or above which to enter long
  double sell_threshold = 0.35;  // probability at or below which to exit
  EntryType entry_type = EntryType::kMarket;
  double limit_offset_pct = 0.01;  // limit entries: percent inside the touch
  StopMode stop_mode = StopMode::kPercent;
  double sl_pct = 2.0;                 // stop_mode percent: stop-loss distance, percent of entry
  double tp_pct = 4.0;                 // stop_mode percent: take-profit distance, percent of entry
  std::string atr_feature = "atr_14";  // stop_mode atr: the feature holding the ATR (price units)
  double sl_atr_multiple = 2.0;        // stop_mode atr: stop-loss distance in ATRs
  double tp_atr_multiple = 4.0;        // stop_mode atr: take-profit distance in ATRs
  int cooldown_bars = 5;     // bars to wait after an exit or a rejection before re-entering
  int max_holding_bars = 0;  // time stop: exit after this many bars in a position; 0 = off
  std::vector<ConfirmationRule> confirmation_rules;  // all must hold for an entry

  bool operator==(const StrategyConfig&) const = default;
};

struct RiskConfig {
  double max_total_drawdown_pct = 15.0;
  double max_daily_drawdown_pct = 2.0;
  double max_weekly_drawdown_pct = 5.0;
  int max_consecutive_losses = 5;
  double max_exposure_per_pair_pct = 10.0;
  double max_total_exposure_pct = 25.0;
  Money max_order_value;  // valuation currency; default 10000
  double risk_per_trade_pct = 0.5;
  double fat_finger_max_deviation_pct = 5.0;
  double min_sl_distance_pct = 0.01;

  bool operator==(const RiskConfig&) const = default;
};

// How far a simulated fill moves against us: not at all, a fixed percentage, or a base
// percentage plus an impact that grows with the order's share of the bar's volume.
enum class SlippageModel { kNone, kFixed, kVolumeImpact };

struct ExecutionConfig {
  double taker_fee_pct = 0.26;
  double maker_fee_pct = 0.16;
  SlippageModel slippage_model = SlippageModel::kFixed;
  double slippage_pct = 0.05;           // fixed, and the base of volume_impact
  double impact_pct_per_volume = 10.0;  // volume_impact: extra percent per 100 % of bar volume
  double fill_liquidity_ratio = 0.1;    // at most this share of a bar's volume fills per bar

  bool operator==(const ExecutionConfig&) const = default;
};

struct BacktestConfig {
  std::filesystem::path report_dir = "reports";

  bool operator==(const BacktestConfig&) const = default;
};

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical };

struct LoggingConfig {
  LogLevel level = LogLevel::kInfo;
  bool console = true;
  bool file_enabled = true;
  std::filesystem::path file_directory = "logs";  // relative paths are under data_dir
  std::string file_name = "galfriday.log";
  int64_t file_max_bytes = 10 * 1024 * 1024;
  int file_backup_count = 5;

  bool operator==(const LoggingConfig&) const = default;
};

struct KrakenConfig {
  std::string rest_url = "https://api.kraken.com";
  std::string ws_url = "wss://ws.kraken.com/v2";
  std::string ws_auth_url = "wss://ws-auth.kraken.com/v2";
  // Optional file holding the API key and secret (see Secrets); must be mode 0600.
  std::optional<std::filesystem::path> credentials_file;

  bool operator==(const KrakenConfig&) const = default;
};

struct Config {
  std::filesystem::path data_dir = "data";
  std::vector<PairConfig> pairs;  // default: BTC/USD and ETH/USD with Kraken's precisions
  PortfolioConfig portfolio;
  FeaturesConfig features;
  PredictionConfig prediction;
  StrategyConfig strategy;
  RiskConfig risk;
  ExecutionConfig execution;
  BacktestConfig backtest;
  LoggingConfig logging;
  KrakenConfig kraken;

  const PairConfig* find_pair(std::string_view symbol) const;

  bool operator==(const Config&) const = default;
};

// One problem found while loading: where (key path and YAML line) and what was expected.
struct ConfigIssue {
  std::string path;               // "risk.max_total_drawdown_pct", "pairs[1].price_precision"
  int line = 0;                   // 1-based line in the file, 0 when unknown
  std::string message;            // "expected a number between 0 and 100, got 'abc'"
  std::string to_string() const;  // "line 12: risk.max_total_drawdown_pct: expected ..."
};

struct LoadResult {
  std::optional<Config> config;       // set when there are no errors
  std::vector<ConfigIssue> errors;    // make the file unusable
  std::vector<ConfigIssue> warnings;  // e.g. unknown keys, with a "did you mean" suggestion
};

// Built-in defaults (what an empty config.yaml gives).
Config default_config();

// Loads and validates a YAML file / text. Never throws: every problem becomes a ConfigIssue.
LoadResult load_config_file(const std::filesystem::path& path);
LoadResult load_config_text(std::string_view yaml_text, std::string_view source_name = "<text>");

// API credentials. Never logged: register both with the log redactor as soon as loaded.
struct Secrets {
  std::string api_key;
  std::string api_secret;  // base64, as Kraken issues it
};

// KRAKEN_API_KEY / KRAKEN_API_SECRET from the environment win; otherwise the credentials
// file (YAML with keys api_key and api_secret) when configured. The file must be a regular
// file with mode 0600 (no group/other bits) or loading fails with kPermissionDenied naming
// the file and its mode. Returns kNotFound when neither source provides them.
Result<Secrets> load_secrets(const KrakenConfig& kraken);

}  // namespace galfriday::config
