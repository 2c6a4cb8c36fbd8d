#pragma once
// The injected time source. Business code reads time only through a Clock, so a backtest
// runs the same code on simulated time.

#include <atomic>

#include "galfriday/core/time.hpp"

namespace galfriday {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// Wall-clock UTC time; the only place the system clock is read.
class LiveClock final : public Clock {
 public:
  Timestamp now() const override;
};

// Time that moves only when told to. Thread-safe to read; set from the engine thread.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Timestamp start = Timestamp{}) : now_(to_nanos(start)) {}

  Timestamp now() const override {
    return timestamp_from_nanos(now_.load(std::memory_order_acquire));
  }

  // Moves time forward; moving backwards is ignored because simulated time is monotonic.
  void advance_to(Timestamp ts) {
    const int64_t target = to_nanos(ts);
    if (target > now_.load(std::memory_order_relaxed))
      now_.store(target, std::memory_order_release);
  }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace galfriday
