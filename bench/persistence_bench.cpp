// Persistence throughput: fills and event-log rows per second through the AsyncWriter into a
// SQLite file (WAL) or PostgreSQL, and what the engine thread pays per enqueued event.
//
// Rates are wall-clock (the work happens on the writer thread) and include the final flush, so
// they are what the writer sustains. Arg 0 = SQLite Durability::kFull (fsync per batch),
// 1 = SQLite kNormal, 2 = PostgreSQL at GALFRIDAY_TEST_POSTGRES_URL (a schema of its own,
// dropped afterwards; skipped when unset). scripts/bench.sh runs this binary through
// scripts/with-test-server.sh postgres, so PostgreSQL is a local throwaway cluster with fsync
// on and synchronous_commit on (a COMMIT waits for its WAL flush, like SQLite kFull).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/events/event_json.hpp"
#include "galfriday/persistence/async_writer.hpp"
#include "galfriday/persistence/event_log.hpp"
#include "galfriday/persistence/postgres_store.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::persistence {
namespace {

constexpr int64_t kBatch = 10000;  // commands per benchmark iteration

enum class Backend { kSqliteFull, kSqliteNormal, kPostgres };

// A migrated database, removed at the end: a SQLite file in a fresh temp directory, or a
// PostgreSQL schema of its own.
class BenchDatabase {
 public:
  explicit BenchDatabase(Backend backend) : backend_(backend) {
    static std::atomic<int> counter{0};
    const std::string unique = std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                               std::to_string(std::random_device{}());
    if (backend == Backend::kPostgres) {
      const char* url = std::getenv("GALFRIDAY_TEST_POSTGRES_URL");
      if (url == nullptr) return;
      url_ = url;
      postgres_.schema = "bench_" + unique;
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("gf_persistence_bench_" + unique);
      sqlite_.durability =
          backend == Backend::kSqliteFull ? Durability::kFull : Durability::kNormal;
    }
    auto db = open();
    if (db) {
      SimulatedClock clock(timestamp_from_seconds(1700000000));
      ok_ = migrate(*db, clock).is_ok();
    }
  }
  ~BenchDatabase() {
    if (backend_ == Backend::kPostgres) {
      if (auto db = open()) {
        (void)db->execute_script("drop bench schema",
                                 "DROP SCHEMA \"" + postgres_.schema + "\" CASCADE");
      }
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  BenchDatabase(const BenchDatabase&) = delete;
  BenchDatabase& operator=(const BenchDatabase&) = delete;

  bool ok() const { return ok_; }
  const char* skip_reason() const {
    return backend_ == Backend::kPostgres && url_.empty()
               ? "GALFRIDAY_TEST_POSTGRES_URL is not set (scripts/bench.sh sets it)"
               : "cannot create the database";
  }
  std::unique_ptr<Database> open() {
    auto db = backend_ == Backend::kPostgres ? open_postgres(url_, postgres_)
                                             : open_sqlite(dir_ / "bench.db", sqlite_);
    if (!db) return nullptr;
    return std::move(db).value();
  }

 private:
  Backend backend_;
  std::filesystem::path dir_;
  SqliteOptions sqlite_;
  std::string url_;
  PostgresOptions postgres_;
  bool ok_ = false;
};

Backend backend_arg(const benchmark::State& state) { return static_cast<Backend>(state.range(0)); }

FillRecord fill(int64_t n) {
  return FillRecord{TradeId("TQ7XK2-" + std::to_string(n)),
                    ClientOrderId("gf-sig-" + std::to_string(n / 4) + "-e"),
                    ExchangeOrderId("OU22CG-KLAF2-FWUDD7"),
                    InstrumentId("BTC/USD"),
                    Side::kBuy,
                    Price::from_raw(375001, 1),
                    Quantity::from_raw(50000000, 8),
                    Money::from_raw(4875000, 5),
                    "USD",
                    Liquidity::kMaker,
                    timestamp_from_nanos(1700000000000000000 + n)};
}

ExecutionReportEvent report(uint64_t sequence) {
  ExecutionReportEvent e;
  e.meta = {sequence, timestamp_from_nanos(1700000000123456789),
            timestamp_from_nanos(1700000000200000000)};
  e.instrument = InstrumentId("BTC/USD");
  e.client_order_id = ClientOrderId("gf-sig-1-e");
  e.exchange_order_id = ExchangeOrderId("OU22CG-KLAF2-FWUDD7");
  e.signal_id = SignalId("sig-1");
  e.status = OrderStatus::kPartiallyFilled;
  e.order_type = OrderType::kLimit;
  e.quantity_ordered = Quantity::from_raw(125000000, 8);
  e.quantity_filled = Quantity::from_raw(50000000, 8);
  e.average_fill_price = Price::from_raw(375000, 1);
  e.limit_price = Price::from_raw(375000, 1);
  e.last_fill = Fill{TradeId("T1"),
                     Price::from_raw(375000, 1),
                     Quantity::from_raw(50000000, 8),
                     Money::from_raw(4875000, 5),
                     "USD",
                     Liquidity::kMaker};
  return e;
}

// Fills per second, enqueue to commit, with `make_command(n)` building the n-th command.
template <typename MakeCommand>
void writer_fill_inserts(benchmark::State& state, MakeCommand make_command) {
  BenchDatabase bench(backend_arg(state));
  if (!bench.ok()) return state.SkipWithError(bench.skip_reason());
  AsyncWriter writer(bench.open());
  int64_t next = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; ++i) {
      Status queued = writer.enqueue(make_command(next++));
      if (!queued.is_ok()) return state.SkipWithError(queued.to_string().c_str());
    }
    writer.flush();
  }
  const WriterStats stats = writer.stats();
  if (stats.failed != 0) state.SkipWithError("writes failed");
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["per_batch"] = static_cast<double>(stats.committed) /
                                static_cast<double>(std::max<uint64_t>(stats.batches, 1));
}

// insert_fill_command: the writer joins the rows into multi-row inserts.
void BM_WriterFillInserts(benchmark::State& state) {
  writer_fill_inserts(state, [](int64_t n) { return insert_fill_command(fill(n)); });
}
BENCHMARK(BM_WriterFillInserts)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// For comparison: the same fills as opaque commands, one INSERT statement per fill (still one
// transaction per batch).
void BM_WriterFillInsertsOneStatementEach(benchmark::State& state) {
  writer_fill_inserts(state, [](int64_t n) {
    return WriteCommand{"insert fill", [record = fill(n)](Database& db) {
                          return SqlFillRepository(db).insert(record).status();
                        }};
  });
}
BENCHMARK(BM_WriterFillInsertsOneStatementEach)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Event-log rows per second (execution reports as JSON), enqueue to commit.
void BM_WriterEventLogInserts(benchmark::State& state) {
  BenchDatabase bench(backend_arg(state));
  if (!bench.ok()) return state.SkipWithError(bench.skip_reason());
  AsyncWriter writer(bench.open());
  auto run_id = std::make_shared<const std::string>("bench");
  uint64_t sequence = 1;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; ++i) {
      Status queued = writer.enqueue(append_event_command(run_id, report(sequence++)));
      if (!queued.is_ok()) return state.SkipWithError(queued.to_string().c_str());
    }
    writer.flush();
  }
  const WriterStats stats = writer.stats();
  if (stats.failed != 0) state.SkipWithError("writes failed");
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["per_batch"] = static_cast<double>(stats.committed) /
                                static_cast<double>(std::max<uint64_t>(stats.batches, 1));
}
BENCHMARK(BM_WriterEventLogInserts)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The engine thread's cost per event with the recorder on the bus hook: publish + dispatch of
// an execution report with the event log on, minus the same without (BM_BusDispatchNoLog).
// The writer's flush is outside the timing.
void BM_BusDispatchWithEventLog(benchmark::State& state) {
  BenchDatabase bench(Backend::kSqliteNormal);
  if (!bench.ok()) return state.SkipWithError(bench.skip_reason());
  AsyncWriter writer(bench.open());
  SimulatedClock clock(timestamp_from_seconds(1700000000));
  PubSubManager bus(clock);
  EventLogRecorder recorder(bus, writer, "bench");
  int64_t seen = 0;
  bus.subscribe<ExecutionReportEvent>([&](const ExecutionReportEvent&) { ++seen; });
  const ExecutionReportEvent event = report(0);
  constexpr int64_t kEvents = 1000;
  for (auto _ : state) {
    for (int64_t i = 0; i < kEvents; ++i) bus.publish(event);
    bus.run_until_idle();
    state.PauseTiming();
    writer.flush();
    state.ResumeTiming();
  }
  if (recorder.dropped() != 0) state.SkipWithError("events dropped");
  benchmark::DoNotOptimize(seen);
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_BusDispatchWithEventLog);

