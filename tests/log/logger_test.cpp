#include "galfriday/log/logger.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../support/temp_dir.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/core/encoding.hpp"

namespace galfriday::logging {
namespace {

namespace fs = std::filesystem;

// Base64 like a Kraken API secret, with every character URL-encoding changes.
constexpr std::string_view kSecret =
    "kQH5HW/8p1uGOVjbgWA7Fu+AmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
constexpr std::string_view kSecretUrlEncoded =
    "kQH5HW%2F8p1uGOVjbgWA7Fu%2BAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg"
    "%3D%3D";
constexpr std::string_view kSecretUrlEncodedLower =
    "kQH5HW%2f8p1uGOVjbgWA7Fu%2bAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg"
    "%3d%3d";
constexpr std::string_view kApiKey = "HBdkJ2x9AbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgHiJkL";

size_t count_occurrences(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, std::string_view needle) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) found.push_back(line);
  }
  return found;
}

// True when `line` starts with a UTC ISO-8601 time with microseconds: "2024-05-01T12:00:00.123456Z
// ".
bool starts_with_utc_iso_time(std::string_view line) {
  constexpr std::string_view kShape = "0000-00-00T00:00:00.000000Z ";  // '0' stands for a digit
  if (line.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool ok = kShape[i] == '0' ? std::isdigit(static_cast<unsigned char>(line[i])) != 0
                                     : line[i] == kShape[i];
    if (!ok) return false;
  }
  return true;
}

using TempDir = ::galfriday::test::TempDir;

config::LoggingConfig file_only_config() {
  config::LoggingConfig config;
  config.console = false;
  config.file_enabled = true;
  config.level = config::LogLevel::kTrace;
  return config;
}

// Everything written to the log directory, rotated files included.
std::string read_all_logs(const fs::path& directory) {
  std::string all;
  for (const auto& entry : fs::directory_iterator(directory)) all += read_file(entry.path());
  return all;
}

std::unique_ptr<LoggerService> create_or_fail(const config::LoggingConfig& config,
                                              const fs::path& base_dir) {
  auto service = LoggerService::create(config, base_dir);
  EXPECT_TRUE(service.is_ok()) << service.status().to_string();
  if (!service.is_ok()) return nullptr;
  return std::move(service).value();
}

// ---------------------------------------------------------------- SecretRedactor

TEST(SecretRedactor, ReplacesEveryOccurrence) {
  SecretRedactor redactor;
  redactor.add_secret(std::string(kSecret));
  const std::string text = "a=" + std::string(kSecret) + " b=" + std::string(kSecret) + ".";
  EXPECT_EQ(redactor.redact(text), "a=[REDACTED] b=[REDACTED].");
}

TEST(SecretRedactor, LeavesTextWithoutSecretsUnchanged) {
  SecretRedactor redactor;
  redactor.add_secret("correct-horse-battery");
  EXPECT_EQ(redactor.redact("order placed: BTC/USD 0.01 @ 30306.1"),
            "order placed: BTC/USD 0.01 @ 30306.1");
  EXPECT_EQ(redactor.redact(""), "");
}

TEST(SecretRedactor, IgnoresEmptyAndShortSecrets) {
  SecretRedactor redactor;
  redactor.add_secret("");
  redactor.add_secret("12345");
  EXPECT_EQ(redactor.pattern_count(), 0u);
  EXPECT_EQ(redactor.redact("price 12345"), "price 12345");

  redactor.add_secret("123456");  // exactly the minimum length
  EXPECT_EQ(redactor.redact("price 123456"), "price [REDACTED]");
}

TEST(SecretRedactor, RedactsUrlEncodedFormsAutomatically) {
  SecretRedactor redactor;
  redactor.add_secret(std::string(kSecret));
  EXPECT_EQ(redactor.pattern_count(), 3u);  // plain, %2B upper-case hex, %2b lower-case hex
  EXPECT_EQ(redactor.redact("POST body: secret=" + std::string(kSecretUrlEncoded) + "&nonce=1"),
            "POST body: secret=[REDACTED]&nonce=1");
  EXPECT_EQ(redactor.redact("q=" + std::string(kSecretUrlEncodedLower)), "q=[REDACTED]");
}

TEST(SecretRedactor, SecretWithoutReservedCharactersIsRegisteredOnce) {
  SecretRedactor redactor;
  redactor.add_secret(std::string(kApiKey));
  redactor.add_secret(std::string(kApiKey));
  EXPECT_EQ(redactor.pattern_count(), 1u);
}

