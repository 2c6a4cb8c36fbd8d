#include "galfriday/persistence/open_database.hpp"

#include <spdlog/spdlog.h>

#include "galfriday/persistence/postgres_store.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::persistence {
namespace {

std::filesystem::path sqlite_path(const config::DatabaseConfig& database,
                                  const std::filesystem::path& data_dir) {
  return database.sqlite_file.is_absolute() ? database.sqlite_file
                                            : data_dir / database.sqlite_file;
}

}  // namespace

Result<DatabaseTarget> resolve_database(const config::DatabaseConfig& database,
                                        const std::filesystem::path& data_dir,
                                        const char* env_url) {
  DatabaseTarget target;
  target.backend = database.backend;
  if (database.backend == config::DatabaseBackend::kSqlite) {
    target.sqlite_path = sqlite_path(database, data_dir);
    target.description = target.sqlite_path.string();
    return target;
  }
  target.url = env_url != nullptr && *env_url != '\0' ? std::string(env_url) : database.url;
  if (target.url.empty()) {
    return invalid_argument(std::string("database.backend is postgres but no URL is set: set ") +
                            kDatabaseUrlEnv + " or database.url");
  }
  target.schema = database.schema;
  target.description = redacted_url(target.url);
  if (!target.schema.empty()) target.description += " (schema " + target.schema + ")";
  if (database.fallback_to_sqlite) target.sqlite_fallback = sqlite_path(database, data_dir);
  return target;
}

Result<std::unique_ptr<Database>> open_database(DatabaseTarget& target) {
  if (target.backend == config::DatabaseBackend::kSqlite) return open_sqlite(target.sqlite_path);
  PostgresOptions options;
  options.schema = target.schema;
  auto db = open_postgres(target.url, options);
  if (db || db.status().code() != StatusCode::kUnavailable || !target.sqlite_fallback) return db;

  // Configured fallback: loud, and the target says so from now on.
  const std::string postgres = target.description;
  target.backend = config::DatabaseBackend::kSqlite;
  target.sqlite_path = *target.sqlite_fallback;
  target.url.clear();
  target.schema.clear();
  target.fell_back = true;
  target.description = "SQLite fallback " + target.sqlite_path.string() + " (PostgreSQL " +
                       postgres + " unreachable)";
  spdlog::warn(
      "database: PostgreSQL {} is unreachable ({}); database.fallback_to_sqlite is true, so "
      "records go to the SQLite file {} instead",
      postgres, db.status().message(), target.sqlite_path.string());
  auto sqlite = open_sqlite(target.sqlite_path);
  if (!sqlite) {
    return sqlite.status().with_context("PostgreSQL " + postgres +
                                        " is unreachable and the SQLite fallback failed");
  }
  return sqlite;
}

}  // namespace galfriday::persistence
