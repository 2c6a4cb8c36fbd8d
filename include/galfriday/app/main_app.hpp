#pragma once
// MainAppController: `galfriday run --mode paper|live`, the long-running trading process.
//
// Start, in this order (each step's failure ends the start with a message and an exit code):
//   config -> instance lock on data_dir -> logging -> InfluxDB metrics writer (when
//   influxdb.enabled; no network I/O) -> database + migrations -> instruments ->
//   pipeline (prices, portfolio, features, prediction, strategy, risk; plus the simulated
//   exchange in paper mode) -> halt coordinator, restore() of the persisted halt state ->
//   persistence through the AsyncWriter (event log, log lines, paper trades) -> InfluxDB
//   metrics on the bus and the scheduler (docs/persistence.md) -> monitoring,
//   activity log, operator front ends (CLI service, control socket, dashboard, console) ->
//   live mode: LiveSession::start() (recovery + reconciliation) -> market data feed.
// Then the engine loop runs on the calling thread until SIGINT/SIGTERM or `shutdown`.
//
// Shutdown: SystemStateEvent(STOPPING) stops new signals (and ends paper mode's simulated
// orders); live mode cancels or keeps the open entry orders on Kraken per
// execution.shutdown_orders through LiveSession::stop(); the feed stops; the front ends close;
// the writer drains everything queued; the logs are flushed; the InfluxDB buffer is sent (at
// most influxdb.stop_timeout_ms); the lock is released.
// docs/operations.md has the details.

#include <filesystem>
#include <optional>
#include <string_view>

namespace galfriday::app {

enum class RunMode { kPaper, kLive };

std::string_view to_string(RunMode mode);
std::optional<RunMode> parse_run_mode(std::string_view text);

// Exit codes of `galfriday run` (0-2 as for every galfriday command, src/app/cli_common.hpp).
inline constexpr int kRunExitOk = 0;               // shut down in order
inline constexpr int kRunExitFailure = 1;          // could not start, or failed while running
inline constexpr int kRunExitBadInput = 2;         // bad arguments or config, missing secrets
inline constexpr int kRunExitInstanceLocked = 3;   // another instance holds the data directory
inline constexpr int kRunExitReconcileFailed = 4;  // live: reconciliation refused trading

struct RunOptions {
  RunMode mode = RunMode::kPaper;
  std::filesystem::path config_path;
  // The interactive console runs when stdin is a terminal, unless this is set.
  bool no_console = false;
};

class MainAppController {
 public:
  explicit MainAppController(RunOptions options) : options_(std::move(options)) {}

  // Starts, runs the engine loop on this thread until shutdown, stops. Returns the exit code.
  // Blocks SIGINT and SIGTERM for the process (they are taken by a sigwait thread). Call once.
  int run();

 private:
  RunOptions options_;
};

}  // namespace galfriday::app