TEST(SecretRedactor, OverlappingSecretsAreFullyHidden) {
  SecretRedactor redactor;
  redactor.add_secret("abcdefgh12");
  redactor.add_secret("gh12345678");
  // Replacing one secret and then the other would leave "345678" or "abcdef" behind.
  EXPECT_EQ(redactor.redact("xx abcdefgh12345678 yy"), "xx [REDACTED] yy");
}

TEST(SecretRedactor, SecretInsideLongerSecretIsHiddenWithIt) {
  SecretRedactor redactor;
  redactor.add_secret("inner-secret");
  redactor.add_secret("outer-inner-secret-outer");
  EXPECT_EQ(redactor.redact("[outer-inner-secret-outer] and inner-secret"),
            "[[REDACTED]] and [REDACTED]");
}

TEST(SecretRedactor, SelfOverlappingOccurrencesAreHidden) {
  SecretRedactor redactor;
  redactor.add_secret("aaaaaa");
  EXPECT_EQ(redactor.redact("baaaaaaaab"), "b[REDACTED]b");
}

TEST(SecretRedactor, SecretsAddedWhileOtherThreadsRedactAreHidden) {
  SecretRedactor redactor;
  constexpr int kSecrets = 50;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!done.load()) (void)redactor.redact("nothing secret-0001 here");
    });
  }
  for (int i = 0; i < kSecrets; ++i) redactor.add_secret("secret-" + std::to_string(1000 + i));
  done = true;
  for (auto& reader : readers) reader.join();
  for (int i = 0; i < kSecrets; ++i) {
    EXPECT_EQ(redactor.redact("x secret-" + std::to_string(1000 + i) + " y"), "x [REDACTED] y");
  }
}

TEST(PercentEncode, EncodesBase64ReservedCharacters) {
  EXPECT_EQ(percent_encode("ab+cd/ef=="), "ab%2Bcd%2Fef%3D%3D");
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode(kSecret), kSecretUrlEncoded);
}

// ---------------------------------------------------------------- RedactingSink

TEST(RedactingSink, ForwardsRedactedMessagesToEveryWrappedSink) {
  auto redactor = std::make_shared<SecretRedactor>();
  redactor->add_secret(std::string(kSecret));
  auto redacting = std::make_shared<RedactingSink>(redactor);
  std::ostringstream first_out;
  std::ostringstream second_out;
  redacting->add_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(first_out));
  redacting->add_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(second_out));
  redacting->set_pattern("[%n] %v");  // passed on to the wrapped sinks

  spdlog::logger logger(std::string(kSecret), redacting);  // even a secret logger name
  logger.info("secret is {}", kSecret);
  logger.flush();

  EXPECT_EQ(first_out.str(), "[[REDACTED]] secret is [REDACTED]\n");
  EXPECT_EQ(second_out.str(), first_out.str());
}

TEST(RedactingSink, SecretRegisteredLaterIsRedactedFromThenOn) {
  auto redactor = std::make_shared<SecretRedactor>();
  auto redacting = std::make_shared<RedactingSink>(redactor);
  std::ostringstream out;
  redacting->add_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  redacting->set_pattern("%v");
  spdlog::logger logger("test", redacting);

  logger.info("before {}", kApiKey);
  redactor->add_secret(std::string(kApiKey));
  logger.info("after {}", kApiKey);

  EXPECT_EQ(out.str(), "before " + std::string(kApiKey) + "\nafter [REDACTED]\n");
}

// ---------------------------------------------------------------- LoggerService: redaction

