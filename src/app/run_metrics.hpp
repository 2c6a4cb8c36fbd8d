#pragma once
// RunMetrics: the InfluxDB metrics of `galfriday run` (config section influxdb,
// docs/persistence.md). MainAppController creates it when influxdb.enabled is true:
//
//   create()          right after logging: checks the settings and starts the InfluxWriter (no
//                     network I/O yet, so an unreachable InfluxDB cannot fail the start)
//   attach_logger()   the `log` measurement: every log line at info and above
//   attach()          once the pipeline is wired: the MetricsRecorder on the bus (market data,
//                     features, predictions, fills, latency) and a scheduler timer that every
//                     influxdb.sample_interval_ms records portfolio equity, open positions, the
//                     depths of the engine queue, the database writer queue and the InfluxDB
//                     buffer, and the InfluxWriter's own counters (metrics_recorder.hpp lists
//                     the measurements)
//   detach()          after the engine stopped: one last sample, then off the bus and timer
//   stop()            sends what is buffered (at most influxdb.stop_timeout_ms), stops the
//                     writer and logs what was written and dropped
//
// InfluxDB never holds up trading: the engine thread only formats lines into the writer's
// bounded buffer. While InfluxDB is slow or away the writer retries with backoff; when the
// buffer is full, new points are dropped and counted. That back-pressure is visible: warnings
// in the log with the writer's counters (a new kind of problem at once, the same kind again at
// most once a minute while it lasts), a line when writes resume, the `metrics_writer`
// measurement (the counters, in InfluxDB once it is reachable) and the summary line at
// shutdown. Metrics never change the exit code.
//
// Threading: engine thread, except that the writer's error hook runs on the writer's (or a
// logging) thread; it only records the problem, which the engine-thread sampler then logs (a
// log call from inside a log sink would deadlock on the sink's lock).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/log/logger.hpp"
#include "galfriday/metrics_sink/influx_writer.hpp"
#include "galfriday/metrics_sink/metrics_recorder.hpp"
#include "galfriday/net/http.hpp"
#include "galfriday/persistence/async_writer.hpp"
#include "galfriday/portfolio/portfolio_manager.hpp"

namespace galfriday::app {

class RunMetrics {
 public:
  using PortfolioProbe = std::function<PortfolioState()>;

  // The writer for `config` (influx_options) with the secrets of config::load_influx_secrets
  // (the caller registers them with the log redactor first). kInvalidArgument naming the
  // setting when the settings cannot work (a 2.x config without org, bucket or token).
  static Result<std::unique_ptr<RunMetrics>> create(const config::InfluxConfig& config,
                                                    const config::InfluxSecrets& secrets);
  ~RunMetrics();
  RunMetrics(const RunMetrics&) = delete;
  RunMetrics& operator=(const RunMetrics&) = delete;

  // Log lines at info and above become points of the `log` measurement. The logger's sink
  // refers to the writer: destroy the logger first.
  void attach_logger(logging::LoggerService& logger);

  // Engine thread. The bus, scheduler and database writer must outlive this object (or its
  // detach()); `portfolio` is called on the engine thread at each sample.
  void attach(PubSubManager& bus, Scheduler& scheduler, PortfolioProbe portfolio,
              const persistence::AsyncWriter& db_writer);

  // Engine thread, once the engine has stopped: a last sample, then no more points from the
  // bus or the timer. Idempotent.
  void detach();

  // Sends what is buffered (giving up after influxdb.stop_timeout_ms), stops the writer and
  // logs a summary. Idempotent.
  void stop();

  metrics_sink::InfluxWriterStats stats() const { return writer_->stats(); }

 private:
  // What the writer's error hook reported since the engine last looked: the latest report of
  // each kind (status code) and how many there were.
  struct Problems {
    std::mutex mutex;
    std::map<StatusCode, std::pair<Status, uint64_t>> by_code;
  };

  RunMetrics(const config::InfluxConfig& config, std::shared_ptr<Problems> problems,
             std::unique_ptr<net::HttpTransport> transport,
             std::unique_ptr<metrics_sink::InfluxWriter> writer);
  void sample();
  // Logs back-pressure (and its end) from the writer's counters and reported problems.
  void report_back_pressure(Timestamp now, const metrics_sink::InfluxWriterStats& stats);

  const config::InfluxConfig config_;
  std::shared_ptr<Problems> problems_;  // shared with the writer's error hook
  std::unique_ptr<net::HttpTransport> transport_;
  std::unique_ptr<metrics_sink::InfluxWriter> writer_;
  std::unique_ptr<metrics_sink::MetricsRecorder> recorder_;

  Scheduler* scheduler_ = nullptr;
  std::optional<TimerId> timer_;
  PortfolioProbe portfolio_;
  const persistence::AsyncWriter* db_writer_ = nullptr;

  bool stopped_ = false;
  bool troubled_ = false;  // a back-pressure warning was logged and writes have not resumed
  // When each kind of problem was last logged: a new kind is logged at once, the same kind
  // again at most once per kWarningRepeat.
  std::map<StatusCode, Timestamp> last_warning_;
  uint64_t warned_dropped_ = 0;  // dropped_points at the last warning
  uint64_t warned_written_ = 0;  // written_points at the last warning
};

}  // namespace galfriday::app
