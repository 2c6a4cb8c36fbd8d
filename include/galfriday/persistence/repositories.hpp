#pragma once
// Repositories: one small interface per aggregate that the trading system stores. The SQL
// implementations (sql_repositories.hpp) run on any Database; tests of other modules can use
// in-memory fakes of these interfaces.
//
// Storage rules, the same for every backend:
//   - money, prices and quantities are exact decimal TEXT written by to_string() and read back
//     with parse(text), so the value and its precision survive; never a floating-point column;
//   - timestamps are INTEGER nanoseconds since the Unix epoch (plus RFC 3339 text beside them
//     for people reading the tables);
//   - enums are their to_string() text.
// A row that cannot be read back (a required column NULL, a malformed decimal, an unknown enum
// text) is kDataLoss naming the table, key and column.
//
// The model registry, experiment, retraining-job and drift-event tables (migration 004) are
// read and written by the models module (include/galfriday/models/model_store.hpp).

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/events/events.hpp"

namespace galfriday::persistence {

// ---- Orders -------------------------------------------------------------------------------

// An order as we intend it and as it stands. Stored BEFORE the order is sent, so a crash
// between storing and sending leaves a pending_new order that reconciliation resolves.
struct OrderRecord {
  ClientOrderId client_order_id;  // unique
  std::optional<ExchangeOrderId> exchange_order_id;
  std::optional<SignalId> signal_id;  // the approved signal an entry comes from
  InstrumentId instrument;
  OrderPurpose purpose = OrderPurpose::kEntry;
  Side side = Side::kBuy;
  OrderType order_type = OrderType::kMarket;
  Quantity quantity;
  std::optional<Price> limit_price;
  std::optional<Price> stop_price;
  OrderStatus status = OrderStatus::kPendingNew;
  Quantity quantity_filled;
  std::optional<Price> average_fill_price;
  std::string message;  // reject or cancel reason
  Timestamp created_at{};
  Timestamp updated_at{};
  friend bool operator==(const OrderRecord&, const OrderRecord&) = default;
};

// A change of an order's state, as an execution report tells it.
struct OrderUpdate {
  ClientOrderId client_order_id;
  OrderStatus status = OrderStatus::kNew;
  std::optional<ExchangeOrderId> exchange_order_id;  // stored when present; never cleared
  Quantity quantity_filled;                          // cumulative
  std::optional<Price> average_fill_price;
  std::string message;
  Timestamp updated_at{};
};

OrderUpdate order_update_from(const ExecutionReportEvent& report);

class OrderRepository {
 public:
  virtual ~OrderRepository() = default;
  // kAlreadyExists when the client order id is taken.
  virtual Status insert(const OrderRecord& order) = 0;
  // kNotFound when no order has that client order id.
  virtual Status update(const OrderUpdate& update) = 0;
  virtual Result<std::optional<OrderRecord>> find(const ClientOrderId& id) = 0;
  // Orders not in a terminal state, oldest first: what reconciliation checks at start.
  virtual Result<std::vector<OrderRecord>> open_orders() = 0;
};

// ---- Fills --------------------------------------------------------------------------------

struct FillRecord {
  TradeId trade_id;  // the exchange's trade id: the primary key
  ClientOrderId client_order_id;
  std::optional<ExchangeOrderId> exchange_order_id;
  InstrumentId instrument;
  Side side = Side::kBuy;
  Price price;
  Quantity qty;
  Money fee;
  std::string fee_currency;
  Liquidity liquidity = Liquidity::kTaker;
  Timestamp ts{};  // exchange time of the fill
  friend bool operator==(const FillRecord&, const FillRecord&) = default;
};

// The fill a report carries; nullopt when it carries none.
std::optional<FillRecord> fill_record_from(const ExecutionReportEvent& report);

class FillRepository {
 public:
  virtual ~FillRepository() = default;
  // Idempotent: true when the fill is new, false when the same fill is already stored (a
  // replayed report must not be booked twice). kDataLoss when the trade id is stored with
  // different values: the exchange and our books disagree.
  virtual Result<bool> insert(const FillRecord& fill) = 0;
  // Oldest first.
  virtual Result<std::vector<FillRecord>> for_order(const ClientOrderId& id) = 0;
  virtual Result<int64_t> count() = 0;
};

// ---- Trade signals ------------------------------------------------------------------------

enum class SignalStatus { kProposed, kApproved, kRejected };
std::string_view to_string(SignalStatus status);

struct SignalRecord {
  SignalId signal_id;
  InstrumentId instrument;
  std::string strategy_id;
  Side side = Side::kBuy;
  OrderType entry_type = OrderType::kMarket;
  std::optional<Price> limit_price;
  Price reference_price;
  Price stop_loss;
  std::optional<Price> take_profit;
  uint64_t prediction_sequence = 0;
  double prediction_value = 0.0;  // stored as shortest round-trip text
  SignalStatus status = SignalStatus::kProposed;
  std::optional<Quantity> approved_quantity;
  std::optional<Money> risk_amount;
  std::optional<RejectReason> reject_reason;
  std::string reject_message;
  Timestamp proposed_at{};
  std::optional<Timestamp> decided_at;
  friend bool operator==(const SignalRecord&, const SignalRecord&) = default;
};

class SignalRepository {
 public:
  virtual ~SignalRepository() = default;
  // kAlreadyExists when the signal id is taken.
  virtual Status record_proposed(const TradeSignalProposedEvent& signal) = 0;
  // kNotFound when the signal was never proposed; kFailedPrecondition when already decided.
  virtual Status record_approved(const TradeSignalApprovedEvent& approval) = 0;
  virtual Status record_rejected(const TradeSignalRejectedEvent& rejection) = 0;
  virtual Result<std::optional<SignalRecord>> find(const SignalId& id) = 0;
};

// ---- Event log ----------------------------------------------------------------------------

// One event as logged. `sequence` restarts with every process, so the log is keyed by
// (run_id, sequence); run_id names one run of the engine (given by the app).
struct EventLogEntry {
  std::string run_id;
  uint64_t sequence = 0;
  std::string type;  // event_type_name()
  Timestamp ts_event{};
  Timestamp ts_init{};
  std::string json;  // event_to_json()
  friend bool operator==(const EventLogEntry&, const EventLogEntry&) = default;
};

class EventLogRepository {
 public:
  virtual ~EventLogRepository() = default;
  // kAlreadyExists when (run_id, sequence) is already logged.
  virtual Status append(std::string_view run_id, const Event& event) = 0;
  // Entries of one run with sequence >= from_sequence, in sequence order.
  virtual Result<std::vector<EventLogEntry>> read(
      std::string_view run_id, uint64_t from_sequence = 0,
      int64_t limit = std::numeric_limits<int64_t>::max()) = 0;
  // Run ids, in the order they were first logged.
  virtual Result<std::vector<std::string>> runs() = 0;
  virtual Result<int64_t> count() = 0;
};

// ---- Portfolio snapshots ------------------------------------------------------------------

struct PositionSnapshot {
  InstrumentId instrument;
  Quantity qty;
  Money cost_basis;
  std::optional<Price> mark_price;
  friend bool operator==(const PositionSnapshot&, const PositionSnapshot&) = default;
};

// The portfolio at one moment. Positions are stored as one JSON text column with exact
// decimal strings.
struct PortfolioSnapshot {
  Timestamp ts{};
  std::string valuation_currency;
  Money equity;
  Money cash;
  Money peak_equity;
  Money realized_pnl;
  Money unrealized_pnl;
  double drawdown_pct = 0.0;  // a ratio for reports; stored as shortest round-trip text
  std::vector<PositionSnapshot> positions;
  friend bool operator==(const PortfolioSnapshot&, const PortfolioSnapshot&) = default;
};

class PortfolioSnapshotRepository {
 public:
  virtual ~PortfolioSnapshotRepository() = default;
  virtual Status insert(const PortfolioSnapshot& snapshot) = 0;
  // The snapshot with the latest time; nullopt when none.
  virtual Result<std::optional<PortfolioSnapshot>> latest() = 0;
  // Snapshots with from <= ts < to, oldest first.
  virtual Result<std::vector<PortfolioSnapshot>> between(Timestamp from, Timestamp to) = 0;
};

// ---- Historical bars ----------------------------------------------------------------------

// Bars are MarketDataOHLCVEvent values; (instrument, interval, bar_start) is the key. Bars
// read back have meta.ts_event = meta.ts_init = bar close (bar_start + interval), as the CSV
// reader gives them, and sequence 0.
class BarRepository {
 public:
  virtual ~BarRepository() = default;
  // Inserts or replaces each bar (a re-downloaded bar overwrites the stored one), all in one
  // transaction.
  virtual Status upsert(const std::vector<MarketDataOHLCVEvent>& bars) = 0;
  // Bars with from <= bar_start < to, ordered by bar_start.
  virtual Result<std::vector<MarketDataOHLCVEvent>> range(const InstrumentId& instrument,
                                                          Duration interval, Timestamp from,
                                                          Timestamp to) = 0;
};

// ---- Historical market trades -------------------------------------------------------------

// One trade of the market (Kraken REST Trades), as history fetches it. Not our fills: those are
// FillRecord.
struct MarketTradeRecord {
  InstrumentId instrument;
  int64_t trade_id = 0;  // Kraken's id, increasing per pair; (instrument, trade_id) is the key
  Price price;
  Quantity qty;
  Side side = Side::kBuy;                   // the aggressor's side
  OrderType ord_type = OrderType::kMarket;  // the aggressor's order: kMarket or kLimit
  Timestamp ts{};
  friend bool operator==(const MarketTradeRecord&, const MarketTradeRecord&) = default;
};

// What is stored for one instrument.
struct MarketTradeSummary {
  InstrumentId instrument;
  int64_t count = 0;
  Timestamp first{};
  Timestamp last{};
  int64_t first_trade_id = 0;
  int64_t last_trade_id = 0;
  friend bool operator==(const MarketTradeSummary&, const MarketTradeSummary&) = default;
};

class TradeRepository {
 public:
  virtual ~TradeRepository() = default;
  // Stores the trades in one transaction. Idempotent: a trade already stored (same instrument
  // and trade id) is left as it is. Returns how many were new.
  virtual Result<int64_t> insert(const std::vector<MarketTradeRecord>& trades) = 0;
  // Trades of the instrument with from <= ts < to, by trade id.
  virtual Result<std::vector<MarketTradeRecord>> range(const InstrumentId& instrument,
                                                       Timestamp from, Timestamp to) = 0;
  // One summary per instrument with stored trades, by instrument.
  virtual Result<std::vector<MarketTradeSummary>> summary() = 0;
};

// ---- Halt state ---------------------------------------------------------------------------

struct HaltRecord {
  SystemState state = SystemState::kRunning;
  std::string reason;
  std::optional<HaltAction> action;
  std::string source;  // who changed it: "monitoring", "operator:cli", ...
  Timestamp changed_at{};
  friend bool operator==(const HaltRecord&, const HaltRecord&) = default;
};

HaltRecord halt_record_from(const SystemStateEvent& event, std::string source);

// One completed item of the recovery checklist of the current halt.
struct RecoveryItemRecord {
  std::string item;          // the checklist's id: "review_halt_reason", ...
  std::string completed_by;  // "operator:ctl", ...
  Timestamp completed_at{};
  friend bool operator==(const RecoveryItemRecord&, const RecoveryItemRecord&) = default;
};

class HaltStateRepository {
 public:
  virtual ~HaltStateRepository() = default;
  // Sets the current state and appends it to the history, in one transaction. Recording a
  // state ends the current halt's checklist: a new halt starts with no item completed.
  virtual Status record(const HaltRecord& record) = 0;
  // nullopt before the first record.
  virtual Result<std::optional<HaltRecord>> current() = 0;
  // Oldest first.
  virtual Result<std::vector<HaltRecord>> history() = 0;

  // Stores a completed item of the current halt's recovery checklist. kFailedPrecondition when
  // the stored state is not HALTED; kAlreadyExists when that item of this halt is stored.
  virtual Status complete_recovery_item(const RecoveryItemRecord& item) = 0;
  // The items completed for the current halt, in completion order; empty when not halted.
  virtual Result<std::vector<RecoveryItemRecord>> completed_recovery_items() = 0;
};

}  // namespace galfriday::persistence
