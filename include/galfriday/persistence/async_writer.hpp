#pragma once
// AsyncWriter: database writes off the engine thread.
//
// A background thread owns the writing Database connection. Any thread (normally the engine)
// enqueues write commands into a BOUNDED queue and never waits on the database; the writer
// thread takes what has queued up (up to max_batch_items, lingering up to max_batch_delay for
// more) and runs it as ONE transaction. When a command fails, the batch is rolled back and run
// again with a savepoint around each command: the failing command is reported, the rest commit.
//
// Guarantees and policy:
//   - Accepted means enqueue() returned OK. Every accepted command ends either committed or
//     reported (failed counter + on_error); none is dropped silently.
//   - Durable acknowledgement: accepted commands are numbered 1, 2, 3, ... in enqueue order
//     (the ticket; enqueue(command, &ticket) returns it). After a batch's COMMIT returns OK,
//     on_commit(through) fires with the ticket of the batch's last command, and
//     committed_through() rises to it: every command with a ticket <= through is then in the
//     database (or was reported to on_error). Before that, a command is only queued: a crash of
//     the process loses it; a lost database does not (the batch is retried).
//   - A COMMIT whose answer is lost with the connection is "in doubt": it may have committed.
//     The batch is retried, so commands must be idempotent to be safe there (fills are: keyed
//     by exchange trade id with ON CONFLICT DO NOTHING); a non-idempotent one (an event log
//     append) may then be reported kAlreadyExists although its row is stored.
//   - Commands run and commit in enqueue order.
//   - Back-pressure: a full queue REJECTS the new command with kResourceExhausted instead of
//     blocking the engine or dropping quietly. The rejection is counted (stats().rejected) and
//     the caller decides: the event log counts a gap; an order intent that cannot be queued
//     must not be sent. on_pressure fires (on the enqueuing thread, so monitoring can publish a
//     halt trigger from the engine) when the queue first reaches pressure_threshold of its
//     capacity and when it first rejects; it re-arms once the queue drains below half the
//     threshold. pressure() is the queue's fill ratio for metrics.
//   - Errors: kUnavailable (busy, locked, I/O) rolls the whole batch back and retries it with
//     exponential backoff, up to max_retries times. Any other error of a command rolls back
//     only that command (its savepoint), counts it and reports it to on_error (on the writer
//     thread: hand it to the engine with PubSubManager::post); the rest of the batch commits.
//     A batch that cannot commit at all (disk full, retries exhausted) reports every command.
//   - flush() waits until everything enqueued before the call is committed or reported.
//   - stop() (and the destructor) drains the queue before the thread ends; enqueue() after
//     stop() fails with kFailedPrecondition.
//
// Commands must only touch the Database they are given (they run on the writer thread) and
// may run more than once (a batch is re-run after a rollback), so they must not have other
// side effects.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "galfriday/core/ring_queue.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::persistence {

// A one-row INSERT that the writer may join with the same insert of neighbouring commands into
// one multi-row statement: one round trip (and one statement for the server to run) for up to
// kMaxRowsPerInsert rows instead of one per row, which is what makes PostgreSQL fast.
//
// A command opts in by pointing WriteCommand::bulk at a (static) BulkInsert. Its apply must
// execute `row` as its FIRST database call and, when that reports one row inserted, do nothing
// more (SqlFillRepository::insert and SqlEventLogRepository::append are so). The writer learns
// the row's parameters by running apply against a recording stand-in, then sends
//   <head> (?, ...), (?, ...), ... <tail>      (multi_row_sql, in multi_row_chunk sizes)
// where tail is "ON CONFLICT (key) DO NOTHING RETURNING key". A row whose key was already
// taken is not returned; for it the writer runs apply for real, so the repository still
// decides (a replayed fill is not booked twice, a different fill under the same trade id is
// kDataLoss, a logged event is kAlreadyExists). A command whose apply does anything else runs
// on its own, in order.
struct BulkInsert {
  Statement row;                       // the one-row statement apply executes
  std::string_view head;               // "INSERT INTO fills (trade_id, ...) VALUES"
  size_t columns = 0;                  // parameters per row
  std::string_view tail;               // "ON CONFLICT (trade_id) DO NOTHING RETURNING trade_id"
  std::array<size_t, 2> key_params{};  // the parameters RETURNING gives back, in its order
  size_t key_count = 1;
};

struct WriteCommand {
  std::string_view purpose;  // static text: "insert fill", "append event"
  std::function<Status(Database&)> apply;
  const BulkInsert* bulk = nullptr;  // optional: may be joined into a multi-row insert
};

