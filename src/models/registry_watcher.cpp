#include "galfriday/models/registry_watcher.hpp"

#include <system_error>

#include "galfriday/models/model_registry.hpp"

namespace galfriday::models {

Result<std::unique_ptr<RegistryWatcher>> RegistryWatcher::create(
    DatabaseFactory open_database, const Clock& clock, std::filesystem::path registry_directory,
    std::string target, PredictionService& service, PubSubManager& bus) {
  if (!open_database) return invalid_argument("registry watcher: no database factory");
  std::unique_ptr<RegistryWatcher> watcher(new RegistryWatcher(std::move(open_database), clock,
                                                               std::move(registry_directory),
                                                               std::move(target), service, bus));
  try {
    watcher->worker_ = std::thread([w = watcher.get()] { w->worker_loop(); });
  } catch (const std::system_error& e) {
    return unavailable(std::string("registry watcher: cannot start its thread: ") + e.what());
  }
  return watcher;
}

RegistryWatcher::RegistryWatcher(DatabaseFactory open_database, const Clock& clock,
                                 std::filesystem::path registry_directory, std::string target,
                                 PredictionService& service, PubSubManager& bus)
    : open_database_(std::move(open_database)),
      clock_(clock),
      directory_(std::move(registry_directory)),
      target_(std::move(target)),
      service_(service),
      bus_(bus) {}

RegistryWatcher::~RegistryWatcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void RegistryWatcher::poll() {
  std::optional<Result<std::unique_ptr<PredictionModel>>> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(ready_);
  }
  if (ready) {
    if (!ready->is_ok()) {
      report_error(ready->status());
    } else if (ready->value() != nullptr) {
      const std::string previous = service_.model_id();
      const std::string next = ready->value()->id();
      const Status replaced = service_.replace_model(std::move(ready->value()));
      if (!replaced.is_ok()) {
        report_error(replaced.with_context("production model '" + next + "' refused"));
      } else {
        ++swaps_;
        last_error_.clear();
        LogEvent log;
        log.severity = LogSeverity::kInfo;
        log.source = "models.registry";
        log.message = "now serving production model '" + next + "' for " + target_ + " (was '" +
                      previous + "')";
        bus_.publish(std::move(log));
      }
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (busy_ || requested_) return;
    requested_ = true;
    serving_ = service_.model_id();
  }
  cv_.notify_all();
}

TimerId RegistryWatcher::schedule(Scheduler& scheduler, Duration interval) {
  return scheduler.schedule_every(interval, [this] { poll(); });
}

void RegistryWatcher::wait_idle() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return stop_ || (!requested_ && !busy_); });
}

void RegistryWatcher::report_error(const Status& status) {
  if (status.message() == last_error_) return;
  last_error_ = status.message();
  SystemErrorEvent error;
  error.source = "models.registry";
  error.message = status.to_string() + " (the current model keeps serving)";
  bus_.publish(std::move(error));
}

Result<std::unique_ptr<PredictionModel>> RegistryWatcher::look(const std::string& serving) {
  if (!db_) {
    auto opened = open_database_();
    if (!opened) return opened.status().with_context("registry watcher");
    db_ = std::move(*opened);
  }
  ModelRegistry registry(*db_, clock_, directory_);
  auto production = registry.production(target_);
  if (!production) return production.status();
  if (!production->has_value() || (*production)->model_id == serving) {
    return std::unique_ptr<PredictionModel>();
  }
  auto model = registry.load((*production)->model_id);
  if (!model) return model.status();
  return std::unique_ptr<PredictionModel>(std::move(*model));
}

void RegistryWatcher::worker_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || requested_; });
    if (stop_) return;
    requested_ = false;
    busy_ = true;
    const std::string serving = serving_;
    lock.unlock();
    auto result = look(serving);
    const bool something = !result.is_ok() || result.value() != nullptr;
    lock.lock();
    if (something) ready_.emplace(std::move(result));
    busy_ = false;
    cv_.notify_all();
    if (something) bus_.wake();
  }
}

}  // namespace galfriday::models
