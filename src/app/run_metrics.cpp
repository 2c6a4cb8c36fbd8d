#include "run_metrics.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "galfriday/metrics_sink/log_sink.hpp"
#include "galfriday/net/beast_http_transport.hpp"

namespace galfriday::app {
namespace {

// While back-pressure lasts, the warning is repeated at most this often.
constexpr Duration kWarningRepeat = std::chrono::minutes(1);

std::string counters(const metrics_sink::InfluxWriterStats& stats) {
  return std::to_string(stats.written_points) + " point(s) written, " +
         std::to_string(stats.buffered_points) + " buffered, " +
         std::to_string(stats.dropped_points) + " dropped, " +
         std::to_string(stats.rejected_points) + " refused by InfluxDB, " +
         std::to_string(stats.retries) + " retries";
}

}  // namespace

Result<std::unique_ptr<RunMetrics>> RunMetrics::create(const config::InfluxConfig& config,
                                                       const config::InfluxSecrets& secrets) {
  auto problems = std::make_shared<Problems>();
  metrics_sink::InfluxWriterOptions options = metrics_sink::influx_options(config, secrets);
  options.on_error = [problems](const Status& status) {
    std::lock_guard lock(problems->mutex);
    const auto entry = problems->by_code.try_emplace(status.code(), status, uint64_t{0}).first;
    entry->second.first = status;
    ++entry->second.second;
  };
  auto transport = net::BeastHttpTransport::create();
  if (!transport) return transport.status().with_context("influxdb");
  auto writer = metrics_sink::InfluxWriter::create(**transport, std::move(options));
  if (!writer) return writer.status();
  return std::unique_ptr<RunMetrics>(
      new RunMetrics(config, std::move(problems), std::move(*transport), std::move(*writer)));
}

RunMetrics::RunMetrics(const config::InfluxConfig& config, std::shared_ptr<Problems> problems,
                       std::unique_ptr<net::HttpTransport> transport,
                       std::unique_ptr<metrics_sink::InfluxWriter> writer)
    : config_(config),
      problems_(std::move(problems)),
      transport_(std::move(transport)),
      writer_(std::move(writer)) {}

RunMetrics::~RunMetrics() {
  if (timer_) scheduler_->cancel(*timer_);
}

void RunMetrics::attach_logger(logging::LoggerService& logger) {
  auto sink = std::make_shared<metrics_sink::InfluxLogSink>(*writer_);
  sink->set_level(spdlog::level::info);
  logger.add_sink(std::move(sink));
}

void RunMetrics::attach(PubSubManager& bus, Scheduler& scheduler, PortfolioProbe portfolio,
                        const persistence::AsyncWriter& db_writer) {
  recorder_ = std::make_unique<metrics_sink::MetricsRecorder>(bus, *writer_);
  scheduler_ = &scheduler;
  portfolio_ = std::move(portfolio);
  db_writer_ = &db_writer;
  timer_ = scheduler.schedule_every(std::chrono::milliseconds(config_.sample_interval_ms),
                                    [this] { sample(); });
  spdlog::info("metrics to InfluxDB at {} every {} ms (buffer {} points)", config_.url,
               config_.sample_interval_ms, config_.max_buffered_points);
}

void RunMetrics::detach() {
  if (!recorder_) return;
  sample();
  scheduler_->cancel(*timer_);
  timer_.reset();
  recorder_.reset();
  portfolio_ = nullptr;
  db_writer_ = nullptr;
}

void RunMetrics::stop() {
  if (stopped_) return;
  stopped_ = true;
  writer_->stop();
  const metrics_sink::InfluxWriterStats stats = writer_->stats();
  std::string problems;
  {
    std::lock_guard lock(problems_->mutex);
    for (const auto& [code, problem] : problems_->by_code)
      problems += "; " + problem.first.message();
    problems_->by_code.clear();
  }
  const bool lost = stats.dropped_points > 0 || stats.rejected_points > 0;
  spdlog::log(lost ? spdlog::level::warn : spdlog::level::info,
              "metrics: InfluxDB writer stopped: {}{}", counters(stats), problems);
}

void RunMetrics::sample() {
  const Timestamp now = scheduler_->clock().now();
  if (portfolio_) {
    const PortfolioState state = portfolio_();
    recorder_->record_equity(now, state.valuation_currency, state.equity, state.cash,
                             state.drawdown_pct);
    for (const PositionView& position : state.positions) {
      recorder_->record_position(now, position.instrument.str(), position.qty,
                                 position.market_value, position.unrealized_pnl);
    }
  }
  recorder_->record_engine_queue(now);
  if (db_writer_ != nullptr) {
    const persistence::WriterStats db = db_writer_->stats();
    recorder_->record_queue_depth(now, "db_writer", db.queue_depth, db.capacity);
  }
  const metrics_sink::InfluxWriterStats stats = writer_->stats();
  recorder_->record_queue_depth(now, "influx", stats.buffered_points,
                                static_cast<size_t>(config_.max_buffered_points));
  recorder_->record_writer_stats(now, stats);
  report_back_pressure(now, stats);
}

void RunMetrics::report_back_pressure(Timestamp now, const metrics_sink::InfluxWriterStats& stats) {
  std::map<StatusCode, std::pair<Status, uint64_t>> reported;
  {
    std::lock_guard lock(problems_->mutex);
    reported.swap(problems_->by_code);
  }
  // Drops go on without a new report while the buffer stays full.
  if (stats.dropped_points > warned_dropped_ &&
      !reported.contains(StatusCode::kResourceExhausted)) {
    reported.try_emplace(StatusCode::kResourceExhausted,
                         Status(StatusCode::kResourceExhausted,
                                "metrics: the InfluxDB buffer is full; " +
                                    std::to_string(stats.dropped_points - warned_dropped_) +
                                    " more point(s) dropped"),
                         uint64_t{1});
  }
  bool warned = false;
  for (const auto& [code, problem] : reported) {
    const auto last = last_warning_.find(code);
    if (last != last_warning_.end() && now - last->second < kWarningRepeat) continue;
    const auto& [status, count] = problem;
    spdlog::warn("metrics back-pressure, trading continues: {}{}; InfluxDB writer: {}",
                 status.message(),
                 count > 1 ? " (reported " + std::to_string(count) + " times)" : std::string(),
                 counters(stats));
    last_warning_[code] = now;
    warned = true;
  }
  if (warned) {
    troubled_ = true;
    warned_dropped_ = stats.dropped_points;
    warned_written_ = stats.written_points;
    return;
  }
  if (troubled_ && reported.empty() && stats.written_points > warned_written_) {
    spdlog::info("metrics: InfluxDB writes resumed; InfluxDB writer: {}", counters(stats));
    troubled_ = false;
    last_warning_.clear();  // the next outage is reported at once
  }
}

}  // namespace galfriday::app
