// What needs no server: hiding the password of a PostgreSQL URL, picking the database from the
// config and the environment, and the configured SQLite fallback when PostgreSQL is unreachable.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/postgres_store.hpp"
#include "test_support.hpp"

namespace galfriday::persistence {
namespace {

TEST(RedactedUrl, HidesPasswordsInEveryForm) {
  EXPECT_EQ(redacted_url("postgresql://trader:s3cr3t@db.example:5432/galfriday"),
            "postgresql://trader:***@db.example:5432/galfriday");
  EXPECT_EQ(redacted_url("postgres://trader@db.example/galfriday?password=s3cr3t&sslmode=require"),
            "postgres://trader@db.example/galfriday?password=***&sslmode=require");
  EXPECT_EQ(redacted_url("host=db user=trader password=s3cr3t dbname=x"),
            "host=db user=trader password=*** dbname=x");
  EXPECT_EQ(redacted_url("postgresql://trader@db/galfriday"), "postgresql://trader@db/galfriday");
  EXPECT_EQ(redacted_url("postgresql://db/x@y"), "postgresql://db/x@y") << "'@' after the path";
}

TEST(ResolveDatabase, SqliteFileUnderDataDirAndPostgresFromEnvironmentFirst) {
  config::DatabaseConfig database;
  auto sqlite = resolve_database(database, "/var/lib/gf", nullptr);
  ASSERT_TRUE(sqlite.is_ok());
  EXPECT_EQ(sqlite->sqlite_path, std::filesystem::path("/var/lib/gf/galfriday.db"));

  database.backend = config::DatabaseBackend::kPostgres;
  auto missing = resolve_database(database, "/var/lib/gf", nullptr);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("GALFRIDAY_DATABASE_URL"), std::string::npos);

  database.url = "postgresql://trader@cfg-host/galfriday";
  database.schema = "live";
  auto from_config = resolve_database(database, "/var/lib/gf", "");
  ASSERT_TRUE(from_config.is_ok());
  EXPECT_EQ(from_config->url, database.url);
  EXPECT_EQ(from_config->schema, "live");

  auto from_env =
      resolve_database(database, "/var/lib/gf", "postgresql://trader:pw-secret@env-host/gf");
  ASSERT_TRUE(from_env.is_ok());
  EXPECT_EQ(from_env->url, "postgresql://trader:pw-secret@env-host/gf");
  EXPECT_EQ(from_env->description.find("pw-secret"), std::string::npos) << from_env->description;
}

// A loopback port the OS handed out and that nothing listens on any more: a connection to it is
// refused at once.
int closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Captures what spdlog's default logger writes during a test.
class CapturedLog {
 public:
  CapturedLog()
      : previous_(spdlog::default_logger()),
        logger_(std::make_shared<spdlog::logger>(
            "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_))) {
    spdlog::set_default_logger(logger_);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() {
    logger_->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::logger> logger_;
};

config::DatabaseConfig unreachable_postgres(bool fallback) {
  config::DatabaseConfig database;
  database.backend = config::DatabaseBackend::kPostgres;
  database.url = "postgresql://trader@127.0.0.1:" + std::to_string(closed_loopback_port()) + "/gf";
  database.sqlite_file = "fallback.db";
  database.fallback_to_sqlite = fallback;
  return database;
}

TEST(OpenDatabase, UnreachablePostgresFailsWhenNoFallbackIsConfigured) {
  test_support::TempDir dir;
  const std::string env_url =
      "postgresql://trader:pw-secret@127.0.0.1:" + std::to_string(closed_loopback_port()) + "/gf";
  auto target = resolve_database(unreachable_postgres(false), dir.path(), env_url.c_str());
  ASSERT_TRUE(target.is_ok()) << target.status().to_string();
  EXPECT_FALSE(target->sqlite_fallback.has_value());
  CapturedLog log;
  auto db = open_database(*target);
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable) << db.status().to_string();
  EXPECT_NE(db.status().message().find("is the server running"), std::string::npos);
  EXPECT_EQ(db.status().message().find("pw-secret"), std::string::npos);
  EXPECT_FALSE(target->fell_back);
  EXPECT_EQ(target->backend, config::DatabaseBackend::kPostgres);
  EXPECT_FALSE(std::filesystem::exists(dir.file("fallback.db"))) << "no silent fallback";
  EXPECT_EQ(log.text().find("fallback"), std::string::npos) << log.text();
}

TEST(OpenDatabase, UnreachablePostgresFallsBackToSqliteLoudlyWhenConfigured) {
  test_support::TempDir dir;
  const config::DatabaseConfig database = unreachable_postgres(true);
  auto target = resolve_database(database, dir.path(), nullptr);
  ASSERT_TRUE(target.is_ok()) << target.status().to_string();
  ASSERT_TRUE(target->sqlite_fallback.has_value());
  EXPECT_EQ(*target->sqlite_fallback, dir.file("fallback.db"));

  CapturedLog log;
  auto db = open_database(*target);
  ASSERT_TRUE(db.is_ok()) << db.status().to_string();
  EXPECT_EQ((*db)->dialect(), "sqlite");
  EXPECT_TRUE(target->fell_back);
  EXPECT_EQ(target->backend, config::DatabaseBackend::kSqlite);
  EXPECT_EQ(target->sqlite_path, dir.file("fallback.db"));
  EXPECT_TRUE(target->url.empty());
  // Whatever shows the target (db status, the run's log) says it fell back and from where.
  EXPECT_EQ(target->description.rfind("SQLite fallback " + dir.file("fallback.db").string(), 0), 0U)
      << target->description;
  EXPECT_NE(target->description.find(database.url), std::string::npos) << target->description;
  const std::string logged = log.text();
  EXPECT_NE(logged.find("[warning]"), std::string::npos) << logged;
  EXPECT_NE(logged.find("unreachable"), std::string::npos) << logged;
  EXPECT_NE(logged.find("fallback_to_sqlite"), std::string::npos) << logged;
  EXPECT_NE(logged.find(dir.file("fallback.db").string()), std::string::npos) << logged;

  // The fallback database works, and further connections from the target go to the same file.
  SimulatedClock clock(timestamp_from_seconds(1700000000));
  ASSERT_TRUE(migrate(**db, clock).is_ok());
  auto second = open_database(*target);
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  auto status = migration_status(**second);
  ASSERT_TRUE(status.is_ok()) << status.status().to_string();
  EXPECT_EQ(status->current_version, status->latest_version);
}

}  // namespace
}  // namespace galfriday::persistence
