#pragma once
// RegistryWatcher: makes a running PredictionService follow the registry's production model
// without a restart.
//
// The engine thread calls poll() (usually from a Scheduler timer). poll() applies a model the
// worker has already loaded, through PredictionService::replace_model (between two events; the
// predictions in flight finish with the old model), then asks the worker for another look. The
// worker thread, on its own database connection, reads the production model of the target and,
// when it differs from the one served, loads it (SHA-256 verified, XGBoost checks) and leaves it
// for the next poll(). So the engine thread never reads a file, queries the database or parses a
// model: it only swaps a pointer.
//
// Outcomes are published on the bus: a LogEvent (source "models.registry") for each swap, a
// SystemErrorEvent when the production model cannot be loaded or is refused by the service (the
// current model keeps serving; the same error is reported once, not on every poll).

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/persistence/database.hpp"
#include "galfriday/prediction/prediction_service.hpp"

namespace galfriday::models {

class RegistryWatcher {
 public:
  // Opens the worker's own connection (a Database is used from one thread only).
  using DatabaseFactory = std::function<Result<std::unique_ptr<persistence::Database>>()>;

  // Starts the worker thread. `service` and `bus` must outlive the watcher.
  static Result<std::unique_ptr<RegistryWatcher>> create(
      DatabaseFactory open_database, const Clock& clock, std::filesystem::path registry_directory,
      std::string target, PredictionService& service, PubSubManager& bus);
  ~RegistryWatcher();
  RegistryWatcher(const RegistryWatcher&) = delete;
  RegistryWatcher& operator=(const RegistryWatcher&) = delete;

  // Engine thread.
  void poll();
  // Engine thread: poll() every `interval`.
  TimerId schedule(Scheduler& scheduler, Duration interval);

  // Any thread: waits until the worker has finished every requested look (tests, shutdown).
  void wait_idle();
  uint64_t swaps() const { return swaps_; }

 private:
  RegistryWatcher(DatabaseFactory open_database, const Clock& clock,
                  std::filesystem::path registry_directory, std::string target,
                  PredictionService& service, PubSubManager& bus);
  void worker_loop();
  // Worker thread: the production model when it differs from `serving`, nullptr when it does
  // not (or there is none).
  Result<std::unique_ptr<PredictionModel>> look(const std::string& serving);
  void report_error(const Status& status);

  DatabaseFactory open_database_;
  const Clock& clock_;
  std::filesystem::path directory_;
  std::string target_;
  PredictionService& service_;
  PubSubManager& bus_;
  std::unique_ptr<persistence::Database> db_;  // worker thread only
  uint64_t swaps_ = 0;                         // engine thread
  std::string last_error_;                     // engine thread

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool requested_ = false;
  bool busy_ = false;
  std::string serving_;  // the model id served when the look was requested
  std::optional<Result<std::unique_ptr<PredictionModel>>> ready_;
  std::thread worker_;
};

}  // namespace galfriday::models
