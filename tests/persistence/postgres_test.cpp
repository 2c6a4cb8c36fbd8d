// The PostgreSQL backend against a real PostgreSQL 15 (scripts/with-test-server.sh starts a
// throwaway cluster): error mapping, transactions, migrations and refusals, the AsyncWriter
// and the event log, and the loss of the server under load.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "galfriday/persistence/async_writer.hpp"
#include "galfriday/persistence/event_log.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/write_failures.hpp"
#include "test_support.hpp"

// LeakSanitizer (ASan builds): when the server goes away in the middle of a statement,
// libpq (via libpqxx 6.4's connection_base::exec_params) leaks the PGresult it was building,
// once per lost statement. That is inside the libraries, not ours; the restart test triggers
// it on purpose. Ignored in non-sanitizer builds.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:pqxx::connection_base::exec_params\n";
}

namespace galfriday::persistence {
namespace {

using test_support::TempDir;

FillRecord fill(int64_t n) {
  return FillRecord{TradeId("TQ7XK2-" + std::to_string(n)),
                    ClientOrderId("gf-sig-" + std::to_string(n / 4) + "-e"),
                    ExchangeOrderId("OU22CG-KLAF2-FWUDD7"),
                    InstrumentId("BTC/USD"),
                    Side::kBuy,
                    Price::parse("37500.1").value(),
                    Quantity::parse("0.50000000").value(),
                    Money::parse("48.75000").value(),
                    "USD",
                    Liquidity::kMaker,
                    timestamp_from_nanos(1700000000000000000 + n)};
}

// The command the live execution path uses: the writer joins these into multi-row inserts, so
// the restart test below covers that path through a reconnect (and re-preparing).
WriteCommand insert_fill(int64_t n) { return insert_fill_command(fill(n)); }

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open("main");
    ASSERT_NE(db_, nullptr);
  }

  std::unique_ptr<Database> open(const std::string& location) {
    return test_support::must_open(test_support::postgres_backend(), dir_, location);
  }

  void migrate_main() { ASSERT_TRUE(migrate(*db_, clock_).is_ok()); }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1700000000)};
  std::unique_ptr<Database> db_;
};

