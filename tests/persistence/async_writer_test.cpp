// AsyncWriter: no loss under load, drain on shutdown, visible back-pressure, error reporting
// and busy retries, against a real SQLite file.

#include "galfriday/persistence/async_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "galfriday/persistence/sql_repositories.hpp"
#include "test_support.hpp"

namespace galfriday::persistence {
namespace {

using test_support::TempDir;

FillRecord fill(int n) {
  return FillRecord{TradeId("T" + std::to_string(n)),
                    ClientOrderId("c" + std::to_string(n % 7)),
                    std::nullopt,
                    InstrumentId("BTC/USD"),
                    Side::kBuy,
                    Price::parse("30000.1").value(),
                    Quantity::parse("0.00100000").value(),
                    Money::parse("0.07800").value(),
                    "USD",
                    Liquidity::kTaker,
                    timestamp_from_nanos(n)};
}

// Joined into multi-row inserts by the writer (BulkInsert).
WriteCommand insert_fill(int n) { return insert_fill_command(fill(n)); }

WriteCommand insert_order(std::string id) {
  OrderRecord order;
  order.client_order_id = ClientOrderId(std::move(id));
  order.instrument = InstrumentId("BTC/USD");
  order.quantity = Quantity::parse("1.0").value();
  return {"insert order", [order](Database& db) { return SqlOrderRepository(db).insert(order); }};
}

// Collects what the writer reports, from the writer thread.
class Reports {
 public:
  void on_error(const WriteFailure& failure) {
    std::lock_guard lock(mutex_);
    errors_.emplace_back(std::string(failure.purpose), failure.status);
  }
  void on_pressure(const PressureReport& report) {
    std::lock_guard lock(mutex_);
    pressure_.push_back(report);
  }
  std::vector<std::pair<std::string, Status>> errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  std::vector<PressureReport> pressure() const {
    std::lock_guard lock(mutex_);
    return pressure_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Status>> errors_;
  std::vector<PressureReport> pressure_;
};

// Holds the writer thread inside a command until released.
class Gate {
 public:
  WriteCommand command() {
    return {"wait at the gate", [this](Database&) {
              entered_.set_value();
              released_.wait();
              return Status::ok();
            }};
  }
  void wait_until_entered() { entered_.get_future().wait(); }
  void release() { release_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
};

class AsyncWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(migrate(*db, clock_).is_ok());
  }

  std::unique_ptr<Database> open(SqliteOptions options = {}) {
    options.durability = Durability::kNormal;
    auto db = open_sqlite(dir_.file("writer.db"), options);
    EXPECT_TRUE(db.is_ok()) << db.status().to_string();
    if (!db) return nullptr;
    return std::move(db).value();
  }

  std::unique_ptr<AsyncWriter> make_writer(AsyncWriterOptions options = {},
                                           SqliteOptions sqlite = {}) {
    options.on_error = [this](const WriteFailure& f) { reports_.on_error(f); };
    options.on_pressure = [this](const PressureReport& r) { reports_.on_pressure(r); };
    return std::make_unique<AsyncWriter>(open(sqlite), std::move(options));
  }

  int64_t rows(std::string_view table) {
    auto reader = open();
    auto result = reader->query({"count", "SELECT COUNT(*) FROM " + std::string(table)});
    EXPECT_TRUE(result.is_ok()) << result.status().to_string();
    return result.is_ok() ? result->front().integer(0).value_or(-1) : -1;
  }

