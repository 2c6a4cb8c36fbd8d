// LoggerService: sink setup, the default logger, and logging of bus events.

#include "galfriday/log/logger.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <system_error>
#include <utility>

namespace galfriday::logging {

namespace fs = std::filesystem;

namespace {

// Shown as the source of an event that names none.
constexpr std::string_view kUnknownSource = "unknown";
// Warnings and worse reach the file at once, so they survive a crash that follows them.
constexpr spdlog::level::level_enum kFlushLevel = spdlog::level::warn;
// spdlog's rotating file sink refuses more backups than this.
constexpr int kMaxBackupCount = 200000;

std::unique_ptr<spdlog::formatter> make_formatter() {
  return std::make_unique<spdlog::pattern_formatter>(std::string(kLogPattern),
                                                     spdlog::pattern_time_type::utc);
}

Status io_error(std::error_code error, const std::string& what) {
  std::string message = what + ": " + error.message();
  if (error == std::errc::permission_denied || error == std::errc::operation_not_permitted ||
      error == std::errc::read_only_file_system) {
    return permission_denied(std::move(message));
  }
  if (error == std::errc::no_space_on_device) {
    return {StatusCode::kResourceExhausted, std::move(message)};
  }
  return unavailable(std::move(message));
}

Status validate_file_settings(const config::LoggingConfig& config) {
  if (config.file_name.empty()) return invalid_argument("logging.file_name is empty");
  if (fs::path(config.file_name).has_parent_path()) {
    return invalid_argument("logging.file_name '" + config.file_name +
                            "' must be a plain file name; put the directory in "
                            "logging.file_directory");
  }
  if (config.file_max_bytes <= 0) {
    return invalid_argument("logging.file_max_bytes must be positive, got " +
                            std::to_string(config.file_max_bytes));
  }
  if (config.file_backup_count < 0 || config.file_backup_count > kMaxBackupCount) {
    return invalid_argument("logging.file_backup_count must be between 0 and " +
                            std::to_string(kMaxBackupCount) + ", got " +
                            std::to_string(config.file_backup_count));
  }
  return Status::ok();
}

// Creates the directory and checks that the file can be opened for appending, so a problem is
// reported with its cause (spdlog would only say "failed opening file").
Status prepare_log_file(const fs::path& directory, const fs::path& file) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    return io_error(
        error, "cannot create log directory '" + directory.string() + "' (logging.file_directory)");
  }
  std::FILE* probe = std::fopen(file.c_str(), "ab");
  if (probe == nullptr) {
    const int open_errno = errno;
    return io_error(std::error_code(open_errno, std::generic_category()),
                    "cannot open log file '" + file.string() + "' in log directory '" +
                        directory.string() + "' for writing");
  }
  std::fclose(probe);
  return Status::ok();
}

}  // namespace

// The process logger. Besides spdlog's usual API it can log a message under another name (an
// event's source) without creating a logger per source.
class SourceLogger final : public spdlog::logger {
 public:
  using spdlog::logger::logger;

  void log_from(std::string_view source, spdlog::level::level_enum level,
                std::string_view message) {
    const bool log_enabled = should_log(level);
    const bool traceback_enabled = tracer_.enabled();
    if (!log_enabled && !traceback_enabled) return;
    const std::string_view name = source.empty() ? kUnknownSource : source;
    // Like spdlog's own log calls: a failure goes to the logger's error handler and never
    // reaches the caller (often a bus handler).
    try {
      const spdlog::details::log_msg msg(spdlog::source_loc{},
                                         spdlog::string_view_t(name.data(), name.size()), level,
                                         spdlog::string_view_t(message.data(), message.size()));
      log_it_(msg, log_enabled, traceback_enabled);
    } catch (const std::exception& e) {
      err_handler_(e.what());
    } catch (...) {
      err_handler_("unknown exception while logging");
    }
  }
};

spdlog::level::level_enum to_spdlog_level(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace:
      return spdlog::level::trace;
    case config::LogLevel::kDebug:
      return spdlog::level::debug;
    case config::LogLevel::kInfo:
      return spdlog::level::info;
    case config::LogLevel::kWarn:
      return spdlog::level::warn;
    case config::LogLevel::kError:
      return spdlog::level::err;
    case config::LogLevel::kCritical:
      return spdlog::level::critical;
  }
  return spdlog::level::info;
}

