#pragma once
// TradeRecorder: stores the paper-mode trading records (signals and their decisions, orders and
// their state changes, fills) through the AsyncWriter, so the engine thread only enqueues.
//
// The simulated exchange and the strategy number their ids from 1 in every process, so the
// records of one run are stored with the run id as a prefix ("<run_id>/gf-momentum-1-entry"):
// a restart must not collide with the rows of the run before it. Live mode does not use this:
// the Kraken execution handler stores its orders and fills itself, keyed by Kraken's ids.
//
// A command the writer refuses (queue full) is counted in dropped(); the writer's on_pressure
// hook lets monitoring halt, and its on_error hook (WriteFailureAlarm) halts on failed writes.
// Engine thread only.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/persistence/async_writer.hpp"

namespace galfriday::app {

class TradeRecorder {
 public:
  // The writer must outlive the recorder.
  TradeRecorder(persistence::AsyncWriter& writer, std::string run_id);
  ~TradeRecorder();
  TradeRecorder(const TradeRecorder&) = delete;
  TradeRecorder& operator=(const TradeRecorder&) = delete;

  void attach(PubSubManager& bus);

  uint64_t enqueued() const { return enqueued_; }
  uint64_t dropped() const { return dropped_; }

 private:
  template <typename Id>
  Id scoped(const Id& id) const {
    return Id(run_id_ + "/" + id.str());
  }
  void on_proposed(const TradeSignalProposedEvent& signal);
  void on_approved(const TradeSignalApprovedEvent& approval);
  void on_rejected(const TradeSignalRejectedEvent& rejection);
  void on_report(const ExecutionReportEvent& report);
  void enqueue(std::string_view purpose, std::function<Status(persistence::Database&)> command);

  persistence::AsyncWriter& writer_;
  std::string run_id_;
  PubSubManager* bus_ = nullptr;
  std::vector<SubscriptionId> subscriptions_;
  std::set<ClientOrderId> known_orders_;  // inserted already: later reports update
  uint64_t enqueued_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace galfriday::app
