// DatabaseLogSink: spdlog lines stored through the AsyncWriter as LogEvents of "<run>/log".

#include "galfriday/persistence/log_sink.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "galfriday/persistence/event_log.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "test_support.hpp"

namespace galfriday::persistence {
namespace {

TEST(DatabaseLogSink, StoresLinesAtOrAboveItsLevelAsLogEvents) {
  test_support::TempDir dir;
  auto db = test_support::must_open(test_support::sqlite_backend(), dir);
  ASSERT_NE(db, nullptr);
  SimulatedClock clock(timestamp_from_seconds(1700000000));
  ASSERT_TRUE(migrate(*db, clock).is_ok());
  AsyncWriter writer(test_support::must_open(test_support::sqlite_backend(), dir));
  auto sink = std::make_shared<DatabaseLogSink>(writer, "run-7");
  sink->set_level(spdlog::level::warn);
  spdlog::logger logger("feed", sink);
  logger.set_level(spdlog::level::trace);
  logger.info("not stored");
  logger.warn("book checksum mismatch for {}", "BTC/USD");
  logger.error("it's 'quoted'; DROP TABLE event_log; --");
  writer.flush();
  EXPECT_EQ(sink->stored(), 2U);
  EXPECT_EQ(sink->dropped(), 0U);

  auto events = read_event_log(*db, "run-7/log");
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), 2U);
  const auto& first = std::get<LogEvent>((*events)[0]);
  EXPECT_EQ(first.severity, LogSeverity::kWarning);
  EXPECT_EQ(first.source, "feed");
  EXPECT_EQ(first.message, "book checksum mismatch for BTC/USD");
  EXPECT_EQ(first.meta.sequence, 1U);
  const auto& second = std::get<LogEvent>((*events)[1]);
  EXPECT_EQ(second.severity, LogSeverity::kError);
  EXPECT_EQ(second.message, "it's 'quoted'; DROP TABLE event_log; --");
  auto bus_run = read_event_log(*db, "run-7");
  ASSERT_TRUE(bus_run.is_ok());
  EXPECT_TRUE(bus_run->empty()) << "log lines stay out of the run's bus events";
}

}  // namespace
}  // namespace galfriday::persistence
