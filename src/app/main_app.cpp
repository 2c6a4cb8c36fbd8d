#include "galfriday/app/main_app.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "galfriday/app/pipeline.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/feed/market_data_feed.hpp"
#include "galfriday/live/live_session.hpp"
#include "galfriday/log/logger.hpp"
#include "galfriday/monitoring/console.hpp"
#include "galfriday/monitoring/control_socket.hpp"
#include "galfriday/monitoring/dashboard.hpp"
#include "galfriday/monitoring/monitoring_service.hpp"
#include "galfriday/persistence/async_writer.hpp"
#include "galfriday/persistence/event_log.hpp"
#include "galfriday/persistence/log_sink.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/write_failures.hpp"
#include "run_metrics.hpp"
#include "run_recorder.hpp"

namespace galfriday::app {

std::string_view to_string(RunMode mode) {
  switch (mode) {
    case RunMode::kPaper:
      return "paper";
    case RunMode::kLive:
      return "live";
  }
  return "?";
}

std::optional<RunMode> parse_run_mode(std::string_view text) {
  if (text == "paper") return RunMode::kPaper;
  if (text == "live") return RunMode::kLive;
  return std::nullopt;
}

namespace {

// How long a front end waits for the engine to answer one operator command.
constexpr Duration kCommandTimeout = std::chrono::seconds(10);
// The longest the engine sleeps when no timer is due and nothing is posted: bounds how late a
// stop request set without a wake is seen.
constexpr Duration kMaxIdleWait = std::chrono::milliseconds(250);

// Prints "error: ..." to stderr (the operator's terminal; the log may not exist yet) and to the
// log when it does, and returns `code`.
int report(int code, const std::string& message) {
  std::cerr << "error: " << message << "\n";
  spdlog::error("{}", message);
  return code;
}

int exit_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange:
    case StatusCode::kPermissionDenied:
      return kRunExitBadInput;
    default:
      return kRunExitFailure;
  }
}

// SIGINT/SIGTERM are blocked in every thread (the mask is inherited by threads started later)
// and taken here with sigwait, so no handler ever runs inside library code: the thread only
// sets the flag and wakes the engine.
class StopSignals {
 public:
  StopSignals(std::atomic<bool>& stop_requested, std::atomic<int>& signal_number,
              PubSubManager& bus) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this, &stop_requested, &signal_number, &bus] {
      for (;;) {
        int taken = 0;
        if (sigwait(&signals_, &taken) != 0) continue;
        if (closing_.load()) return;
        signal_number.store(taken);
        stop_requested.store(true);
        bus.wake();
      }
    });
  }
  ~StopSignals() {
    closing_.store(true);
    // Directed at the waiting thread, so it (and not the process default action) takes it.
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  sigset_t signals_{};
  std::atomic<bool> closing_{false};
  std::thread thread_;
};

// Everything one run owns. Members are destroyed in reverse order of declaration, which is the
// order that keeps references valid: the front ends and the feed go before the services they
// call, the logger before the writers its database and InfluxDB sinks enqueue into, the writer
// (which may still post a failure while it drains) before the bus, and the lock last.
struct Runtime {
  RunOptions options;
  config::Config config;
  std::unique_ptr<monitoring::InstanceLock> lock;
  LiveClock clock;
  PubSubManager bus{clock};
  Scheduler scheduler{clock};
  std::atomic<bool> stop_requested{false};
  std::atomic<int> stop_signal{0};
  std::string stop_reason;
  std::shared_ptr<persistence::WriteFailureAlarm> alarm;
  std::unique_ptr<persistence::AsyncWriter> writer;
  std::unique_ptr<RunMetrics> metrics;  // influxdb.enabled only
  std::unique_ptr<logging::LoggerService> logger;
  std::string run_id;
  std::unique_ptr<persistence::Database> db;  // engine thread: halt state, live session
  persistence::Repositories repositories;     // over `db`
  InstrumentRegistry instruments;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<monitoring::HaltCoordinator> coordinator;
  std::unique_ptr<persistence::EventLogRecorder> event_log;
  std::unique_ptr<TradeRecorder> trades;
  std::unique_ptr<monitoring::MonitoringService> monitor;
  std::unique_ptr<monitoring::ActivityLog> activity;
  std::unique_ptr<monitoring::CommandGateway> gateway;
  std::unique_ptr<monitoring::CliService> cli;
  std::unique_ptr<monitoring::ControlServer> control;
  std::unique_ptr<monitoring::Dashboard> dashboard;
  std::unique_ptr<monitoring::Console> console;
  std::thread console_thread;
  std::unique_ptr<live::LiveSession> session;
  std::unique_ptr<feed::MarketDataFeed> market_feed;

