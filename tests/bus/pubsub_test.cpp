#include "galfriday/bus/pubsub.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace galfriday {
namespace {

LogEvent log_event(std::string message) {
  LogEvent e;
  e.message = std::move(message);
  return e;
}

class PubSubTest : public ::testing::Test {
 protected:
  SimulatedClock clock_{timestamp_from_seconds(1700000000)};
  PubSubManager bus_{clock_};
};

TEST_F(PubSubTest, DispatchesInFifoOrderWithIncreasingSequence) {
  std::vector<std::string> seen;
  std::vector<uint64_t> sequences;
  bus_.subscribe<LogEvent>([&](const LogEvent& e) {
    seen.push_back(e.message);
    sequences.push_back(e.meta.sequence);
  });
  bus_.subscribe<SystemErrorEvent>([&](const SystemErrorEvent& e) {
    seen.push_back("error:" + e.message);
    sequences.push_back(e.meta.sequence);
  });
  bus_.publish(log_event("a"));
  SystemErrorEvent error;
  error.message = "b";
  bus_.publish(error);
  bus_.publish(log_event("c"));
  EXPECT_EQ(bus_.run_until_idle(), 3U);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "error:b", "c"}));
  EXPECT_EQ(sequences, (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(PubSubTest, EventsPublishedFromHandlersRunAfterTheCurrentOne) {
  std::vector<std::string> seen;
  bus_.subscribe<LogEvent>([&](const LogEvent& e) {
    seen.push_back(e.message);
    if (e.message == "first") bus_.publish(log_event("from-handler"));
  });
  bus_.subscribe<LogEvent>([&](const LogEvent& e) { seen.push_back(e.message + "#2"); });
  bus_.publish(log_event("first"));
  bus_.publish(log_event("second"));
  bus_.run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "first#2", "second", "second#2",
                                            "from-handler", "from-handler#2"}));
}

TEST_F(PubSubTest, StampsTimesFromTheClock) {
  LogEvent received;
  bus_.subscribe<LogEvent>([&](const LogEvent& e) { received = e; });
  bus_.publish(log_event("x"));
  bus_.run_until_idle();
  EXPECT_EQ(received.meta.ts_init, timestamp_from_seconds(1700000000));
  EXPECT_EQ(received.meta.ts_event, received.meta.ts_init);

  LogEvent with_event_time = log_event("y");
  with_event_time.meta.ts_event = timestamp_from_seconds(5);
  bus_.publish(with_event_time);
  bus_.run_until_idle();
  EXPECT_EQ(received.meta.ts_event, timestamp_from_seconds(5));
}

TEST_F(PubSubTest, ThrowingHandlerIsIsolatedAndReported) {
  std::vector<std::string> seen;
  std::vector<SystemErrorEvent> errors;
  bus_.subscribe<LogEvent>([](const LogEvent&) { throw std::runtime_error("boom"); }, "bad");
  bus_.subscribe<LogEvent>([&](const LogEvent& e) { seen.push_back(e.message); }, "good");
  bus_.subscribe<SystemErrorEvent>([&](const SystemErrorEvent& e) { errors.push_back(e); });
  bus_.publish(log_event("one"));
  bus_.publish(log_event("two"));
  bus_.run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(errors.size(), 2U);
  EXPECT_EQ(errors[0].source, "bad");
  EXPECT_TRUE(errors[0].critical);
  EXPECT_NE(errors[0].message.find("boom"), std::string::npos);
  EXPECT_NE(errors[0].message.find("LogEvent"), std::string::npos);
  EXPECT_EQ(bus_.handler_failures(), 2U);
}

TEST_F(PubSubTest, ThrowingErrorHandlerDoesNotLoop) {
  int calls = 0;
  bus_.subscribe<SystemErrorEvent>([&](const SystemErrorEvent&) {
    ++calls;
    throw std::runtime_error("error handler broken");
  });
  bus_.publish(SystemErrorEvent{});
  EXPECT_EQ(bus_.run_until_idle(), 1U);
  EXPECT_EQ(calls, 1);
}

TEST_F(PubSubTest, UnsubscribeStopsDelivery) {
  int count = 0;
  SubscriptionId id = bus_.subscribe<LogEvent>([&](const LogEvent&) { ++count; });
  bus_.publish(log_event("a"));
  bus_.run_until_idle();
  bus_.unsubscribe(id);
  bus_.publish(log_event("b"));
  bus_.run_until_idle();
  EXPECT_EQ(count, 1);
}

TEST_F(PubSubTest, SubscriptionChangesDuringDispatchTakeEffectSafely) {
  std::vector<std::string> seen;
  SubscriptionId second = 0;
  bus_.subscribe<LogEvent>([&](const LogEvent& e) {
    seen.push_back("first:" + e.message);
    if (e.message == "a") {
      bus_.unsubscribe(second);
      bus_.subscribe<LogEvent>([&](const LogEvent& ev) { seen.push_back("late:" + ev.message); });
    }
  });
  second =
      bus_.subscribe<LogEvent>([&](const LogEvent& e) { seen.push_back("second:" + e.message); });
  bus_.publish(log_event("a"));
  bus_.publish(log_event("b"));
  bus_.run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"first:a", "first:b", "late:b"}));
}

TEST_F(PubSubTest, HookSeesEveryEventInDispatchOrder) {
  std::vector<uint64_t> hooked;
  bus_.set_event_hook([&](const Event& e) { hooked.push_back(meta_of(e).sequence); });
  bus_.publish(log_event("a"));
  bus_.publish(SystemStateEvent{});
  bus_.run_until_idle();
  EXPECT_EQ(hooked, (std::vector<uint64_t>{1, 2}));
}

TEST_F(PubSubTest, PostFromOtherThreadsIsDeliveredOnTheEngineThread) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 1000;
  std::vector<int> last_by_thread(kThreads, -1);
  bool in_order = true;
  const auto engine_thread = std::this_thread::get_id();
  bool on_engine_thread = true;
  int received = 0;
  uint64_t last_sequence = 0;
  bus_.subscribe<LogEvent>([&](const LogEvent& e) {
    on_engine_thread = on_engine_thread && std::this_thread::get_id() == engine_thread;
    const int thread = e.source[0] - '0';
    const int value = std::stoi(e.message);
    in_order = in_order && value == last_by_thread[thread] + 1 && e.meta.sequence > last_sequence;
    last_by_thread[thread] = value;
    last_sequence = e.meta.sequence;
    ++received;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        LogEvent e;
        e.source = std::to_string(t);
        e.message = std::to_string(i);
        bus_.post(std::move(e));
      }
    });
  }
  while (received < kThreads * kPerThread) {
    bus_.run_until_idle();
    bus_.wait_for_posted(std::chrono::milliseconds(10));
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(received, kThreads * kPerThread);
  EXPECT_TRUE(in_order);
  EXPECT_TRUE(on_engine_thread);
}

TEST_F(PubSubTest, WakeEndsAWait) {
  std::thread waker([&] { bus_.wake(); });
  bus_.wait_for_posted(std::chrono::seconds(30));  // returns promptly once woken
  waker.join();
  SUCCEED();
}

}  // namespace
}  // namespace galfriday