spdlog::level::level_enum to_spdlog_level(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return spdlog::level::debug;
    case LogSeverity::kInfo:
      return spdlog::level::info;
    case LogSeverity::kWarning:
      return spdlog::level::warn;
    case LogSeverity::kError:
      return spdlog::level::err;
    case LogSeverity::kCritical:
      return spdlog::level::critical;
  }
  return spdlog::level::info;
}

Result<std::unique_ptr<LoggerService>> LoggerService::create(
    const config::LoggingConfig& config, const fs::path& base_dir,
    std::shared_ptr<SecretRedactor> redactor) {
  if (!redactor) redactor = std::make_shared<SecretRedactor>();
  auto redacting_sink = std::make_shared<RedactingSink>(redactor);
  std::optional<fs::path> log_file;
  try {
    if (config.console) {
      auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
      console->set_formatter(make_formatter());
      redacting_sink->add_sink(std::move(console));
    }
    if (config.file_enabled) {
      GF_RETURN_IF_ERROR(validate_file_settings(config));
      const fs::path directory = config.file_directory.is_absolute()
                                     ? config.file_directory
                                     : base_dir / config.file_directory;
      const fs::path file = directory / config.file_name;
      GF_RETURN_IF_ERROR(prepare_log_file(directory, file));
      auto rotating = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          file.string(), static_cast<size_t>(config.file_max_bytes),
          static_cast<size_t>(config.file_backup_count));
      rotating->set_formatter(make_formatter());
      redacting_sink->add_sink(std::move(rotating));
      log_file = file;
    }
  } catch (const std::exception& e) {
    return unavailable(std::string("setting up log sinks: ") + e.what());
  }

  auto logger = std::make_shared<SourceLogger>(std::string(kDefaultLoggerName), redacting_sink);
  logger->set_level(to_spdlog_level(config.level));
  logger->flush_on(kFlushLevel);
  return std::make_unique<LoggerService>(Passkey{}, std::move(redactor), std::move(redacting_sink),
                                         std::move(logger), std::move(log_file));
}

LoggerService::LoggerService(Passkey, std::shared_ptr<SecretRedactor> redactor,
                             std::shared_ptr<RedactingSink> redacting_sink,
                             std::shared_ptr<SourceLogger> logger, std::optional<fs::path> log_file)
    : redactor_(std::move(redactor)),
      redacting_sink_(std::move(redacting_sink)),
      logger_(std::move(logger)),
      previous_default_(spdlog::default_logger()),
      log_file_(std::move(log_file)) {
  spdlog::set_default_logger(logger_);
}

LoggerService::~LoggerService() {
  flush();
  if (spdlog::default_logger_raw() == logger_.get()) {
    spdlog::set_default_logger(std::move(previous_default_));
  }
}

void LoggerService::add_sink(spdlog::sink_ptr sink) {
  sink->set_formatter(make_formatter());
  redacting_sink_->add_sink(std::move(sink));
}

void LoggerService::attach(PubSubManager& bus) {
  const std::shared_ptr<SourceLogger> logger = logger_;
  bus.subscribe<LogEvent>(
      [logger](const LogEvent& event) {
        logger->log_from(event.source, to_spdlog_level(event.severity), event.message);
      },
      "logger.LogEvent");
  bus.subscribe<SystemErrorEvent>(
      [logger](const SystemErrorEvent& event) {
        logger->log_from(event.source,
                         event.critical ? spdlog::level::critical : spdlog::level::err,
                         "system error: " + event.message);
      },
      "logger.SystemErrorEvent");
  bus.subscribe<PotentialHaltTriggerEvent>(
      [logger](const PotentialHaltTriggerEvent& event) {
        logger->log_from(event.source,
                         event.critical ? spdlog::level::critical : spdlog::level::warn,
                         "potential halt trigger: " + event.reason);
      },
      "logger.PotentialHaltTriggerEvent");
}

void LoggerService::log(std::string_view source, LogSeverity severity, std::string_view message) {
  logger_->log_from(source, to_spdlog_level(severity), message);
}

void LoggerService::flush() { logger_->flush(); }

std::shared_ptr<spdlog::logger> LoggerService::logger() const { return logger_; }

}  // namespace galfriday::logging
