#include "galfriday/monitoring/monitoring_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace galfriday::monitoring {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string pct(double value) { return fixed(value, 2) + " %"; }

double mean_square(std::deque<double>::const_iterator begin,
                   std::deque<double>::const_iterator end) {
  double sum = 0.0;
  size_t n = 0;
  for (auto it = begin; it != end; ++it, ++n) sum += *it * *it;
  return n == 0 ? 0.0 : sum / static_cast<double>(n);
}

constexpr const char* kTotalDrawdown = "total_drawdown";
constexpr const char* kDailyDrawdown = "daily_drawdown";
constexpr const char* kWeeklyDrawdown = "weekly_drawdown";
constexpr const char* kConsecutiveLosses = "consecutive_losses";
constexpr const char* kApiErrorRate = "api_error_rate";
constexpr const char* kBalanceFailures = "balance_query_failures";
constexpr const char* kMarketDataStale = "market_data_stale";
constexpr const char* kVolatility = "volatility";
constexpr const char* kChecksumFailures = "checksum_failures";
constexpr const char* kPersistence = "persistence_backpressure";
constexpr const char* kHaltTrigger = "halt_trigger";
constexpr const char* kCriticalError = "critical_error";

}  // namespace

HealthSignalEvent persistence_pressure_signal(const persistence::PressureReport& report) {
  HealthSignalEvent signal;
  signal.signal = HealthSignal::kPersistencePressure;
  signal.source = "async_writer";
  signal.value = report.capacity == 0 ? 1.0
                                      : static_cast<double>(report.queue_depth) /
                                            static_cast<double>(report.capacity);
  if (report.full) signal.value = 1.0;  // a write was refused: the queue is full
  signal.detail = std::to_string(report.queue_depth) + " of " + std::to_string(report.capacity) +
                  " queued, " + std::to_string(report.rejected) + " write(s) refused so far";
  return signal;
}

MonitoringService::MonitoringService(const config::MonitoringConfig& config,
                                     std::vector<InstrumentId> pairs, HaltCoordinator& coordinator,
                                     Scheduler& scheduler, PortfolioProbe portfolio)
    : config_(config),
      pairs_(std::move(pairs)),
      coordinator_(coordinator),
      scheduler_(scheduler),
      portfolio_(std::move(portfolio)) {}

MonitoringService::~MonitoringService() {
  if (timer_) scheduler_.cancel(*timer_);
  if (bus_ != nullptr) {
    for (SubscriptionId id : subscriptions_) bus_->unsubscribe(id);
  }
}

void MonitoringService::attach(PubSubManager& bus) {
  started_ = scheduler_.clock().now();
  bus_ = &bus;
  subscriptions_.push_back(bus.subscribe<MarketDataL2Event>(
      [this](const MarketDataL2Event& e) { on_market_data(e.instrument); }, "monitoring.l2"));
  subscriptions_.push_back(bus.subscribe<MarketDataTradeEvent>(
      [this](const MarketDataTradeEvent& e) { on_market_data(e.instrument); }, "monitoring.trade"));
  subscriptions_.push_back(bus.subscribe<MarketDataOHLCVEvent>(
      [this](const MarketDataOHLCVEvent& e) { on_bar(e); }, "monitoring.bar"));
  subscriptions_.push_back(bus.subscribe<ExecutionReportEvent>(
      [this](const ExecutionReportEvent& e) {
        if (e.last_fill) check_portfolio();
      },
      "monitoring.fill"));
  subscriptions_.push_back(bus.subscribe<HealthSignalEvent>(
      [this](const HealthSignalEvent& e) { on_health(e); }, "monitoring.health"));
  subscriptions_.push_back(bus.subscribe<PotentialHaltTriggerEvent>(
      [this](const PotentialHaltTriggerEvent& e) {
        trip(kHaltTrigger, e.reason + (e.critical ? " (critical)" : ""), e.source);
      },
      "monitoring.trigger"));
  subscriptions_.push_back(bus.subscribe<SystemErrorEvent>(
      [this](const SystemErrorEvent& e) {
        if (e.critical) trip(kCriticalError, e.message, e.source);
      },
      "monitoring.error"));
  subscriptions_.push_back(bus.subscribe<SystemStateEvent>(
      [this](const SystemStateEvent& e) {
        if (e.state == SystemState::kRunning) clear_windows();
      },
      "monitoring.state"));
  timer_ = scheduler_.schedule_every(std::chrono::seconds(config_.check_interval_seconds),
                                     [this] { check_now(); });
}