  ~Runtime() {
    if (console) console->stop();
    if (console_thread.joinable()) console_thread.join();
  }

  PortfolioState portfolio_state() const { return pipeline->portfolio().state(); }

  int start();
  void engine_loop();
  int stop();
};

int Runtime::start() {
  auto loaded = config::load_config_file(options.config_path);
  for (const auto& warning : loaded.warnings) {
    std::cerr << options.config_path.string() << ": warning: " << warning.to_string() << "\n";
  }
  for (const auto& error : loaded.errors) {
    std::cerr << options.config_path.string() << ": error: " << error.to_string() << "\n";
  }
  if (!loaded.config) return kRunExitBadInput;
  config = std::move(*loaded.config);

  // First the lock: a second instance must change nothing, not even the log file.
  auto locked = monitoring::InstanceLock::acquire(config.data_dir);
  if (!locked) {
    return report(locked.status().code() == StatusCode::kFailedPrecondition
                      ? kRunExitInstanceLocked
                      : exit_code_for(locked.status()),
                  locked.status().message());
  }
  lock = std::move(*locked);

  auto created_logger = logging::LoggerService::create(config.logging, config.data_dir);
  if (!created_logger)
    return report(exit_code_for(created_logger.status()), created_logger.status().message());
  logger = std::move(*created_logger);
  logger->attach(bus);
  run_id = std::string(to_string(options.mode)) + "-" + format_iso8601(clock.now()) + "-" +
           std::to_string(::getpid());
  spdlog::info("galfriday run --mode {}: config {}, data_dir {}, run id {}",
               to_string(options.mode), options.config_path.string(), config.data_dir.string(),
               run_id);

  std::optional<config::Secrets> secrets;
  if (options.mode == RunMode::kLive) {
    auto loaded_secrets = config::load_secrets(config.kraken);
    if (!loaded_secrets) {
      return report(exit_code_for(loaded_secrets.status()),
                    "live mode needs the Kraken API key and secret (KRAKEN_API_KEY and "
                    "KRAKEN_API_SECRET, or kraken.credentials_file): " +
                        loaded_secrets.status().message());
    }
    // Registered before anything can log them.
    logger->redactor().add_secret(loaded_secrets->api_key);
    logger->redactor().add_secret(loaded_secrets->api_secret);
    secrets = std::move(*loaded_secrets);
  }

  // InfluxDB before the database: bad settings end the start before anything is migrated.
  // Nothing here touches the network, so an unreachable InfluxDB cannot stop trading.
  if (config.influxdb.enabled) {
    auto influx_secrets = config::load_influx_secrets(config.influxdb);
    if (!influx_secrets) {
      return report(exit_code_for(influx_secrets.status()), influx_secrets.status().message());
    }
    // Registered before anything can log them.
    logger->redactor().add_secret(influx_secrets->token);
    logger->redactor().add_secret(influx_secrets->password);
    auto created_metrics = RunMetrics::create(config.influxdb, *influx_secrets);
    if (!created_metrics) {
      return report(exit_code_for(created_metrics.status()), created_metrics.status().message());
    }
    metrics = std::move(*created_metrics);
    metrics->attach_logger(*logger);
  }

  // The database: one connection for the engine thread (halt state; the live session's
  // repositories) and one owned by the writer thread.
  auto target = persistence::resolve_database(config.database, config.data_dir,
                                              std::getenv(persistence::kDatabaseUrlEnv));
  if (!target) return report(exit_code_for(target.status()), target.status().message());
  auto opened = persistence::open_database(*target);
  if (!opened) return report(kRunExitFailure, opened.status().message());
  db = std::move(*opened);
  if (const Status migrated = persistence::migrate(*db, clock); !migrated.is_ok()) {
    return report(kRunExitFailure, migrated.with_context(target->description).message());
  }
  repositories = persistence::make_sql_repositories(*db);
  auto writer_db = persistence::open_database(*target);
  if (!writer_db) return report(kRunExitFailure, writer_db.status().message());
  alarm = std::make_shared<persistence::WriteFailureAlarm>(bus);
  persistence::AsyncWriterOptions writer_options;
  writer_options.on_error = [alarm = alarm](const persistence::WriteFailure& failure) {
    alarm->on_failure(failure);
  };
  writer_options.on_pressure = [this](const persistence::PressureReport& pressure) {
    bus.post(monitoring::persistence_pressure_signal(pressure));
  };
  writer = std::make_unique<persistence::AsyncWriter>(std::move(*writer_db), writer_options);
  auto log_sink = std::make_shared<persistence::DatabaseLogSink>(*writer, run_id);
  log_sink->set_level(spdlog::level::info);
  logger->add_sink(log_sink);
  spdlog::info("database {}: schema up to date", target->description);

  auto built = build_instruments(config);
  if (!built) return report(kRunExitBadInput, built.status().message());
  instruments = std::move(*built);

  PipelineOptions pipeline_options;
  pipeline_options.simulated_exchange = options.mode == RunMode::kPaper;
  auto created_pipeline = Pipeline::create(config, instruments, clock, bus, pipeline_options);
  if (!created_pipeline) {
    return report(exit_code_for(created_pipeline.status()), created_pipeline.status().message());
  }
  pipeline = std::move(*created_pipeline);

  // Every event from here on is in the event log, the restored halt included.
  event_log = std::make_unique<persistence::EventLogRecorder>(bus, *writer, run_id);
  if (options.mode == RunMode::kPaper) {
    trades = std::make_unique<TradeRecorder>(*writer, run_id);
    trades->attach(bus);
  }
  if (metrics) {
    metrics->attach(
        bus, scheduler, [this] { return portfolio_state(); }, *writer);
  }

  const auto probe = [this] { return portfolio_state(); };
  coordinator = std::make_unique<monitoring::HaltCoordinator>(
      bus, clock, *repositories.halts,
      config.monitoring.position_behavior == config::HaltPositionBehavior::kClose
          ? HaltAction::kClosePositions
          : HaltAction::kMaintainPositions,
      probe);
  // Before any market data: a process that stopped halted comes back halted, and risk and
  // execution see HALTED before the first signal could be made.
  if (const Status restored = coordinator->restore(); !restored.is_ok()) {
    return report(kRunExitFailure, "cannot read the persisted halt state: " + restored.message());
  }
  bus.run_until_idle();
  if (coordinator->halted()) {
    spdlog::warn(
        "starting HALTED (persisted halt): complete the recovery checklist and "
        "`resume` to trade");
  }

  std::vector<InstrumentId> pairs;
  for (const InstrumentSpec& spec : instruments.all()) pairs.push_back(spec.id);
  monitor = std::make_unique<monitoring::MonitoringService>(config.monitoring, pairs, *coordinator,
                                                            scheduler, probe);
  monitor->attach(bus);
  activity = std::make_unique<monitoring::ActivityLog>(probe);
  activity->attach(bus);
  activity->sample_equity();
  gateway = std::make_unique<monitoring::CommandGateway>(bus);
  cli = std::make_unique<monitoring::CliService>(*coordinator, monitor.get(), activity.get(), probe,
                                                 clock, [this] {
                                                   stop_reason = "`shutdown` command";
                                                   stop_requested.store(true);
                                                 });
  cli->attach(bus, *gateway);

  auto server = monitoring::ControlServer::start(config.data_dir, *gateway, kCommandTimeout);
  if (!server) return report(exit_code_for(server.status()), server.status().message());
  control = std::move(*server);
  spdlog::info("control socket {}", control->path().string());

  if (config.monitoring.dashboard_enabled) {
    const char* env_token = std::getenv(std::string(monitoring::kDashboardTokenEnv).c_str());
    auto token = monitoring::load_dashboard_token(config.monitoring, config.data_dir, env_token);
    if (!token) return report(exit_code_for(token.status()), token.status().message());
    monitoring::DashboardOptions dashboard_options;
    dashboard_options.bind_address = config.monitoring.dashboard_bind_address;
    dashboard_options.port = static_cast<uint16_t>(config.monitoring.dashboard_port);
    auto started = monitoring::Dashboard::start(dashboard_options, *gateway, std::move(*token));
    if (!started) return report(kRunExitFailure, started.status().to_string());
    dashboard = std::move(*started);
    spdlog::info("dashboard on http://{}:{}/", dashboard_options.bind_address, dashboard->port());
  }

  if (options.mode == RunMode::kLive) {
    auto created_session = live::LiveSession::create(config, instruments, *secrets, repositories,
                                                     bus, clock, scheduler);
    if (!created_session) {
      return report(exit_code_for(created_session.status()), created_session.status().message());
    }
    session = std::move(*created_session);
    auto reconciled = session->start();
    bus.run_until_idle();
    if (!reconciled) {
      return report(kRunExitReconcileFailed, "reconciliation with Kraken failed; not trading: " +
                                                 reconciled.status().message());
    }
    spdlog::info("live session started: reconciliation done");
  }

  auto feed_created =
      feed::MarketDataFeed::create(feed::market_data_feed_options(config, instruments.all()), clock,
                                   [this](Event event) { bus.post(std::move(event)); });
  if (!feed_created) {
    return report(exit_code_for(feed_created.status()), feed_created.status().message());
  }
  market_feed = std::move(*feed_created);
  market_feed->attach_timer(scheduler);
  market_feed->start();
  spdlog::info("market data from {}", config.kraken.ws_url);

  // The console last: from its first prompt on, every command works.
  if (!options.no_console && ::isatty(STDIN_FILENO) == 1) {
    console =
        std::make_unique<monitoring::Console>(*gateway, STDIN_FILENO, std::cout, kCommandTimeout);
    console_thread = std::thread([this] {
      console->run();
      // `quit` leaves the console only; the process runs on until a signal or `shutdown`.
    });
  }
  spdlog::info("galfriday running ({} mode, {})", to_string(options.mode),
               coordinator->halted() ? "HALTED" : "RUNNING");
  return kRunExitOk;
}

