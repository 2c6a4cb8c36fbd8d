#include "galfriday/persistence/write_failures.hpp"

#include <string>

namespace galfriday::persistence {

void WriteFailureAlarm::on_failure(const WriteFailure& failure) {
  const uint64_t count = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::string what = "database write '" + std::string(failure.purpose) +
                           "' failed and was not stored: " + failure.status.to_string() +
                           " (write failure " + std::to_string(count) + ")";
  SystemErrorEvent error;
  error.source = "persistence";
  error.message = what;
  error.critical = true;
  bus_.post(std::move(error));
  if (!halt_requested_.exchange(true)) {
    PotentialHaltTriggerEvent trigger;
    trigger.source = "persistence";
    trigger.reason =
        "writes to the database are failing; trading must not continue with "
        "unrecorded orders or fills: " +
        what;
    trigger.critical = true;
    bus_.post(std::move(trigger));
  }
}

}  // namespace galfriday::persistence
