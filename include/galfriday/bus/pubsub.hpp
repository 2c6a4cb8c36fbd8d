#pragma once
// PubSubManager: the event bus. Typed subscribe/publish on the engine thread, FIFO dispatch in
// sequence order, thread-safe post() from I/O and worker threads, isolation of throwing
// handlers, and an optional hook that sees every event (the event log).
//
// Threading: everything except post() and wake() runs on the engine thread. Handlers never
// run concurrently and never re-entrantly: an event published from a handler is queued and
// dispatched after the current one.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/ring_queue.hpp"
#include "galfriday/events/events.hpp"

namespace galfriday {

using SubscriptionId = uint64_t;

class PubSubManager {
 public:
  using EventHook = std::function<void(const Event&)>;

  explicit PubSubManager(const Clock& clock) : clock_(clock) {}
  PubSubManager(const PubSubManager&) = delete;
  PubSubManager& operator=(const PubSubManager&) = delete;

  // Subscribes `handler` (callable with const E&) to events of type E. `name` identifies the
  // handler in error reports. A subscription made during dispatch sees the next event on.
  template <typename E, typename Handler>
  SubscriptionId subscribe(Handler handler, std::string name = {}) {
    constexpr size_t index = event_index<E>();
    return add_subscription(index, std::move(name),
                            [handler = std::move(handler)](const Event& event) {
                              handler(*std::get_if<index>(&event));
                            });
  }

  // Removes a subscription; it receives no event dispatched after this call. Unknown ids are
  // ignored.
  void unsubscribe(SubscriptionId id);

  // Engine thread: queues an event, stamping its sequence number now and its ts_init (and
  // ts_event when unset) from the clock.
  void publish(Event event);

  // Any thread: queues an event for the engine thread; it is stamped when the engine takes
  // it, so sequence numbers follow dispatch order. Wakes a waiting engine.
  void post(Event event);

  // Engine thread: dispatches queued and posted events until none is left. Returns the number
  // dispatched.
  size_t run_until_idle();

  // Engine thread: blocks until post()/wake() is called or `timeout` passes.
  void wait_for_posted(Duration timeout);
  // Any thread: ends a wait_for_posted early.
  void wake();

  // Sees every event before its handlers, in dispatch order (the event log).
  void set_event_hook(EventHook hook) { hook_ = std::move(hook); }

  uint64_t dispatched() const { return dispatched_; }
  uint64_t handler_failures() const { return handler_failures_; }
  size_t queued() const { return queue_.size(); }
  const Clock& clock() const { return clock_; }

 private:
  struct Subscription {
    SubscriptionId id;
    std::string name;
    std::function<void(const Event&)> handler;
  };

  SubscriptionId add_subscription(size_t index, std::string name,
                                  std::function<void(const Event&)> handler);
  void enqueue(Event event);
  bool take_posted();
  void dispatch(const Event& event);
  void apply_pending_changes();
  void report_handler_failure(const Subscription& subscription, const Event& event,
                              const char* what);

  const Clock& clock_;
  std::array<std::vector<Subscription>, kEventTypeCount> subscriptions_;
  RingQueue<Event> queue_;
  uint64_t next_sequence_ = 1;
  SubscriptionId next_subscription_id_ = 1;
  EventHook hook_;

  bool dispatching_ = false;
  std::vector<std::pair<size_t, Subscription>> pending_subscribes_;
  std::vector<SubscriptionId> pending_unsubscribes_;

  uint64_t dispatched_ = 0;
  uint64_t handler_failures_ = 0;

  std::mutex posted_mutex_;
  std::condition_variable posted_cv_;
  std::vector<Event> posted_;
  bool wake_requested_ = false;
};

}  // namespace galfriday
