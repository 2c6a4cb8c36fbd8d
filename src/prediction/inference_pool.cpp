#include "galfriday/prediction/inference_pool.hpp"

#include <string>
#include <system_error>

namespace galfriday {

Result<std::unique_ptr<InferencePool>> InferencePool::create(const InferencePoolOptions& options,
                                                             const Clock& clock) {
  if (options.threads == 0) return invalid_argument("inference pool needs at least one thread");
  if (options.queue_capacity == 0) {
    return invalid_argument("inference pool queue capacity must be at least 1");
  }
  if (options.deadline < Duration::zero()) {
    return invalid_argument("inference deadline must not be negative (0 disables it)");
  }
  if (options.deadline > Duration::zero() && options.watchdog_interval <= Duration::zero()) {
    return invalid_argument("inference watchdog interval must be positive");
  }
  std::unique_ptr<InferencePool> pool(new InferencePool(options, clock));
  try {
    for (size_t i = 0; i < options.threads; ++i) {
      pool->workers_.emplace_back([raw = pool.get(), i] { raw->worker_loop(i); });
    }
    if (options.deadline > Duration::zero()) {
      pool->watchdog_ = std::thread([raw = pool.get()] { raw->watchdog_loop(); });
    }
  } catch (const std::system_error& e) {
    // The destructor stops and joins the threads that did start.
    return Status(StatusCode::kResourceExhausted,
                  std::string("cannot start inference threads: ") + e.what());
  }
  return pool;
}

InferencePool::InferencePool(const InferencePoolOptions& options, const Clock& clock)
    : options_(options), clock_(clock), running_(options.threads) {}

InferencePool::~InferencePool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  watchdog_cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  if (watchdog_.joinable()) watchdog_.join();
}

Status InferencePool::submit(std::shared_ptr<InferenceTask> task) {
  task->submitted_ = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return failed_precondition("inference pool is stopping");
    if (queue_.size() >= options_.queue_capacity) {
      return Status(
          StatusCode::kResourceExhausted,
          "inference queue is full (capacity " + std::to_string(options_.queue_capacity) + ")");
    }
    queue_.push_back(std::move(task));
  }
  work_cv_.notify_one();
  watchdog_cv_.notify_one();
  return Status::ok();
}

size_t InferencePool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

size_t InferencePool::running() const {
  std::lock_guard lock(mutex_);
  size_t count = 0;
  for (const auto& task : running_) count += task != nullptr ? 1 : 0;
  return count;
}

bool InferencePool::deadline_passed(const InferenceTask& task, Timestamp now) const {
  return options_.deadline > Duration::zero() && now - task.submitted_ > options_.deadline;
}

void InferencePool::settle_expired(InferenceTask& task, Timestamp now) {
  if (task.settled_.exchange(true, std::memory_order_acq_rel)) return;
  expired_.fetch_add(1, std::memory_order_relaxed);
  task.expire(now - task.submitted_);
}

void InferencePool::worker_loop(size_t index) {
  while (true) {
    std::shared_ptr<InferenceTask> task;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      running_[index] = task;
    }
    // A task that waited past its deadline is shed without computing: its answer would be
    // stale, and computing it would make the backlog worse.
    const Timestamp started = clock_.now();
    if (deadline_passed(*task, started)) {
      settle_expired(*task, started);
    } else {
      task->compute();
      const Timestamp finished = clock_.now();
      if (deadline_passed(*task, finished)) {
        settle_expired(*task, finished);
      } else if (!task->settled_.exchange(true, std::memory_order_acq_rel)) {
        task->commit();
      }
    }
    {
      std::lock_guard lock(mutex_);
      running_[index].reset();
    }
  }
}

bool InferencePool::has_work_locked() const {
  if (!queue_.empty()) return true;
  for (const auto& task : running_) {
    if (task != nullptr) return true;
  }
  return false;
}

void InferencePool::watchdog_loop() {
  std::vector<std::shared_ptr<InferenceTask>> late;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (has_work_locked()) {
      watchdog_cv_.wait_for(lock, options_.watchdog_interval);
    } else {
      watchdog_cv_.wait(lock, [this] { return stopping_ || has_work_locked(); });
    }
    if (stopping_) return;
    const Timestamp now = clock_.now();
    for (const auto& task : running_) {
      if (task != nullptr && !task->settled_.load(std::memory_order_acquire) &&
          deadline_passed(*task, now)) {
        late.push_back(task);
      }
    }
    // The queue is in submission order, so the late tasks are at its front. They are removed:
    // the worker that would have taken them has nothing useful to do with them.
    while (!queue_.empty() && deadline_passed(*queue_.front(), now)) {
      late.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (late.empty()) continue;
    // Reported outside the lock: expire() posts to the bus and must not hold up the workers.
    lock.unlock();
    for (const auto& task : late) settle_expired(*task, now);
    late.clear();
    lock.lock();
  }
}

}  // namespace galfriday
