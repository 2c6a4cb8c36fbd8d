#include "galfriday/persistence/log_sink.hpp"

#include "galfriday/persistence/sql_repositories.hpp"

namespace galfriday::persistence {
namespace {

LogSeverity severity_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LogSeverity::kDebug;
    case spdlog::level::info:
      return LogSeverity::kInfo;
    case spdlog::level::warn:
      return LogSeverity::kWarning;
    case spdlog::level::err:
      return LogSeverity::kError;
    default:
      return LogSeverity::kCritical;
  }
}

}  // namespace

DatabaseLogSink::DatabaseLogSink(AsyncWriter& writer, std::string run_id)
    : writer_(writer), run_id_(std::make_shared<const std::string>(std::move(run_id) + "/log")) {}

void DatabaseLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  try {
    LogEvent event;
    event.meta.sequence = ++sequence_;
    // spdlog stamps the line with the system clock; that is the log's own time, not ours.
    event.meta.ts_event = std::chrono::time_point_cast<Duration>(msg.time);
    event.meta.ts_init = event.meta.ts_event;
    event.severity = severity_of(msg.level);
    event.source = std::string(msg.logger_name.begin(), msg.logger_name.end());
    event.message = std::string(msg.payload.begin(), msg.payload.end());
    const Status queued = writer_.enqueue(
        "append log line", [run_id = run_id_, event = Event(std::move(event))](Database& db) {
          return SqlEventLogRepository(db).append(*run_id, event);
        });
    if (queued.is_ok()) {
      stored_.fetch_add(1, std::memory_order_relaxed);
    } else {
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (...) {  // a log sink must not throw into the logger
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace galfriday::persistence