TEST(SecretRedaction, SecretNeverReachesLogFile) {
  TempDir dir;
  auto config = file_only_config();
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);
  service->redactor().add_secret(std::string(kSecret));
  service->redactor().add_secret(std::string(kApiKey));

  SimulatedClock clock;
  PubSubManager bus(clock);
  service->attach(bus);

  const std::string secret(kSecret);
  spdlog::info(secret);
  spdlog::info("loaded api secret " + secret + " from env");
  spdlog::info("signing with key={} secret={}", kApiKey, kSecret);
  spdlog::info("request body nonce=1&secret={}", kSecretUrlEncoded);
  spdlog::info("lower-case body secret={}", kSecretUrlEncodedLower);
  spdlog::trace("trace-marker {}", kSecret);
  spdlog::debug("debug-marker {}", kSecret);
  spdlog::warn("warn-marker {}", kSecret);
  spdlog::error("error-marker {}", kSecret);
  spdlog::critical("critical-marker {}", kSecret);
  service->log("rest", LogSeverity::kInfo, "service-log-marker " + secret);

  LogEvent log_event;
  log_event.severity = LogSeverity::kError;
  log_event.source = "kraken.rest";
  log_event.message = "log-event-marker auth failed for " + secret;
  bus.publish(log_event);
  SystemErrorEvent error_event;
  error_event.source = "kraken.ws";
  error_event.message = "sysfault-marker token " + secret;
  bus.publish(error_event);
  PotentialHaltTriggerEvent halt_event;
  halt_event.source = "monitoring";
  halt_event.reason = "halt-marker " + secret;
  bus.publish(halt_event);
  EXPECT_EQ(bus.run_until_idle(), 3u);
  service->flush();

  ASSERT_TRUE(service->log_file().has_value());
  const std::string logs = read_all_logs(service->log_file()->parent_path());
  EXPECT_EQ(logs.find(kSecret), std::string::npos);
  EXPECT_EQ(logs.find(kSecretUrlEncoded), std::string::npos);
  EXPECT_EQ(logs.find(kSecretUrlEncodedLower), std::string::npos);
  EXPECT_EQ(logs.find(kApiKey), std::string::npos);
  // A long fragment of the secret would be as bad as the whole.
  EXPECT_EQ(logs.find(kSecret.substr(0, 20)), std::string::npos);

  // Every message arrived, with the placeholder where the secret was.
  for (const char* marker :
       {"loaded api secret", "signing with", "request body", "lower-case body", "trace-marker",
        "debug-marker", "warn-marker", "error-marker", "critical-marker", "service-log-marker",
        "log-event-marker", "sysfault-marker", "halt-marker"}) {
    const auto lines = lines_with(logs, marker);
    ASSERT_EQ(lines.size(), 1u) << marker;
    EXPECT_NE(lines[0].find("[REDACTED]"), std::string::npos) << lines[0];
  }
  EXPECT_EQ(count_occurrences(logs, "[REDACTED]"), 15u);  // 14 lines, one with two secrets
}

TEST(SecretRedaction, SecretNeverReachesAnAddedSink) {
  TempDir dir;
  auto config = file_only_config();
  config.file_enabled = false;
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);
  std::ostringstream captured;
  service->add_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  service->redactor().add_secret(std::string(kSecret));

  spdlog::warn("db sink sees {}", kSecret);
  service->flush();

  EXPECT_EQ(captured.str().find(kSecret), std::string::npos);
  EXPECT_NE(captured.str().find("db sink sees [REDACTED]"), std::string::npos) << captured.str();
}

TEST(SecretRedaction, SharedRedactorRegisteredElsewhereIsUsed) {
  TempDir dir;
  auto redactor = std::make_shared<SecretRedactor>();
  auto created = LoggerService::create(file_only_config(), dir.path(), redactor);
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  auto service = std::move(created).value();
  redactor->add_secret(std::string(kApiKey));  // e.g. by the code that loads the credentials

  spdlog::info("key {}", kApiKey);
  service->flush();

  const std::string logs = read_file(*service->log_file());
  EXPECT_EQ(logs.find(kApiKey), std::string::npos);
  EXPECT_NE(logs.find("key [REDACTED]"), std::string::npos) << logs;
}

// ---------------------------------------------------------------- LoggerService: sinks

TEST(LoggerService, RelativeDirectoryIsResolvedUnderBaseDir) {
  TempDir dir;
  auto config = file_only_config();
  config.file_directory = "nested/logs";
  config.file_name = "gf.log";
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);
  ASSERT_TRUE(service->log_file().has_value());
  EXPECT_EQ(*service->log_file(), dir.path() / "nested" / "logs" / "gf.log");
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "nested" / "logs" / "gf.log"));
}

TEST(LoggerService, AbsoluteDirectoryIsUsedAsIs) {
  TempDir dir;
  TempDir other;
  auto config = file_only_config();
  config.file_directory = other.path() / "abs";
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(*service->log_file(), other.path() / "abs" / "galfriday.log");
}

TEST(LoggerService, LinesCarryUtcIsoTimeLevelAndSource) {
  TempDir dir;
  auto service = create_or_fail(file_only_config(), dir.path());
  ASSERT_NE(service, nullptr);
  spdlog::info("hello {}", 42);
  service->log("risk", LogSeverity::kWarning, "drawdown 1.5%");
  service->flush();

  const std::string logs = read_file(*service->log_file());
  const auto hello = lines_with(logs, "hello");
  ASSERT_EQ(hello.size(), 1u) << logs;
  EXPECT_TRUE(starts_with_utc_iso_time(hello[0])) << hello[0];
  EXPECT_NE(hello[0].find("Z [info] [galfriday] hello 42"), std::string::npos) << hello[0];
  const auto risk = lines_with(logs, "drawdown");
  ASSERT_EQ(risk.size(), 1u) << logs;
  EXPECT_NE(risk[0].find("Z [warning] [risk] drawdown 1.5%"), std::string::npos) << risk[0];
}

