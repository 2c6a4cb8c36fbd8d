#pragma once
// The event log: every event the bus dispatches, as JSON, for audit and replay.
//
// EventLogRecorder installs the bus's event hook (one hook per bus: it replaces any other and
// removes itself when destroyed) and hands each event to the AsyncWriter. The engine thread
// pays for a copy of the event and a queue push; the JSON is written on the writer thread. An
// event the writer refuses (queue full) is counted in dropped(), and the writer's on_pressure
// hook lets monitoring halt; the log then has a gap in its sequence numbers.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/persistence/async_writer.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::persistence {

class EventLogRecorder {
 public:
  // `run_id` keys this run's events (sequence numbers restart with every process). Both the
  // bus and the writer must outlive the recorder.
  EventLogRecorder(PubSubManager& bus, AsyncWriter& writer, std::string run_id);
  ~EventLogRecorder();
  EventLogRecorder(const EventLogRecorder&) = delete;
  EventLogRecorder& operator=(const EventLogRecorder&) = delete;

  const std::string& run_id() const { return *run_id_; }
  uint64_t recorded() const { return recorded_; }  // accepted by the writer
  uint64_t dropped() const { return dropped_; }    // refused by the writer

 private:
  void on_event(const Event& event);

  PubSubManager& bus_;
  AsyncWriter& writer_;
  std::shared_ptr<const std::string> run_id_;  // shared with queued commands
  uint64_t recorded_ = 0;
  uint64_t dropped_ = 0;
};

// The events of one run with sequence >= from_sequence, decoded, in sequence order.
// kDataLoss names the sequence of an entry that does not decode.
Result<std::vector<Event>> read_event_log(Database& db, std::string_view run_id,
                                          uint64_t from_sequence = 0);

}  // namespace galfriday::persistence
