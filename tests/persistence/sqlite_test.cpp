// The SQLite backend and the migrations: connection settings, error mapping, parameter
// binding, transactions, and schema versioning.

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/sqlite_store.hpp"
#include "test_support.hpp"

namespace galfriday::persistence {
namespace {

using test_support::TempDir;

class SqliteTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> open(const std::string& name = "test.db", SqliteOptions options = {}) {
    options.durability = Durability::kNormal;
    auto db = open_sqlite(dir_.file(name), options);
    EXPECT_TRUE(db.is_ok()) << db.status().to_string();
    if (!db) return nullptr;
    return std::move(db).value();
  }

  // A scratch table for tests of the connection itself.
  void create_scratch(Database& db) {
    ASSERT_TRUE(db.execute_script("create scratch",
                                  "CREATE TABLE scratch (id INTEGER PRIMARY KEY, "
                                  "name TEXT NOT NULL UNIQUE, note TEXT, "
                                  "amount INTEGER CHECK (amount >= 0)) STRICT;")
                    .is_ok());
  }

  int64_t count(Database& db, std::string_view table) {
    const std::string sql = "SELECT COUNT(*) FROM " + std::string(table);
    auto rows = db.query({"count", sql});
    EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
    if (!rows || rows->empty()) return -1;
    return rows->front().integer(0).value_or(-1);
  }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1700000000)};
};

TEST_F(SqliteTest, OpensInWalModeWithForeignKeysAndCreatesTheDirectory) {
  auto db = open("nested/dir/test.db");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(std::filesystem::exists(dir_.file("nested/dir/test.db")));
  auto mode = db->query({"journal mode", "PRAGMA journal_mode"});
  ASSERT_TRUE(mode.is_ok());
  EXPECT_EQ(mode->front().text(0), "wal");
  auto keys = db->query({"foreign keys", "PRAGMA foreign_keys"});
  ASSERT_TRUE(keys.is_ok());
  EXPECT_EQ(keys->front().integer(0), 1);
  EXPECT_EQ(db->dialect(), "sqlite");
}

TEST_F(SqliteTest, FullDurabilityIsTheDefault) {
  auto db = open_sqlite(dir_.file("full.db"));
  ASSERT_TRUE(db.is_ok()) << db.status().to_string();
  auto sync = (*db)->query({"synchronous", "PRAGMA synchronous"});
  ASSERT_TRUE(sync.is_ok());
  EXPECT_EQ(sync->front().integer(0), 2);  // FULL
}

TEST_F(SqliteTest, MigratesAnEmptyDatabaseToTheLatestVersion) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  auto before = migration_status(*db);
  ASSERT_TRUE(before.is_ok()) << before.status().to_string();
  EXPECT_EQ(before->current_version, 0);
  EXPECT_EQ(before->latest_version, 6);
  EXPECT_EQ(before->pending,
            (std::vector<std::string>{"001_trading", "002_audit", "003_market_data", "004_models",
                                      "005_market_trades", "006_recovery_checklist"}));
  EXPECT_FALSE(before->up_to_date());

  ASSERT_TRUE(migrate(*db, clock_).is_ok());

  auto after = migration_status(*db);
  ASSERT_TRUE(after.is_ok()) << after.status().to_string();
  EXPECT_EQ(after->current_version, 6);
  EXPECT_TRUE(after->up_to_date());
  EXPECT_EQ(after->applied,
            (std::vector<std::string>{"001_trading", "002_audit", "003_market_data", "004_models",
                                      "005_market_trades", "006_recovery_checklist"}));
  for (const char* table :
       {"orders", "fills", "trade_signals", "event_log", "portfolio_snapshots", "historical_bars",
        "halt_state", "halt_history", "market_trades", "recovery_checklist"}) {
    auto exists = db->table_exists(table);
    ASSERT_TRUE(exists.is_ok());
    EXPECT_TRUE(*exists) << table;
  }
  auto stamped = db->query({"applied_at",
                            "SELECT applied_at_ns, applied_at FROM schema_version "
                            "WHERE version = 1"});
  ASSERT_TRUE(stamped.is_ok());
  EXPECT_EQ(stamped->front().integer(0), to_nanos(clock_.now()));
  EXPECT_EQ(stamped->front().text(1), "2023-11-14T22:13:20Z");
}

