#include "galfriday/metrics_sink/log_sink.hpp"

namespace galfriday::metrics_sink {

void InfluxLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  try {
    Point point;
    point.measurement = "log";
    const auto level = spdlog::level::to_string_view(msg.level);
    point.tag("level", std::string(level.begin(), level.end()));
    point.tag("source", std::string(msg.logger_name.begin(), msg.logger_name.end()));
    point.field("message", std::string(msg.payload.begin(), msg.payload.end()));
    // spdlog stamps the line with the system clock; that is the log's own time.
    point.time = std::chrono::time_point_cast<Duration>(msg.time);
    (void)writer_.write(point);  // a drop is counted by the writer
  } catch (...) {                // a log sink must not throw into the logger
  }
}

}  // namespace galfriday::metrics_sink