TEST(LoggerService, RotatesFilesWhenMaxBytesIsReached) {
  TempDir dir;
  auto config = file_only_config();
  config.file_max_bytes = 1024;
  config.file_backup_count = 3;
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);

  const std::string filler(80, 'x');
  for (int i = 0; i < 200; ++i) spdlog::info("line {} {}", i, filler);
  service->flush();

  const fs::path logs = dir.path() / "logs";
  EXPECT_TRUE(fs::exists(logs / "galfriday.log"));
  EXPECT_TRUE(fs::exists(logs / "galfriday.1.log"));
  EXPECT_TRUE(fs::exists(logs / "galfriday.2.log"));
  EXPECT_TRUE(fs::exists(logs / "galfriday.3.log"));
  EXPECT_FALSE(fs::exists(logs / "galfriday.4.log"));  // only file_backup_count backups kept
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(logs)) {
    ++files;
    EXPECT_LE(fs::file_size(entry.path()), 1024u) << entry.path();
  }
  EXPECT_EQ(files, 4u);
  // The newest line is in the current file, the oldest ones were rotated away.
  const std::string current = read_file(logs / "galfriday.log");
  EXPECT_NE(current.find("line 199 "), std::string::npos);
  EXPECT_EQ(read_all_logs(logs).find("line 0 "), std::string::npos);
}

TEST(LoggerService, MessagesBelowConfiguredLevelAreDropped) {
  TempDir dir;
  auto config = file_only_config();
  config.level = config::LogLevel::kWarn;
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);
  SimulatedClock clock;
  PubSubManager bus(clock);
  service->attach(bus);

  spdlog::debug("debug-dropped");
  spdlog::info("info-dropped");
  spdlog::warn("warn-kept");
  spdlog::error("error-kept");
  LogEvent info_event;
  info_event.severity = LogSeverity::kInfo;
  info_event.source = "strategy";
  info_event.message = "bus-info-dropped";
  bus.publish(info_event);
  LogEvent warning_event = info_event;
  warning_event.severity = LogSeverity::kWarning;
  warning_event.message = "bus-warning-kept";
  bus.publish(warning_event);
  (void)bus.run_until_idle();
  service->flush();

  const std::string logs = read_file(*service->log_file());
  EXPECT_EQ(logs.find("dropped"), std::string::npos) << logs;
  EXPECT_NE(logs.find("warn-kept"), std::string::npos);
  EXPECT_NE(logs.find("error-kept"), std::string::npos);
  EXPECT_NE(logs.find("bus-warning-kept"), std::string::npos);
}

TEST(LoggerService, LogEventFromBusReachesFileWithItsSourceAndSeverity) {
  TempDir dir;
  auto service = create_or_fail(file_only_config(), dir.path());
  ASSERT_NE(service, nullptr);
  SimulatedClock clock;
  PubSubManager bus(clock);
  service->attach(bus);

  LogEvent event;
  event.severity = LogSeverity::kError;
  event.source = "execution.kraken";
  event.message = "order rejected: EOrder:Insufficient funds";
  bus.publish(event);
  LogEvent nameless;
  nameless.severity = LogSeverity::kDebug;
  nameless.message = "nameless-source";
  bus.publish(nameless);
  (void)bus.run_until_idle();
  service->flush();

  const std::string logs = read_file(*service->log_file());
  EXPECT_NE(logs.find("[error] [execution.kraken] order rejected: EOrder:Insufficient funds"),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("[debug] [unknown] nameless-source"), std::string::npos) << logs;
}

TEST(LoggerService, ErrorAndHaltEventsAreLoggedAtTheirLevels) {
  TempDir dir;
  auto service = create_or_fail(file_only_config(), dir.path());
  ASSERT_NE(service, nullptr);
  SimulatedClock clock;
  PubSubManager bus(clock);
  service->attach(bus);

  SystemErrorEvent error;
  error.source = "db";
  error.message = "connection lost";
  bus.publish(error);
  SystemErrorEvent critical_error = error;
  critical_error.critical = true;
  critical_error.message = "invariant broken";
  bus.publish(critical_error);
  PotentialHaltTriggerEvent trigger;
  trigger.source = "risk";
  trigger.reason = "drawdown near limit";
  bus.publish(trigger);
  PotentialHaltTriggerEvent critical_trigger = trigger;
  critical_trigger.critical = true;
  critical_trigger.reason = "drawdown limit breached";
  bus.publish(critical_trigger);
  (void)bus.run_until_idle();
  service->flush();

  const std::string logs = read_file(*service->log_file());
  EXPECT_NE(logs.find("[error] [db] system error: connection lost"), std::string::npos) << logs;
  EXPECT_NE(logs.find("[critical] [db] system error: invariant broken"), std::string::npos);
  EXPECT_NE(logs.find("[warning] [risk] potential halt trigger: drawdown near limit"),
            std::string::npos);
  EXPECT_NE(logs.find("[critical] [risk] potential halt trigger: drawdown limit breached"),
            std::string::npos);
}

