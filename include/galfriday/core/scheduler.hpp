#pragma once
// Timers driven by a Clock. The scheduler is passive: the engine loop asks when the next
// timer is due and calls run_due(); in a backtest, advance_to() moves the simulated clock
// timer by timer so timers fire in time order (ties in scheduling order) exactly as live.
// Engine-thread only.

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_set>
#include <vector>

#include "galfriday/core/clock.hpp"

namespace galfriday {

using TimerId = uint64_t;

class Scheduler {
 public:
  using Callback = std::function<void()>;

  explicit Scheduler(const Clock& clock) : clock_(clock) {}

  const Clock& clock() const { return clock_; }

  TimerId schedule_at(Timestamp when, Callback callback);
  TimerId schedule_after(Duration delay, Callback callback) {
    return schedule_at(clock_.now() + delay, std::move(callback));
  }
  // Fires every `period`, first at now + period, until cancelled. period must be positive.
  TimerId schedule_every(Duration period, Callback callback);

  // Cancelling an unknown or already fired one-shot timer is a no-op.
  void cancel(TimerId id);

  std::optional<Timestamp> next_deadline();
  size_t pending() const { return active_.size(); }

  // Runs every timer due at or before clock.now(). Returns how many fired.
  size_t run_due();

  // Simulated time: fires every timer due up to `until`, advancing `clock` to each timer's
  // deadline before it fires, then leaves the clock at `until`.
  size_t advance_to(SimulatedClock& clock, Timestamp until);

 private:
  struct Entry {
    Timestamp when;
    uint64_t order;  // FIFO among timers due at the same instant
    TimerId id;
    Duration period;  // zero for one-shot timers
    Callback callback;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.when != b.when ? a.when > b.when : a.order > b.order;
    }
  };

  void drop_cancelled_top();
  void fire_top();

  const Clock& clock_;
  std::priority_queue<Entry, std::vector<Entry>, Later> entries_;
  std::unordered_set<TimerId> active_;  // scheduled and not cancelled or fired
  TimerId next_id_ = 1;
  uint64_t next_order_ = 0;
};

}  // namespace galfriday
