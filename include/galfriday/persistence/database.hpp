#pragma once
// Database: the backend-neutral connection interface that repositories and migrations use.
// Two backends implement it: SQLite (embedded, the default; sqlite_store.hpp) and PostgreSQL
// (postgres_store.hpp); open_database.hpp picks one from the config.
//
// SQL is written once with '?' placeholders; every value is bound, never spliced into the
// text. A backend translates the placeholders to its own form (SQLite uses '?' as is,
// PostgreSQL rewrites them to $1, $2, ... with number_placeholders()).
//
// Errors are values: every failure of the driver becomes a Status whose message starts with
// the statement's purpose ("insert fill: UNIQUE constraint failed: ..."). Codes:
//   kAlreadyExists       unique or primary key taken
//   kInvalidArgument     other constraint (CHECK, NOT NULL), wrong parameter count, bad value
//   kFailedPrecondition  foreign key; table missing (database not migrated)
//   kUnavailable         busy or locked by another connection, I/O error: retrying may succeed
//   kResourceExhausted   disk or memory full
//   kPermissionDenied    read-only database or file permissions
//   kDataLoss            the file is corrupt or not a database
//   kInternal            anything else (a bug in our SQL)
// No exception crosses this interface.
//
// Threading: a Database is one connection; use it from one thread at a time. AsyncWriter
// owns the writing connection; readers open their own.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday::persistence {

// One bound parameter or one column value: NULL, a 64-bit integer or text. Money, prices and
// quantities travel as exact decimal text; timestamps as integer nanoseconds.
class SqlValue {
 public:
  SqlValue() = default;                                      // NULL
  SqlValue(std::nullopt_t) {}                                // NOLINT(google-explicit-constructor)
  SqlValue(int64_t value) : value_(value) {}                 // NOLINT(google-explicit-constructor)
  SqlValue(int value) : value_(int64_t{value}) {}            // NOLINT(google-explicit-constructor)
  SqlValue(std::string value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  SqlValue(std::string_view value)                           // NOLINT(google-explicit-constructor)
      : value_(std::string(value)) {}
  SqlValue(const char* value)
      : value_(std::string(value)) {}  // NOLINT(google-explicit-constructor)
  // An optional binds NULL when empty.
  template <typename T>
  SqlValue(const std::optional<T>& value) {  // NOLINT(google-explicit-constructor)
    if (value) *this = SqlValue(*value);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_integer() const { return std::holds_alternative<int64_t>(value_); }
  bool is_text() const { return std::holds_alternative<std::string>(value_); }
  // Precondition: is_integer() / is_text().
  int64_t integer() const { return std::get<int64_t>(value_); }
  const std::string& text() const { return std::get<std::string>(value_); }

  friend bool operator==(const SqlValue&, const SqlValue&) = default;

 private:
  std::variant<std::monostate, int64_t, std::string> value_;
};

using SqlParams = std::vector<SqlValue>;

// One result row. Typed accessors return nullopt for NULL (and for a value of the other
// kind), so a repository turns a missing required column into its own kDataLoss error.
class Row {
 public:
  explicit Row(std::vector<SqlValue> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  const SqlValue& operator[](size_t column) const { return values_.at(column); }
  bool is_null(size_t column) const { return values_.at(column).is_null(); }
  std::optional<std::string> text(size_t column) const;
  std::optional<int64_t> integer(size_t column) const;

 private:
  std::vector<SqlValue> values_;
};

// A statement and what it is for. The purpose names it in error messages and logs.
struct Statement {
  std::string_view purpose;  // "insert fill"
  std::string_view sql;      // '?' placeholders
};

class Database {
 public:
  using TransactionBody = std::function<Status(Database&)>;

  virtual ~Database() = default;

  // "sqlite" or "postgresql": selects the migrations (and SQL variants) for this backend.
  virtual std::string_view dialect() const = 0;

  // Runs one statement that returns no rows; the result is the number of rows it changed.
  virtual Result<int64_t> execute(const Statement& statement, const SqlParams& params = {}) = 0;

  // Runs one statement and returns all its rows.
  virtual Result<std::vector<Row>> query(const Statement& statement,
                                         const SqlParams& params = {}) = 0;

  // Runs several ';'-separated statements without parameters (migrations, DDL).
  virtual Status execute_script(std::string_view purpose, std::string_view sql) = 0;

  // Runs `body` atomically: commits when it returns OK, rolls back when it returns an error
  // (which is returned) or throws (kInternal). Nested calls become savepoints, so an inner
  // failure undoes only the inner work. A top-level transaction takes the write lock at its
  // start, so contention shows up as kUnavailable before any work is done.
  virtual Status transaction(std::string_view purpose, const TransactionBody& body) = 0;

  // Whether a table exists (migrations use it to tell an empty database).
  virtual Result<bool> table_exists(std::string_view table) = 0;
};

// Multi-row inserts: "<head> (?, ...), (?, ...) <tail>" with `rows` tuples of `columns`
// placeholders. Callers send rows in chunks of multi_row_chunk(rows left): 256, 64, 16, 4 or 1
// rows, so each insert has at most five distinct texts, which SQLite's statement cache keeps.
inline constexpr size_t kMaxRowsPerInsert = 256;
std::string multi_row_sql(std::string_view head, size_t columns, size_t rows,
                          std::string_view tail);
size_t multi_row_chunk(size_t rows_left);

// '?' placeholders rewritten as $1, $2, ... (PostgreSQL). '?' inside quoted literals,
// quoted identifiers and comments is left alone.
std::string number_placeholders(std::string_view sql);

}  // namespace galfriday::persistence
