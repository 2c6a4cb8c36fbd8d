#include "galfriday/persistence/async_writer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <string>

namespace galfriday::persistence {
namespace {

size_t high_water_mark(const AsyncWriterOptions& options) {
  const double threshold = std::clamp(options.pressure_threshold, 0.0, 1.0);
  const auto mark =
      static_cast<size_t>(std::ceil(threshold * static_cast<double>(options.capacity)));
  return std::max<size_t>(mark, 1);
}

Status run_command(Database& db, const WriteCommand& command) {
  try {
    if (!command.apply) return internal_error("empty write command");
    return command.apply(db);
  } catch (const std::exception& e) {
    return internal_error(std::string("write command threw: ") + e.what());
  } catch (...) {
    return internal_error("write command threw");
  }
}

// Stands in for the database while a bulk command's apply runs, to learn the row it inserts:
// the first execute() of the command's one-row statement is recorded and answered "one row
// inserted"; any other call is refused, and the command then runs for real on its own.
class RowRecorder final : public Database {
 public:
  RowRecorder(std::string_view dialect, const BulkInsert& bulk) : dialect_(dialect), bulk_(bulk) {}

  // The recorded row when apply did exactly what a bulk command must.
  std::optional<SqlParams> take(const Status& applied) {
    if (!applied.is_ok() || refused_ || !row_) return std::nullopt;
    return std::move(row_);
  }

  std::string_view dialect() const override { return dialect_; }
  Result<int64_t> execute(const Statement& statement, const SqlParams& params) override {
    if (row_ || refused_ || statement.sql != bulk_.row.sql || params.size() != bulk_.columns) {
      return refuse();
    }
    row_ = params;
    return int64_t{1};
  }
  Result<std::vector<Row>> query(const Statement&, const SqlParams&) override { return refuse(); }
  Status execute_script(std::string_view, std::string_view) override { return refuse(); }
  Status transaction(std::string_view, const TransactionBody&) override { return refuse(); }
  Result<bool> table_exists(std::string_view) override { return refuse(); }

 private:
  Status refuse() {
    refused_ = true;
    return failed_precondition("not a one-row bulk insert");
  }

  std::string_view dialect_;
  const BulkInsert& bulk_;
  std::optional<SqlParams> row_;
  bool refused_ = false;
};

bool same_key(const Row& returned, const SqlParams& row, const BulkInsert& bulk) {
  if (returned.size() != bulk.key_count) return false;
  for (size_t k = 0; k < bulk.key_count; ++k) {
    if (!(returned[k] == row[bulk.key_params[k]])) return false;
  }
  return true;
}

}  // namespace

AsyncWriter::AsyncWriter(std::unique_ptr<Database> db, AsyncWriterOptions options)
    : db_(std::move(db)),
      options_([&] {
        options.capacity = std::max<size_t>(options.capacity, 1);
        options.max_batch_items = std::max<size_t>(options.max_batch_items, 1);
        options.max_retries = std::max(options.max_retries, 0);
        return std::move(options);
      }()),
      high_water_(high_water_mark(options_)),
      low_water_(high_water_ / 2),
      queue_(options_.capacity) {
  thread_ = std::thread([this] { run(); });
}

AsyncWriter::~AsyncWriter() { stop(); }

Status AsyncWriter::enqueue(WriteCommand command) { return enqueue(std::move(command), nullptr); }

Status AsyncWriter::enqueue(WriteCommand command, uint64_t* ticket) {
  std::optional<PressureReport> report;
  Status result;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return failed_precondition(std::string(command.purpose) + ": the database writer is stopped");
    }
    if (queue_.size() >= options_.capacity) {
      ++rejected_;
      if (!full_signaled_) {
        full_signaled_ = true;
        report = PressureReport{queue_.size(), options_.capacity, rejected_, true};
      }
      result = Status(StatusCode::kResourceExhausted,
                      std::string(command.purpose) + ": the database write queue is full (" +
                          std::to_string(options_.capacity) + " commands)");
    } else {
      queue_.push(std::move(command));
      ++enqueued_;
      if (ticket != nullptr) *ticket = enqueued_;
      max_depth_ = std::max(max_depth_, queue_.size());
      if (queue_.size() >= high_water_ && !pressure_signaled_) {
        pressure_signaled_ = true;
        report = PressureReport{queue_.size(), options_.capacity, rejected_, false};
      }
      // Wake the writer only when it waits for this: a notify per command would cost the
      // engine a system call each time.
      if (writer_wait_ == WriterWait::kIdle ||
          (writer_wait_ == WriterWait::kLingering && queue_.size() >= options_.max_batch_items)) {
        work_cv_.notify_one();
      }
    }
  }
  if (report && options_.on_pressure) options_.on_pressure(*report);
  return result;
}