TEST_F(SqliteTest, MigrateIsIdempotent) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(migrate(*db, clock_).is_ok());
  clock_.advance_to(clock_.now() + std::chrono::hours(1));
  ASSERT_TRUE(migrate(*db, clock_).is_ok());
  EXPECT_EQ(count(*db, "schema_version"), 6);
  auto stamps = db->query({"applied_at", "SELECT DISTINCT applied_at_ns FROM schema_version"});
  ASSERT_TRUE(stamps.is_ok());
  EXPECT_EQ(stamps->size(), 1U) << "a re-run must not re-apply anything";

  // A fresh connection to the migrated file is accepted and up to date.
  db.reset();
  auto again = open();
  ASSERT_NE(again, nullptr);
  auto status = migration_status(*again);
  ASSERT_TRUE(status.is_ok());
  EXPECT_TRUE(status->up_to_date());
}

TEST_F(SqliteTest, RefusesADatabaseWhoseSchemaIsNewerThanTheBinary) {
  {
    auto db = open();
    ASSERT_NE(db, nullptr);
    // A later binary added migration 7.
    std::vector<Migration> newer(embedded_migrations("sqlite").begin(),
                                 embedded_migrations("sqlite").end());
    ASSERT_EQ(newer.size(), 6U);
    newer.push_back({7, "007_from_the_future", "CREATE TABLE future (x INTEGER) STRICT;"});
    ASSERT_TRUE(migrate(*db, newer, clock_).is_ok());
    auto status = migration_status(*db);
    ASSERT_FALSE(status.is_ok());
    EXPECT_EQ(status.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(migrate(*db, clock_).code(), StatusCode::kFailedPrecondition);
  }
  auto refused = open_sqlite(dir_.file("test.db"));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  const std::string message = refused.status().message();
  EXPECT_NE(message.find("version 7 (007_from_the_future)"), std::string::npos) << message;
  EXPECT_NE(message.find("newer than this binary"), std::string::npos) << message;
  EXPECT_NE(message.find("latest 6 (006_recovery_checklist)"), std::string::npos) << message;
}

TEST_F(SqliteTest, RefusesAMigrationThatWasEditedAfterItWasApplied) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> edited{
      {1, "001_trading", "CREATE TABLE orders (client_order_id TEXT PRIMARY KEY) STRICT;"}};
  ASSERT_TRUE(migrate(*db, edited, clock_).is_ok());
  auto status = migration_status(*db);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.status().message().find("checksum"), std::string::npos);
  EXPECT_EQ(migrate(*db, clock_).code(), StatusCode::kFailedPrecondition);
}

TEST_F(SqliteTest, AFailingMigrationIsRolledBackAndNamed) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> migrations{
      {1, "001_good", "CREATE TABLE good (x INTEGER) STRICT;"},
      {2, "002_bad", "CREATE TABLE half (x INTEGER) STRICT; CREATE TABL oops (y);"},
      {3, "003_never", "CREATE TABLE never (x INTEGER) STRICT;"},
  };
  const Status status = migrate(*db, migrations, clock_);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("002_bad"), std::string::npos) << status.to_string();
  auto after = migration_status(*db, migrations);
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->current_version, 1);
  EXPECT_EQ(after->pending, (std::vector<std::string>{"002_bad", "003_never"}));
  EXPECT_FALSE(*db->table_exists("half"));
  EXPECT_FALSE(*db->table_exists("never"));
}

TEST_F(SqliteTest, EmbeddedMigrationsAreNumberedWithoutGaps) {
  const auto migrations = embedded_migrations("sqlite");
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(migrations[i].sql.empty());
  }
  EXPECT_TRUE(embedded_migrations("no-such-backend").empty());
}

TEST_F(SqliteTest, BindsHostileStringsAsValuesNeverAsSql) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  create_scratch(*db);
  const std::vector<std::string> hostile{
      "O'Brien",
      "'; DROP TABLE scratch; --",
      "\"; DELETE FROM scratch; --",
      "Robert'); DROP TABLE scratch;--",
      "? ?1 :name @x $1",
      std::string("nul\0inside", 10),
      "\xF0\x9F\x92\xB0 \xE2\x82\xBF",
  };
  for (const std::string& name : hostile) {
    auto inserted = db->execute(
        {"insert scratch", "INSERT INTO scratch (name, note) VALUES (?, ?)"}, {name, name + "'"});
    ASSERT_TRUE(inserted.is_ok()) << inserted.status().to_string();
  }
  EXPECT_TRUE(*db->table_exists("scratch"));
  for (const std::string& name : hostile) {
    auto rows =
        db->query({"find scratch", "SELECT name, note FROM scratch WHERE name = ?"}, {name});
    ASSERT_TRUE(rows.is_ok());
    ASSERT_EQ(rows->size(), 1U);
    EXPECT_EQ(rows->front().text(0), name);
    EXPECT_EQ(rows->front().text(1), name + "'");
  }
  EXPECT_EQ(count(*db, "scratch"), static_cast<int64_t>(hostile.size()));
}

