#include "galfriday/core/scheduler.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace galfriday {
namespace {

using std::chrono::seconds;

TEST(Scheduler, SimulatedTimeFiresTimersInTimeOrderThenFifo) {
  SimulatedClock clock(timestamp_from_seconds(1000));
  Scheduler scheduler(clock);
  std::vector<std::string> fired;
  scheduler.schedule_at(timestamp_from_seconds(1030), [&] { fired.push_back("c"); });
  scheduler.schedule_at(timestamp_from_seconds(1010), [&] { fired.push_back("a"); });
  scheduler.schedule_at(timestamp_from_seconds(1010), [&] { fired.push_back("b"); });
  scheduler.schedule_at(timestamp_from_seconds(1100), [&] { fired.push_back("late"); });

  EXPECT_EQ(scheduler.advance_to(clock, timestamp_from_seconds(1050)), 3U);
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(clock.now(), timestamp_from_seconds(1050));
  EXPECT_EQ(scheduler.pending(), 1U);
}

TEST(Scheduler, CallbackSeesTheTimersOwnDeadline) {
  SimulatedClock clock(timestamp_from_seconds(0));
  Scheduler scheduler(clock);
  std::vector<Timestamp> seen;
  scheduler.schedule_after(seconds(5), [&] { seen.push_back(clock.now()); });
  scheduler.schedule_after(seconds(7), [&] { seen.push_back(clock.now()); });
  scheduler.advance_to(clock, timestamp_from_seconds(60));
  EXPECT_EQ(seen, (std::vector<Timestamp>{timestamp_from_seconds(5), timestamp_from_seconds(7)}));
}

TEST(Scheduler, PeriodicTimerRepeatsUntilCancelled) {
  SimulatedClock clock(timestamp_from_seconds(0));
  Scheduler scheduler(clock);
  int count = 0;
  TimerId id = scheduler.schedule_every(seconds(10), [&] { ++count; });
  scheduler.advance_to(clock, timestamp_from_seconds(35));
  EXPECT_EQ(count, 3);
  scheduler.cancel(id);
  scheduler.advance_to(clock, timestamp_from_seconds(100));
  EXPECT_EQ(count, 3);
  EXPECT_EQ(scheduler.pending(), 0U);
  EXPECT_FALSE(scheduler.next_deadline().has_value());
}

TEST(Scheduler, TimerScheduledFromACallbackRunsInOrder) {
  SimulatedClock clock(timestamp_from_seconds(0));
  Scheduler scheduler(clock);
  std::vector<int> fired;
  scheduler.schedule_at(timestamp_from_seconds(1), [&] {
    fired.push_back(1);
    scheduler.schedule_after(seconds(1), [&] { fired.push_back(3); });
  });
  scheduler.schedule_at(timestamp_from_seconds(1), [&] { fired.push_back(2); });
  scheduler.advance_to(clock, timestamp_from_seconds(10));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(Scheduler, RunDueUsesTheClocksCurrentTime) {
  SimulatedClock clock(timestamp_from_seconds(0));
  Scheduler scheduler(clock);
  int count = 0;
  scheduler.schedule_at(timestamp_from_seconds(5), [&] { ++count; });
  EXPECT_EQ(scheduler.run_due(), 0U);
  clock.advance_to(timestamp_from_seconds(5));
  EXPECT_EQ(scheduler.run_due(), 1U);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(scheduler.next_deadline(), std::nullopt);
}

TEST(Scheduler, CancellingAFiredTimerIsHarmless) {
  SimulatedClock clock(timestamp_from_seconds(0));
  Scheduler scheduler(clock);
  TimerId id = scheduler.schedule_after(seconds(1), [] {});
  scheduler.advance_to(clock, timestamp_from_seconds(2));
  scheduler.cancel(id);
  EXPECT_EQ(scheduler.pending(), 0U);
}

}  // namespace
}  // namespace galfriday