void MonitoringService::check_now() {
  check_portfolio();
  check_staleness();
}

void MonitoringService::on_market_data(const InstrumentId& instrument) {
  last_data_[instrument] = scheduler_.clock().now();
}

void MonitoringService::on_bar(const MarketDataOHLCVEvent& bar) {
  on_market_data(bar.instrument);
  check_portfolio();
  if (!bar.close.is_positive()) return;
  VolatilityTrack& track = volatility_[{bar.instrument, bar.interval.count()}];
  // Features may use doubles (DESIGN.md); a log return needs no exactness.
  const double close_log = std::log(bar.close.to_double());
  if (track.last_close_log) {
    track.returns.push_back(close_log - *track.last_close_log);
    const auto short_n = static_cast<size_t>(config_.volatility_short_window_bars);
    const auto long_n = static_cast<size_t>(config_.volatility_long_window_bars);
    while (track.returns.size() > short_n + long_n) track.returns.pop_front();
    if (track.returns.size() == short_n + long_n) {
      const auto split = track.returns.end() - static_cast<std::ptrdiff_t>(short_n);
      const double rv_long = std::sqrt(mean_square(track.returns.begin(), split));
      const double rv_short = std::sqrt(mean_square(split, track.returns.end()));
      track.last_ratio = rv_long > 0.0 ? std::optional<double>(rv_short / rv_long) : std::nullopt;
      if (track.last_ratio && *track.last_ratio > config_.volatility_max_ratio) {
        trip(kVolatility, bar.instrument.str() + ": realised volatility of the last " +
                              std::to_string(short_n) + " bars is " + fixed(*track.last_ratio, 2) +
                              "x that of the " + std::to_string(long_n) + " bars before (limit " +
                              fixed(config_.volatility_max_ratio, 2) + "x)");
      }
    }
  }
  track.last_close_log = close_log;
}

void MonitoringService::on_health(const HealthSignalEvent& signal) {
  switch (signal.signal) {
    case HealthSignal::kApiError:
      if (count_in_window(api_errors_, config_.api_error_max_count,
                          config_.api_error_window_seconds)) {
        trip(kApiErrorRate, std::to_string(api_errors_.size()) + " API errors within " +
                                std::to_string(config_.api_error_window_seconds) + " s (limit " +
                                std::to_string(config_.api_error_max_count) + "); last from " +
                                signal.source + ": " + signal.detail);
      }
      return;
    case HealthSignal::kBalanceQueryFailed:
      ++balance_failures_in_a_row_;
      if (balance_failures_in_a_row_ >= config_.max_consecutive_balance_failures) {
        trip(kBalanceFailures, std::to_string(balance_failures_in_a_row_) +
                                   " balance queries failed in a row (limit " +
                                   std::to_string(config_.max_consecutive_balance_failures) +
                                   "); last: " + signal.detail);
      }
      return;
    case HealthSignal::kBalanceQuerySucceeded:
      balance_failures_in_a_row_ = 0;
      return;
    case HealthSignal::kChecksumFailure:
      if (count_in_window(checksum_failures_, config_.checksum_failure_max_count,
                          config_.checksum_failure_window_seconds)) {
        trip(kChecksumFailures,
             std::to_string(checksum_failures_.size()) + " order book checksum failures within " +
                 std::to_string(config_.checksum_failure_window_seconds) + " s (limit " +
                 std::to_string(config_.checksum_failure_max_count) + "); last on " +
                 (signal.instrument ? signal.instrument->str() : std::string("?")));
      }
      return;
    case HealthSignal::kPersistencePressure:
      persistence_fill_ = signal.value * 100.0;
      if (persistence_fill_ >= config_.max_persistence_queue_fill_pct) {
        trip(kPersistence, "database write queue " + pct(persistence_fill_) + " full (limit " +
                               pct(config_.max_persistence_queue_fill_pct) + ")" +
                               (signal.detail.empty() ? "" : ": " + signal.detail));
      }
      return;
  }
}

