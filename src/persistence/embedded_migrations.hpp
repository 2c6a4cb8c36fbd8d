#pragma once
// The migrations compiled into the binary, one function per backend, generated from
// src/persistence/migrations/<dialect>/ by embed_migrations.cmake.

#include <span>
#include <string_view>

#include "galfriday/persistence/migrations.hpp"

namespace galfriday::persistence {

struct EmbeddedMigrations {
  std::string_view schema_version_sql;  // CREATE TABLE IF NOT EXISTS schema_version ...
  std::span<const Migration> migrations;
};

EmbeddedMigrations sqlite_migrations();
EmbeddedMigrations postgres_migrations();  // dialect "postgresql", directory postgres/

}  // namespace galfriday::persistence
