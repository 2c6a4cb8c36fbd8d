#pragma once
// DatabaseLogSink: an spdlog sink that stores log lines in the database through the
// AsyncWriter, for LoggerService::add_sink (the app wires it; the log module does not depend
// on persistence).
//
// Each line becomes a LogEvent (severity, logger name as source, message, time) appended to
// the event log under the run id "<run_id>/log" with its own sequence, so it never collides
// with the bus events of the run; read them with read_event_log(db, run_id + "/log"). The
// sink only enqueues: a full queue drops the line and counts it (dropped()); the sink never
// logs itself, so it cannot feed back into the logger. Set a level on the sink
// (sink->set_level(spdlog::level::warn)) to keep chatty levels out of the database.
// Lines reach the sink after the LoggerService's redactor, so secrets are already hidden.

#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "galfriday/persistence/async_writer.hpp"

namespace galfriday::persistence {

class DatabaseLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // The writer must outlive the sink (remove the sink, or destroy the logger, first).
  DatabaseLogSink(AsyncWriter& writer, std::string run_id);

  uint64_t stored() const { return stored_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

  AsyncWriter& writer_;
  std::shared_ptr<const std::string> run_id_;
  uint64_t sequence_ = 0;  // guarded by the base sink's mutex
  std::atomic<uint64_t> stored_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace galfriday::persistence