TEST_F(PostgresTest, ValuesRoundTripWithTheirKinds) {
  ASSERT_TRUE(db_->execute_script("create scratch",
                                  "CREATE TABLE scratch (k TEXT PRIMARY KEY, n BIGINT, t TEXT)")
                  .is_ok());
  const std::string hostile = "it's \"quoted\" ? $1 ; -- not a comment";
  auto inserted = db_->execute({"insert scratch", "INSERT INTO scratch (k, n, t) VALUES (?, ?, ?)"},
                               {"a", int64_t{-9007199254740993}, hostile});
  ASSERT_TRUE(inserted.is_ok()) << inserted.status().to_string();
  EXPECT_EQ(*inserted, 1);
  ASSERT_TRUE(db_->execute({"insert scratch", "INSERT INTO scratch (k, n, t) VALUES (?, ?, ?)"},
                           {"b", SqlValue(), SqlValue()})
                  .is_ok());
  auto rows = db_->query({"read scratch",
                          "SELECT k, n, t, COUNT(*) OVER () FROM scratch "
                          "WHERE k = ? OR k = ? ORDER BY k"},
                         {"a", "b"});
  ASSERT_TRUE(rows.is_ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ((*rows)[0].integer(1), -9007199254740993);
  EXPECT_EQ((*rows)[0].text(2), hostile);
  EXPECT_EQ((*rows)[0].integer(3), 2) << "COUNT(*) is a BIGINT and comes back as an integer";
  EXPECT_TRUE((*rows)[1].is_null(1));
  EXPECT_TRUE((*rows)[1].is_null(2));
  auto updated = db_->execute({"update scratch", "UPDATE scratch SET n = ?"}, {7});
  ASSERT_TRUE(updated.is_ok());
  EXPECT_EQ(*updated, 2);
}

TEST_F(PostgresTest, DriverErrorsMapToTheDocumentedCodes) {
  ASSERT_TRUE(db_->execute_script("create scratch",
                                  "CREATE TABLE parent (k TEXT PRIMARY KEY);"
                                  "CREATE TABLE scratch (k TEXT PRIMARY KEY, n BIGINT NOT NULL "
                                  "CHECK (n > 0), p TEXT REFERENCES parent (k))")
                  .is_ok());
  const Statement insert{"insert scratch row", "INSERT INTO scratch (k, n, p) VALUES (?, ?, ?)"};
  ASSERT_TRUE(db_->execute(insert, {"a", 1, SqlValue()}).is_ok());

  auto duplicate = db_->execute(insert, {"a", 2, SqlValue()});
  EXPECT_EQ(duplicate.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(duplicate.status().message().starts_with("insert scratch row: "))
      << duplicate.status().message();
  EXPECT_NE(duplicate.status().message().find("(sqlstate 23505)"), std::string::npos)
      << duplicate.status().message();

  EXPECT_EQ(db_->execute(insert, {"b", 0, SqlValue()}).status().code(),
            StatusCode::kInvalidArgument);  // CHECK
  EXPECT_EQ(db_->execute(insert, {"c", SqlValue(), SqlValue()}).status().code(),
            StatusCode::kInvalidArgument);  // NOT NULL
  EXPECT_EQ(db_->execute(insert, {"d", 1, "nobody"}).status().code(),
            StatusCode::kFailedPrecondition);  // foreign key
  EXPECT_EQ(db_->execute(insert, {"e", "not a number", SqlValue()}).status().code(),
            StatusCode::kInvalidArgument);  // 22P02 invalid text representation
  EXPECT_EQ(db_->execute(insert, {std::string("nul\0byte", 8), 1, SqlValue()}).status().code(),
            StatusCode::kInvalidArgument);

  auto missing = db_->query({"read fills", "SELECT * FROM fills"});
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("galfriday db migrate"), std::string::npos);

  EXPECT_EQ(db_->execute({"bad sql", "SELEC 1"}).status().code(), StatusCode::kInternal);
  // The connection is still usable after every error.
  auto one = db_->query({"select one", "SELECT 1"});
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
}

TEST_F(PostgresTest, TransactionsCommitRollBackAndNestAsSavepoints) {
  ASSERT_TRUE(
      db_->execute_script("create scratch", "CREATE TABLE scratch (k TEXT PRIMARY KEY)").is_ok());
  const Statement insert{"insert scratch row", "INSERT INTO scratch (k) VALUES (?)"};
  const Statement count{"count scratch", "SELECT COUNT(*) FROM scratch"};

  Status outer = db_->transaction("outer", [&](Database& tx) -> Status {
    GF_RETURN_IF_ERROR(tx.execute(insert, {"a"}).status());
    Status inner = tx.transaction("inner", [&](Database& tx2) -> Status {
      GF_RETURN_IF_ERROR(tx2.execute(insert, {"b"}).status());
      return tx2.execute(insert, {"a"}).status();  // duplicate: undoes only the inner work
    });
    EXPECT_EQ(inner.code(), StatusCode::kAlreadyExists);
    return tx.execute(insert, {"c"}).status();
  });
  ASSERT_TRUE(outer.is_ok()) << outer.to_string();
  EXPECT_EQ(db_->query(count)->front().integer(0), 2) << "a and c committed, b rolled back";

  Status failed = db_->transaction("fails", [&](Database& tx) -> Status {
    GF_RETURN_IF_ERROR(tx.execute(insert, {"d"}).status());
    return invalid_argument("the body gives up");
  });
  EXPECT_EQ(failed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->query(count)->front().integer(0), 2);

  // A body that ignores a failed statement must not report a commit: PostgreSQL would turn
  // the COMMIT of the aborted transaction into a rollback.
  Status ignored = db_->transaction("ignores an error", [&](Database& tx) -> Status {
    (void)tx.execute(insert, {"e"});
    (void)tx.execute(insert, {"a"});
    return Status::ok();
  });
  EXPECT_EQ(ignored.code(), StatusCode::kAlreadyExists) << ignored.to_string();
  EXPECT_EQ(db_->query(count)->front().integer(0), 2);
}

TEST_F(PostgresTest, MigratesReportsStatusAndRefusesANewerSchema) {
  auto before = migration_status(*db_);
  ASSERT_TRUE(before.is_ok()) << before.status().to_string();
  EXPECT_EQ(before->current_version, 0);
  EXPECT_EQ(before->latest_version, static_cast<int>(embedded_migrations("postgresql").size()));
  EXPECT_EQ(embedded_migrations("postgresql").size(), embedded_migrations("sqlite").size())
      << "every SQLite migration has its PostgreSQL twin";

  migrate_main();
  ASSERT_TRUE(migrate(*db_, clock_).is_ok()) << "idempotent";
  auto after = migration_status(*db_);
  ASSERT_TRUE(after.is_ok());
  EXPECT_TRUE(after->up_to_date());
  EXPECT_EQ(after->current_version, after->latest_version);
  for (const Migration& m : embedded_migrations("postgresql")) {
    const std::string table = m.version == 1 ? "fills" : m.version == 2 ? "event_log" : "";
    if (table.empty()) continue;
    EXPECT_TRUE(*db_->table_exists(table)) << table;
  }

  // A newer binary migrated this database: this one must not touch it.
  ASSERT_TRUE(db_->execute({"fake a newer migration",
                            "INSERT INTO schema_version (version, name, checksum, applied_at_ns, "
                            "applied_at) VALUES (?, ?, ?, ?, ?)"},
                           {999, "999_future", "0000000000000000", 0, "1970-01-01T00:00:00Z"})
                  .is_ok());
  auto reopened = open_postgres(test_support::postgres_test_url(),
                                PostgresOptions{test_support::postgres_schema(dir_, "main")});
  ASSERT_FALSE(reopened.is_ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reopened.status().message().find("newer than this binary"), std::string::npos)
      << reopened.status().message();
}

TEST(PostgresOpen, UnreachableServerIsUnavailableAndThePasswordStaysSecret) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto db = open_postgres("postgresql://trader:s3cr3t-pw@127.0.0.1:1/galfriday");
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(db.status().message().find("s3cr3t-pw"), std::string::npos) << db.status().message();
  EXPECT_NE(db.status().message().find("127.0.0.1"), std::string::npos) << db.status().message();
}

