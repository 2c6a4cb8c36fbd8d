#include "galfriday/persistence/open_database.hpp"

#include "galfriday/persistence/postgres_store.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::persistence {

Result<DatabaseTarget> resolve_database(const config::DatabaseConfig& database,
                                        const std::filesystem::path& data_dir,
                                        const char* env_url) {
  DatabaseTarget target;
  target.backend = database.backend;
  if (database.backend == config::DatabaseBackend::kSqlite) {
    target.sqlite_path =
        database.sqlite_file.is_absolute() ? database.sqlite_file : data_dir / database.sqlite_file;
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
  return target;
}

Result<std::unique_ptr<Database>> open_database(const DatabaseTarget& target) {
  if (target.backend == config::DatabaseBackend::kSqlite) return open_sqlite(target.sqlite_path);
  PostgresOptions options;
  options.schema = target.schema;
  return open_postgres(target.url, options);
}

}  // namespace galfriday::persistence
