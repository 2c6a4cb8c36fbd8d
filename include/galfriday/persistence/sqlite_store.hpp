#pragma once
// The SQLite backend: the embedded default, so the main job needs no database server.
//
// A connection is opened in WAL mode (readers never block the writer), with foreign keys on and
// a busy timeout, and is refused (kFailedPrecondition) when the file's schema is newer than this
// binary. The CLI wiring is a few lines:
//
//   auto db = persistence::open_sqlite(config.data_dir / "galfriday.db");
//   if (!db) return fail(db.status());
//   LiveClock clock;
//   Status st = persistence::migrate(**db, clock);                  // galfriday db migrate
//   auto status = persistence::migration_status(**db);              // galfriday db status

#include <chrono>
#include <filesystem>
#include <memory>

#include "galfriday/core/status.hpp"
#include "galfriday/persistence/database.hpp"
#include "galfriday/persistence/migrations.hpp"

namespace galfriday::persistence {

enum class Durability {
  // fsync on every commit: a committed transaction survives power loss. The default, because
  // an order intent must be on disk before the order is sent. AsyncWriter batches commits, so
  // the fsync is paid once per batch.
  kFull,
  // fsync only at WAL checkpoints: survives a crash of the process, not of the machine.
  // Backtests and bulk imports.
  kNormal,
};

struct SqliteOptions {
  // How long a statement waits for another connection's lock before failing kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  Durability durability = Durability::kFull;
  // Create the parent directory when missing.
  bool create_directories = true;
  // Prepared statements kept per connection (keyed by SQL text), so repeated writes skip
  // parsing.
  size_t statement_cache_size = 64;
};

// Opens (creating when missing) the database file at `path`. Errors: kPermissionDenied,
// kDataLoss (not a database), kFailedPrecondition (schema newer than this binary), ...
Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& path,
                                              const SqliteOptions& options = {});

}  // namespace galfriday::persistence
