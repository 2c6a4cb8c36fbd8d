#include "galfriday/bus/pubsub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace galfriday {

SubscriptionId PubSubManager::add_subscription(size_t index, std::string name,
                                               std::function<void(const Event&)> handler) {
  const SubscriptionId id = next_subscription_id_++;
  Subscription subscription{id, std::move(name), std::move(handler)};
  if (dispatching_) {
    pending_subscribes_.emplace_back(index, std::move(subscription));
  } else {
    subscriptions_[index].push_back(std::move(subscription));
  }
  return id;
}

void PubSubManager::unsubscribe(SubscriptionId id) {
  if (dispatching_) {
    // Takes effect for the rest of this dispatch too: the loop checks this list.
    pending_unsubscribes_.push_back(id);
    return;
  }
  for (auto& list : subscriptions_) {
    std::erase_if(list, [id](const Subscription& s) { return s.id == id; });
  }
  std::erase_if(pending_subscribes_, [id](const auto& entry) { return entry.second.id == id; });
}

void PubSubManager::apply_pending_changes() {
  for (auto& [index, subscription] : pending_subscribes_) {
    subscriptions_[index].push_back(std::move(subscription));
  }
  pending_subscribes_.clear();
  if (!pending_unsubscribes_.empty()) {
    std::vector<SubscriptionId> ids;
    ids.swap(pending_unsubscribes_);
    for (SubscriptionId id : ids) unsubscribe(id);
  }
}

void PubSubManager::enqueue(Event event) {
  EventMeta& meta = meta_of(event);
  meta.sequence = next_sequence_++;
  if (meta.ts_init == Timestamp{}) meta.ts_init = clock_.now();
  if (meta.ts_event == Timestamp{}) meta.ts_event = meta.ts_init;
  queue_.push(std::move(event));
}

void PubSubManager::publish(Event event) { enqueue(std::move(event)); }

void PubSubManager::post(Event event) {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(event));
  }
  posted_cv_.notify_one();
}

void PubSubManager::wake() {
  {
    std::lock_guard lock(posted_mutex_);
    wake_requested_ = true;
  }
  posted_cv_.notify_one();
}

void PubSubManager::wait_for_posted(Duration timeout) {
  std::unique_lock lock(posted_mutex_);
  posted_cv_.wait_for(lock, timeout, [this] { return !posted_.empty() || wake_requested_; });
  wake_requested_ = false;
}

bool PubSubManager::take_posted() {
  std::vector<Event> batch;
  {
    std::lock_guard lock(posted_mutex_);
    if (posted_.empty()) return false;
    batch.swap(posted_);
  }
  for (Event& event : batch) enqueue(std::move(event));
  return true;
}

size_t PubSubManager::run_until_idle() {
  size_t count = 0;
  while (true) {
    if (queue_.empty() && !take_posted()) break;
    // Moved out first: handlers may publish, which can grow the queue under a reference.
    const Event event = queue_.pop();
    dispatch(event);
    ++count;
  }
  return count;
}

void PubSubManager::dispatch(const Event& event) {
  ++dispatched_;
  if (hook_) hook_(event);
  dispatching_ = true;
  const auto& list = subscriptions_[event.index()];
  for (const Subscription& subscription : list) {
    if (!pending_unsubscribes_.empty() &&
        std::find(pending_unsubscribes_.begin(), pending_unsubscribes_.end(), subscription.id) !=
            pending_unsubscribes_.end()) {
      continue;
    }
    try {
      subscription.handler(event);
    } catch (const std::exception& e) {
      report_handler_failure(subscription, event, e.what());
    } catch (...) {
      report_handler_failure(subscription, event, "unknown exception");
    }
  }
  dispatching_ = false;
  if (!pending_subscribes_.empty() || !pending_unsubscribes_.empty()) apply_pending_changes();
}

void PubSubManager::report_handler_failure(const Subscription& subscription, const Event& event,
                                           const char* what) {
  ++handler_failures_;
  const std::string handler =
      subscription.name.empty() ? "#" + std::to_string(subscription.id) : subscription.name;
  const std::string message = "handler '" + handler + "' threw while handling " +
                              std::string(event_type_name(event)) + " #" +
                              std::to_string(meta_of(event).sequence) + ": " + what;
  spdlog::error("{}", message);
  // A failure while handling an error report is only logged, so a broken error handler
  // cannot feed itself forever.
  if (std::holds_alternative<SystemErrorEvent>(event)) return;
  SystemErrorEvent error;
  error.source = handler;
  error.message = message;
  // Handlers report expected failures as values; an exception is a bug in trading code, so it
  // is critical and monitoring halts trading.
  error.critical = true;
  enqueue(std::move(error));
}

}  // namespace galfriday
