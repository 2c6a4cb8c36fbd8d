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
  // vwap over bars; trades (over trade events) and book (over L2 book events). Their order is
  // the order of the features.
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
  int trade_window_seconds = 60;     // trades: the sliding time window of the trade features
  int book_levels = 5;               // book: levels per side in imbalance and depth
  bool emit_on_book_update = false;  // also publish the full vector on every book event
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

// What `galfriday run` does at shutdown with the orders still open (docs/operations.md).
// kCancel: live mode cancels the open entry orders on Kraken (stop-loss and take-profit orders
// protecting positions stay); kKeep: they stay open on Kraken. Paper mode's simulated orders
// exist only in the process, so they end with it either way (reported as cancelled).
enum class ShutdownOrders { kCancel, kKeep };

struct ExecutionConfig {
  double taker_fee_pct = 0.26;
  double maker_fee_pct = 0.16;
  SlippageModel slippage_model = SlippageModel::kFixed;
  double slippage_pct = 0.05;                // fixed, and the base of volume_impact
  double impact_pct_per_volume = 10.0;       // volume_impact: extra percent per 100 % of bar volume
  double fill_liquidity_ratio = 0.1;         // at most this share of a bar's volume fills per bar
  int64_t limit_order_timeout_seconds = 60;  // live: unfilled limit entries are cancelled after
  // Simulated exchange (backtest, paper): an order reaches the book latency_ms after it was
  // submitted, plus a jitter of 0..latency_jitter_ms drawn per order from latency_seed
  // (deterministic: the same seed gives the same delays).
  double latency_ms = 0.0;
  double latency_jitter_ms = 0.0;
  int64_t latency_seed = 1;
  ShutdownOrders shutdown_orders = ShutdownOrders::kCancel;

  bool operator==(const ExecutionConfig&) const = default;
};

// The summary figure sweep and walk-forward results are ranked by, best first (max_drawdown:
// smallest first).
enum class RankMetric {
  kSharpe,
  kSortino,
  kCalmar,
  kTotalReturn,
  kMaxDrawdown,
  kProfitFactor,
  kWinRate
};

struct BacktestConfig {
  std::filesystem::path report_dir = "reports";
  // Sweeps and walk-forward: worker threads, each running whole backtests (0 = one per hardware
  // thread). Results are identical for any number of threads.
  int threads = 0;
  RankMetric rank_by = RankMetric::kSharpe;

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

// Kraken account verification tier: sets the REST and matching-engine rate limits.
enum class VerificationTier { kStarter, kIntermediate, kPro };

struct KrakenConfig {
  std::string rest_url = "https://api.kraken.com";
  std::string ws_url = "wss://ws.kraken.com/v2";
  std::string ws_auth_url = "wss://ws-auth.kraken.com/v2";
  // Optional file holding the API key and secret (see Secrets); must be mode 0600.
  std::optional<std::filesystem::path> credentials_file;
  // Live trading (module live, docs/live-trading.md).
  VerificationTier verification_tier = VerificationTier::kStarter;
  int64_t request_timeout_ms = 10000;                 // one private REST call
  int64_t dead_mans_switch_interval_seconds = 20;     // CancelAllOrdersAfter refresh period
  int64_t dead_mans_switch_timeout_seconds = 60;      // its timeout; 0 disables the switch
  int64_t rest_poll_interval_seconds = 5;             // order polling while the private WS is down
  std::filesystem::path nonce_file = "kraken_nonce";  // nonce high-water mark; under data_dir
  int64_t reconcile_interval_seconds = 300;  // periodic reconciliation with Kraken (live mode)
  bool adopt_unknown_orders = false;  // reconciliation: adopt (true) or cancel unknown open orders