TEST_F(SqliteTest, MoneyIsStoredAsExactText) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(migrate(*db, clock_).is_ok());
  FillRecord fill{TradeId("T1"),
                  ClientOrderId("c1"),
                  std::nullopt,
                  InstrumentId("BTC/USD"),
                  Side::kBuy,
                  Price::parse("30000.10").value(),
                  Quantity::parse("0.00100000").value(),
                  Money::parse("0.07800").value(),
                  "USD",
                  Liquidity::kTaker,
                  timestamp_from_seconds(1)};
  ASSERT_TRUE(SqlFillRepository(*db).insert(fill).is_ok());
  auto rows = db->query({"raw fill",
                         "SELECT typeof(price), price, typeof(qty), qty, fee "
                         "FROM fills"});
  ASSERT_TRUE(rows.is_ok());
  EXPECT_EQ(rows->front().text(0), "text");
  EXPECT_EQ(rows->front().text(1), "30000.10");
  EXPECT_EQ(rows->front().text(2), "text");
  EXPECT_EQ(rows->front().text(3), "0.00100000");
  EXPECT_EQ(rows->front().text(4), "0.07800");
  // STRICT tables keep a TEXT column text even when a number is written into it.
  ASSERT_TRUE(db->execute({"write a number", "UPDATE fills SET price = 1.5"}).is_ok());
  auto coerced = db->query({"raw price", "SELECT typeof(price) FROM fills"});
  ASSERT_TRUE(coerced.is_ok());
  EXPECT_EQ(coerced->front().text(0), "text");
  // and refuse text where the schema says INTEGER.
  auto text_time = db->execute({"write text time", "UPDATE fills SET ts_ns = 'soon'"});
  ASSERT_FALSE(text_time.is_ok());
  EXPECT_EQ(text_time.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteTest, ConstraintViolationsBecomeStatusesNamingThePurpose) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  create_scratch(*db);
  const Statement insert{"insert scratch row", "INSERT INTO scratch (name, amount) VALUES (?, ?)"};
  ASSERT_TRUE(db->execute(insert, {"a", 1}).is_ok());

  auto duplicate = db->execute(insert, {"a", 2});
  ASSERT_FALSE(duplicate.is_ok());
  EXPECT_EQ(duplicate.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(duplicate.status().message().starts_with("insert scratch row: UNIQUE constraint"))
      << duplicate.status().message();

  auto check = db->execute(insert, {"b", -1});
  ASSERT_FALSE(check.is_ok());
  EXPECT_EQ(check.status().code(), StatusCode::kInvalidArgument);

  auto null = db->execute(insert, {SqlValue(), 1});
  ASSERT_FALSE(null.is_ok());
  EXPECT_EQ(null.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteTest, MisuseIsReportedNotThrown) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  create_scratch(*db);
  auto wrong_count =
      db->execute({"insert scratch", "INSERT INTO scratch (name) VALUES (?)"}, {"a", "b"});
  ASSERT_FALSE(wrong_count.is_ok());
  EXPECT_EQ(wrong_count.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_count.status().message().find("1 placeholders but 2 parameters"),
            std::string::npos);

  auto two = db->execute({"two statements", "DELETE FROM scratch; DROP TABLE scratch"});
  ASSERT_FALSE(two.is_ok());
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(*db->table_exists("scratch"));

  auto syntax = db->query({"broken select", "SELEC 1"});
  ASSERT_FALSE(syntax.is_ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInternal);
}

TEST_F(SqliteTest, AMissingTableAsksForMigration) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  auto orders = SqlOrderRepository(*db).find(ClientOrderId("x"));
  ASSERT_FALSE(orders.is_ok());
  EXPECT_EQ(orders.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(orders.status().message().find("galfriday db migrate"), std::string::npos);
}

