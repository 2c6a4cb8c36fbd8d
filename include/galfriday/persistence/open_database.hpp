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
// exits. Only with `database.fallback_to_sqlite: true` does open_database open the SQLite file
// instead, and never silently: it logs a warning and rewrites the target (backend, path and a
// description starting "SQLite fallback"), so the caller's messages, `galfriday db status` and
// further connections opened from the same target all name the file actually used.

#include <filesystem>
#include <memory>
#include <optional>
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
  // PostgreSQL only: the SQLite file to open when the server is unreachable (set when
  // database.fallback_to_sqlite is true), and whether open_database fell back to it.
  std::optional<std::filesystem::path> sqlite_fallback;
  bool fell_back = false;
};

// kInvalidArgument when backend is postgres and neither the config nor `env_url` gives a URL.
// `env_url` may be null.
Result<DatabaseTarget> resolve_database(const config::DatabaseConfig& database,
                                        const std::filesystem::path& data_dir, const char* env_url);

// Opens the target. With a sqlite_fallback and PostgreSQL unreachable (kUnavailable; a refused
// login or a newer schema never falls back), opens the SQLite file instead and updates `target`
// to it (fell_back = true).
Result<std::unique_ptr<Database>> open_database(DatabaseTarget& target);

}  // namespace galfriday::persistence
