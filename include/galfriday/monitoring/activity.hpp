#pragma once
// ActivityLog: what the operator views show besides the portfolio — open orders, recent fills
// and signals, and the equity curve — kept from the events themselves, so it works the same
// with the live and the simulated execution handler. Bounded memory: fixed-size histories, and
// an equity curve that halves its resolution when full. Engine thread only.

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/portfolio/portfolio_manager.hpp"

namespace galfriday::monitoring {

struct FillView {
  Timestamp ts{};
  InstrumentId instrument;
  ClientOrderId client_order_id;
  OrderPurpose purpose = OrderPurpose::kEntry;
  Side side = Side::kBuy;
  Price price;
  Quantity qty;
  Money fee;
};

struct SignalView {
  Timestamp ts{};
  SignalId signal_id;
  InstrumentId instrument;
  Side side = Side::kBuy;
  bool approved = false;
  std::string detail;  // approved quantity, or the rejection reason and message
};

struct EquityPoint {
  Timestamp ts{};
  Money equity;
  double drawdown_pct = 0.0;
};

class ActivityLog {
 public:
  static constexpr size_t kRecentItems = 50;
  static constexpr size_t kMaxEquityPoints = 1000;

  using PortfolioProbe = std::function<PortfolioState()>;

  explicit ActivityLog(PortfolioProbe portfolio) : portfolio_(std::move(portfolio)) {}
  ~ActivityLog();
  ActivityLog(const ActivityLog&) = delete;
  ActivityLog& operator=(const ActivityLog&) = delete;

  // Subscribe after the portfolio: equity is sampled after each bar and fill is booked.
  void attach(PubSubManager& bus);

  // Latest report of every order not in a terminal state, by client order id.
  const std::map<ClientOrderId, ExecutionReportEvent>& open_orders() const { return open_orders_; }
  const std::deque<FillView>& recent_fills() const { return fills_; }  // oldest first
  const std::deque<SignalView>& recent_signals() const { return signals_; }
  const std::vector<EquityPoint>& equity_curve() const { return equity_; }

  void sample_equity();

 private:
  void on_report(const ExecutionReportEvent& report);
  template <typename T>
  static void push_bounded(std::deque<T>& items, T item) {
    items.push_back(std::move(item));
    if (items.size() > kRecentItems) items.pop_front();
  }

  PortfolioProbe portfolio_;
  PubSubManager* bus_ = nullptr;
  std::vector<SubscriptionId> subscriptions_;
  std::map<ClientOrderId, ExecutionReportEvent> open_orders_;
  std::deque<FillView> fills_;
  std::deque<SignalView> signals_;
  std::vector<EquityPoint> equity_;
  size_t equity_stride_ = 1;  // samples per stored point, doubles when the curve is thinned
  size_t samples_since_point_ = 0;
};

}  // namespace galfriday::monitoring
