#pragma once
// Versioned schema migrations. Each backend has its own numbered SQL files
// (src/persistence/migrations/<dialect>/NNN_name.sql), embedded into the binary at build
// time. The `schema_version` table records every applied migration (version, name, checksum of
// its SQL, when). migrate() applies the missing ones in order, each in its own transaction.
//
// Refusals (kFailedPrecondition, with what to do in the message):
//   - the database is at a version NEWER than this binary knows (an older binary must not
//     write into a schema it does not understand);
//   - an applied migration's name or checksum differs from the embedded one (a migration was
//     edited after it shipped; write a new migration instead).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::persistence {

struct Migration {
  int version = 0;        // NNN of the file name; 1, 2, 3, ... without gaps
  std::string_view name;  // "001_trading"
  std::string_view sql;
};

// The migrations embedded for `dialect` ("sqlite"), in version order; empty when unknown.
std::span<const Migration> embedded_migrations(std::string_view dialect);

// FNV-1a 64 of the SQL text as 16 hex digits; stored in schema_version to detect edits.
std::string migration_checksum(std::string_view sql);

struct MigrationStatus {
  int current_version = 0;           // highest applied; 0 for an empty database
  int latest_version = 0;            // highest this binary knows
  std::vector<std::string> applied;  // names, in order
  std::vector<std::string> pending;  // names, in order

  bool up_to_date() const { return pending.empty(); }
};

// What is applied and what is pending. Read-only. Errors: the refusals above.
Result<MigrationStatus> migration_status(Database& db);
Result<MigrationStatus> migration_status(Database& db, std::span<const Migration> migrations);

// Applies the pending migrations in order; `clock` stamps applied_at. Idempotent: nothing to
// do is OK. A failing migration is rolled back and the error names it; the ones before it stay
// applied.
Status migrate(Database& db, const Clock& clock);
Status migrate(Database& db, std::span<const Migration> migrations, const Clock& clock);

// kFailedPrecondition when the database's schema is newer than this binary or was applied from
// different migration text; OK for an empty or older database.
Status check_schema_compatible(Database& db);

}  // namespace galfriday::persistence
