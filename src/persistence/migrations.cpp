#include "galfriday/persistence/migrations.hpp"

#include <cstdio>
#include <optional>

#include "embedded_migrations.hpp"

namespace galfriday::persistence {
namespace {

constexpr Statement kSelectApplied{
    "read schema_version", "SELECT version, name, checksum FROM schema_version ORDER BY version"};
constexpr Statement kSelectVersion{"check schema_version",
                                   "SELECT 1 FROM schema_version WHERE version = ?"};
constexpr Statement kInsertVersion{
    "record migration",
    "INSERT INTO schema_version (version, name, checksum, applied_at_ns, applied_at) "
    "VALUES (?, ?, ?, ?, ?)"};

struct Applied {
  int version = 0;
  std::string name;
  std::string checksum;
};

std::optional<EmbeddedMigrations> embedded_for(std::string_view dialect) {
  if (dialect == "sqlite") return sqlite_migrations();
  if (dialect == "postgresql") return postgres_migrations();
  return std::nullopt;
}

Result<std::vector<Applied>> read_applied(Database& db) {
  auto exists = db.table_exists("schema_version");
  if (!exists) return exists.status();
  std::vector<Applied> applied;
  if (!*exists) return applied;
  auto rows = db.query(kSelectApplied);
  if (!rows) return rows.status();
  for (const Row& row : *rows) {
    const auto version = row.integer(0);
    auto name = row.text(1);
    auto checksum = row.text(2);
    if (!version || !name || !checksum) {
      return data_loss("schema_version has a row with a missing version, name or checksum");
    }
    applied.push_back({static_cast<int>(*version), std::move(*name), std::move(*checksum)});
  }
  return applied;
}

std::string describe(std::span<const Migration> migrations) {
  if (migrations.empty()) return "0 (none)";
  return std::to_string(migrations.back().version) + " (" + std::string(migrations.back().name) +
         ")";
}

// Builds the status, or refuses a database this binary must not touch.
Result<MigrationStatus> evaluate(const std::vector<Applied>& applied,
                                 std::span<const Migration> migrations) {
  MigrationStatus status;
  status.latest_version = migrations.empty() ? 0 : migrations.back().version;
  if (!applied.empty() && applied.back().version > status.latest_version) {
    return failed_precondition("the database schema is at version " +
                               std::to_string(applied.back().version) + " (" + applied.back().name +
                               "), newer than this binary knows (latest " + describe(migrations) +
                               "); use a newer galfriday with this database, or another database "
                               "file");
  }
  for (size_t i = 0; i < applied.size(); ++i) {
    const Applied& row = applied[i];
    if (i >= migrations.size()) {
      return data_loss("schema_version has an unexpected version " + std::to_string(row.version) +
                       "; the table was edited by hand");
    }
    const Migration& known = migrations[i];
    if (row.version != known.version) {
      return data_loss("schema_version lacks migration " + std::to_string(known.version) + " (" +
                       std::string(known.name) + ") but has " + std::to_string(row.version) +
                       "; the table was edited by hand");
    }
    if (row.name != known.name || row.checksum != migration_checksum(known.sql)) {
      return failed_precondition(
          "migration " + std::to_string(row.version) + " was applied as '" + row.name +
          "' with checksum " + row.checksum + " but this binary has '" + std::string(known.name) +
          "' with checksum " + migration_checksum(known.sql) +
          "; a shipped migration must not change: add a new migration instead");
    }
    status.applied.push_back(row.name);
  }
  status.current_version = applied.empty() ? 0 : applied.back().version;
  for (size_t i = applied.size(); i < migrations.size(); ++i) {
    status.pending.emplace_back(migrations[i].name);
  }
  return status;
}

}  // namespace

std::span<const Migration> embedded_migrations(std::string_view dialect) {
  const auto embedded = embedded_for(dialect);
  if (!embedded) return {};
  return embedded->migrations;
}

std::string migration_checksum(std::string_view sql) {
  constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
  constexpr uint64_t kFnvPrime = 1099511628211ULL;
  uint64_t hash = kFnvOffset;
  for (const char c : sql) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

Result<MigrationStatus> migration_status(Database& db) {
  return migration_status(db, embedded_migrations(db.dialect()));
}

Result<MigrationStatus> migration_status(Database& db, std::span<const Migration> migrations) {
  auto applied = read_applied(db);
  if (!applied) return applied.status();
  return evaluate(*applied, migrations);
}

Status check_schema_compatible(Database& db) { return migration_status(db).status(); }

Status migrate(Database& db, const Clock& clock) {
  return migrate(db, embedded_migrations(db.dialect()), clock);
}

Status migrate(Database& db, std::span<const Migration> migrations, const Clock& clock) {
  const auto embedded = embedded_for(db.dialect());
  if (!embedded) {
    return failed_precondition("no migrations for database dialect '" + std::string(db.dialect()) +
                               "'");
  }
  GF_RETURN_IF_ERROR(db.execute_script("create schema_version", embedded->schema_version_sql));
  auto status = migration_status(db, migrations);
  if (!status) return status.status();

  for (const Migration& migration : migrations.subspan(status->applied.size())) {
    const std::string purpose = "apply migration " + std::string(migration.name);
    Status applied = db.transaction(purpose, [&](Database& tx) -> Status {
      // Another process may have applied it since we looked; the write lock is ours now.
      auto done = tx.query(kSelectVersion, {migration.version});
      if (!done) return done.status();
      if (!done->empty()) return Status::ok();
      GF_RETURN_IF_ERROR(tx.execute_script(purpose, migration.sql));
      const Timestamp now = clock.now();
      auto inserted = tx.execute(
          kInsertVersion, {migration.version, migration.name, migration_checksum(migration.sql),
                           to_nanos(now), format_iso8601(now)});
      return inserted.status();
    });
    if (!applied.is_ok()) return applied;
  }
  return Status::ok();
}

}  // namespace galfriday::persistence
