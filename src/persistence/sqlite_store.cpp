// The SQLite backend over the sqlite3 C API. The sqlite3 header stays in this file.

#include "galfriday/persistence/sqlite_store.hpp"

#include <sqlite3.h>

#include <climits>
#include <exception>
#include <new>
#include <string>
#include <system_error>
#include <unordered_map>

namespace galfriday::persistence {
namespace {

constexpr std::string_view kNoSuchTable = "no such table";

StatusCode code_for(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (extended_code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
          return StatusCode::kAlreadyExists;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return StatusCode::kFailedPrecondition;
        default:
          return StatusCode::kInvalidArgument;
      }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_SCHEMA:
    case SQLITE_PROTOCOL:
      return StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return StatusCode::kResourceExhausted;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN:
      return StatusCode::kPermissionDenied;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return StatusCode::kOutOfRange;
    case SQLITE_MISMATCH:
      return StatusCode::kInvalidArgument;
    case SQLITE_INTERRUPT:
      return StatusCode::kDeadlineExceeded;
    default:
      return StatusCode::kInternal;
  }
}

// "insert fill: UNIQUE constraint failed: fills.trade_id (sqlite 1555: constraint failed)"
Status sqlite_error(std::string_view purpose, int extended_code, std::string_view detail) {
  StatusCode code = code_for(extended_code);
  std::string message(purpose);
  message += ": ";
  message += detail;
  message += " (sqlite ";
  message += std::to_string(extended_code);
  message += ": ";
  message += sqlite3_errstr(extended_code);
  message += ")";
  if ((extended_code & 0xff) == SQLITE_ERROR && detail.starts_with(kNoSuchTable)) {
    code = StatusCode::kFailedPrecondition;
    message += "; is the database migrated? run `galfriday db migrate`";
  }
  return {code, std::move(message)};
}

Status exception_status(std::string_view purpose, const std::exception& e) {
  const bool no_memory = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
  return {no_memory ? StatusCode::kResourceExhausted : StatusCode::kInternal,
          std::string(purpose) + ": " + e.what()};
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(sqlite3* db, size_t cache_size) : db_(db), cache_size_(cache_size) {}
  ~SqliteDatabase() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  std::string_view dialect() const override { return "sqlite"; }

  Result<int64_t> execute(const Statement& statement, const SqlParams& params) override {
    try {
      int64_t changes = 0;
      GF_RETURN_IF_ERROR(run(statement, params, nullptr, changes));
      return changes;
    } catch (const std::exception& e) {
      return exception_status(statement.purpose, e);
    }
  }

  Result<std::vector<Row>> query(const Statement& statement, const SqlParams& params) override {
    try {
      std::vector<Row> rows;
      int64_t changes = 0;
      GF_RETURN_IF_ERROR(run(statement, params, &rows, changes));
      return rows;
    } catch (const std::exception& e) {
      return exception_status(statement.purpose, e);
    }
  }

  Status execute_script(std::string_view purpose, std::string_view sql) override {
    try {
      if (!broken_.is_ok()) return broken_;
      const std::string text(sql);
      char* error = nullptr;
      const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
      if (rc == SQLITE_OK) return Status::ok();
      const std::string detail = error != nullptr ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      return failed(purpose, sqlite3_extended_errcode(db_), detail);
    } catch (const std::exception& e) {
      return exception_status(purpose, e);
    }
  }

  Status transaction(std::string_view purpose, const TransactionBody& body) override {
    if (!broken_.is_ok()) return broken_;
    const bool outer = depth_ == 0;
    const std::string savepoint = "SAVEPOINT gf_sp_" + std::to_string(depth_);
    const std::string release = "RELEASE gf_sp_" + std::to_string(depth_);
    const std::string rollback_to = "ROLLBACK TO gf_sp_" + std::to_string(depth_);
    const std::string begin_purpose = "begin " + std::string(purpose);
    const std::string commit_purpose = "commit " + std::string(purpose);

    GF_RETURN_IF_ERROR(
        control({begin_purpose, outer ? std::string_view("BEGIN IMMEDIATE") : savepoint}));
    ++depth_;
    Status result;
    try {
      result = body(*this);
    } catch (const std::exception& e) {
      result = internal_error(std::string(purpose) + ": transaction body threw: " + e.what());
    } catch (...) {
      result = internal_error(std::string(purpose) + ": transaction body threw");
    }
    --depth_;

    if (result.is_ok() && !broken_.is_ok()) result = broken_;
    if (result.is_ok()) {
      result = control({commit_purpose, outer ? std::string_view("COMMIT") : release});
      if (result.is_ok()) return result;
    }
    // Some errors (disk full, I/O) make SQLite roll the whole transaction back itself.
    if (sqlite3_get_autocommit(db_) == 0) {
      if (outer) {
        (void)control({"rollback", "ROLLBACK"});
      } else {
        (void)control({"rollback to savepoint", rollback_to});
        (void)control({"release savepoint", release});
      }
    }
    if (outer) broken_ = Status::ok();
    return result;
  }

  Result<bool> table_exists(std::string_view table) override {
    auto rows = query(
        {"check table exists", "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"},
        {std::string(table)});
    if (!rows) return rows.status();
    return !rows->empty();
  }

 private:
  // A prepared statement, reset when the use ends; finalized when it is not cached.
  class Use {
   public:
    Use(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
    ~Use() {
      if (owned_) {
        sqlite3_finalize(stmt_);
      } else {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
      }
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    sqlite3_stmt* get() const { return stmt_; }

   private:
    sqlite3_stmt* stmt_;
    bool owned_;
  };

  Status control(const Statement& statement) {
    int64_t changes = 0;
    return run(statement, {}, nullptr, changes);
  }

  // Records that SQLite ended the open transaction itself, so that later statements of the
  // same body do not silently run outside it.
  Status failed(std::string_view purpose, int extended_code, std::string_view detail) {
    Status status = sqlite_error(purpose, extended_code, detail);
    if (depth_ > 0 && sqlite3_get_autocommit(db_) != 0 && broken_.is_ok()) {
      broken_ = status.with_context("transaction rolled back by the database");
    }
    return status;
  }

  Result<sqlite3_stmt*> prepare(const Statement& statement, bool& cached) {
    cached = cache_size_ > 0;
    if (cached) {
      if (auto it = cache_.find(statement.sql); it != cache_.end()) return it->second;
    }
    if (statement.sql.size() > static_cast<size_t>(INT_MAX)) {
      return out_of_range(std::string(statement.purpose) + ": SQL text too long");
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_, statement.sql.data(),
                                      static_cast<int>(statement.sql.size()), &stmt, &tail);
    if (rc != SQLITE_OK) {
      return sqlite_error(statement.purpose, sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
    }
    if (stmt == nullptr) return invalid_argument(std::string(statement.purpose) + ": empty SQL");
    const std::string_view rest(tail, statement.sql.data() + statement.sql.size() - tail);
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      return invalid_argument(std::string(statement.purpose) +
                              ": more than one statement; use execute_script");
    }
    if (cached) {
      if (cache_.size() >= cache_size_) {
        for (auto& [sql, old] : cache_) sqlite3_finalize(old);
        cache_.clear();
      }
      cache_.emplace(std::string(statement.sql), stmt);
    }
    return stmt;
  }

  Status bind(sqlite3_stmt* stmt, const Statement& statement, const SqlParams& params) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<size_t>(expected) != params.size()) {
      return invalid_argument(std::string(statement.purpose) + ": the statement has " +
                              std::to_string(expected) + " placeholders but " +
                              std::to_string(params.size()) + " parameters were given");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& value = params[i];
      int rc = SQLITE_OK;
      if (value.is_null()) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (value.is_integer()) {
        rc = sqlite3_bind_int64(stmt, index, value.integer());
      } else {
        const std::string& text = value.text();
        if (text.size() > static_cast<size_t>(INT_MAX)) {
          return out_of_range(std::string(statement.purpose) + ": parameter " +
                              std::to_string(index) + " is too long");
        }
        // The parameters outlive the statement's use, which resets the bindings at its end.
        rc = sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                               SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) {
        return sqlite_error(statement.purpose, sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
      }
    }
    return Status::ok();
  }

  static SqlValue column(sqlite3_stmt* stmt, int index) {
    switch (sqlite3_column_type(stmt, index)) {
      case SQLITE_NULL:
        return {};
      case SQLITE_INTEGER:
        return {static_cast<int64_t>(sqlite3_column_int64(stmt, index))};
      default: {  // TEXT, and BLOB or REAL as SQLite renders them (our schema has neither)
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
        const int bytes = sqlite3_column_bytes(stmt, index);
        return {std::string(text == nullptr ? "" : text, static_cast<size_t>(bytes))};
      }
    }
  }

  Status run(const Statement& statement, const SqlParams& params, std::vector<Row>* rows,
             int64_t& changes) {
    if (!broken_.is_ok()) return broken_;
    bool cached = false;
    auto prepared = prepare(statement, cached);
    if (!prepared) return prepared.status();
    const Use use(*prepared, !cached);
    GF_RETURN_IF_ERROR(bind(use.get(), statement, params));
    const int columns = sqlite3_column_count(use.get());
    while (true) {
      const int rc = sqlite3_step(use.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return failed(statement.purpose, rc, sqlite3_errmsg(db_));
      if (rows == nullptr) continue;
      std::vector<SqlValue> values;
      values.reserve(static_cast<size_t>(columns));
      for (int i = 0; i < columns; ++i) values.push_back(column(use.get(), i));
      rows->emplace_back(std::move(values));
    }
    changes = sqlite3_changes64(db_);
    return Status::ok();
  }

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  sqlite3* db_;
  size_t cache_size_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
  int depth_ = 0;
  Status broken_;
};

Status configure(Database& db, const std::filesystem::path& path, const SqliteOptions& options) {
  auto mode = db.query({"enable WAL mode", "PRAGMA journal_mode = WAL"});
  if (!mode) return mode.status();
  const std::string journal = mode->empty() ? "" : mode->front().text(0).value_or("");
  if (journal != "wal" && !(path == ":memory:" && journal == "memory")) {
    return failed_precondition("enable WAL mode: the database at " + path.string() +
                               " stays in journal mode '" + journal +
                               "' (is it on a file system without shared memory?)");
  }
  const Statement synchronous = options.durability == Durability::kFull
                                    ? Statement{"set durability", "PRAGMA synchronous = FULL"}
                                    : Statement{"set durability", "PRAGMA synchronous = NORMAL"};
  auto set = db.execute(synchronous);
  if (!set) return set.status();
  set = db.execute({"enable foreign keys", "PRAGMA foreign_keys = ON"});
  if (!set) return set.status();
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& path,
                                              const SqliteOptions& options) {
  const std::string context = "opening SQLite database " + path.string();
  try {
    if (options.create_directories && path != ":memory:" && path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) {
        return permission_denied(context + ": cannot create directory " +
                                 path.parent_path().string() + ": " + ec.message());
      }
    }
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string detail = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
      sqlite3_close_v2(raw);
      return sqlite_error(context, rc, detail);
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
    auto db = std::make_unique<SqliteDatabase>(raw, options.statement_cache_size);
    Status status = configure(*db, path, options);
    if (status.is_ok()) status = check_schema_compatible(*db);
    if (!status.is_ok()) return status.with_context(context);
    return std::unique_ptr<Database>(std::move(db));
  } catch (const std::exception& e) {
    return exception_status(context, e);
  }
}

}  // namespace galfriday::persistence
