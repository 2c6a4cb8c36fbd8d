#pragma once
// The log module: one spdlog logger for the whole process, installed as spdlog's default so
// any code can call spdlog::info(...), with a console sink and a rotating file sink, and a
// secret redactor in front of every sink so API credentials can never reach a log.
//
//   auto logger = logging::LoggerService::create(config.logging, config.data_dir);
//   if (!logger) { /* report logger.status() and exit */ }
//   (*logger)->redactor().add_secret(secrets.api_secret);  // as soon as the secret is loaded
//   (*logger)->attach(bus);  // LogEvent, SystemErrorEvent, PotentialHaltTriggerEvent
//
// The namespace is `logging`, not `log`, so that an unqualified call to the math function
// log() in namespace galfriday is not hidden by a namespace of that name.

#include <spdlog/common.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"

namespace galfriday::logging {

// Every line: UTC ISO-8601 time with microseconds, level (coloured on a terminal), logger or
// event source, message. "2024-05-01T12:00:00.123456Z [info] [galfriday] started"
inline constexpr std::string_view kLogPattern = "%Y-%m-%dT%H:%M:%S.%fZ [%^%l%$] [%n] %v";

// Name of the process-wide logger, shown for lines that do not come from an event source.
inline constexpr std::string_view kDefaultLoggerName = "galfriday";

spdlog::level::level_enum to_spdlog_level(config::LogLevel level);
spdlog::level::level_enum to_spdlog_level(LogSeverity severity);

// Hides registered secrets in text. Thread-safe: secrets may be added while other threads
// redact.
class SecretRedactor {
 public:
  // Shorter strings are ignored: redacting them would mangle ordinary words and numbers.
  static constexpr size_t kMinSecretLength = 6;
  static constexpr std::string_view kPlaceholder = "[REDACTED]";

  // Registers `secret` and its percent-encoded forms (upper- and lower-case hex), so the secret
  // is also hidden inside URLs and form bodies. Empty and short secrets are ignored.
  void add_secret(std::string secret);

  // `text` with every occurrence of every registered form replaced. Overlapping or adjacent
  // occurrences (of one secret or of several) are merged and replaced by one placeholder, so
  // no part of any secret survives.
  std::string redact(std::string_view text) const;

  // Number of distinct registered forms (a secret with '+', '/' or '=' counts three times).
  size_t pattern_count() const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::string> patterns_;  // distinct, longest first
};

// A sink that redacts each message's payload and source (logger name) and forwards the result
// to the sinks it wraps. Putting every real sink behind one of these is what guarantees that a
// secret never reaches any of them. Thread-safe. A pattern or formatter set on this sink is
// passed on to the wrapped sinks.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(std::shared_ptr<const SecretRedactor> redactor);

  // Wraps `sink`: from now on it receives every message this sink receives, redacted.
  void add_sink(spdlog::sink_ptr sink);

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;
  void set_pattern_(const std::string& pattern) override;
  void set_formatter_(std::unique_ptr<spdlog::formatter> sink_formatter) override;

  std::shared_ptr<const SecretRedactor> redactor_;
  std::vector<spdlog::sink_ptr> sinks_;
};

class SourceLogger;  // the spdlog logger, able to log under an event's source name

// Owns the process's logging setup. Create it at startup before other threads log and destroy
// it after they stop: spdlog's default logger must not be replaced while another thread uses
// it. Everything else (logging, add_secret, add_sink, flush) is thread-safe.
class LoggerService {
 public:
  // Sets up the sinks `config` asks for: stderr (coloured on a terminal) when config.console,
  // and a rotating file <dir>/<file_name> when config.file_enabled, where dir is
  // config.file_directory, resolved under `base_dir` (the data dir) when relative, and created
  // if missing. Installs the logger as spdlog's default logger. `redactor` is shared so secrets
  // can be registered by whoever loads them; a fresh one is made when null.
  //
  // Errors: kInvalidArgument for unusable rotation settings or an empty file name;
  // kPermissionDenied when the directory or file may not be created or written;
  // kResourceExhausted when the disk is full; kUnavailable for other I/O failures. The message
  // names the directory or file.
  [[nodiscard]] static Result<std::unique_ptr<LoggerService>> create(
      const config::LoggingConfig& config, const std::filesystem::path& base_dir,
      std::shared_ptr<SecretRedactor> redactor = nullptr);

  LoggerService(const LoggerService&) = delete;
  LoggerService& operator=(const LoggerService&) = delete;
  // Flushes, and restores the previous default logger if this service's logger is still the
  // default. That logger does not redact: destroy the service after the last secret-bearing
  // component has stopped.
  ~LoggerService();

  SecretRedactor& redactor() { return *redactor_; }

  // Adds a non-null sink (a database or metrics sink, a test capture) behind the redactor. The sink
  // gets kLogPattern as its formatter; call sink->set_formatter() afterwards for another.
  void add_sink(spdlog::sink_ptr sink);

  // Subscribes to LogEvent (at its severity, under its source), SystemErrorEvent (error;
  // critical when critical) and PotentialHaltTriggerEvent (warning; critical when critical).
  // The handlers share ownership of the logger, so they stay valid if the service goes first.
  void attach(PubSubManager& bus);

  // Logs `message` under `source` (shown where the logger name usually is), if the configured
  // level lets `severity` through.
  void log(std::string_view source, LogSeverity severity, std::string_view message);

  void flush();

  // The process logger (also spdlog::default_logger() while this service is installed).
  std::shared_ptr<spdlog::logger> logger() const;

  // The active log file, or nullopt when file logging is disabled.
  const std::optional<std::filesystem::path>& log_file() const { return log_file_; }

 private:
  struct Passkey {};  // lets create() use std::make_unique with a private constructor

 public:
  LoggerService(Passkey, std::shared_ptr<SecretRedactor> redactor,
                std::shared_ptr<RedactingSink> redacting_sink, std::shared_ptr<SourceLogger> logger,
                std::optional<std::filesystem::path> log_file);

 private:
  std::shared_ptr<SecretRedactor> redactor_;
  std::shared_ptr<RedactingSink> redacting_sink_;
  std::shared_ptr<SourceLogger> logger_;
  std::shared_ptr<spdlog::logger> previous_default_;
  std::optional<std::filesystem::path> log_file_;
};

}  // namespace galfriday::logging
