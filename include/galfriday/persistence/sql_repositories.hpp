#pragma once
// The SQL implementations of the repositories. Their SQL is portable (standard DML plus
// INSERT ... ON CONFLICT, which SQLite and PostgreSQL both speak, and '?' placeholders the
// backend translates), so they run on any Database whose schema came from migrate().
//
// Each holds a reference to its Database and nothing else: constructing one is free, so an
// AsyncWriter command can build the repository it needs on the writer thread:
//
//   writer.enqueue("insert fill", [fill](Database& db) {
//     return SqlFillRepository(db).insert(fill).status();
//   });
//
// For fills and event-log rows use insert_fill_command / append_event_command below: the
// writer can join those into multi-row inserts.

#include <memory>
#include <string>

#include "galfriday/persistence/async_writer.hpp"
#include "galfriday/persistence/database.hpp"
#include "galfriday/persistence/repositories.hpp"

namespace galfriday::persistence {

class SqlOrderRepository final : public OrderRepository {
 public:
  explicit SqlOrderRepository(Database& db) : db_(db) {}
  Status insert(const OrderRecord& order) override;
  Status update(const OrderUpdate& update) override;
  Result<std::optional<OrderRecord>> find(const ClientOrderId& id) override;
  Result<std::vector<OrderRecord>> open_orders() override;

 private:
  Database& db_;
};

class SqlFillRepository final : public FillRepository {
 public:
  explicit SqlFillRepository(Database& db) : db_(db) {}
  Result<bool> insert(const FillRecord& fill) override;
  Result<std::vector<FillRecord>> for_order(const ClientOrderId& id) override;
  Result<int64_t> count() override;

 private:
  Database& db_;
};

class SqlSignalRepository final : public SignalRepository {
 public:
  explicit SqlSignalRepository(Database& db) : db_(db) {}
  Status record_proposed(const TradeSignalProposedEvent& signal) override;
  Status record_approved(const TradeSignalApprovedEvent& approval) override;
  Status record_rejected(const TradeSignalRejectedEvent& rejection) override;
  Result<std::optional<SignalRecord>> find(const SignalId& id) override;

 private:
  Status decide(const SignalId& id, const Statement& statement, const SqlParams& params);
  Database& db_;
};

class SqlEventLogRepository final : public EventLogRepository {
 public:
  explicit SqlEventLogRepository(Database& db) : db_(db) {}
  Status append(std::string_view run_id, const Event& event) override;
  Result<std::vector<EventLogEntry>> read(std::string_view run_id, uint64_t from_sequence,
                                          int64_t limit) override;
  Result<std::vector<std::string>> runs() override;
  Result<int64_t> count() override;

 private:
  Database& db_;
};

class SqlPortfolioSnapshotRepository final : public PortfolioSnapshotRepository {
 public:
  explicit SqlPortfolioSnapshotRepository(Database& db) : db_(db) {}
  Status insert(const PortfolioSnapshot& snapshot) override;
  Result<std::optional<PortfolioSnapshot>> latest() override;
  Result<std::vector<PortfolioSnapshot>> between(Timestamp from, Timestamp to) override;

 private:
  Database& db_;
};

class SqlBarRepository final : public BarRepository {
 public:
  explicit SqlBarRepository(Database& db) : db_(db) {}
  Status upsert(const std::vector<MarketDataOHLCVEvent>& bars) override;
  Result<std::vector<MarketDataOHLCVEvent>> range(const InstrumentId& instrument, Duration interval,
                                                  Timestamp from, Timestamp to) override;

 private:
  Database& db_;
};

// Inserts in multi-row statements of 256, 64, 16 and 4 rows (then one by one): few round trips,
// and few distinct statements for the backends' statement caches.
class SqlTradeRepository final : public TradeRepository {
 public:
  explicit SqlTradeRepository(Database& db) : db_(db) {}
  Result<int64_t> insert(const std::vector<MarketTradeRecord>& trades) override;
  Result<std::vector<MarketTradeRecord>> range(const InstrumentId& instrument, Timestamp from,
                                               Timestamp to) override;
  Result<std::vector<MarketTradeSummary>> summary() override;

 private:
  Database& db_;
};

class SqlHaltStateRepository final : public HaltStateRepository {
 public:
  explicit SqlHaltStateRepository(Database& db) : db_(db) {}
  Status record(const HaltRecord& record) override;
  Result<std::optional<HaltRecord>> current() override;
  Result<std::vector<HaltRecord>> history() override;
  Status complete_recovery_item(const RecoveryItemRecord& item) override;
  Result<std::vector<RecoveryItemRecord>> completed_recovery_items() override;

 private:
  Database& db_;
};

// AsyncWriter commands for the high-volume writes. The writer joins neighbouring ones into
// multi-row inserts (BulkInsert); the outcome is the repository call's: a replayed fill is
// stored once, a different fill under a stored trade id is kDataLoss, an event already logged
// is kAlreadyExists.
WriteCommand insert_fill_command(FillRecord fill);
WriteCommand append_event_command(std::shared_ptr<const std::string> run_id, Event event);

// All repositories over one connection (for the app's wiring and for tests).
struct Repositories {
  std::unique_ptr<OrderRepository> orders;
  std::unique_ptr<FillRepository> fills;
  std::unique_ptr<SignalRepository> signals;
  std::unique_ptr<EventLogRepository> event_log;
  std::unique_ptr<PortfolioSnapshotRepository> snapshots;
  std::unique_ptr<BarRepository> bars;
  std::unique_ptr<HaltStateRepository> halts;
  std::unique_ptr<TradeRepository> market_trades;
};

Repositories make_sql_repositories(Database& db);

}  // namespace galfriday::persistence