struct WriterStats {
  uint64_t enqueued = 0;  // acknowledged commands
  uint64_t committed = 0;
  uint64_t failed = 0;    // reported to on_error
  uint64_t rejected = 0;  // refused by back-pressure (queue full)
  uint64_t retries = 0;   // batch retries after kUnavailable
  uint64_t batches = 0;   // transactions committed
  size_t queue_depth = 0;
  size_t max_queue_depth = 0;
  size_t capacity = 0;
};

struct WriteFailure {
  std::string_view purpose;
  Status status;
};

struct PressureReport {
  size_t queue_depth = 0;
  size_t capacity = 0;
  uint64_t rejected = 0;  // total so far
  bool full = false;      // true: a command was just rejected
};

struct AsyncWriterOptions {
  size_t capacity = 65536;        // commands the queue holds before rejecting
  size_t max_batch_items = 1024;  // commands per transaction
  // How long the writer waits for a batch to fill before committing what it has. flush() and
  // stop() end the wait at once.
  std::chrono::microseconds max_batch_delay{2000};
  double pressure_threshold = 0.8;  // fill ratio at which on_pressure fires
  int max_retries = 50;             // per batch, for kUnavailable
  std::chrono::milliseconds retry_backoff_initial{1};
  std::chrono::milliseconds retry_backoff_max{200};
  // Writer thread. Must not call into the writer.
  std::function<void(const WriteFailure&)> on_error;
  // Writer thread, after each committed batch: the highest ticket now durable. Must not call
  // into the writer.
  std::function<void(uint64_t committed_through)> on_commit;
  // Enqueuing thread. Must not call enqueue().
  std::function<void(const PressureReport&)> on_pressure;
};

class AsyncWriter {
 public:
  // Takes the connection (a null one fails every command) and starts the writer thread.
  explicit AsyncWriter(std::unique_ptr<Database> db, AsyncWriterOptions options = {});
  ~AsyncWriter();
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Any thread; never waits on the database. kResourceExhausted when the queue is full,
  // kFailedPrecondition after stop().
  Status enqueue(WriteCommand command);
  // The same; on OK, *ticket is the command's number (see "Durable acknowledgement").
  Status enqueue(WriteCommand command, uint64_t* ticket);
  Status enqueue(std::string_view purpose, std::function<Status(Database&)> apply) {
    return enqueue(WriteCommand{purpose, std::move(apply)});
  }

  // Blocks until every command enqueued before the call is committed or reported. Not for the
  // engine's hot path; never from the writer thread (a command or on_error).
  void flush();

  // Drains the queue, commits, and joins the writer thread. Idempotent.
  void stop();

  // Queue fill ratio, 0..1.
  double pressure() const;
  WriterStats stats() const;
  // Every command with a ticket <= this is committed or reported.
  uint64_t committed_through() const { return committed_through_.load(std::memory_order_acquire); }

 private:
  void run();
  std::vector<WriteCommand> take_batch(std::unique_lock<std::mutex>& lock);
  // True when the batch's transaction committed (possibly with some commands reported).
  bool write_batch(std::vector<WriteCommand>& batch);
  // Runs the batch in the open transaction `db`, joining consecutive bulk inserts. Stops at the
  // first failing command and returns its status.
  Status run_joined(Database& db, std::vector<WriteCommand>& batch);
  // Inserts rows[k], the row of batch[commands[k]], all of one BulkInsert; a command whose row
  // was not inserted then runs its apply.
  Status insert_rows(Database& db, std::vector<WriteCommand>& batch, const BulkInsert& bulk,
                     const std::vector<size_t>& commands, std::vector<SqlParams>& rows);
  const std::string& bulk_sql(const BulkInsert& bulk, size_t rows);
  void report(std::string_view purpose, const Status& status);

  std::unique_ptr<Database> db_;
  const AsyncWriterOptions options_;
  // Writer thread only: generated multi-row SQL by (insert, row count).
  std::map<std::pair<const BulkInsert*, size_t>, std::string> bulk_sql_;
  const size_t high_water_;
  const size_t low_water_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // the writer waits for work
  std::condition_variable done_cv_;  // flush() waits for progress
  RingQueue<WriteCommand> queue_;
  bool stopping_ = false;
  enum class WriterWait { kBusy, kIdle, kLingering };
  WriterWait writer_wait_ = WriterWait::kBusy;
  int flush_waiters_ = 0;
  bool pressure_signaled_ = false;
  bool full_signaled_ = false;
  uint64_t enqueued_ = 0;   // tickets handed out
  uint64_t completed_ = 0;  // committed + failed, in order
  size_t max_depth_ = 0;
  uint64_t rejected_ = 0;

  std::atomic<uint64_t> committed_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> committed_through_{0};

  std::thread thread_;
};

}  // namespace galfriday::persistence
