#pragma once
// What the system does when a write the AsyncWriter accepted cannot be stored (constraint
// violation, disk full, retries exhausted while the database stayed away): trading must not
// go on with unrecorded fills.
//
// WriteFailureAlarm is the writer's on_error hook. Each failure is counted and posted to the
// bus as a critical SystemErrorEvent (the LoggerService logs it); the first one also posts a
// critical PotentialHaltTriggerEvent, which makes monitoring halt trading. Later failures do
// not repeat the trigger (the halt is already under way) but are still counted and logged.
// post() is thread-safe, so this runs on the writer thread.
//
//   auto alarm = std::make_shared<persistence::WriteFailureAlarm>(bus);
//   options.on_error = [alarm](const persistence::WriteFailure& f) { alarm->on_failure(f); };

#include <atomic>
#include <cstdint>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/persistence/async_writer.hpp"

namespace galfriday::persistence {

class WriteFailureAlarm {
 public:
  explicit WriteFailureAlarm(PubSubManager& bus) : bus_(bus) {}

  // Any thread.
  void on_failure(const WriteFailure& failure);

  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  PubSubManager& bus_;
  std::atomic<uint64_t> failures_{0};
  std::atomic<bool> halt_requested_{false};
};

}  // namespace galfriday::persistence
