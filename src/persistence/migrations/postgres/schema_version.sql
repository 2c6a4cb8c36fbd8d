-- Bookkeeping of applied migrations; created by migrate() before the first migration runs.
-- The PostgreSQL twin of migrations/sqlite/schema_version.sql.
CREATE TABLE IF NOT EXISTS schema_version (
  version       BIGINT PRIMARY KEY,
  name          TEXT NOT NULL,
  checksum      TEXT NOT NULL,  -- FNV-1a 64 of the migration's SQL, to detect edited files
  applied_at_ns BIGINT NOT NULL,
  applied_at    TEXT NOT NULL
);