  TempDir dir_;
  SimulatedClock clock_{timestamp_from_seconds(1700000000)};
  Reports reports_;
};

TEST_F(AsyncWriterTest, LosesNothingUnderLoadFromOtherThreads) {
  AsyncWriterOptions options;
  options.capacity = 128;  // small, so the producers also meet back-pressure
  options.max_batch_items = 64;
  auto writer = make_writer(options);
  constexpr int kPerProducer = 10000;
  std::atomic<uint64_t> pushed_back{0};
  auto produce = [&](int first) {
    for (int n = first; n < first + kPerProducer; ++n) {
      while (true) {
        const Status status = writer->enqueue(insert_fill(n));
        if (status.is_ok()) break;
        ASSERT_EQ(status.code(), StatusCode::kResourceExhausted) << status.to_string();
        pushed_back.fetch_add(1);
        std::this_thread::yield();
      }
    }
  };
  std::thread a(produce, 0);
  std::thread b(produce, kPerProducer);
  a.join();
  b.join();
  writer->flush();

  const WriterStats stats = writer->stats();
  EXPECT_EQ(stats.enqueued, 2U * kPerProducer);
  EXPECT_EQ(stats.committed, 2U * kPerProducer);
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_EQ(stats.rejected, pushed_back.load());
  EXPECT_LE(stats.max_queue_depth, options.capacity);
  EXPECT_LT(stats.batches, stats.committed) << "commands are batched into transactions";
  EXPECT_EQ(rows("fills"), 2 * kPerProducer);
  EXPECT_TRUE(reports_.errors().empty());
}

TEST_F(AsyncWriterTest, FlushMakesEverythingEnqueuedVisible) {
  auto writer = make_writer();
  for (int n = 0; n < 10; ++n) ASSERT_TRUE(writer->enqueue(insert_fill(n)).is_ok());
  writer->flush();
  EXPECT_EQ(rows("fills"), 10);
  writer->flush();  // nothing pending: returns at once
}

TEST_F(AsyncWriterTest, DrainsTheQueueOnShutdown) {
  AsyncWriterOptions options;
  options.max_batch_delay = std::chrono::seconds(30);  // would linger without the stop
  options.max_batch_items = 1'000'000;
  auto writer = make_writer(options);
  for (int n = 0; n < 5000; ++n) ASSERT_TRUE(writer->enqueue(insert_fill(n)).is_ok());
  writer.reset();  // the destructor stops and drains
  EXPECT_EQ(rows("fills"), 5000);
}

TEST_F(AsyncWriterTest, RefusesCommandsAfterStop) {
  auto writer = make_writer();
  ASSERT_TRUE(writer->enqueue(insert_fill(1)).is_ok());
  writer->stop();
  writer->stop();  // idempotent
  EXPECT_EQ(rows("fills"), 1);
  const Status late = writer->enqueue(insert_fill(2));
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("insert fill"), std::string::npos);
}

TEST_F(AsyncWriterTest, MakesBackPressureVisibleWhenTheQueueIsFull) {
  AsyncWriterOptions options;
  options.capacity = 8;
  options.pressure_threshold = 0.5;
  auto writer = make_writer(options);
  Gate gate;
  ASSERT_TRUE(writer->enqueue(gate.command()).is_ok());
  gate.wait_until_entered();  // the writer is busy; the queue only fills now

  for (int n = 0; n < 8; ++n) {
    ASSERT_TRUE(writer->enqueue(insert_fill(n)).is_ok()) << n;
    if (n == 3) {
      ASSERT_EQ(reports_.pressure().size(), 1U) << "fires at the threshold (4 of 8)";
      EXPECT_FALSE(reports_.pressure()[0].full);
      EXPECT_EQ(reports_.pressure()[0].queue_depth, 4U);
    }
  }
  EXPECT_DOUBLE_EQ(writer->pressure(), 1.0);
  const Status rejected = writer->enqueue(insert_fill(100));
  EXPECT_EQ(rejected.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(rejected.message().find("queue is full"), std::string::npos);
  EXPECT_EQ(writer->enqueue(insert_fill(101)).code(), StatusCode::kResourceExhausted);

  const auto pressure = reports_.pressure();
  ASSERT_EQ(pressure.size(), 2U) << "one report per episode, not per rejection";
  EXPECT_TRUE(pressure[1].full);
  EXPECT_EQ(pressure[1].queue_depth, 8U);
  EXPECT_EQ(pressure[1].capacity, 8U);
  EXPECT_EQ(writer->stats().rejected, 2U);
  EXPECT_EQ(writer->stats().queue_depth, 8U);

  gate.release();
  writer->flush();
  EXPECT_EQ(writer->pressure(), 0.0);
  EXPECT_EQ(rows("fills"), 8) << "everything acknowledged is written";
  EXPECT_EQ(writer->stats().committed, 9U);

  // Drained below half the threshold: the next episode is reported again.
  Gate second;
  ASSERT_TRUE(writer->enqueue(second.command()).is_ok());
  second.wait_until_entered();
  for (int n = 200; n < 204; ++n) ASSERT_TRUE(writer->enqueue(insert_fill(n)).is_ok());
  EXPECT_EQ(reports_.pressure().size(), 3U);
  second.release();
  writer->flush();  // the writer leaves the gate before the gate goes away
}

TEST_F(AsyncWriterTest, ReportsAConstraintViolationAndCommitsTheRestOfTheBatch) {
  auto writer = make_writer();
  Gate gate;
  ASSERT_TRUE(writer->enqueue(gate.command()).is_ok());
  gate.wait_until_entered();
  // These three land in one batch: the duplicate must not take the others down with it.
  ASSERT_TRUE(writer->enqueue(insert_order("a")).is_ok());
  ASSERT_TRUE(writer->enqueue(insert_order("a")).is_ok());
  ASSERT_TRUE(writer->enqueue(insert_order("b")).is_ok());
  gate.release();
  writer->flush();

  const auto errors = reports_.errors();
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].first, "insert order");
  EXPECT_EQ(errors[0].second.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(errors[0].second.message().find("orders.client_order_id"), std::string::npos)
      << errors[0].second.message();
  EXPECT_EQ(rows("orders"), 2);
  const WriterStats stats = writer->stats();
  EXPECT_EQ(stats.failed, 1U);
  EXPECT_EQ(stats.committed, 3U);  // the gate and two orders
}

TEST_F(AsyncWriterTest, ReportsAThrowingCommand) {
  auto writer = make_writer();
  ASSERT_TRUE(writer
                  ->enqueue("throwing command",
                            [](Database&) -> Status { throw std::runtime_error("kaput"); })
                  .is_ok());
  ASSERT_TRUE(writer->enqueue(insert_fill(1)).is_ok());
  writer->flush();
  const auto errors = reports_.errors();
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].first, "throwing command");
  EXPECT_EQ(errors[0].second.code(), StatusCode::kInternal);
  EXPECT_NE(errors[0].second.message().find("kaput"), std::string::npos);
  EXPECT_EQ(rows("fills"), 1);
}

