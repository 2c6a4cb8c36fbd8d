#pragma once
// InferencePool: worker threads for model inference, fed by a bounded queue, with a deadline.
//
// The engine thread submits a task and returns at once; a worker computes it and the task
// reports its own outcome (PredictionService posts it back to the bus). Each submitted task is
// settled exactly once: either commit() (computed within the deadline) or expire() (the
// deadline passed first: while queued, while computing, or the model hangs). A watchdog thread
// expires tasks whose worker is stuck, so a hung model still yields an error in bounded time;
// the stuck worker keeps its thread until the model returns, and its result is then dropped.
//
// A full queue is refused at submit() (RESOURCE_EXHAUSTED), never waited on: the engine thread
// must not stall behind a slow model.
//
// Deadlines are measured from submit() on the injected Clock, so a SimulatedClock drives them
// in tests; the watchdog only polls that clock every `watchdog_interval` of real time.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/status.hpp"

namespace galfriday {

// One unit of work. compute() runs on a worker; then exactly one of commit() or expire() is
// called, on a worker or on the watchdog thread. expire() can run while compute() is still
// running on another thread, so it must only read what the task was constructed with.
// None of them may throw (they are noexcept: an escaping exception terminates).
class InferenceTask {
 public:
  virtual ~InferenceTask() = default;
  virtual void compute() noexcept = 0;
  // Reports the result computed by compute().
  virtual void commit() noexcept = 0;
  // Reports that the deadline passed `waited` after submission, before a result was reported.
  virtual void expire(Duration waited) noexcept = 0;

 private:
  friend class InferencePool;
  Timestamp submitted_{};
  std::atomic<bool> settled_{false};
};

struct InferencePoolOptions {
  size_t threads = 2;
  size_t queue_capacity = 256;  // tasks waiting for a worker (running ones not counted)
  Duration deadline{0};         // from submit() to result; zero disables deadlines
  Duration watchdog_interval = std::chrono::milliseconds(5);  // real time between deadline checks
};

class InferencePool {
 public:
  // Fails on zero threads or capacity, a negative deadline, or a non-positive watchdog interval
  // when deadlines are on, and when the threads cannot be started.
  static Result<std::unique_ptr<InferencePool>> create(const InferencePoolOptions& options,
                                                       const Clock& clock);
  // Stops: queued tasks are dropped without being settled, running tasks finish (the destructor
  // waits for them, including a hung model), threads are joined.
  ~InferencePool();
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  // Any thread. RESOURCE_EXHAUSTED when the queue is full; the task is then not settled and the
  // caller reports the refusal itself.
  Status submit(std::shared_ptr<InferenceTask> task);

  size_t queued() const;
  size_t running() const;
  uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }
  const InferencePoolOptions& options() const { return options_; }

 private:
  InferencePool(const InferencePoolOptions& options, const Clock& clock);
  void worker_loop(size_t index);
  void watchdog_loop();
  bool deadline_passed(const InferenceTask& task, Timestamp now) const;
  void settle_expired(InferenceTask& task, Timestamp now);
  bool has_work_locked() const;

  const InferencePoolOptions options_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable watchdog_cv_;
  std::deque<std::shared_ptr<InferenceTask>> queue_;     // oldest first
  std::vector<std::shared_ptr<InferenceTask>> running_;  // per worker, null when idle
  bool stopping_ = false;
  std::atomic<uint64_t> expired_{0};

  std::vector<std::thread> workers_;
  std::thread watchdog_;
};

}  // namespace galfriday
