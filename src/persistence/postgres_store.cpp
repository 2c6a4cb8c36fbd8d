// The PostgreSQL backend over libpqxx 6. The libpqxx headers stay in this file; every libpqxx
// exception is caught here and becomes a Status (see postgres_store.hpp for the mapping).

#include "galfriday/persistence/postgres_store.hpp"

#include <charconv>
#include <exception>
#include <new>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "galfriday/persistence/migrations.hpp"

namespace galfriday::persistence {
namespace {

// PostgreSQL type OIDs (pg_type.h) of the integer columns; everything else comes back as text.
constexpr pqxx::oid kInt8Oid = 20;
constexpr pqxx::oid kInt2Oid = 21;
constexpr pqxx::oid kInt4Oid = 23;

StatusCode code_for_sqlstate(std::string_view state) {
  if (state == "23505") return StatusCode::kAlreadyExists;
  if (state == "23503") return StatusCode::kFailedPrecondition;
  if (state.starts_with("23")) return StatusCode::kInvalidArgument;
  if (state == "42P01") return StatusCode::kFailedPrecondition;
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "40001" || state == "40P01" || state == "55P03" || state == "53300" ||
      state == "58030") {
    return StatusCode::kUnavailable;
  }
  if (state == "53100" || state == "53200" || state.starts_with("54")) {
    return StatusCode::kResourceExhausted;
  }
  if (state == "42501" || state.starts_with("28") || state == "25006") {
    return StatusCode::kPermissionDenied;
  }
  if (state.starts_with("22")) return StatusCode::kInvalidArgument;
  if (state == "XX001" || state == "XX002") return StatusCode::kDataLoss;
  if (state == "57014") return StatusCode::kDeadlineExceeded;
  return StatusCode::kInternal;
}

// libpqxx messages end with a newline and sometimes carry the statement; keep the first line.
std::string first_line(std::string_view text) {
  const size_t end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

Status sql_error_status(std::string_view purpose, const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  StatusCode code = code_for_sqlstate(state);
  std::string message = std::string(purpose) + ": " + first_line(e.what());
  if (!state.empty()) message += " (sqlstate " + state + ")";
  if (state == "42P01") message += "; is the database migrated? run `galfriday db migrate`";
  return {code, std::move(message)};
}

// Turns whatever libpqxx (or the standard library) threw into a Status. Called from a catch
// block only.
Status current_exception_status(std::string_view purpose) {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    return sql_error_status(purpose, e);
  } catch (const pqxx::broken_connection& e) {
    return unavailable(std::string(purpose) +
                       ": connection to PostgreSQL lost: " + first_line(e.what()));
  } catch (const pqxx::in_doubt_error& e) {
    return unavailable(std::string(purpose) + ": commit in doubt: " + first_line(e.what()));
  } catch (const pqxx::transaction_rollback& e) {
    return unavailable(std::string(purpose) + ": transaction rolled back: " + first_line(e.what()));
  } catch (const pqxx::conversion_error& e) {
    return invalid_argument(std::string(purpose) + ": " + first_line(e.what()));
  } catch (const std::bad_alloc&) {
    return {StatusCode::kResourceExhausted, std::string(purpose) + ": out of memory"};
  } catch (const std::exception& e) {
    return internal_error(std::string(purpose) + ": " + first_line(e.what()));
  } catch (...) {
    return internal_error(std::string(purpose) + ": unknown exception");
  }
}

// A connection failure (libpq has no SQLSTATE for these): a refused login is permanent, a
// server that does not answer may come back.
Status connect_error_status(std::string_view context, std::string_view what) {
  const std::string detail = first_line(what);
  const bool refused = detail.find("authentication failed") != std::string::npos ||
                       detail.find("pg_hba.conf") != std::string::npos ||
                       detail.find("does not exist") != std::string::npos ||
                       detail.find("permission denied") != std::string::npos;
  if (refused) return permission_denied(std::string(context) + ": " + detail);
  return unavailable(std::string(context) + ": " + detail +
                     " (is the server running and the URL right? database.url or "
                     "GALFRIDAY_DATABASE_URL)");
}

bool is_uri(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string with_connect_timeout(const std::string& url, int seconds) {
  if (seconds <= 0 || url.find("connect_timeout") != std::string::npos) return url;
  const std::string value = "connect_timeout=" + std::to_string(seconds);
  if (!is_uri(url)) return url.empty() ? value : url + " " + value;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + value;
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, PostgresOptions options)
      : url_(std::move(url)), options_(std::move(options)), name_(redacted_url(url_)) {}

  // Connects (again); kUnavailable or kPermissionDenied with the redacted URL.
  Status connect() {
    conn_.reset();
    const std::string context = "connecting to PostgreSQL at " + name_;
    try {
      auto conn = std::make_unique<pqxx::connection>(
          with_connect_timeout(url_, options_.connect_timeout_seconds));
      {
        pqxx::nontransaction tx(*conn);
        // Keep server NOTICEs ("relation already exists, skipping") off stderr.
        tx.exec("SET client_min_messages = warning");
        if (!options_.schema.empty()) {
          const std::string schema = conn->quote_name(options_.schema);
          tx.exec("CREATE SCHEMA IF NOT EXISTS " + schema);
          tx.exec("SET search_path TO " + schema);
        }
        tx.commit();
      }
      conn_ = std::move(conn);
      return Status::ok();
    } catch (const pqxx::broken_connection& e) {
      return connect_error_status(context, e.what());
    } catch (...) {
      return current_exception_status(context);
    }
  }

  std::string_view dialect() const override { return "postgresql"; }

  Result<int64_t> execute(const Statement& statement, const SqlParams& params) override {
    int64_t changes = 0;
    GF_RETURN_IF_ERROR(run(statement, params, nullptr, changes));
    return changes;
  }

  Result<std::vector<Row>> query(const Statement& statement, const SqlParams& params) override {
    std::vector<Row> rows;
    int64_t changes = 0;
    GF_RETURN_IF_ERROR(run(statement, params, &rows, changes));
    return rows;
  }

  Status execute_script(std::string_view purpose, std::string_view sql) override {
    GF_RETURN_IF_ERROR(ensure_connected(purpose));
    try {
      pqxx::nontransaction tx(*conn_);
      tx.exec(std::string(sql));
      tx.commit();
      return Status::ok();
    } catch (...) {
      return failed(purpose);
    }
  }

  Status transaction(std::string_view purpose, const TransactionBody& body) override {
    const bool outer = depth_ == 0;
    if (outer) aborted_ = Status::ok();
    const std::string level = std::to_string(depth_);
    const std::string begin_purpose = "begin " + std::string(purpose);
    const std::string commit_purpose = "commit " + std::string(purpose);
    GF_RETURN_IF_ERROR(control(begin_purpose, outer ? "BEGIN" : "SAVEPOINT gf_sp_" + level));
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

    // A failed statement aborts a PostgreSQL transaction, and COMMIT of an aborted
    // transaction quietly rolls back: a body that ignored an error must not report success.
    if (result.is_ok() && !aborted_.is_ok()) {
      result = aborted_.with_context("an earlier statement of the transaction failed");
    }
    if (result.is_ok()) {
      result = control(commit_purpose, outer ? "COMMIT" : "RELEASE gf_sp_" + level);
      if (result.is_ok()) return result;
    }
    if (conn_ != nullptr) {
      if (outer) {
        (void)control("rollback " + std::string(purpose), "ROLLBACK");
      } else {
        const Status undone =
            control("rollback to savepoint", "ROLLBACK TO SAVEPOINT gf_sp_" + level);
        if (undone.is_ok()) {
          aborted_ = Status::ok();  // the savepoint took the failed statement with it
          (void)control("release savepoint", "RELEASE SAVEPOINT gf_sp_" + level);
        }
      }
    }
    if (outer) aborted_ = Status::ok();
    return result;
  }

  Result<bool> table_exists(std::string_view table) override {
    auto rows = query({"check table exists",
                       "SELECT 1 FROM information_schema.tables "
                       "WHERE table_schema = current_schema() AND table_name = ?"},
                      {std::string(table)});
    if (!rows) return rows.status();
    return !rows->empty();
  }

 private:
  // Outside a transaction a lost connection is replaced; inside one its work is gone, so the
  // transaction fails until it ends.
  Status ensure_connected(std::string_view purpose) {
    if (conn_ != nullptr) return Status::ok();
    if (depth_ > 0) {
      return unavailable(std::string(purpose) +
                         ": the connection to PostgreSQL was lost inside this transaction");
    }
    return connect().with_context(std::string(purpose));
  }

  // The status of the exception being handled; forgets a connection that did not survive it
  // and marks an open transaction as aborted.
  Status failed(std::string_view purpose) {
    Status status = current_exception_status(purpose);
    if (conn_ != nullptr && !conn_->is_open()) conn_.reset();
    if (depth_ > 0 && aborted_.is_ok()) aborted_ = status;
    return status;
  }

  Status control(std::string_view purpose, const std::string& sql) {
    GF_RETURN_IF_ERROR(ensure_connected(purpose));
    try {
      pqxx::nontransaction tx(*conn_);
      tx.exec(sql);
      tx.commit();
      return Status::ok();
    } catch (...) {
      Status status = current_exception_status(purpose);
      if (conn_ != nullptr && !conn_->is_open()) conn_.reset();
      return status;
    }
  }

  static Result<SqlValue> column(const pqxx::field& field, pqxx::oid type,
                                 std::string_view purpose) {
    if (field.is_null()) return SqlValue();
    const std::string_view text(field.c_str(), field.size());
    if (type == kInt8Oid || type == kInt4Oid || type == kInt2Oid) {
      int64_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return internal_error(std::string(purpose) + ": integer column " + field.name() +
                              " has value '" + std::string(text) + "'");
      }
      return SqlValue(value);
    }
    return SqlValue(std::string(text));
  }

