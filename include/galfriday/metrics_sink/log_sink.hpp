#pragma once
// InfluxLogSink: an spdlog sink that writes each log line to InfluxDB as a point of the
// measurement `log` [level, source] with the string field `message`, for
// LoggerService::add_sink (the app wires it). Only enqueues into the InfluxWriter; a full
// buffer drops the line (the writer counts it). Lines arrive after the LoggerService's
// redactor. Set a level on the sink to keep chatty levels out.

#include <spdlog/sinks/base_sink.h>

#include <mutex>

#include "galfriday/metrics_sink/influx_writer.hpp"

namespace galfriday::metrics_sink {

class InfluxLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // The writer must outlive the sink.
  explicit InfluxLogSink(InfluxWriter& writer) : writer_(writer) {}

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

  InfluxWriter& writer_;
};

}  // namespace galfriday::metrics_sink