TEST(PostgresOpen, UnknownRoleIsPermissionDenied) {
  std::string url = test_support::postgres_test_url();
  ASSERT_FALSE(url.empty());
  const auto at = url.find("gf_test@");
  ASSERT_NE(at, std::string::npos);
  url.replace(at, 7, "nobody_here");
  auto db = open_postgres(url);
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), StatusCode::kPermissionDenied) << db.status().to_string();

  // A refused login is a configuration error, not an outage: no SQLite fallback for it.
  TempDir dir;
  DatabaseTarget target;
  target.backend = config::DatabaseBackend::kPostgres;
  target.url = url;
  target.description = redacted_url(url);
  target.sqlite_fallback = dir.file("fallback.db");
  auto opened = open_database(target);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(target.fell_back);
  EXPECT_FALSE(std::filesystem::exists(dir.file("fallback.db")));
}

TEST_F(PostgresTest, AsyncWriterStoresEveryFillOnceAndIsolatesAFailedCommand) {
  migrate_main();
  std::mutex mutex;
  std::vector<WriteFailure> failures;
  uint64_t through = 0;
  AsyncWriterOptions options;
  options.on_error = [&](const WriteFailure& f) {
    std::lock_guard lock(mutex);
    failures.push_back(f);
  };
  options.on_commit = [&](uint64_t t) {
    std::lock_guard lock(mutex);
    EXPECT_GT(t, through) << "on_commit rises";
    through = t;
  };
  auto writer_db = open("main");
  ASSERT_NE(writer_db, nullptr);
  AsyncWriter writer(std::move(writer_db), options);
  constexpr int kFills = 3000;
  for (int i = 0; i < kFills; ++i) ASSERT_TRUE(writer.enqueue(insert_fill(i)).is_ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer.enqueue(insert_fill(i)).is_ok());  // replays

  OrderRecord order;
  order.client_order_id = ClientOrderId("gf-dup");
  order.instrument = InstrumentId("BTC/USD");
  order.quantity = Quantity::parse("1.0").value();
  auto insert_order = [order](Database& db) { return SqlOrderRepository(db).insert(order); };
  ASSERT_TRUE(writer.enqueue("insert order", insert_order).is_ok());
  ASSERT_TRUE(writer.enqueue("insert order", insert_order).is_ok());  // duplicate
  uint64_t last = 0;
  ASSERT_TRUE(writer.enqueue(insert_fill(kFills), &last).is_ok());
  writer.flush();

  EXPECT_EQ(*SqlFillRepository(*db_).count(), kFills + 1);
  EXPECT_EQ(writer.committed_through(), last);
  std::lock_guard lock(mutex);
  EXPECT_EQ(through, last);
  ASSERT_EQ(failures.size(), 1U);
  EXPECT_EQ(failures[0].status.code(), StatusCode::kAlreadyExists);
  const WriterStats stats = writer.stats();
  EXPECT_EQ(stats.failed, 1U);
  EXPECT_EQ(stats.committed, stats.enqueued - 1);
}