void AsyncWriter::flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = enqueued_;
  if (completed_ >= target) return;
  ++flush_waiters_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return completed_ >= target; });
  --flush_waiters_;
}

void AsyncWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

double AsyncWriter::pressure() const {
  std::lock_guard lock(mutex_);
  return static_cast<double>(queue_.size()) / static_cast<double>(options_.capacity);
}

WriterStats AsyncWriter::stats() const {
  WriterStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.enqueued = enqueued_;
    stats.rejected = rejected_;
    stats.queue_depth = queue_.size();
    stats.max_queue_depth = max_depth_;
  }
  stats.capacity = options_.capacity;
  stats.committed = committed_.load(std::memory_order_relaxed);
  stats.failed = failed_.load(std::memory_order_relaxed);
  stats.retries = retries_.load(std::memory_order_relaxed);
  stats.batches = batches_.load(std::memory_order_relaxed);
  return stats;
}

std::vector<WriteCommand> AsyncWriter::take_batch(std::unique_lock<std::mutex>& lock) {
  writer_wait_ = WriterWait::kIdle;
  work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
  // Linger for a fuller batch unless someone waits for the data or the writer is stopping.
  if (options_.max_batch_delay.count() > 0 && queue_.size() < options_.max_batch_items &&
      !stopping_ && flush_waiters_ == 0) {
    writer_wait_ = WriterWait::kLingering;
    work_cv_.wait_for(lock, options_.max_batch_delay, [&] {
      return queue_.size() >= options_.max_batch_items || stopping_ || flush_waiters_ > 0;
    });
  }
  writer_wait_ = WriterWait::kBusy;
  std::vector<WriteCommand> batch;
  const size_t count = std::min(queue_.size(), options_.max_batch_items);
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) batch.push_back(queue_.pop());
  if (queue_.size() <= low_water_) {
    pressure_signaled_ = false;
    full_signaled_ = false;
  }
  return batch;
}

void AsyncWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    std::vector<WriteCommand> batch = take_batch(lock);
    if (batch.empty()) {
      if (stopping_) break;
      continue;
    }
    lock.unlock();
    const bool committed = write_batch(batch);
    const uint64_t through = completed_ + batch.size();  // completed_ changes only here
    committed_through_.store(through, std::memory_order_release);
    if (committed && options_.on_commit) {
      try {
        options_.on_commit(through);
      } catch (...) {  // a failing observer must not stop the writer
      }
    }
    lock.lock();
    completed_ += batch.size();
    done_cv_.notify_all();
  }
}

bool AsyncWriter::write_batch(std::vector<WriteCommand>& batch) {
  struct Failure {
    size_t index;
    Status status;
  };
  if (db_ == nullptr) {
    for (const WriteCommand& command : batch) {
      report(command.purpose, failed_precondition("the database writer has no connection"));
    }
    return false;
  }
  std::vector<Failure> failures;
  auto backoff = options_.retry_backoff_initial;
  int busy_retries = 0;
  // Fast path: the commands run straight in the batch's transaction, neighbouring bulk inserts
  // joined into multi-row statements (run_joined). When one fails, the batch
  // is rolled back and run again with a savepoint around each command, so that a bad command
  // costs only itself. (Savepoints cost about a third of a simple insert, and failures are rare.)
  bool isolate = false;
  while (true) {
    failures.clear();
    bool command_failed = false;
    const Status outcome = db_->transaction("write batch", [&](Database& db) -> Status {
      if (!isolate) {
        Status status = run_joined(db, batch);
        if (!status.is_ok() && status.code() != StatusCode::kUnavailable) command_failed = true;
        return status;  // kUnavailable: retry the whole batch
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        Status status = db.transaction(batch[i].purpose,
                                       [&](Database& tx) { return run_command(tx, batch[i]); });
        if (status.is_ok()) continue;
        if (status.code() == StatusCode::kUnavailable) return status;  // retry the whole batch
        failures.push_back({i, status});
      }
      return Status::ok();
    });
    if (outcome.is_ok()) {
      batches_.fetch_add(1, std::memory_order_relaxed);
      committed_.fetch_add(batch.size() - failures.size(), std::memory_order_relaxed);
      for (const Failure& failure : failures) report(batch[failure.index].purpose, failure.status);
      return true;
    }
    if (command_failed) {
      isolate = true;
      continue;
    }
    if (outcome.code() == StatusCode::kUnavailable && busy_retries < options_.max_retries) {
      ++busy_retries;
      retries_.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, options_.retry_backoff_max);
      continue;
    }
    // Nothing of the batch was committed: every command fails with the batch's error.
    for (const WriteCommand& command : batch) report(command.purpose, outcome);
    return false;
  }
}