// Another connection holds the write lock; returns once it holds it.
class LockHolder {
 public:
  explicit LockHolder(std::unique_ptr<Database> db) : db_(std::move(db)) {
    auto held = locked_.get_future();
    thread_ = std::thread([this] {
      status_ = db_->transaction("hold the write lock", [&](Database&) {
        locked_.set_value();
        released_.wait();
        return Status::ok();
      });
    });
    held.wait();
  }
  ~LockHolder() { release(); }
  void release() {
    if (!thread_.joinable()) return;
    release_.set_value();
    thread_.join();
  }
  const Status& status() const { return status_; }

 private:
  std::unique_ptr<Database> db_;
  std::promise<void> locked_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  Status status_;
  std::thread thread_;
};

TEST_F(AsyncWriterTest, RetriesWhileTheDatabaseIsBusy) {
  SqliteOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(5);
  AsyncWriterOptions options;
  options.max_retries = 10000;
  options.retry_backoff_max = std::chrono::milliseconds(5);
  auto writer = make_writer(options, quick);
  LockHolder holder(open());
  ASSERT_TRUE(writer->enqueue(insert_fill(1)).is_ok());
  for (int i = 0; i < 2000 && writer->stats().retries < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(writer->stats().retries, 2U);
  holder.release();
  ASSERT_TRUE(holder.status().is_ok());
  writer->flush();
  EXPECT_EQ(writer->stats().failed, 0U);
  EXPECT_EQ(rows("fills"), 1);
  EXPECT_TRUE(reports_.errors().empty());
}

TEST_F(AsyncWriterTest, ReportsBusyWhenRetriesAreExhausted) {
  SqliteOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(1);
  AsyncWriterOptions options;
  options.max_retries = 2;
  auto writer = make_writer(options, quick);
  {
    LockHolder holder(open());
    ASSERT_TRUE(writer->enqueue(insert_fill(1)).is_ok());
    writer->flush();  // returns once the command is reported
  }
  const auto errors = reports_.errors();
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].second.code(), StatusCode::kUnavailable);
  EXPECT_EQ(writer->stats().retries, 2U);
  EXPECT_EQ(writer->stats().failed, 1U);
  EXPECT_EQ(rows("fills"), 0);
}

}  // namespace
}  // namespace galfriday::persistence