TEST_F(PostgresTest, EventLogRecordsTheBusAndReadsBackForReplay) {
  migrate_main();
  auto writer_db = open("main");
  ASSERT_NE(writer_db, nullptr);
  AsyncWriter writer(std::move(writer_db));
  PubSubManager bus(clock_);
  EventLogRecorder recorder(bus, writer, "run-pg");
  std::vector<Event> published;
  for (int i = 0; i < 50; ++i) {
    ExecutionReportEvent report;
    report.client_order_id = ClientOrderId("gf-" + std::to_string(i));
    report.instrument = InstrumentId("ETH/USD");
    report.side = i % 2 == 0 ? Side::kBuy : Side::kSell;
    report.status = OrderStatus::kFilled;
    report.quantity_ordered = Quantity::parse("0.25").value();
    report.quantity_filled = Quantity::parse("0.25").value();
    report.last_fill = Fill{TradeId("T-" + std::to_string(i)),
                            Price::parse("2000.5").value(),
                            Quantity::parse("0.25").value(),
                            Money::parse("0.5").value(),
                            "USD",
                            Liquidity::kTaker};
    bus.publish(report);
    LogEvent log;
    log.message = "it's event " + std::to_string(i) + " -- with 'quotes'";
    bus.publish(log);
  }
  bus.subscribe<LogEvent>([&](const LogEvent& e) { published.emplace_back(e); }, "test.log");
  bus.subscribe<ExecutionReportEvent>(
      [&](const ExecutionReportEvent& e) { published.emplace_back(e); }, "test.report");
  bus.run_until_idle();
  writer.flush();
  EXPECT_EQ(recorder.recorded(), 100U);
  EXPECT_EQ(recorder.dropped(), 0U);

  auto events = read_event_log(*db_, "run-pg");
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), published.size());
  for (size_t i = 0; i < published.size(); ++i) EXPECT_EQ((*events)[i], published[i]) << i;
}

TEST_F(PostgresTest, AFailedWriteRaisesACriticalErrorAndOneHaltTrigger) {
  migrate_main();
  PubSubManager bus(clock_);
  WriteFailureAlarm alarm(bus);
  AsyncWriterOptions options;
  options.on_error = [&](const WriteFailure& f) { alarm.on_failure(f); };
  auto writer_db = open("main");
  ASSERT_NE(writer_db, nullptr);
  AsyncWriter writer(std::move(writer_db), options);
  const Statement bad{"insert bad signal", "INSERT INTO trade_signals (signal_id) VALUES (?)"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer
                    .enqueue("insert bad signal",
                             [&bad, i](Database& db) {
                               return db.execute(bad, {"s" + std::to_string(i)}).status();
                             })
                    .is_ok());
  }
  writer.flush();
  EXPECT_EQ(alarm.failures(), 3U);

  std::vector<SystemErrorEvent> errors;
  std::vector<PotentialHaltTriggerEvent> triggers;
  bus.subscribe<SystemErrorEvent>([&](const SystemErrorEvent& e) { errors.push_back(e); }, "t.e");
  bus.subscribe<PotentialHaltTriggerEvent>(
      [&](const PotentialHaltTriggerEvent& e) { triggers.push_back(e); }, "t.h");
  bus.run_until_idle();
  ASSERT_EQ(errors.size(), 3U);
  EXPECT_TRUE(errors[0].critical);
  EXPECT_EQ(errors[0].source, "persistence");
  EXPECT_NE(errors[0].message.find("insert bad signal"), std::string::npos) << errors[0].message;
  ASSERT_EQ(triggers.size(), 1U);
  EXPECT_TRUE(triggers[0].critical);
}

// Runs the pg-test-server control script on the server this test binary was given.
Status control_server(const std::string& action) {
  const char* ctl = std::getenv("GALFRIDAY_TEST_POSTGRES_CTL");
  const char* state = std::getenv("GALFRIDAY_TEST_POSTGRES_STATE");
  if (ctl == nullptr || state == nullptr) {
    return failed_precondition("GALFRIDAY_TEST_POSTGRES_CTL/STATE are not set");
  }
  const std::string command = std::string(ctl) + " " + action + " " + state;
  const int rc = std::system(command.c_str());
  if (rc != 0) return internal_error(command + " exited with " + std::to_string(rc));
  return Status::ok();
}

