#include "run_recorder.hpp"

#include <spdlog/spdlog.h>

#include "galfriday/persistence/sql_repositories.hpp"

namespace galfriday::app {

TradeRecorder::TradeRecorder(persistence::AsyncWriter& writer, std::string run_id)
    : writer_(writer), run_id_(std::move(run_id)) {}

TradeRecorder::~TradeRecorder() {
  if (bus_ == nullptr) return;
  for (const SubscriptionId id : subscriptions_) bus_->unsubscribe(id);
}

void TradeRecorder::attach(PubSubManager& bus) {
  bus_ = &bus;
  subscriptions_.push_back(bus.subscribe<TradeSignalProposedEvent>(
      [this](const TradeSignalProposedEvent& e) { on_proposed(e); }, "recorder.proposed"));
  subscriptions_.push_back(bus.subscribe<TradeSignalApprovedEvent>(
      [this](const TradeSignalApprovedEvent& e) { on_approved(e); }, "recorder.approved"));
  subscriptions_.push_back(bus.subscribe<TradeSignalRejectedEvent>(
      [this](const TradeSignalRejectedEvent& e) { on_rejected(e); }, "recorder.rejected"));
  subscriptions_.push_back(bus.subscribe<ExecutionReportEvent>(
      [this](const ExecutionReportEvent& e) { on_report(e); }, "recorder.report"));
}

void TradeRecorder::enqueue(std::string_view purpose,
                            std::function<Status(persistence::Database&)> command) {
  const Status queued = writer_.enqueue(purpose, std::move(command));
  if (queued.is_ok()) {
    ++enqueued_;
    return;
  }
  ++dropped_;
  // Once per burst would be nicer, but a refusal means the queue is full or the writer has
  // stopped: both are rare and both must be visible.
  spdlog::error("trade recorder: '{}' not stored: {}", purpose, queued.to_string());
}

void TradeRecorder::on_proposed(const TradeSignalProposedEvent& signal) {
  TradeSignalProposedEvent stored = signal;
  stored.signal_id = scoped(signal.signal_id);
  enqueue("record proposed signal", [stored](persistence::Database& db) {
    return persistence::SqlSignalRepository(db).record_proposed(stored);
  });
}

void TradeRecorder::on_approved(const TradeSignalApprovedEvent& approval) {
  TradeSignalApprovedEvent stored = approval;
  stored.signal_id = scoped(approval.signal_id);
  enqueue("record approved signal", [stored](persistence::Database& db) {
    return persistence::SqlSignalRepository(db).record_approved(stored);
  });
}

void TradeRecorder::on_rejected(const TradeSignalRejectedEvent& rejection) {
  TradeSignalRejectedEvent stored = rejection;
  stored.signal_id = scoped(rejection.signal_id);
  enqueue("record rejected signal", [stored](persistence::Database& db) {
    return persistence::SqlSignalRepository(db).record_rejected(stored);
  });
}

void TradeRecorder::on_report(const ExecutionReportEvent& report) {
  ExecutionReportEvent stored = report;
  stored.client_order_id = scoped(report.client_order_id);
  if (stored.signal_id) stored.signal_id = scoped(*stored.signal_id);
  if (stored.last_fill) stored.last_fill->trade_id = scoped(stored.last_fill->trade_id);

  if (known_orders_.insert(report.client_order_id).second) {
    persistence::OrderRecord order;
    order.client_order_id = stored.client_order_id;
    order.exchange_order_id = stored.exchange_order_id;
    order.signal_id = stored.signal_id;
    order.instrument = stored.instrument;
    order.purpose = stored.purpose;
    order.side = stored.side;
    order.order_type = stored.order_type;
    order.quantity = stored.quantity_ordered;
    order.limit_price = stored.limit_price;
    order.stop_price = stored.stop_price;
    order.status = stored.status;
    order.quantity_filled = stored.quantity_filled;
    order.average_fill_price = stored.average_fill_price;
    order.message = stored.message;
    order.created_at = stored.meta.ts_event;
    order.updated_at = stored.meta.ts_event;
    enqueue("insert order", [order](persistence::Database& db) {
      return persistence::SqlOrderRepository(db).insert(order);
    });
  } else {
    enqueue("update order",
            [update = persistence::order_update_from(stored)](persistence::Database& db) {
              return persistence::SqlOrderRepository(db).update(update);
            });
  }
  if (auto fill = persistence::fill_record_from(stored)) {
    enqueue("insert fill", [fill = std::move(*fill)](persistence::Database& db) {
      return persistence::SqlFillRepository(db).insert(fill).status();
    });
  }
  if (is_terminal(report.status)) known_orders_.erase(report.client_order_id);
}

}  // namespace galfriday::app