TEST_F(SqliteTest, ALockedDatabaseIsUnavailable) {
  SqliteOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(20);
  auto holder = open("shared.db");
  auto other = open("shared.db", quick);
  ASSERT_NE(holder, nullptr);
  ASSERT_NE(other, nullptr);
  create_scratch(*holder);
  Result<int64_t> blocked = int64_t{0};
  const Status held = holder->transaction("hold the write lock", [&](Database& tx) -> Status {
    auto own = tx.execute({"insert scratch", "INSERT INTO scratch (name) VALUES ('x')"});
    if (!own) return own.status();
    blocked = other->execute({"insert while locked", "INSERT INTO scratch (name) VALUES ('y')"});
    return Status::ok();
  });
  ASSERT_TRUE(held.is_ok());
  ASSERT_FALSE(blocked.is_ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(blocked.status().message().starts_with("insert while locked: database is locked"))
      << blocked.status().message();
  // Once the lock is gone, the same statement works.
  EXPECT_TRUE(other->execute({"insert after", "INSERT INTO scratch (name) VALUES ('y')"}).is_ok());
}

TEST_F(SqliteTest, AFullDiskIsResourceExhausted) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  create_scratch(*db);
  // Cap the file so the disk "fills up" after a few pages.
  ASSERT_TRUE(db->query({"cap file size", "PRAGMA max_page_count = 8"}).is_ok());
  const std::string big(1500, 'x');
  Status failure;
  for (int i = 0; i < 100 && failure.is_ok(); ++i) {
    failure = db->execute({"insert big row", "INSERT INTO scratch (name, note) VALUES (?, ?)"},
                          {std::to_string(i), big})
                  .status();
  }
  ASSERT_FALSE(failure.is_ok());
  EXPECT_EQ(failure.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(failure.message().starts_with("insert big row: ")) << failure.message();
}

TEST_F(SqliteTest, AFileThatIsNotADatabaseIsDataLoss) {
  {
    std::ofstream out(dir_.file("garbage.db"), std::ios::binary);
    out << std::string(4096, 'g');
  }
  auto db = open_sqlite(dir_.file("garbage.db"));
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(db.status().message().find("garbage.db"), std::string::npos);
}

TEST_F(SqliteTest, TransactionsCommitRollBackAndNestAsSavepoints) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  create_scratch(*db);
  const Statement insert{"insert scratch", "INSERT INTO scratch (name) VALUES (?)"};

  // An inner failure undoes only the inner work.
  Status inner_status;
  ASSERT_TRUE(db->transaction("outer", [&](Database& tx) -> Status {
                  GF_RETURN_IF_ERROR(tx.execute(insert, {"outer"}).status());
                  inner_status = tx.transaction("inner", [&](Database& inner) -> Status {
                    GF_RETURN_IF_ERROR(inner.execute(insert, {"inner"}).status());
                    return invalid_argument("inner fails");
                  });
                  return Status::ok();
                }).is_ok());
  EXPECT_EQ(inner_status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(count(*db, "scratch"), 1);

  // An outer failure undoes everything and returns the body's status.
  const Status outer = db->transaction("failing outer", [&](Database& tx) -> Status {
    GF_RETURN_IF_ERROR(tx.execute(insert, {"gone"}).status());
    return unavailable("body gives up");
  });
  EXPECT_EQ(outer.code(), StatusCode::kUnavailable);
  EXPECT_EQ(count(*db, "scratch"), 1);

  // A throwing body is rolled back and reported, not propagated.
  const Status threw = db->transaction("throwing", [&](Database& tx) -> Status {
    (void)tx.execute(insert, {"thrown away"});
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(threw.code(), StatusCode::kInternal);
  EXPECT_NE(threw.message().find("boom"), std::string::npos);
  EXPECT_EQ(count(*db, "scratch"), 1);

  // The connection is usable afterwards.
  EXPECT_TRUE(db->execute(insert, {"after"}).is_ok());
  EXPECT_EQ(count(*db, "scratch"), 2);
}

TEST_F(SqliteTest, StatementCacheCanBeDisabled) {
  SqliteOptions options;
  options.statement_cache_size = 0;
  auto db = open("nocache.db", options);
  ASSERT_NE(db, nullptr);
  create_scratch(*db);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        db->execute({"insert", "INSERT INTO scratch (name) VALUES (?)"}, {std::to_string(i)})
            .is_ok());
  }
  EXPECT_EQ(count(*db, "scratch"), 3);
}

TEST(Placeholders, NumberedForPostgresOutsideLiteralsAndComments) {
  EXPECT_EQ(number_placeholders("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(number_placeholders("SELECT '?', 'it''s ?', \"col?\" FROM t WHERE x = ?"),
            "SELECT '?', 'it''s ?', \"col?\" FROM t WHERE x = $1");
  EXPECT_EQ(number_placeholders("-- why?\nSELECT ? /* and ? */, ?"),
            "-- why?\nSELECT $1 /* and ? */, $2");
}

}  // namespace
}  // namespace galfriday::persistence