void BM_BusDispatchNoLog(benchmark::State& state) {
  SimulatedClock clock(timestamp_from_seconds(1700000000));
  PubSubManager bus(clock);
  int64_t seen = 0;
  bus.subscribe<ExecutionReportEvent>([&](const ExecutionReportEvent&) { ++seen; });
  const ExecutionReportEvent event = report(0);
  constexpr int64_t kEvents = 1000;
  for (auto _ : state) {
    for (int64_t i = 0; i < kEvents; ++i) bus.publish(event);
    bus.run_until_idle();
  }
  benchmark::DoNotOptimize(seen);
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_BusDispatchNoLog);

// The enqueue call alone (a fill command), as the engine pays it.
void BM_EnqueueFillCommand(benchmark::State& state) {
  BenchDatabase bench(Backend::kSqliteNormal);
  if (!bench.ok()) return state.SkipWithError(bench.skip_reason());
  AsyncWriter writer(bench.open());
  int64_t next = 0;
  const FillRecord record = fill(0);
  constexpr int64_t kCommands = 1000;
  for (auto _ : state) {
    for (int64_t i = 0; i < kCommands; ++i) {
      FillRecord copy = record;
      copy.trade_id = TradeId("T" + std::to_string(next++));
      Status queued = writer.enqueue(insert_fill_command(std::move(copy)));
      benchmark::DoNotOptimize(queued);
    }
    state.PauseTiming();
    writer.flush();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kCommands);
}
BENCHMARK(BM_EnqueueFillCommand);