  Status run(const Statement& statement, const SqlParams& params, std::vector<Row>* rows,
             int64_t& changes) {
    // libpq takes NUL-terminated parameters; integers become their decimal text and the server
    // converts by the column's type.
    std::vector<std::string> storage;
    storage.reserve(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& value = params[i];
      if (value.is_null()) continue;
      if (value.is_integer()) {
        storage.push_back(std::to_string(value.integer()));
      } else {
        if (value.text().find('\0') != std::string::npos) {
          return invalid_argument(std::string(statement.purpose) + ": parameter " +
                                  std::to_string(i + 1) +
                                  " contains a NUL byte, which PostgreSQL text cannot hold");
        }
        storage.push_back(value.text());
      }
      values[i] = storage.back().c_str();
    }
    GF_RETURN_IF_ERROR(ensure_connected(statement.purpose));
    try {
      // Unnamed statements (parse, bind and execute in one round trip). Named prepared
      // statements were measured too: no gain next to multi-row inserts, and libpqxx 6.4's
      // exec_prepared leaks a PGresult when the connection drops inside it (ASan, in
      // ServerRestartUnderLoadLosesNothingAcknowledged).
      pqxx::nontransaction tx(*conn_);
      const pqxx::result result = tx.exec_params(number_placeholders(statement.sql),
                                                 pqxx::prepare::make_dynamic_params(values));
      tx.commit();
      changes = static_cast<int64_t>(result.affected_rows());
      if (rows == nullptr) return Status::ok();
      const auto columns = result.columns();
      std::vector<pqxx::oid> types;
      types.reserve(columns);
      for (pqxx::row::size_type c = 0; c < columns; ++c) types.push_back(result.column_type(c));
      rows->reserve(result.size());
      for (const pqxx::row& row : result) {
        std::vector<SqlValue> out;
        out.reserve(columns);
        for (pqxx::row::size_type c = 0; c < columns; ++c) {
          auto value = column(row[c], types[c], statement.purpose);
          if (!value) return value.status();
          out.push_back(std::move(*value));
        }
        rows->emplace_back(std::move(out));
      }
      return Status::ok();
    } catch (...) {
      return failed(statement.purpose);
    }
  }

  const std::string url_;
  const PostgresOptions options_;
  const std::string name_;  // redacted, for messages
  std::unique_ptr<pqxx::connection> conn_;
  int depth_ = 0;
  Status aborted_;  // the first failure inside the open transaction
};

}  // namespace

std::string redacted_url(std::string_view url) {
  std::string out(url);
  if (is_uri(out)) {
    // postgresql://user:password@host/... : the password is between the first ':' after the
    // scheme and the '@' that ends the userinfo.
    const size_t start = out.find("://") + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a URI query parameter or a key=value pair.
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const size_t value = pos + 9;
    size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

Result<std::unique_ptr<Database>> open_postgres(const std::string& url,
                                                const PostgresOptions& options) {
  const std::string context = "opening PostgreSQL database " + redacted_url(url);
  try {
    auto db = std::make_unique<PostgresDatabase>(url, options);
    GF_RETURN_IF_ERROR(db->connect());
    const Status compatible = check_schema_compatible(*db);
    if (!compatible.is_ok()) return compatible.with_context(context);
    return std::unique_ptr<Database>(std::move(db));
  } catch (...) {
    return current_exception_status(context);
  }
}

}  // namespace galfriday::persistence