Status AsyncWriter::run_joined(Database& db, std::vector<WriteCommand>& batch) {
  const BulkInsert* open_bulk = nullptr;  // the insert whose rows are being collected
  std::vector<size_t> commands;
  std::vector<SqlParams> rows;
  auto insert_collected = [&]() -> Status {
    if (open_bulk == nullptr) return Status::ok();
    Status status = insert_rows(db, batch, *open_bulk, commands, rows);
    open_bulk = nullptr;
    commands.clear();
    rows.clear();
    return status;
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    const BulkInsert* bulk = batch[i].bulk;
    if (bulk != nullptr) {
      RowRecorder recorder(db.dialect(), *bulk);
      if (auto row = recorder.take(run_command(recorder, batch[i]))) {
        if (bulk != open_bulk) {
          GF_RETURN_IF_ERROR(insert_collected());
          open_bulk = bulk;
        }
        commands.push_back(i);
        rows.push_back(std::move(*row));
        continue;
      }
    }
    // Anything else runs on its own, after the rows collected before it (commands keep their
    // order).
    GF_RETURN_IF_ERROR(insert_collected());
    GF_RETURN_IF_ERROR(run_command(db, batch[i]));
  }
  return insert_collected();
}

Status AsyncWriter::insert_rows(Database& db, std::vector<WriteCommand>& batch,
                                const BulkInsert& bulk, const std::vector<size_t>& commands,
                                std::vector<SqlParams>& rows) {
  size_t done = 0;
  while (done < rows.size()) {
    // Chunks of fixed sizes (multi_row_chunk); the last one to three rows go one by one, as
    // their commands.
    const size_t count = multi_row_chunk(rows.size() - done);
    if (count < 4) {
      for (; done < rows.size(); ++done) GF_RETURN_IF_ERROR(run_command(db, batch[commands[done]]));
      break;
    }
    SqlParams params;
    params.reserve(count * bulk.columns);
    for (size_t k = done; k < done + count; ++k) {
      for (SqlValue& value : rows[k]) params.push_back(std::move(value));
    }
    auto inserted = db.query({bulk.row.purpose, bulk_sql(bulk, count)}, params);
    if (!inserted) return inserted.status();
    // Move the values back into their rows: the key comparison below reads them.
    for (size_t k = done, p = 0; k < done + count; ++k) {
      for (SqlValue& value : rows[k]) value = std::move(params[p++]);
    }
    // RETURNING names the rows inserted, by key (normally in VALUES order). A key that appears
    // twice in the statement is inserted once: the first command with it gets the row.
    std::vector<bool> taken(inserted->size(), false);
    size_t next = 0;
    for (size_t k = done; k < done + count; ++k) {
      bool matched = false;
      if (next < inserted->size() && !taken[next] && same_key((*inserted)[next], rows[k], bulk)) {
        taken[next++] = true;
        matched = true;
      } else {
        for (size_t r = 0; r < inserted->size() && !matched; ++r) {
          if (!taken[r] && same_key((*inserted)[r], rows[k], bulk)) {
            taken[r] = true;
            matched = true;
          }
        }
      }
      if (!matched) GF_RETURN_IF_ERROR(run_command(db, batch[commands[k]]));
    }
    done += count;
  }
  return Status::ok();
}

const std::string& AsyncWriter::bulk_sql(const BulkInsert& bulk, size_t rows) {
  auto [it, added] = bulk_sql_.try_emplace({&bulk, rows});
  if (added) it->second = multi_row_sql(bulk.head, bulk.columns, rows, bulk.tail);
  return it->second;
}

void AsyncWriter::report(std::string_view purpose, const Status& status) {
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.on_error) return;
  try {
    options_.on_error(WriteFailure{purpose, status});
  } catch (...) {  // a failing observer must not stop the writer
  }
}

}  // namespace galfriday::persistence