TEST(LoggerService, InstallsDefaultLoggerAndRestoresThePreviousOne) {
  TempDir dir;
  const auto previous = spdlog::default_logger();
  {
    auto service = create_or_fail(file_only_config(), dir.path());
    ASSERT_NE(service, nullptr);
    EXPECT_EQ(spdlog::default_logger(), service->logger());
    EXPECT_EQ(spdlog::default_logger()->name(), kDefaultLoggerName);
  }
  EXPECT_EQ(spdlog::default_logger(), previous);
}

TEST(LoggerService, FileDisabledCreatesNoDirectory) {
  TempDir dir;
  auto config = file_only_config();
  config.file_enabled = false;
  auto service = create_or_fail(config, dir.path());
  ASSERT_NE(service, nullptr);
  EXPECT_FALSE(service->log_file().has_value());
  EXPECT_FALSE(fs::exists(dir.path() / "logs"));
}

// ---------------------------------------------------------------- LoggerService: errors

TEST(LoggerService, UncreatableDirectoryIsAnErrorNamingTheDirectory) {
  TempDir dir;
  std::ofstream(dir.path() / "not-a-dir") << "a file where the log directory should go";
  auto config = file_only_config();
  config.file_directory = "not-a-dir/logs";
  const auto previous = spdlog::default_logger();

  auto service = LoggerService::create(config, dir.path());

  ASSERT_FALSE(service.is_ok());
  EXPECT_NE(service.status().message().find((dir.path() / "not-a-dir" / "logs").string()),
            std::string::npos)
      << service.status().to_string();
  EXPECT_EQ(spdlog::default_logger(), previous);  // a failed create changes nothing
}

TEST(LoggerService, UnwritableDirectoryIsPermissionDenied) {
  TempDir dir;
  const fs::path logs = dir.path() / "logs";
  fs::create_directories(logs);
  fs::permissions(logs, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(logs.c_str(), W_OK) == 0) {
    GTEST_SKIP() << "running with privileges that ignore directory permissions";
  }

  auto service = LoggerService::create(file_only_config(), dir.path());

  ASSERT_FALSE(service.is_ok());
  EXPECT_EQ(service.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(service.status().message().find(logs.string()), std::string::npos)
      << service.status().to_string();
}

TEST(LoggerService, InvalidRotationSettingsAreRejected) {
  TempDir dir;
  auto config = file_only_config();
  config.file_max_bytes = 0;
  auto zero_size = LoggerService::create(config, dir.path());
  ASSERT_FALSE(zero_size.is_ok());
  EXPECT_EQ(zero_size.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(zero_size.status().message().find("logging.file_max_bytes"), std::string::npos);

  config = file_only_config();
  config.file_backup_count = -1;
  auto negative_backups = LoggerService::create(config, dir.path());
  ASSERT_FALSE(negative_backups.is_ok());
  EXPECT_EQ(negative_backups.status().code(), StatusCode::kInvalidArgument);

  config = file_only_config();
  config.file_name = "";
  EXPECT_EQ(LoggerService::create(config, dir.path()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(LogLevels, MapConfigLevelsAndEventSeverities) {
  EXPECT_EQ(to_spdlog_level(config::LogLevel::kTrace), spdlog::level::trace);
  EXPECT_EQ(to_spdlog_level(config::LogLevel::kWarn), spdlog::level::warn);
  EXPECT_EQ(to_spdlog_level(config::LogLevel::kCritical), spdlog::level::critical);
  EXPECT_EQ(to_spdlog_level(LogSeverity::kDebug), spdlog::level::debug);
  EXPECT_EQ(to_spdlog_level(LogSeverity::kWarning), spdlog::level::warn);
  EXPECT_EQ(to_spdlog_level(LogSeverity::kError), spdlog::level::err);
}

}  // namespace
}  // namespace galfriday::logging