  bool operator==(const KrakenConfig&) const = default;
};

// Model lifecycle (module models, docs/models.md): registry, retraining, drift, experiments.
struct ModelsConfig {
  std::filesystem::path registry_dir = "models";  // model artifacts; relative paths under data_dir
  // The retraining target: 1 when a close within horizon_bars rises min_return_pct or more.
  std::string target = "prob_price_up";
  double target_min_return_pct = 0.1;
  int target_horizon_bars = 5;
  // Retraining.
  int retrain_interval_minutes = 1440;  // scheduled retraining period; 0 = only on demand/drift
  int training_window_days = 90;        // history the pipeline trains on
  double validation_fraction = 0.2;     // last share of the window held out (chronological)
  int walk_forward_folds = 3;           // expanding-window folds over the training part
  double promotion_margin = 0.005;      // validation AUC a candidate must add over production
  int rounds = 100;                     // XGBoost boosting rounds
  int max_depth = 4;
  double eta = 0.1;
  // Drift.
  int drift_window = 1440;                // latest live samples compared with training
  int drift_check_interval_minutes = 60;  // 0 = no scheduled checks
  double drift_psi_threshold = 0.2;       // per feature and for predictions
  double drift_ks_pvalue = 0.01;          // KS p-value below which a feature has drifted
  double drift_min_hit_rate = 0.5;        // live hit rate below which performance decayed
  int drift_min_outcomes = 200;           // realised outcomes before the hit rate is judged
  bool drift_triggers_retraining = true;
  // A/B experiments.
  double experiment_traffic_split = 0.5;  // share of keys routed to arm B
  double experiment_significance = 0.05;  // two-sided level of both tests
  int experiment_min_samples = 200;       // outcomes per arm before a decision
  int experiment_max_duration_hours = 168;
  Money experiment_max_loss;  // an arm losing this much (valuation currency) stops it; 1000

  bool operator==(const ModelsConfig&) const = default;
};

// What a halt does with open positions.
enum class HaltPositionBehavior { kMaintain, kClose };

// Monitoring, halts, the operator control socket and the dashboard (module monitoring,
// docs/operations.md). Each halt condition has its own threshold here; the risk section's
// limits gate new entries, these halt the whole system.
struct MonitoringConfig {
  int check_interval_seconds = 10;  // periodic checks: drawdown, staleness
  HaltPositionBehavior position_behavior = HaltPositionBehavior::kMaintain;
  double max_total_drawdown_pct = 15.0;
  double max_daily_drawdown_pct = 2.0;
  double max_weekly_drawdown_pct = 5.0;
  int max_consecutive_losses = 5;
  int api_error_max_count = 5;        // this many API errors ...
  int api_error_window_seconds = 60;  // ... within this window halt
  int max_consecutive_balance_failures = 3;
  int market_data_stale_seconds = 120;  // per pair: no L2/trade/bar for this long halts
  int startup_grace_seconds = 120;      // no staleness halts this soon after start
  int volatility_short_window_bars = 15;
  int volatility_long_window_bars = 240;
  double volatility_max_ratio = 3.0;  // short-window RV over long-window RV that halts
  int checksum_failure_max_count = 3;
  int checksum_failure_window_seconds = 60;
  double max_persistence_queue_fill_pct = 95.0;  // async writer queue fill that halts
  bool dashboard_enabled = false;
  std::string dashboard_bind_address = "127.0.0.1";  // loopback only
  int dashboard_port = 8787;
  // Dashboard token: GALFRIDAY_DASHBOARD_TOKEN, else this file (mode 0600), else
  // <data_dir>/dashboard.token created 0600 with a random token.
  std::optional<std::filesystem::path> dashboard_token_file;

  bool operator==(const MonitoringConfig&) const = default;
};

// The Kraken WebSocket v2 market data feed (module feed: WsClient, DataIngestor).
struct MarketDataConfig {
  int book_depth = 10;            // book subscription depth: 10, 25, 100, 500 or 1000
  int ohlc_interval_minutes = 1;  // 1, 5, 15, 30, 60, 240, 1440, 10080 or 21600
  int staleness_seconds = 60;     // no message for a pair this long: PotentialHaltTriggerEvent
  int idle_timeout_seconds = 10;  // no frame at all this long drops the connection
  int reconnect_min_backoff_ms = 500;
  int reconnect_max_backoff_ms = 30000;
  double reconnect_jitter = 0.2;  // each backoff is shortened by up to this share, at random
  int64_t max_frame_bytes = 4 * 1024 * 1024;  // larger frames drop the connection

