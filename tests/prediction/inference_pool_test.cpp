#include "galfriday/prediction/inference_pool.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "test_support.hpp"

namespace galfriday {
namespace {

using ::testing::HasSubstr;
using testing_support::Gate;

// Records what the pool did with each task.
struct Outcomes {
  std::mutex mutex;
  std::condition_variable cv;
  int computed = 0;
  int committed = 0;
  int expired = 0;
  std::vector<Duration> waits;

  void note(int Outcomes::*counter) {
    std::lock_guard lock(mutex);
    ++(this->*counter);
    cv.notify_all();
  }
  // Waits (real time, as a hang guard) until `settled` tasks were committed or expired.
  bool wait_settled(int settled) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10),
                       [&] { return committed + expired >= settled; });
  }
};

class RecordingTask final : public InferenceTask {
 public:
  RecordingTask(Outcomes& outcomes, Gate* gate = nullptr, SimulatedClock* clock = nullptr,
                Timestamp advance_clock_to = {})
      : outcomes_(outcomes), gate_(gate), clock_(clock), advance_clock_to_(advance_clock_to) {}
  void compute() noexcept override {
    if (gate_ != nullptr) gate_->enter_and_wait();
    if (clock_ != nullptr) clock_->advance_to(advance_clock_to_);  // a slow computation
    outcomes_.note(&Outcomes::computed);
  }
  void commit() noexcept override { outcomes_.note(&Outcomes::committed); }
  void expire(Duration waited) noexcept override {
    {
      std::lock_guard lock(outcomes_.mutex);
      outcomes_.waits.push_back(waited);
    }
    outcomes_.note(&Outcomes::expired);
  }

 private:
  Outcomes& outcomes_;
  Gate* gate_;
  SimulatedClock* clock_;
  Timestamp advance_clock_to_;
};

constexpr Timestamp kStart = timestamp_from_seconds(1704067200);

std::unique_ptr<InferencePool> make_pool(const InferencePoolOptions& options, const Clock& clock) {
  auto pool = InferencePool::create(options, clock);
  EXPECT_TRUE(pool.is_ok()) << pool.status().to_string();
  return std::move(pool).value();
}

TEST(InferencePool, CommitsEveryTaskExactlyOnce) {
  SimulatedClock clock(kStart);
  Outcomes outcomes;
  {
    auto pool = make_pool({.threads = 2, .queue_capacity = 200}, clock);
    for (int i = 0; i < 150; ++i) {
      ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes)).is_ok());
    }
    ASSERT_TRUE(outcomes.wait_settled(150));
  }
  EXPECT_EQ(outcomes.computed, 150);
  EXPECT_EQ(outcomes.committed, 150);
  EXPECT_EQ(outcomes.expired, 0);
}

TEST(InferencePool, AFullQueueIsRefusedAtOnce) {
  SimulatedClock clock(kStart);
  Outcomes outcomes;
  Gate gate;
  auto pool = make_pool({.threads = 1, .queue_capacity = 2}, clock);
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes, &gate)).is_ok());
  ASSERT_TRUE(gate.wait_entered(1));  // the worker is busy
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes)).is_ok());
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes)).is_ok());
  const Status full = pool->submit(std::make_shared<RecordingTask>(outcomes));
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(full.message(), HasSubstr("inference queue is full (capacity 2)"));
  EXPECT_EQ(pool->queued(), 2u);
  EXPECT_EQ(pool->running(), 1u);

  gate.open();
  ASSERT_TRUE(outcomes.wait_settled(3));
  EXPECT_EQ(outcomes.committed, 3);
}

TEST(InferencePool, WatchdogExpiresAHungTaskAndTheLateResultIsDropped) {
  SimulatedClock clock(kStart);
  Outcomes outcomes;
  Gate gate;
  auto pool = make_pool({.threads = 1,
                         .queue_capacity = 4,
                         .deadline = std::chrono::milliseconds(50),
                         .watchdog_interval = std::chrono::milliseconds(1)},
                        clock);
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes, &gate)).is_ok());
  ASSERT_TRUE(gate.wait_entered(1));
  // Queued behind the hung one.
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes)).is_ok());
  clock.advance_to(kStart + std::chrono::milliseconds(51));

  // Both are reported while the model is still stuck.
  ASSERT_TRUE(outcomes.wait_settled(2));
  EXPECT_EQ(outcomes.expired, 2);
  EXPECT_EQ(outcomes.computed, 0);
  EXPECT_EQ(pool->expired(), 2u);
  EXPECT_EQ(pool->queued(), 0u);
  for (Duration waited : outcomes.waits) EXPECT_EQ(waited, std::chrono::milliseconds(51));

  gate.open();
  pool.reset();  // joins: the hung task finishes computing, and its result goes nowhere
  EXPECT_EQ(outcomes.computed, 1);
  EXPECT_EQ(outcomes.committed, 0);
  EXPECT_EQ(outcomes.expired, 2);
}

TEST(InferencePool, AResultLaterThanTheDeadlineIsExpiredNotCommitted) {
  SimulatedClock clock(kStart);
  Outcomes outcomes;
  // The watchdog never gets to look: only the worker's own check after computing applies.
  auto pool = make_pool({.threads = 1,
                         .queue_capacity = 4,
                         .deadline = std::chrono::milliseconds(50),
                         .watchdog_interval = std::chrono::hours(1)},
                        clock);
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes, nullptr, &clock,
                                                           kStart + std::chrono::milliseconds(80)))
                  .is_ok());
  ASSERT_TRUE(outcomes.wait_settled(1));
  EXPECT_EQ(outcomes.computed, 1);
  EXPECT_EQ(outcomes.committed, 0);
  EXPECT_EQ(outcomes.expired, 1);
  EXPECT_EQ(outcomes.waits.at(0), std::chrono::milliseconds(80));

  // Within the deadline it commits.
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes)).is_ok());
  ASSERT_TRUE(outcomes.wait_settled(2));
  EXPECT_EQ(outcomes.committed, 1);
}

TEST(InferencePool, RejectsBadOptions) {
  SimulatedClock clock(kStart);
  EXPECT_THAT(InferencePool::create({.threads = 0}, clock).status().message(),
              HasSubstr("at least one thread"));
  EXPECT_THAT(InferencePool::create({.threads = 1, .queue_capacity = 0}, clock).status().message(),
              HasSubstr("capacity must be at least 1"));
  EXPECT_THAT(
      InferencePool::create({.deadline = std::chrono::milliseconds(-1)}, clock).status().message(),
      HasSubstr("must not be negative"));
  EXPECT_THAT(
      InferencePool::create(
          {.deadline = std::chrono::milliseconds(10), .watchdog_interval = Duration::zero()}, clock)
          .status()
          .message(),
      HasSubstr("watchdog interval must be positive"));
}

TEST(InferencePool, StoppingWaitsForTheRunningTask) {
  SimulatedClock clock(kStart);
  Outcomes outcomes;
  Gate gate;
  auto pool = make_pool({.threads = 1, .queue_capacity = 4}, clock);
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes, &gate)).is_ok());
  ASSERT_TRUE(gate.wait_entered(1));
  ASSERT_TRUE(pool->submit(std::make_shared<RecordingTask>(outcomes)).is_ok());
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gate.open();
  });
  pool.reset();  // returns only after the running task finished
  opener.join();
  // The queued task is dropped if the stop came first, else it ran; never settled twice.
  EXPECT_GE(outcomes.computed, 1);
  EXPECT_EQ(outcomes.committed, outcomes.computed);
  EXPECT_EQ(outcomes.expired, 0);
}

}  // namespace
}  // namespace galfriday