void Runtime::engine_loop() {
  while (!stop_requested.load()) {
    Duration wait = kMaxIdleWait;
    if (const auto next = scheduler.next_deadline()) {
      wait = std::clamp<Duration>(*next - clock.now(), Duration::zero(), kMaxIdleWait);
    }
    bus.wait_for_posted(wait);
    scheduler.run_due();
    bus.run_until_idle();
  }
}

int Runtime::stop() {
  if (const int signal_number = stop_signal.load(); signal_number != 0) {
    stop_reason = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
  }
  spdlog::info("shutting down ({})", stop_reason);
  // No new signals or entries from here on: risk rejects and the simulated exchange refuses
  // entries unless RUNNING.
  SystemStateEvent stopping;
  stopping.state = SystemState::kStopping;
  stopping.reason = "shutdown: " + stop_reason;
  bus.publish(std::move(stopping));
  bus.run_until_idle();

  int code = kRunExitOk;
  // execution.shutdown_orders: Kraken's open entry orders are cancelled or left open; the
  // simulated exchange (paper) cancelled its orders on STOPPING, as none can outlive the process.
  const bool cancel_orders = config.execution.shutdown_orders == config::ShutdownOrders::kCancel;
  if (!session && !cancel_orders) {
    spdlog::warn(
        "execution.shutdown_orders is keep, but paper orders exist only in this process: "
        "they were cancelled");
  }
  if (session) {
    const Status stopped = session->stop(cancel_orders, /*cancel_all=*/false);
    // The CANCELED reports of the entries Kraken confirmed (stop() asked it over REST, the
    // executions channel being closed): to the event log, before the writer drains below.
    bus.run_until_idle();
    if (!stopped.is_ok()) {
      code = report(kRunExitFailure, "live session did not stop cleanly: " + stopped.message());
    }
  }
  if (market_feed) market_feed->stop();
  if (console) console->stop();
  if (console_thread.joinable()) console_thread.join();
  control.reset();
  dashboard.reset();
  // What the feed and the front ends posted before they stopped.
  bus.run_until_idle();
  event_log.reset();
  trades.reset();
  // The portfolio at shutdown is the last sample.
  if (metrics) metrics->detach();

  spdlog::info("draining the database writer");
  logger->flush();
  writer->flush();
  const persistence::WriterStats stats = writer->stats();
  spdlog::info("stopped: {} database writes committed, {} failed, {} refused", stats.committed,
               stats.failed, stats.rejected);
  // The last lines reach the database too; then the writer ends.
  writer->stop();
  logger->flush();
  // InfluxDB last, so the shutdown's log lines reach it; at most influxdb.stop_timeout_ms.
  if (metrics) metrics->stop();
  if (stats.failed > 0 || alarm->failures() > 0) {
    code = report(kRunExitFailure, std::to_string(stats.failed) +
                                       " database write(s) failed during the run; see the log");
  }
  return code;
}

}  // namespace

int MainAppController::run() {
  Runtime runtime;
  runtime.options = options_;
  StopSignals signals(runtime.stop_requested, runtime.stop_signal, runtime.bus);
  const int started = runtime.start();
  if (started != kRunExitOk) return started;
  runtime.engine_loop();
  return runtime.stop();
}

}  // namespace galfriday::app