  bool operator==(const MarketDataConfig&) const = default;
};

// Historical data downloads from Kraken REST (module history, docs/history.md).
struct HistoryConfig {
  int request_timeout_ms = 15000;  // one REST call, connect to last byte
  int page_pause_ms = 1000;        // between pages: Kraken throttles public calls per IP
  int max_attempts = 4;            // per page, for retryable failures (first try included)
  int retry_backoff_ms = 2000;     // first retry delay; doubles per failed attempt

  bool operator==(const HistoryConfig&) const = default;
};

// The trading database (module persistence, docs/persistence.md).
enum class DatabaseBackend { kSqlite, kPostgres };

struct DatabaseConfig {
  DatabaseBackend backend = DatabaseBackend::kSqlite;
  std::filesystem::path sqlite_file = "galfriday.db";  // relative paths are under data_dir
  // PostgreSQL connection URL (postgresql://user@host:port/dbname) WITHOUT a password: the
  // environment variable GALFRIDAY_DATABASE_URL (which may carry one) overrides it, and libpq's
  // PGPASSWORD / ~/.pgpass also work. A password here is a load error.
  std::string url;
  std::string schema;  // PostgreSQL schema to work in; empty: the server default (public)
  // PostgreSQL unreachable at start: true opens the SQLite file (sqlite_file) instead, with a
  // warning in the log and "SQLite fallback" in the target's description; false (the default)
  // fails with the connection error.
  bool fallback_to_sqlite = false;

  bool operator==(const DatabaseConfig&) const = default;
};

// Metrics to InfluxDB (module metrics_sink, docs/persistence.md). Secrets never come from this
// file (load_influx_secrets): the 2.x token from GALFRIDAY_INFLUX_TOKEN, the 1.x password from
// GALFRIDAY_INFLUX_PASSWORD or password_file.
struct InfluxConfig {
  bool enabled = false;
  std::string url = "http://127.0.0.1:8086";  // without credentials (a load error)
  int api_version = 1;                 // 1: POST /write?db=  2: POST /api/v2/write?org=&bucket=
  std::string database = "galfriday";  // 1.x
  // 1.x: CREATE DATABASE before the first write (a no-op when it exists; needs an admin user
  // when InfluxDB checks authentication). A failure is a warning, writes go on.
  bool create_database = true;
  // 1.x authentication (HTTP Basic): empty sends no credentials. Excludes the token.
  std::string username;
  // Optional YAML file (mode 0600) with the key `password`; GALFRIDAY_INFLUX_PASSWORD wins.
  std::optional<std::filesystem::path> password_file;
  std::string org;                   // 2.x
  std::string bucket;                // 2.x
  int batch_points = 5000;           // points per request
  int flush_interval_ms = 1000;      // a partial batch is sent after this long
  int max_buffered_points = 100000;  // beyond this, new points are dropped and counted
  // `galfriday run`: portfolio, positions, queue depths and the writer's counters are sampled
  // this often (market data, features and predictions are written as they happen).
  int sample_interval_ms = 10000;
  // At shutdown, how long buffered points may take to reach InfluxDB before they are dropped.
  int stop_timeout_ms = 5000;

  bool operator==(const InfluxConfig&) const = default;
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
  MarketDataConfig market_data;
  HistoryConfig history;
  ModelsConfig models;
  MonitoringConfig monitoring;
  DatabaseConfig database;
  InfluxConfig influxdb;

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

inline constexpr const char* kInfluxTokenVariable = "GALFRIDAY_INFLUX_TOKEN";
inline constexpr const char* kInfluxPasswordVariable = "GALFRIDAY_INFLUX_PASSWORD";

// InfluxDB credentials. Never logged: register both with the log redactor as soon as loaded.
struct InfluxSecrets {
  std::string token;     // 2.x (GALFRIDAY_INFLUX_TOKEN); empty when unset
  std::string password;  // 1.x, for influx.username; empty when no username is configured
};

// The token from GALFRIDAY_INFLUX_TOKEN; with influx.username, the password from
// GALFRIDAY_INFLUX_PASSWORD or else influx.password_file (same rules as the Kraken credentials
// file: a regular file of mode 0600, here a YAML map with the key `password`).
// kInvalidArgument naming the keys when the token and a username are both set, or a password
// is given without a username; kNotFound when a username has no password.
Result<InfluxSecrets> load_influx_secrets(const InfluxConfig& influx);

}  // namespace galfriday::config
