#pragma once
// Shared by the persistence tests: hermetic temporary directories and the backends the
// repository tests run against. persistence_test runs them on SQLite; persistence_postgres_test
// runs the same tests on a throwaway PostgreSQL started by scripts/with-test-server.sh, which
// passes its URL in GALFRIDAY_TEST_POSTGRES_URL. Each test gets a schema of its own.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "galfriday/persistence/postgres_store.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::persistence::test_support {

using TempDir = ::galfriday::test::TempDir;

// A database backend under test: how to open a fresh, empty database and a second
// connection to it.
struct Backend {
  std::string name;
  // Opens (creating) the database identified by `location` inside the test's temp dir. Called
  // twice with the same location, it gives two connections to the same database.
  std::function<Result<std::unique_ptr<Database>>(const TempDir& dir, const std::string& location)>
      open;
};

inline Backend sqlite_backend() {
  return {"Sqlite", [](const TempDir& dir, const std::string& location) {
            SqliteOptions options;
            options.durability = Durability::kNormal;  // tests need no fsync
            return open_sqlite(dir.file(location + ".db"), options);
          }};
}

// The throwaway server's URL; fails the test when the binary runs without the wrapper.
inline std::string postgres_test_url() {
  const char* url = std::getenv("GALFRIDAY_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "GALFRIDAY_TEST_POSTGRES_URL is not set: run this test through "
                     "scripts/with-test-server.sh postgres -- <test binary> (ctest does)";
    return {};
  }
  return url;
}

// A schema name unique to the test's temp dir and the location.
inline std::string postgres_schema(const TempDir& dir, const std::string& location) {
  std::string name = "t_" + dir.path().filename().string() + "_" + location;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  });
  return name.substr(0, 63);
}

inline Backend postgres_backend() {
  return {"Postgres", [](const TempDir& dir, const std::string& location) {
            PostgresOptions options;
            options.schema = postgres_schema(dir, location);
            return open_postgres(postgres_test_url(), options);
          }};
}

// The backends this test binary runs the parameterized tests on (backends_sqlite.cpp or
// backends_postgres.cpp).
std::vector<Backend> backends_under_test();

// gtest prints parameters in test listings; a backend prints as its name.
inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

// Opens or fails the test.
inline std::unique_ptr<Database> must_open(const Backend& backend, const TempDir& dir,
                                           const std::string& location = "test") {
  auto db = backend.open(dir, location);
  EXPECT_TRUE(db.is_ok()) << db.status().to_string();
  if (!db) return nullptr;
  return std::move(db).value();
}

}  // namespace galfriday::persistence::test_support
