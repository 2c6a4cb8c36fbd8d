#pragma once
// MonitoringService: watches the named halt conditions and asks the HaltCoordinator to halt
// when one is breached. Each condition has its threshold in config.monitoring:
//
//   total_drawdown, daily_drawdown, weekly_drawdown  PortfolioState drawdowns >= max_*_pct
//   consecutive_losses        PortfolioState.consecutive_losses >= max_consecutive_losses
//   api_error_rate            api_errors.max_count HealthSignal kApiError within window_seconds
//   balance_query_failures    max_consecutive_balance_failures kBalanceQueryFailed in a row
//   market_data_stale         a configured pair without an L2/trade/bar event for
//                             market_data.stale_seconds (not before startup_grace_seconds)
//   volatility                see below
//   checksum_failures         checksum_failures.max_count kChecksumFailure within window_seconds
//   persistence_backpressure  kPersistencePressure value >= max_persistence_queue_fill_pct
//   halt_trigger              any PotentialHaltTriggerEvent
//   critical_error            any SystemErrorEvent marked critical
//
// Abnormal volatility. For each pair and bar interval, r_i = ln(close_i / close_{i-1}) over
// closed bars. Realised volatility over n returns is RV = sqrt(Σ r_i² / n) (zero-mean, the usual
// estimator for intraday returns, robust to drift). The short-window RV over the latest S
// returns is compared with the RV of the L returns before them, the pair's own recent normal:
// it halts when RV_S > max_ratio × RV_L. Nothing is judged until S + L returns are seen, or
// while RV_L is zero (no movement to compare with). A ratio, not an absolute level, because
// crypto pairs differ by multiples in normal volatility.
//
// Time comes from the scheduler's clock; staleness and drawdown are checked every
// check_interval_seconds by a scheduler timer, drawdown and losses also after every fill and
// bar. Event-window counters clear when trading resumes, so the errors that caused a halt do
// not halt again at once. Engine thread only.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/monitoring/halt_coordinator.hpp"
#include "galfriday/persistence/async_writer.hpp"

namespace galfriday::monitoring {

// One condition for status output: its threshold and the latest value it saw.
struct ConditionStatus {
  std::string name;
  std::string threshold;  // human-readable, with units
  std::string current;    // the latest observation, same units
  bool tripped = false;   // it caused (or joined) the current halt
};

struct FeedHealth {
  InstrumentId instrument;
  std::optional<Timestamp> last_data;  // receipt time of the latest L2/trade/bar event
  bool stale = false;
};

// The signal for an AsyncWriter pressure report; wire it as the writer's on_pressure:
//   options.on_pressure = [&bus](const auto& r) { bus.post(persistence_pressure_signal(r)); };
HealthSignalEvent persistence_pressure_signal(const persistence::PressureReport& report);

class MonitoringService {
 public:
  using PortfolioProbe = std::function<PortfolioState()>;

  MonitoringService(const config::MonitoringConfig& config, std::vector<InstrumentId> pairs,
                    HaltCoordinator& coordinator, Scheduler& scheduler, PortfolioProbe portfolio);
  ~MonitoringService();
  // Unsubscribes and stops the timer.
  MonitoringService(const MonitoringService&) = delete;
  MonitoringService& operator=(const MonitoringService&) = delete;

  // Subscribes to the events it watches and starts the periodic check. Subscribe it after the
  // portfolio, so a bar's mark-to-market is booked before drawdown is checked. The start-up
  // grace period counts from here.
  void attach(PubSubManager& bus);

  // The periodic checks (drawdown, losses, staleness), also run by the timer.
  void check_now();

  std::vector<ConditionStatus> conditions() const;
  std::vector<FeedHealth> feed_health() const;

 private:
  struct VolatilityTrack {
    std::optional<double> last_close_log;
    std::deque<double> returns;  // latest S + L log returns
    std::optional<double> last_ratio;
  };

  void on_market_data(const InstrumentId& instrument);
  void on_bar(const MarketDataOHLCVEvent& bar);
  void on_health(const HealthSignalEvent& signal);
  void check_portfolio();
  void check_staleness();
  // Counts one event in a sliding window; true when the window holds `max_count` or more.
  bool count_in_window(std::deque<Timestamp>& window, int max_count, int window_seconds);
  void trip(const std::string& condition, std::string detail, std::string source = "monitoring");
  void clear_windows();

  config::MonitoringConfig config_;
  std::vector<InstrumentId> pairs_;
  HaltCoordinator& coordinator_;
  Scheduler& scheduler_;
  PortfolioProbe portfolio_;
  PubSubManager* bus_ = nullptr;
  std::vector<SubscriptionId> subscriptions_;
  std::optional<TimerId> timer_;
  Timestamp started_{};

  std::map<InstrumentId, Timestamp> last_data_;
  std::map<std::pair<InstrumentId, int64_t>, VolatilityTrack> volatility_;
  std::deque<Timestamp> api_errors_;
  std::deque<Timestamp> checksum_failures_;
  int balance_failures_in_a_row_ = 0;
  double persistence_fill_ = 0.0;
  std::optional<PortfolioState> last_portfolio_;
  std::vector<std::string> tripped_;  // conditions of the current halt
};

}  // namespace galfriday::monitoring