bool MonitoringService::count_in_window(std::deque<Timestamp>& window, int max_count,
                                        int window_seconds) {
  const Timestamp now = scheduler_.clock().now();
  window.push_back(now);
  // An event exactly window_seconds old is outside the window.
  while (!window.empty() && window.front() <= now - std::chrono::seconds(window_seconds)) {
    window.pop_front();
  }
  return window.size() >= static_cast<size_t>(max_count);
}

void MonitoringService::check_portfolio() {
  if (!portfolio_) return;
  last_portfolio_ = portfolio_();
  const PortfolioState& state = *last_portfolio_;
  if (state.drawdown_pct >= config_.max_total_drawdown_pct) {
    trip(kTotalDrawdown, "drawdown from peak equity " + pct(state.drawdown_pct) +
                             " >= " + pct(config_.max_total_drawdown_pct));
  }
  if (state.daily_drawdown_pct >= config_.max_daily_drawdown_pct) {
    trip(kDailyDrawdown, "drawdown since the start of the UTC day " +
                             pct(state.daily_drawdown_pct) +
                             " >= " + pct(config_.max_daily_drawdown_pct));
  }
  if (state.weekly_drawdown_pct >= config_.max_weekly_drawdown_pct) {
    trip(kWeeklyDrawdown, "drawdown since the start of the week " + pct(state.weekly_drawdown_pct) +
                              " >= " + pct(config_.max_weekly_drawdown_pct));
  }
  if (state.consecutive_losses >= config_.max_consecutive_losses) {
    trip(kConsecutiveLosses, std::to_string(state.consecutive_losses) +
                                 " losing trades in a row (limit " +
                                 std::to_string(config_.max_consecutive_losses) + ")");
  }
}

void MonitoringService::check_staleness() {
  const Timestamp now = scheduler_.clock().now();
  if (now - started_ < std::chrono::seconds(config_.startup_grace_seconds)) return;
  const auto limit = std::chrono::seconds(config_.market_data_stale_seconds);
  std::string stale;
  for (const InstrumentId& pair : pairs_) {
    const auto it = last_data_.find(pair);
    // A pair never heard from is as old as the service.
    const Timestamp last = it == last_data_.end() ? started_ : it->second;
    if (now - last < limit) continue;
    if (!stale.empty()) stale += ", ";
    stale += pair.str() + " (" +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - last).count()) +
             " s)";
  }
  if (!stale.empty()) {
    trip(kMarketDataStale, "no market data for " + stale + " (limit " +
                               std::to_string(config_.market_data_stale_seconds) + " s)");
  }
}

void MonitoringService::trip(const std::string& condition, std::string detail, std::string source) {
  // One reason per condition and halt: a breach seen on every bar is not news.
  if (coordinator_.halted() &&
      std::find(tripped_.begin(), tripped_.end(), condition) != tripped_.end()) {
    return;
  }
  if (!coordinator_.halted()) tripped_.clear();
  tripped_.push_back(condition);
  coordinator_.halt(condition, std::move(detail), std::move(source));
}

void MonitoringService::clear_windows() {
  api_errors_.clear();
  checksum_failures_.clear();
  balance_failures_in_a_row_ = 0;
  tripped_.clear();
}