// The database goes away while the engine keeps writing: the writer retries with backoff,
// reconnects when the server is back, and in the end every fill the engine handed over is in
// the database exactly once, including every one acknowledged as committed before the outage.
TEST_F(PostgresTest, ServerRestartUnderLoadLosesNothingAcknowledged) {
  migrate_main();
  std::mutex mutex;
  std::vector<WriteFailure> failures;
  std::atomic<uint64_t> acknowledged{0};
  AsyncWriterOptions options;
  options.capacity = 200000;
  options.max_batch_items = 256;
  options.max_retries = 1000;  // with backoff up to 50 ms: about 50 s of outage
  options.retry_backoff_max = std::chrono::milliseconds(50);
  options.on_error = [&](const WriteFailure& f) {
    std::lock_guard lock(mutex);
    failures.push_back(f);
  };
  options.on_commit = [&](uint64_t through) { acknowledged.store(through); };
  auto writer_db = open("main");
  ASSERT_NE(writer_db, nullptr);
  AsyncWriter writer(std::move(writer_db), options);

  // The engine writes until the writer has been committing again for a while after the
  // restart; it keeps the queue a few thousand deep, like a busy engine the database lags.
  std::atomic<bool> keep_producing{true};
  std::atomic<int64_t> produced{0};
  std::atomic<uint64_t> rejected{0};
  std::thread engine([&] {
    for (int64_t i = 0; keep_producing.load(); ++i) {
      uint64_t ticket = 0;
      while (!writer.enqueue(insert_fill(i), &ticket).is_ok()) {
        rejected.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      EXPECT_EQ(ticket, static_cast<uint64_t>(i + 1)) << "one producer: ticket = order";
      produced.store(i + 1);
      while (writer.stats().queue_depth > 5000 && keep_producing.load()) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    }
  });
  auto wait_for_acknowledged = [&](uint64_t target) {
    // committed_through also advances past reported failures, so this cannot hang on them.
    while (writer.committed_through() < target) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  wait_for_acknowledged(3000);
  const Status stopped = control_server("server-stop");
  const uint64_t acknowledged_before_outage = acknowledged.load();
  const int64_t produced_at_stop = produced.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const uint64_t retries_during_outage = writer.stats().retries;
  const uint64_t acknowledged_during_outage = acknowledged.load() - acknowledged_before_outage;
  const Status started = control_server("server-start");
  if (started.is_ok()) wait_for_acknowledged(writer.committed_through() + 3000);
  keep_producing.store(false);
  engine.join();
  writer.flush();
  ASSERT_TRUE(stopped.is_ok()) << stopped.to_string();
  ASSERT_TRUE(started.is_ok()) << started.to_string();
  const int64_t fills_written = produced.load();

  EXPECT_GT(acknowledged_before_outage, 0U);
  EXPECT_LT(produced_at_stop, fills_written) << "the engine kept writing through the outage";
  // A batch whose COMMIT was under way when the server went may have committed.
  EXPECT_LE(acknowledged_during_outage, options.max_batch_items);
  EXPECT_GT(retries_during_outage, 0U) << "the writer saw the outage and retried";
  {
    std::lock_guard lock(mutex);
    for (const WriteFailure& f : failures)
      ADD_FAILURE() << f.purpose << ": " << f.status.to_string();
  }
  EXPECT_EQ(acknowledged.load(), static_cast<uint64_t>(fills_written));

  // A fresh connection sees every fill once: the count equals the distinct trade ids, and
  // every id, in particular those acknowledged before the outage, is there.
  auto check = open("main");
  ASSERT_NE(check, nullptr);
  auto rows = check->query({"read trade ids", "SELECT trade_id FROM fills"});
  ASSERT_TRUE(rows.is_ok()) << rows.status().to_string();
  std::set<std::string> ids;
  for (const Row& row : *rows) ids.insert(row.text(0).value_or(""));
  EXPECT_EQ(rows->size(), static_cast<size_t>(fills_written)) << "no duplicates, nothing lost";
  EXPECT_EQ(ids.size(), static_cast<size_t>(fills_written));
  for (int64_t i = 0; i < fills_written; ++i) {
    if (!ids.contains(fill(i).trade_id.str())) {
      ADD_FAILURE() << "fill " << i << " is missing (acknowledged before the outage: "
                    << (static_cast<uint64_t>(i) < acknowledged_before_outage) << ")";
      break;
    }
  }
  const WriterStats stats = writer.stats();
  RecordProperty("retries", std::to_string(stats.retries));
  RecordProperty("rejected", std::to_string(rejected.load()));
  std::cout << "restart under load: " << fills_written << " fills, " << acknowledged_before_outage
            << " acknowledged before the outage, " << stats.retries << " batch retries, "
            << stats.max_queue_depth << " max queue depth, " << rejected.load()
            << " enqueue rejections\n";
}

}  // namespace
}  // namespace galfriday::persistence
