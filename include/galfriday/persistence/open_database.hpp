#pragma once
// Opening the configured trading database: `database.backend` picks SQLite (the file
// `database.sqlite_file` under data_dir) or PostgreSQL (`database.url`, overridden by the
// environment variable GALFRIDAY_DATABASE_URL, which is where a password may live).
//
//   auto target = persistence::resolve_database(config.database, config.data_dir,
//                                               std::getenv("GALFRIDAY_DATABASE_URL"));
//   auto db = persistence::open_database(*target);  // refuses a newer schema
//
// An unreachable PostgreSQL is kUnavailable with the redacted URL: the caller prints it and
// exits (there is no silent fallback to SQLite).

#include <filesystem>
#include <memory>
#include <string>

#include "galfriday/config/config.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::persistence {

inline constexpr const char* kDatabaseUrlEnv = "GALFRIDAY_DATABASE_URL";

struct DatabaseTarget {
  config::DatabaseBackend backend = config::DatabaseBackend::kSqlite;
  std::filesystem::path sqlite_path;  // SQLite
  std::string url;                    // PostgreSQL; may hold a password: never print it
  std::string schema;                 // PostgreSQL
  std::string description;            // for messages: the path, or the redacted URL
};

// kInvalidArgument when backend is postgres and neither the config nor `env_url` gives a URL.
// `env_url` may be null.
Result<DatabaseTarget> resolve_database(const config::DatabaseConfig& database,
                                        const std::filesystem::path& data_dir, const char* env_url);

Result<std::unique_ptr<Database>> open_database(const DatabaseTarget& target);

}  // namespace galfriday::persistence