std::vector<ConditionStatus> MonitoringService::conditions() const {
  const auto tripped = [&](const char* name) {
    return coordinator_.halted() &&
           std::find(tripped_.begin(), tripped_.end(), name) != tripped_.end();
  };
  const auto from_state = [&](auto member) -> std::string {
    return last_portfolio_ ? member(*last_portfolio_) : std::string("-");
  };
  std::vector<ConditionStatus> out;
  out.push_back({kTotalDrawdown, pct(config_.max_total_drawdown_pct),
                 from_state([](const PortfolioState& s) { return pct(s.drawdown_pct); }),
                 tripped(kTotalDrawdown)});
  out.push_back({kDailyDrawdown, pct(config_.max_daily_drawdown_pct),
                 from_state([](const PortfolioState& s) { return pct(s.daily_drawdown_pct); }),
                 tripped(kDailyDrawdown)});
  out.push_back({kWeeklyDrawdown, pct(config_.max_weekly_drawdown_pct),
                 from_state([](const PortfolioState& s) { return pct(s.weekly_drawdown_pct); }),
                 tripped(kWeeklyDrawdown)});
  out.push_back(
      {kConsecutiveLosses, std::to_string(config_.max_consecutive_losses),
       from_state([](const PortfolioState& s) { return std::to_string(s.consecutive_losses); }),
       tripped(kConsecutiveLosses)});
  out.push_back({kApiErrorRate,
                 std::to_string(config_.api_error_max_count) + " in " +
                     std::to_string(config_.api_error_window_seconds) + " s",
                 std::to_string(api_errors_.size()), tripped(kApiErrorRate)});
  out.push_back({kBalanceFailures, std::to_string(config_.max_consecutive_balance_failures),
                 std::to_string(balance_failures_in_a_row_), tripped(kBalanceFailures)});
  size_t stale = 0;
  for (const auto& feed : feed_health()) stale += feed.stale ? 1 : 0;
  out.push_back({kMarketDataStale, std::to_string(config_.market_data_stale_seconds) + " s",
                 std::to_string(stale) + " stale pair(s)", tripped(kMarketDataStale)});
  std::optional<double> max_ratio;
  for (const auto& [key, track] : volatility_) {
    if (track.last_ratio) max_ratio = std::max(max_ratio.value_or(0.0), *track.last_ratio);
  }
  out.push_back({kVolatility, fixed(config_.volatility_max_ratio, 2) + "x",
                 max_ratio ? fixed(*max_ratio, 2) + "x" : std::string("-"), tripped(kVolatility)});
  out.push_back({kChecksumFailures,
                 std::to_string(config_.checksum_failure_max_count) + " in " +
                     std::to_string(config_.checksum_failure_window_seconds) + " s",
                 std::to_string(checksum_failures_.size()), tripped(kChecksumFailures)});
  out.push_back({kPersistence, pct(config_.max_persistence_queue_fill_pct), pct(persistence_fill_),
                 tripped(kPersistence)});
  out.push_back({kHaltTrigger, "any", "-", tripped(kHaltTrigger)});
  out.push_back({kCriticalError, "any", "-", tripped(kCriticalError)});
  return out;
}

std::vector<FeedHealth> MonitoringService::feed_health() const {
  const Timestamp now = scheduler_.clock().now();
  const auto limit = std::chrono::seconds(config_.market_data_stale_seconds);
  std::vector<FeedHealth> out;
  for (const InstrumentId& pair : pairs_) {
    FeedHealth health;
    health.instrument = pair;
    const auto it = last_data_.find(pair);
    if (it != last_data_.end()) health.last_data = it->second;
    health.stale = now - (health.last_data ? *health.last_data : started_) >= limit;
    out.push_back(std::move(health));
  }
  return out;
}

}  // namespace galfriday::monitoring
