#pragma once
// The PostgreSQL backend (PostgreSQL 15 through libpqxx; the libpqxx headers stay in
// src/persistence/postgres_store.cpp).
//
// A PostgresDatabase is one connection. Statements are sent with bound parameters only ('?'
// rewritten to $1, $2, ... by number_placeholders); integers and text travel as text and
// come back as SqlValue integers for BIGINT/INTEGER/SMALLINT columns and text otherwise.
//
// Errors are Status values; every libpqxx exception is caught in the adapter and mapped by its
// SQLSTATE to the codes documented in database.hpp:
//   23505 unique violation                              → kAlreadyExists
//   23503 foreign key violation                         → kFailedPrecondition
//   23xxx other integrity violations (CHECK, NOT NULL)  → kInvalidArgument
//   42P01 undefined table                               → kFailedPrecondition ("run db migrate")
//   08xxx connection, 57P01-03 shutdown, 40001 serialization, 40P01 deadlock, 55P03 lock not
//         available, 53300 too many connections, lost connection (pqxx::broken_connection),
//         commit in doubt                               → kUnavailable (retrying may succeed)
//   53100 disk full, 53200 out of memory, 54xxx limits  → kResourceExhausted
//   42501 insufficient privilege, 28xxx authentication  → kPermissionDenied
//   22xxx data exceptions                               → kInvalidArgument
//   XX001/XX002 data corrupted                          → kDataLoss
//   anything else                                       → kInternal
// The message starts with the statement's purpose and ends with "(sqlstate NNNNN)".
//
// Reconnection: when the connection is lost, the failing statement returns kUnavailable and
// the connection is dropped. The next statement or transaction that starts OUTSIDE a
// transaction connects again (a failure is again kUnavailable), so a caller that retries
// kUnavailable (AsyncWriter does, with backoff) rides out a server restart. Statements
// inside the transaction that lost the connection keep failing until it ends: its work is
// rolled back by the server.
//
// The URL is a libpq connection URI (postgresql://user:password@host:port/dbname?...). It is
// never logged or put in a message: messages name the database by redacted_url().

#include <memory>
#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::persistence {

struct PostgresOptions {
  // When set, the connection works in this schema: CREATE SCHEMA IF NOT EXISTS, then
  // search_path. Lets several systems (or tests) share one database. Empty: the server default
  // (public).
  std::string schema;
  // Seconds libpq waits for the server to accept a connection.
  int connect_timeout_seconds = 5;
};

// Connects to the database at `url`. kUnavailable when the server does not answer,
// kPermissionDenied for a refused login, kFailedPrecondition when the schema is newer than
// this binary. The message names redacted_url(url), never the password.
Result<std::unique_ptr<Database>> open_postgres(const std::string& url,
                                                const PostgresOptions& options = {});

// The URL with its password (in the userinfo or a password= parameter) replaced by "***".
std::string redacted_url(std::string_view url);

}  // namespace galfriday::persistence
