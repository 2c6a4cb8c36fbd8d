#include "galfriday/monitoring/activity.hpp"

namespace galfriday::monitoring {

ActivityLog::~ActivityLog() {
  if (bus_ == nullptr) return;
  for (SubscriptionId id : subscriptions_) bus_->unsubscribe(id);
}

void ActivityLog::attach(PubSubManager& bus) {
  bus_ = &bus;
  subscriptions_.push_back(bus.subscribe<ExecutionReportEvent>(
      [this](const ExecutionReportEvent& e) { on_report(e); }, "activity.report"));
  subscriptions_.push_back(bus.subscribe<TradeSignalApprovedEvent>(
      [this](const TradeSignalApprovedEvent& e) {
        push_bounded(signals_, SignalView{e.meta.ts_event, e.signal_id, e.instrument, e.side, true,
                                          "qty " + e.quantity.to_string()});
      },
      "activity.approved"));
  subscriptions_.push_back(bus.subscribe<TradeSignalRejectedEvent>(
      [this](const TradeSignalRejectedEvent& e) {
        push_bounded(signals_, SignalView{e.meta.ts_event, e.signal_id, e.instrument, e.side, false,
                                          std::string(to_string(e.reason)) + ": " + e.message});
      },
      "activity.rejected"));
  subscriptions_.push_back(bus.subscribe<MarketDataOHLCVEvent>(
      [this](const MarketDataOHLCVEvent&) { sample_equity(); }, "activity.bar"));
}

void ActivityLog::on_report(const ExecutionReportEvent& report) {
  if (is_terminal(report.status)) {
    open_orders_.erase(report.client_order_id);
  } else {
    open_orders_.insert_or_assign(report.client_order_id, report);
  }
  if (report.last_fill) {
    push_bounded(fills_, FillView{report.meta.ts_event, report.instrument, report.client_order_id,
                                  report.purpose, report.side, report.last_fill->price,
                                  report.last_fill->qty, report.last_fill->fee});
    sample_equity();
  }
}

void ActivityLog::sample_equity() {
  if (!portfolio_) return;
  if (++samples_since_point_ < equity_stride_) return;
  samples_since_point_ = 0;
  const PortfolioState state = portfolio_();
  equity_.push_back(EquityPoint{state.as_of, state.equity, state.drawdown_pct});
  if (equity_.size() < kMaxEquityPoints) return;
  // Full: keep every other point and sample half as often from now on.
  std::vector<EquityPoint> thinned;
  thinned.reserve(kMaxEquityPoints / 2 + 1);
  for (size_t i = 0; i < equity_.size(); i += 2) thinned.push_back(equity_[i]);
  equity_ = std::move(thinned);
  equity_stride_ *= 2;
}

}  // namespace galfriday::monitoring
