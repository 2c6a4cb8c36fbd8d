// What needs no server: hiding the password of a PostgreSQL URL, and picking the database
// from the config and the environment.

#include <gtest/gtest.h>

#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/postgres_store.hpp"

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

}  // namespace
}  // namespace galfriday::persistence