// Context for the event-log rate: the JSON encoding each row needs (done on the writer thread).
void BM_EventToJson(benchmark::State& state) {
  const Event event = report(1);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = event_to_json(event);
    bytes += json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EventToJson);

// Historical market trades per second through SqlTradeRepository::insert (what `history fetch
// --source trades` does with each page): 10,000 trades per call, one transaction, multi-row
// statements.
void BM_MarketTradeInserts(benchmark::State& state) {
  BenchDatabase bench(backend_arg(state));
  if (!bench.ok()) return state.SkipWithError(bench.skip_reason());
  auto db = bench.open();
  SqlTradeRepository trades(*db);
  int64_t next = 0;
  std::vector<MarketTradeRecord> page;
  for (auto _ : state) {
    state.PauseTiming();
    page.clear();
    for (int64_t i = 0; i < kBatch; ++i, ++next) {
      page.push_back({InstrumentId("BTC/USD"), next, Price::from_raw(375001 + next % 100, 1),
                      Quantity::from_raw(50000000 + next % 1000, 8),
                      next % 2 == 0 ? Side::kBuy : Side::kSell,
                      next % 3 == 0 ? OrderType::kLimit : OrderType::kMarket,
                      timestamp_from_nanos(1700000000000000000 + next * 1000)});
    }
    state.ResumeTiming();
    auto stored = trades.insert(page);
    if (!stored || *stored != kBatch) return state.SkipWithError("trades not stored");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_MarketTradeInserts)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// For comparison: one fill per transaction on the calling thread, no writer, no batching.
void BM_SyncFillInsertPerTransaction(benchmark::State& state) {
  BenchDatabase bench(backend_arg(state));
  if (!bench.ok()) return state.SkipWithError(bench.skip_reason());
  auto db = bench.open();
  SqlFillRepository fills(*db);
  int64_t next = 0;
  for (auto _ : state) {
    auto inserted = fills.insert(fill(next++));
    if (!inserted) return state.SkipWithError(inserted.status().to_string().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SyncFillInsertPerTransaction)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace galfriday::persistence

BENCHMARK_MAIN();
