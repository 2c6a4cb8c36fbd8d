#include "galfriday/core/scheduler.hpp"

#include <stdexcept>

namespace galfriday {

TimerId Scheduler::schedule_at(Timestamp when, Callback callback) {
  const TimerId id = next_id_++;
  entries_.push(Entry{when, next_order_++, id, Duration::zero(), std::move(callback)});
  active_.insert(id);
  return id;
}

TimerId Scheduler::schedule_every(Duration period, Callback callback) {
  if (period <= Duration::zero()) throw std::invalid_argument("timer period must be positive");
  const TimerId id = next_id_++;
  entries_.push(Entry{clock_.now() + period, next_order_++, id, period, std::move(callback)});
  active_.insert(id);
  return id;
}

void Scheduler::cancel(TimerId id) { active_.erase(id); }

void Scheduler::drop_cancelled_top() {
  while (!entries_.empty() && !active_.contains(entries_.top().id)) entries_.pop();
}

std::optional<Timestamp> Scheduler::next_deadline() {
  drop_cancelled_top();
  if (entries_.empty()) return std::nullopt;
  return entries_.top().when;
}

void Scheduler::fire_top() {
  Entry entry = entries_.top();
  entries_.pop();
  if (entry.period > Duration::zero()) {
    // Re-arm before running so the callback may cancel its own timer.
    entries_.push(
        Entry{entry.when + entry.period, next_order_++, entry.id, entry.period, entry.callback});
  } else {
    active_.erase(entry.id);
  }
  entry.callback();
}

size_t Scheduler::run_due() {
  size_t fired = 0;
  const Timestamp now = clock_.now();
  while (true) {
    drop_cancelled_top();
    if (entries_.empty() || entries_.top().when > now) break;
    fire_top();
    ++fired;
  }
  return fired;
}

size_t Scheduler::advance_to(SimulatedClock& clock, Timestamp until) {
  size_t fired = 0;
  while (true) {
    drop_cancelled_top();
    if (entries_.empty() || entries_.top().when > until) break;
    clock.advance_to(entries_.top().when);
    fire_top();
    ++fired;
  }
  clock.advance_to(until);
  return fired;
}

}  // namespace galfriday
