#include "galfriday/persistence/sql_repositories.hpp"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <system_error>

#include "galfriday/events/event_json.hpp"

namespace galfriday::persistence {
namespace {

// ---- Values to parameters -----------------------------------------------------------------

template <typename Tag>
SqlValue decimal(const FixedPoint<Tag>& value) {
  return value.to_string();
}
template <typename Tag>
SqlValue decimal(const std::optional<FixedPoint<Tag>>& value) {
  if (!value) return {};
  return value->to_string();
}
template <typename Tag>
SqlValue id(const std::optional<StrongId<Tag>>& value) {
  if (!value) return {};
  return value->str();
}
SqlValue nanos(Timestamp ts) { return to_nanos(ts); }
SqlValue iso(Timestamp ts) { return format_iso8601(ts); }
template <typename E>
SqlValue enumeration(E value) {
  return to_string(value);
}
template <typename E>
SqlValue enumeration(const std::optional<E>& value) {
  if (!value) return {};
  return to_string(*value);
}

// Shortest text that parses back to the same double.
std::string real_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return {buffer, result.ptr};
}

// ---- Columns to values --------------------------------------------------------------------

template <typename E>
constexpr int kEnumCount = 0;
template <>
constexpr int kEnumCount<Side> = 2;
template <>
constexpr int kEnumCount<OrderType> = 4;
template <>
constexpr int kEnumCount<OrderStatus> = 7;
template <>
constexpr int kEnumCount<OrderPurpose> = 4;
template <>
constexpr int kEnumCount<Liquidity> = 2;
template <>
constexpr int kEnumCount<SystemState> = 3;
template <>
constexpr int kEnumCount<HaltAction> = 2;
template <>
constexpr int kEnumCount<RejectReason> = 13;
template <>
constexpr int kEnumCount<SignalStatus> = 3;

template <typename E>
std::optional<E> parse_enum(std::string_view text) {
  static_assert(kEnumCount<E> > 0, "list the enum's size in kEnumCount");
  for (int i = 0; i < kEnumCount<E>; ++i) {
    const auto value = static_cast<E>(i);
    if (to_string(value) == text) return value;
  }
  return std::nullopt;
}

// Reads the columns of one row; the first problem becomes a kDataLoss naming the table, the
// row's key and the column, and later reads return defaults.
class RowReader {
 public:
  RowReader(const Row& row, std::string_view table, std::string key)
      : row_(row), table_(table), key_(std::move(key)) {}

  Status status() const { return status_; }

  std::optional<std::string> optional_text(size_t column, std::string_view name) {
    if (column >= row_.size()) {
      fail(name, "is missing from the result");
      return std::nullopt;
    }
    if (row_.is_null(column)) return std::nullopt;
    auto text = row_.text(column);
    if (!text) fail(name, "is not text");
    return text;
  }
  std::string text(size_t column, std::string_view name) {
    auto value = optional_text(column, name);
    if (!value) {
      if (status_.is_ok()) fail(name, "is NULL");
      return {};
    }
    return std::move(*value);
  }

  std::optional<int64_t> optional_integer(size_t column, std::string_view name) {
    if (column >= row_.size()) {
      fail(name, "is missing from the result");
      return std::nullopt;
    }
    if (row_.is_null(column)) return std::nullopt;
    auto value = row_.integer(column);
    if (!value) fail(name, "is not an integer");
    return value;
  }
  int64_t integer(size_t column, std::string_view name) {
    auto value = optional_integer(column, name);
    if (!value) {
      if (status_.is_ok()) fail(name, "is NULL");
      return 0;
    }
    return *value;
  }
  uint64_t unsigned_integer(size_t column, std::string_view name) {
    const int64_t value = integer(column, name);
    if (value < 0) fail(name, "is negative");
    return value < 0 ? 0 : static_cast<uint64_t>(value);
  }

  std::optional<Timestamp> optional_time(size_t column, std::string_view name) {
    auto value = optional_integer(column, name);
    if (!value) return std::nullopt;
    return timestamp_from_nanos(*value);
  }
  Timestamp time(size_t column, std::string_view name) {
    return timestamp_from_nanos(integer(column, name));
  }

  template <typename FP>
  std::optional<FP> optional_decimal(size_t column, std::string_view name) {
    auto value = optional_text(column, name);
    if (!value) return std::nullopt;
    auto parsed = FP::parse(*value);
    if (!parsed) {
      fail(name, "is not an exact decimal: " + parsed.status().message());
      return std::nullopt;
    }
    return *parsed;
  }
  template <typename FP>
  FP decimal(size_t column, std::string_view name) {
    auto value = optional_decimal<FP>(column, name);
    if (!value) {
      if (status_.is_ok()) fail(name, "is NULL");
      return FP();
    }
    return *value;
  }

  template <typename E>
  std::optional<E> optional_enumeration(size_t column, std::string_view name) {
    auto value = optional_text(column, name);
    if (!value) return std::nullopt;
    auto parsed = parse_enum<E>(*value);
    if (!parsed) fail(name, "has an unknown value '" + *value + "'");
    return parsed;
  }
  template <typename E>
  E enumeration(size_t column, std::string_view name) {
    auto value = optional_enumeration<E>(column, name);
    if (!value) {
      if (status_.is_ok()) fail(name, "is NULL");
      return E{};
    }
    return *value;
  }

  double real(size_t column, std::string_view name) {
    const std::string value = text(column, name);
    double parsed = 0.0;
    const auto result = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (status_.is_ok() &&
        (result.ec != std::errc() || result.ptr != value.data() + value.size())) {
      fail(name, "is not a number: '" + value + "'");
    }
    return parsed;
  }

  template <typename Id>
  Id strong_id(size_t column, std::string_view name) {
    return Id(text(column, name));
  }
  template <typename Id>
  std::optional<Id> optional_id(size_t column, std::string_view name) {
    auto value = optional_text(column, name);
    if (!value) return std::nullopt;
    return Id(std::move(*value));
  }

 private:
  void fail(std::string_view column, const std::string& problem) {
    if (!status_.is_ok()) return;
    status_ = data_loss(std::string(table_) + " row " + key_ + ": column " + std::string(column) +
                        " " + problem);
  }

  const Row& row_;
  std::string_view table_;
  std::string key_;
  Status status_;
};

// Runs a statement that must change exactly one row; kNotFound names what was missing.
Status expect_one_row(Result<int64_t> changed, const std::string& missing) {
  if (!changed) return changed.status();
  if (*changed == 0) return not_found(missing);
  return Status::ok();
}

// ---- Orders -------------------------------------------------------------------------------

constexpr Statement kInsertOrder{
    "insert order",
    "INSERT INTO orders (client_order_id, exchange_order_id, signal_id, instrument, purpose, "
    "side, order_type, quantity, limit_price, stop_price, status, quantity_filled, "
    "average_fill_price, message, created_at_ns, created_at, updated_at_ns, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};

constexpr Statement kUpdateOrder{
    "update order status",
    "UPDATE orders SET status = ?, exchange_order_id = COALESCE(?, exchange_order_id), "
    "quantity_filled = ?, average_fill_price = COALESCE(?, average_fill_price), message = ?, "
    "updated_at_ns = ?, updated_at = ? WHERE client_order_id = ?"};

constexpr Statement kFindOrder{
    "find order",
    "SELECT client_order_id, exchange_order_id, signal_id, instrument, purpose, side, "
    "order_type, quantity, limit_price, stop_price, status, quantity_filled, average_fill_price, "
    "message, created_at_ns, updated_at_ns FROM orders WHERE client_order_id = ?"};

// Built from is_terminal() so the list of open statuses cannot drift from the events module.
const Statement& open_orders_statement() {
  static const std::string sql = [] {
    std::string text =
        "SELECT client_order_id, exchange_order_id, signal_id, instrument, purpose, side, "
        "order_type, quantity, limit_price, stop_price, status, quantity_filled, "
        "average_fill_price, message, created_at_ns, updated_at_ns FROM orders WHERE status IN (";
    bool first = true;
    for (int i = 0; i < kEnumCount<OrderStatus>; ++i) {
      const auto status = static_cast<OrderStatus>(i);
      if (is_terminal(status)) continue;
      text += first ? "'" : ", '";
      text += to_string(status);
      text += "'";
      first = false;
    }
    text += ") ORDER BY created_at_ns, client_order_id";
    return text;
  }();
  static const Statement statement{"list open orders", sql};
  return statement;
}

Result<OrderRecord> read_order(const Row& row) {
  RowReader r(row, "orders", row.text(0).value_or("?"));
  OrderRecord o;
  o.client_order_id = r.strong_id<ClientOrderId>(0, "client_order_id");
  o.exchange_order_id = r.optional_id<ExchangeOrderId>(1, "exchange_order_id");
  o.signal_id = r.optional_id<SignalId>(2, "signal_id");
  o.instrument = r.strong_id<InstrumentId>(3, "instrument");
  o.purpose = r.enumeration<OrderPurpose>(4, "purpose");
  o.side = r.enumeration<Side>(5, "side");
  o.order_type = r.enumeration<OrderType>(6, "order_type");
  o.quantity = r.decimal<Quantity>(7, "quantity");
  o.limit_price = r.optional_decimal<Price>(8, "limit_price");
  o.stop_price = r.optional_decimal<Price>(9, "stop_price");
  o.status = r.enumeration<OrderStatus>(10, "status");
  o.quantity_filled = r.decimal<Quantity>(11, "quantity_filled");
  o.average_fill_price = r.optional_decimal<Price>(12, "average_fill_price");
  o.message = r.text(13, "message");
  o.created_at = r.time(14, "created_at_ns");
  o.updated_at = r.time(15, "updated_at_ns");
  if (!r.status().is_ok()) return r.status();
  return o;
}

// ---- Fills --------------------------------------------------------------------------------

// The one-row insert and its multi-row form for the AsyncWriter (BulkInsert) share their text.
#define GF_INSERT_FILL_HEAD                                                                    \
  "INSERT INTO fills (trade_id, client_order_id, exchange_order_id, instrument, side, price, " \
  "qty, fee, fee_currency, liquidity, ts_ns, ts) VALUES"
#define GF_INSERT_FILL_CONFLICT "ON CONFLICT (trade_id) DO NOTHING"

constexpr Statement kInsertFill{"insert fill", GF_INSERT_FILL_HEAD
                                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " GF_INSERT_FILL_CONFLICT};

const BulkInsert kBulkInsertFill{
    kInsertFill, GF_INSERT_FILL_HEAD, 12, GF_INSERT_FILL_CONFLICT " RETURNING trade_id", {0, 0}, 1};

constexpr Statement kFindFill{
    "find fill",
    "SELECT trade_id, client_order_id, exchange_order_id, instrument, side, price, qty, fee, "
    "fee_currency, liquidity, ts_ns FROM fills WHERE trade_id = ?"};

constexpr Statement kFillsForOrder{
    "list fills of order",
    "SELECT trade_id, client_order_id, exchange_order_id, instrument, side, price, qty, fee, "
    "fee_currency, liquidity, ts_ns FROM fills WHERE client_order_id = ? ORDER BY ts_ns, trade_id"};

constexpr Statement kCountFills{"count fills", "SELECT COUNT(*) FROM fills"};

Result<FillRecord> read_fill(const Row& row) {
  RowReader r(row, "fills", row.text(0).value_or("?"));
  FillRecord f;
  f.trade_id = r.strong_id<TradeId>(0, "trade_id");
  f.client_order_id = r.strong_id<ClientOrderId>(1, "client_order_id");
  f.exchange_order_id = r.optional_id<ExchangeOrderId>(2, "exchange_order_id");
  f.instrument = r.strong_id<InstrumentId>(3, "instrument");
  f.side = r.enumeration<Side>(4, "side");
  f.price = r.decimal<Price>(5, "price");
  f.qty = r.decimal<Quantity>(6, "qty");
  f.fee = r.decimal<Money>(7, "fee");
  f.fee_currency = r.text(8, "fee_currency");
  f.liquidity = r.enumeration<Liquidity>(9, "liquidity");
  f.ts = r.time(10, "ts_ns");
  if (!r.status().is_ok()) return r.status();
  return f;
}

std::string describe_fill(const FillRecord& f) {
  return "order " + f.client_order_id.str() + " " + std::string(to_string(f.side)) + " " +
         f.qty.to_string() + " " + f.instrument.str() + " @ " + f.price.to_string() + " fee " +
         f.fee.to_string() + " " + f.fee_currency;
}

Result<int64_t> count_rows(Database& db, const Statement& statement) {
  auto rows = db.query(statement);
  if (!rows) return rows.status();
  if (rows->empty() || !rows->front().integer(0)) {
    return internal_error(std::string(statement.purpose) + ": no count returned");
  }
  return *rows->front().integer(0);
}

// ---- Signals ------------------------------------------------------------------------------

constexpr Statement kInsertSignal{
    "insert proposed signal",
    "INSERT INTO trade_signals (signal_id, instrument, strategy_id, side, entry_type, "
    "limit_price, reference_price, stop_loss, take_profit, prediction_sequence, "
    "prediction_value, status, proposed_at_ns, proposed_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?)"};

constexpr Statement kApproveSignal{
    "record signal approval",
    "UPDATE trade_signals SET status = 'approved', approved_quantity = ?, risk_amount = ?, "
    "decided_at_ns = ?, decided_at = ? WHERE signal_id = ? AND status = 'proposed'"};

constexpr Statement kRejectSignal{
    "record signal rejection",
    "UPDATE trade_signals SET status = 'rejected', reject_reason = ?, reject_message = ?, "
    "decided_at_ns = ?, decided_at = ? WHERE signal_id = ? AND status = 'proposed'"};

constexpr Statement kSignalStatus{"read signal status",
                                  "SELECT status FROM trade_signals WHERE signal_id = ?"};

constexpr Statement kFindSignal{
    "find signal",
    "SELECT signal_id, instrument, strategy_id, side, entry_type, limit_price, reference_price, "
    "stop_loss, take_profit, prediction_sequence, prediction_value, status, approved_quantity, "
    "risk_amount, reject_reason, reject_message, proposed_at_ns, decided_at_ns "
    "FROM trade_signals WHERE signal_id = ?"};

Result<SignalRecord> read_signal(const Row& row) {
  RowReader r(row, "trade_signals", row.text(0).value_or("?"));
  SignalRecord s;
  s.signal_id = r.strong_id<SignalId>(0, "signal_id");
  s.instrument = r.strong_id<InstrumentId>(1, "instrument");
  s.strategy_id = r.text(2, "strategy_id");
  s.side = r.enumeration<Side>(3, "side");
  s.entry_type = r.enumeration<OrderType>(4, "entry_type");
  s.limit_price = r.optional_decimal<Price>(5, "limit_price");
  s.reference_price = r.decimal<Price>(6, "reference_price");
  s.stop_loss = r.decimal<Price>(7, "stop_loss");
  s.take_profit = r.optional_decimal<Price>(8, "take_profit");
  s.prediction_sequence = r.unsigned_integer(9, "prediction_sequence");
  s.prediction_value = r.real(10, "prediction_value");
  s.status = r.enumeration<SignalStatus>(11, "status");
  s.approved_quantity = r.optional_decimal<Quantity>(12, "approved_quantity");
  s.risk_amount = r.optional_decimal<Money>(13, "risk_amount");
  s.reject_reason = r.optional_enumeration<RejectReason>(14, "reject_reason");
  s.reject_message = r.text(15, "reject_message");
  s.proposed_at = r.time(16, "proposed_at_ns");
  s.decided_at = r.optional_time(17, "decided_at_ns");
  if (!r.status().is_ok()) return r.status();
  return s;
}

// ---- Event log ----------------------------------------------------------------------------

#define GF_APPEND_EVENT_HEAD \
  "INSERT INTO event_log (run_id, sequence, type, ts_event_ns, ts_init_ns, json) VALUES"

constexpr Statement kAppendEvent{"append event to log", GF_APPEND_EVENT_HEAD " (?, ?, ?, ?, ?, ?)"};

// A row already logged is left alone by the multi-row form; append() then runs on its own and
// reports kAlreadyExists as the one-row insert does.
const BulkInsert kBulkAppendEvent{
    kAppendEvent,
    GF_APPEND_EVENT_HEAD,
    6,
    "ON CONFLICT (run_id, sequence) DO NOTHING RETURNING run_id, sequence",
    {0, 1},
    2};

constexpr Statement kReadEvents{
    "read event log",
    "SELECT run_id, sequence, type, ts_event_ns, ts_init_ns, json FROM event_log "
    "WHERE run_id = ? AND sequence >= ? ORDER BY sequence LIMIT ?"};

constexpr Statement kListRuns{"list event log runs",
                              "SELECT run_id FROM event_log GROUP BY run_id ORDER BY MIN(id)"};

constexpr Statement kCountEvents{"count event log", "SELECT COUNT(*) FROM event_log"};

// ---- Portfolio snapshots ------------------------------------------------------------------

constexpr Statement kInsertSnapshot{
    "insert portfolio snapshot",
    "INSERT INTO portfolio_snapshots (ts_ns, ts, valuation_currency, equity, cash, peak_equity, "
    "realized_pnl, unrealized_pnl, drawdown_pct, positions_json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};

constexpr Statement kLatestSnapshot{
    "read latest portfolio snapshot",
    "SELECT id, ts_ns, valuation_currency, equity, cash, peak_equity, realized_pnl, "
    "unrealized_pnl, drawdown_pct, positions_json FROM portfolio_snapshots "
    "ORDER BY ts_ns DESC, id DESC LIMIT 1"};

constexpr Statement kSnapshotsBetween{
    "read portfolio snapshots",
    "SELECT id, ts_ns, valuation_currency, equity, cash, peak_equity, realized_pnl, "
    "unrealized_pnl, drawdown_pct, positions_json FROM portfolio_snapshots "
    "WHERE ts_ns >= ? AND ts_ns < ? ORDER BY ts_ns, id"};

using Json = nlohmann::ordered_json;

std::string positions_json(const std::vector<PositionSnapshot>& positions) {
  Json out = Json::array();
  for (const PositionSnapshot& p : positions) {
    Json item = Json::object();
    item["instrument"] = p.instrument.str();
    item["qty"] = p.qty.to_string();
    item["cost_basis"] = p.cost_basis.to_string();
    item["mark_price"] = p.mark_price ? Json(p.mark_price->to_string()) : Json(nullptr);
    out.push_back(std::move(item));
  }
  // Instrument names come from config and exchange data; replace rather than throw on bad UTF-8.
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

template <typename FP>
Result<FP> json_decimal(const Json& item, const char* key) {
  const auto it = item.find(key);
  if (it == item.end() || !it->is_string()) {
    return data_loss(std::string("position field '") + key + "' is missing or not a string");
  }
  auto parsed = FP::parse(it->template get<std::string>());
  if (!parsed) return parsed.status().with_context(std::string("position field '") + key + "'");
  return *parsed;
}

Result<std::vector<PositionSnapshot>> parse_positions(std::string_view text) {
  const Json in = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_array()) return data_loss("positions_json is not a JSON array");
  std::vector<PositionSnapshot> positions;
  for (const Json& item : in) {
    if (!item.is_object() || !item.contains("instrument") || !item["instrument"].is_string()) {
      return data_loss("positions_json has an entry without an instrument");
    }
    PositionSnapshot p;
    p.instrument = InstrumentId(item["instrument"].get<std::string>());
    auto qty = json_decimal<Quantity>(item, "qty");
    if (!qty) return qty.status();
    p.qty = *qty;
    auto cost = json_decimal<Money>(item, "cost_basis");
    if (!cost) return cost.status();
    p.cost_basis = *cost;
    if (item.contains("mark_price") && !item["mark_price"].is_null()) {
      auto mark = json_decimal<Price>(item, "mark_price");
      if (!mark) return mark.status();
      p.mark_price = *mark;
    }
    positions.push_back(std::move(p));
  }
  return positions;
}

Result<PortfolioSnapshot> read_snapshot(const Row& row) {
  RowReader r(row, "portfolio_snapshots", std::to_string(row.integer(0).value_or(0)));
  PortfolioSnapshot s;
  s.ts = r.time(1, "ts_ns");
  s.valuation_currency = r.text(2, "valuation_currency");
  s.equity = r.decimal<Money>(3, "equity");
  s.cash = r.decimal<Money>(4, "cash");
  s.peak_equity = r.decimal<Money>(5, "peak_equity");
  s.realized_pnl = r.decimal<Money>(6, "realized_pnl");
  s.unrealized_pnl = r.decimal<Money>(7, "unrealized_pnl");
  s.drawdown_pct = r.real(8, "drawdown_pct");
  const std::string positions = r.text(9, "positions_json");
  if (!r.status().is_ok()) return r.status();
  auto parsed = parse_positions(positions);
  if (!parsed) {
    return parsed.status().with_context("portfolio_snapshots row " +
                                        std::to_string(row.integer(0).value_or(0)));
  }
  s.positions = std::move(*parsed);
  return s;
}

// ---- Bars ---------------------------------------------------------------------------------

constexpr Statement kUpsertBar{
    "upsert historical bar",
    "INSERT INTO historical_bars (instrument, interval_ns, bar_start_ns, bar_start, open, high, "
    "low, close, volume, trade_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (instrument, interval_ns, bar_start_ns) DO UPDATE SET "
    "bar_start = excluded.bar_start, open = excluded.open, high = excluded.high, "
    "low = excluded.low, close = excluded.close, volume = excluded.volume, "
    "trade_count = excluded.trade_count"};

constexpr Statement kBarRange{
    "read historical bars",
    "SELECT bar_start_ns, open, high, low, close, volume, trade_count FROM historical_bars "
    "WHERE instrument = ? AND interval_ns = ? AND bar_start_ns >= ? AND bar_start_ns < ? "
    "ORDER BY bar_start_ns"};

// ---- Historical market trades -------------------------------------------------------------

constexpr std::string_view kInsertTradesHead =
    "INSERT INTO market_trades (instrument, trade_id, price, qty, side, ord_type, ts_ns, ts) "
    "VALUES";
constexpr size_t kTradeColumns = 8;
constexpr std::string_view kInsertTradesTail = "ON CONFLICT (instrument, trade_id) DO NOTHING";

// The multi-row insert of `rows` trades, rows being one of multi_row_chunk()'s sizes.
const std::string& insert_trades_sql(size_t rows) {
  static const std::array<std::string, 5> sql = [] {
    std::array<std::string, 5> out;
    for (size_t i = 0, count = 1; i < out.size(); ++i, count *= 4) {
      out[i] = multi_row_sql(kInsertTradesHead, kTradeColumns, count, kInsertTradesTail);
    }
    return out;
  }();
  size_t index = 0;
  for (size_t count = rows; count > 1; count /= 4) ++index;
  return sql.at(index);
}

constexpr Statement kTradeRange{
    "read market trades",
    "SELECT trade_id, price, qty, side, ord_type, ts_ns FROM market_trades "
    "WHERE instrument = ? AND ts_ns >= ? AND ts_ns < ? ORDER BY trade_id"};

constexpr Statement kTradeSummary{
    "summarize market trades",
    "SELECT instrument, COUNT(*), MIN(ts_ns), MAX(ts_ns), MIN(trade_id), MAX(trade_id) "
    "FROM market_trades GROUP BY instrument ORDER BY instrument"};

// ---- Halt state ---------------------------------------------------------------------------

constexpr Statement kSetHaltState{
    "set halt state",
    "INSERT INTO halt_state (id, state, reason, action, source, changed_at_ns, changed_at) "
    "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
    "reason = excluded.reason, action = excluded.action, source = excluded.source, "
    "changed_at_ns = excluded.changed_at_ns, changed_at = excluded.changed_at"};

constexpr Statement kAppendHaltHistory{
    "append halt history",
    "INSERT INTO halt_history (state, reason, action, source, changed_at_ns, changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"};

constexpr Statement kCurrentHalt{
    "read halt state",
    "SELECT state, reason, action, source, changed_at_ns FROM halt_state WHERE id = 1"};

constexpr Statement kHaltHistory{
    "read halt history",
    "SELECT state, reason, action, source, changed_at_ns FROM halt_history ORDER BY id"};

// The current halt is the newest halt_history row (record() writes it with halt_state).
constexpr Statement kCurrentHaltId{
    "read the current halt",
    "SELECT s.state, (SELECT MAX(h.id) FROM halt_history h) FROM halt_state s WHERE s.id = 1"};

constexpr Statement kCompleteRecoveryItem{
    "complete recovery item",
    "INSERT INTO recovery_checklist (halt_id, item, completed_by, completed_at_ns, completed_at) "
    "VALUES (?, ?, ?, ?, ?)"};

constexpr Statement kCompletedRecoveryItems{
    "read completed recovery items",
    "SELECT c.item, c.completed_by, c.completed_at_ns FROM recovery_checklist c "
    "JOIN halt_state s ON s.id = 1 "
    "WHERE s.state = ? AND c.halt_id = (SELECT MAX(h.id) FROM halt_history h) "
    "ORDER BY c.completed_at_ns, c.item"};

Result<RecoveryItemRecord> read_recovery_item(const Row& row) {
  RowReader r(row, "recovery_checklist", row.text(0).value_or("?"));
  RecoveryItemRecord item;
  item.item = r.text(0, "item");
  item.completed_by = r.text(1, "completed_by");
  item.completed_at = r.time(2, "completed_at_ns");
  if (!r.status().is_ok()) return r.status();
  return item;
}

Result<HaltRecord> read_halt(const Row& row, std::string_view table) {
  RowReader r(row, table, row.text(0).value_or("?"));
  HaltRecord h;
  h.state = r.enumeration<SystemState>(0, "state");
  h.reason = r.text(1, "reason");
  h.action = r.optional_enumeration<HaltAction>(2, "action");
  h.source = r.text(3, "source");
  h.changed_at = r.time(4, "changed_at_ns");
  if (!r.status().is_ok()) return r.status();
  return h;
}

template <typename T, typename Reader>
Result<std::vector<T>> read_all(Result<std::vector<Row>> rows, Reader reader) {
  if (!rows) return rows.status();
  std::vector<T> out;
  out.reserve(rows->size());
  for (const Row& row : *rows) {
    auto value = reader(row);
    if (!value) return value.status();
    out.push_back(std::move(*value));
  }
  return out;
}

template <typename T, typename Reader>
Result<std::optional<T>> read_first(Result<std::vector<Row>> rows, Reader reader) {
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<T>();
  auto value = reader(rows->front());
  if (!value) return value.status();
  return std::optional<T>(std::move(*value));
}

}  // namespace

// ---- Conversions from events --------------------------------------------------------------

OrderUpdate order_update_from(const ExecutionReportEvent& report) {
  OrderUpdate update;
  update.client_order_id = report.client_order_id;
  update.status = report.status;
  update.exchange_order_id = report.exchange_order_id;
  update.quantity_filled = report.quantity_filled;
  update.average_fill_price = report.average_fill_price;
  update.message = report.message;
  update.updated_at = report.meta.ts_event;
  return update;
}

std::optional<FillRecord> fill_record_from(const ExecutionReportEvent& report) {
  if (!report.last_fill) return std::nullopt;
  const Fill& fill = *report.last_fill;
  return FillRecord{fill.trade_id,
                    report.client_order_id,
                    report.exchange_order_id,
                    report.instrument,
                    report.side,
                    fill.price,
                    fill.qty,
                    fill.fee,
                    fill.fee_currency,
                    fill.liquidity,
                    report.meta.ts_event};
}

HaltRecord halt_record_from(const SystemStateEvent& event, std::string source) {
  return HaltRecord{event.state, event.reason, event.halt_action, std::move(source),
                    event.meta.ts_event};
}

std::string_view to_string(SignalStatus status) {
  switch (status) {
    case SignalStatus::kProposed:
      return "proposed";
    case SignalStatus::kApproved:
      return "approved";
    case SignalStatus::kRejected:
      return "rejected";
  }
  return "?";
}

// ---- Orders -------------------------------------------------------------------------------

Status SqlOrderRepository::insert(const OrderRecord& o) {
  return db_
      .execute(kInsertOrder,
               {o.client_order_id.str(), id(o.exchange_order_id), id(o.signal_id),
                o.instrument.str(), enumeration(o.purpose), enumeration(o.side),
                enumeration(o.order_type), decimal(o.quantity), decimal(o.limit_price),
                decimal(o.stop_price), enumeration(o.status), decimal(o.quantity_filled),
                decimal(o.average_fill_price), o.message, nanos(o.created_at), iso(o.created_at),
                nanos(o.updated_at), iso(o.updated_at)})
      .status();
}

Status SqlOrderRepository::update(const OrderUpdate& u) {
  return expect_one_row(
      db_.execute(kUpdateOrder,
                  {enumeration(u.status), id(u.exchange_order_id), decimal(u.quantity_filled),
                   decimal(u.average_fill_price), u.message, nanos(u.updated_at), iso(u.updated_at),
                   u.client_order_id.str()}),
      "update order status: no order " + u.client_order_id.str());
}

Result<std::optional<OrderRecord>> SqlOrderRepository::find(const ClientOrderId& order_id) {
  return read_first<OrderRecord>(db_.query(kFindOrder, {order_id.str()}), read_order);
}

Result<std::vector<OrderRecord>> SqlOrderRepository::open_orders() {
  return read_all<OrderRecord>(db_.query(open_orders_statement()), read_order);
}

// ---- Fills --------------------------------------------------------------------------------

Result<bool> SqlFillRepository::insert(const FillRecord& f) {
  auto inserted =
      db_.execute(kInsertFill, {f.trade_id.str(), f.client_order_id.str(), id(f.exchange_order_id),
                                f.instrument.str(), enumeration(f.side), decimal(f.price),
                                decimal(f.qty), decimal(f.fee), f.fee_currency,
                                enumeration(f.liquidity), nanos(f.ts), iso(f.ts)});
  if (!inserted) return inserted.status();
  if (*inserted == 1) return true;
  // Already stored: a replay if it is the same fill, a contradiction otherwise.
  auto stored = read_first<FillRecord>(db_.query(kFindFill, {f.trade_id.str()}), read_fill);
  if (!stored) return stored.status();
  if (!stored->has_value()) {
    return internal_error("insert fill: trade " + f.trade_id.str() +
                          " conflicted but is not stored");
  }
  if (**stored == f) return false;
  return data_loss("insert fill: trade " + f.trade_id.str() + " is stored as " +
                   describe_fill(**stored) + " but arrived again as " + describe_fill(f));
}

Result<std::vector<FillRecord>> SqlFillRepository::for_order(const ClientOrderId& order_id) {
  return read_all<FillRecord>(db_.query(kFillsForOrder, {order_id.str()}), read_fill);
}

Result<int64_t> SqlFillRepository::count() { return count_rows(db_, kCountFills); }

// ---- Signals ------------------------------------------------------------------------------

Status SqlSignalRepository::record_proposed(const TradeSignalProposedEvent& s) {
  return db_
      .execute(kInsertSignal,
               {s.signal_id.str(), s.instrument.str(), s.strategy_id, enumeration(s.side),
                enumeration(s.entry_type), decimal(s.limit_price), decimal(s.reference_price),
                decimal(s.stop_loss), decimal(s.take_profit),
                static_cast<int64_t>(s.prediction_sequence), real_text(s.prediction_value),
                nanos(s.meta.ts_event), iso(s.meta.ts_event)})
      .status();
}

Status SqlSignalRepository::record_approved(const TradeSignalApprovedEvent& a) {
  return decide(a.signal_id, kApproveSignal,
                {decimal(a.quantity), decimal(a.risk_amount), nanos(a.meta.ts_event),
                 iso(a.meta.ts_event), a.signal_id.str()});
}

Status SqlSignalRepository::record_rejected(const TradeSignalRejectedEvent& r) {
  return decide(r.signal_id, kRejectSignal,
                {enumeration(r.reason), r.message, nanos(r.meta.ts_event), iso(r.meta.ts_event),
                 r.signal_id.str()});
}

Status SqlSignalRepository::decide(const SignalId& signal_id, const Statement& statement,
                                   const SqlParams& params) {
  auto changed = db_.execute(statement, params);
  if (!changed) return changed.status();
  if (*changed == 1) return Status::ok();
  auto rows = db_.query(kSignalStatus, {signal_id.str()});
  if (!rows) return rows.status();
  if (rows->empty()) {
    return not_found(std::string(statement.purpose) + ": signal " + signal_id.str() +
                     " was never proposed");
  }
  return failed_precondition(std::string(statement.purpose) + ": signal " + signal_id.str() +
                             " is already " + rows->front().text(0).value_or("decided"));
}

Result<std::optional<SignalRecord>> SqlSignalRepository::find(const SignalId& signal_id) {
  return read_first<SignalRecord>(db_.query(kFindSignal, {signal_id.str()}), read_signal);
}

// ---- Event log ----------------------------------------------------------------------------

Status SqlEventLogRepository::append(std::string_view run_id, const Event& event) {
  const EventMeta& meta = meta_of(event);
  std::string json;
  try {
    json = event_to_json(event);
  } catch (const std::exception& e) {  // the JSON writer throws on invalid UTF-8 in a string
    return invalid_argument("append event to log: event " + std::to_string(meta.sequence) +
                            " cannot be written as JSON: " + e.what());
  }
  return db_
      .execute(kAppendEvent, {run_id, static_cast<int64_t>(meta.sequence), event_type_name(event),
                              to_nanos(meta.ts_event), to_nanos(meta.ts_init), std::move(json)})
      .status();
}

Result<std::vector<EventLogEntry>> SqlEventLogRepository::read(std::string_view run_id,
                                                               uint64_t from_sequence,
                                                               int64_t limit) {
  if (from_sequence > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::vector<EventLogEntry>();
  }
  return read_all<EventLogEntry>(
      db_.query(kReadEvents, {run_id, static_cast<int64_t>(from_sequence), limit}),
      [](const Row& row) -> Result<EventLogEntry> {
        RowReader r(row, "event_log", std::to_string(row.integer(1).value_or(0)));
        EventLogEntry e;
        e.run_id = r.text(0, "run_id");
        e.sequence = r.unsigned_integer(1, "sequence");
        e.type = r.text(2, "type");
        e.ts_event = r.time(3, "ts_event_ns");
        e.ts_init = r.time(4, "ts_init_ns");
        e.json = r.text(5, "json");
        if (!r.status().is_ok()) return r.status();
        return e;
      });
}

Result<std::vector<std::string>> SqlEventLogRepository::runs() {
  return read_all<std::string>(db_.query(kListRuns), [](const Row& row) -> Result<std::string> {
    RowReader r(row, "event_log", "?");
    std::string run_id = r.text(0, "run_id");
    if (!r.status().is_ok()) return r.status();
    return run_id;
  });
}

Result<int64_t> SqlEventLogRepository::count() { return count_rows(db_, kCountEvents); }

// ---- Portfolio snapshots ------------------------------------------------------------------

Status SqlPortfolioSnapshotRepository::insert(const PortfolioSnapshot& s) {
  return db_
      .execute(kInsertSnapshot,
               {nanos(s.ts), iso(s.ts), s.valuation_currency, decimal(s.equity), decimal(s.cash),
                decimal(s.peak_equity), decimal(s.realized_pnl), decimal(s.unrealized_pnl),
                real_text(s.drawdown_pct), positions_json(s.positions)})
      .status();
}

Result<std::optional<PortfolioSnapshot>> SqlPortfolioSnapshotRepository::latest() {
  return read_first<PortfolioSnapshot>(db_.query(kLatestSnapshot), read_snapshot);
}

Result<std::vector<PortfolioSnapshot>> SqlPortfolioSnapshotRepository::between(Timestamp from,
                                                                               Timestamp to) {
  return read_all<PortfolioSnapshot>(db_.query(kSnapshotsBetween, {nanos(from), nanos(to)}),
                                     read_snapshot);
}

// ---- Bars ---------------------------------------------------------------------------------

Status SqlBarRepository::upsert(const std::vector<MarketDataOHLCVEvent>& bars) {
  return db_.transaction("upsert historical bars", [&](Database& tx) -> Status {
    for (const MarketDataOHLCVEvent& b : bars) {
      if (b.interval <= Duration::zero()) {
        return invalid_argument("upsert historical bar: " + b.instrument.str() + " bar at " +
                                format_iso8601(b.bar_start) + " has no interval");
      }
      auto done = tx.execute(
          kUpsertBar, {b.instrument.str(), static_cast<int64_t>(b.interval.count()),
                       nanos(b.bar_start), iso(b.bar_start), decimal(b.open), decimal(b.high),
                       decimal(b.low), decimal(b.close), decimal(b.volume), b.trade_count});
      if (!done) return done.status();
    }
    return Status::ok();
  });
}

Result<std::vector<MarketDataOHLCVEvent>> SqlBarRepository::range(const InstrumentId& instrument,
                                                                  Duration interval, Timestamp from,
                                                                  Timestamp to) {
  return read_all<MarketDataOHLCVEvent>(
      db_.query(kBarRange,
                {instrument.str(), static_cast<int64_t>(interval.count()), nanos(from), nanos(to)}),
      [&](const Row& row) -> Result<MarketDataOHLCVEvent> {
        RowReader r(row, "historical_bars",
                    instrument.str() + "@" + std::to_string(row.integer(0).value_or(0)));
        MarketDataOHLCVEvent bar;
        bar.instrument = instrument;
        bar.interval = interval;
        bar.bar_start = r.time(0, "bar_start_ns");
        bar.open = r.decimal<Price>(1, "open");
        bar.high = r.decimal<Price>(2, "high");
        bar.low = r.decimal<Price>(3, "low");
        bar.close = r.decimal<Price>(4, "close");
        bar.volume = r.decimal<Quantity>(5, "volume");
        bar.trade_count = r.integer(6, "trade_count");
        if (!r.status().is_ok()) return r.status();
        bar.meta.ts_event = bar.bar_start + interval;
        bar.meta.ts_init = bar.meta.ts_event;
        return bar;
      });
}

// ---- Historical market trades -------------------------------------------------------------

Result<int64_t> SqlTradeRepository::insert(const std::vector<MarketTradeRecord>& trades) {
  for (const MarketTradeRecord& t : trades) {
    if (t.ord_type != OrderType::kMarket && t.ord_type != OrderType::kLimit) {
      return invalid_argument("insert market trades: " + t.instrument.str() + " trade " +
                              std::to_string(t.trade_id) + " has order type " +
                              std::string(to_string(t.ord_type)) + " (market or limit expected)");
    }
  }
  int64_t stored = 0;
  const Status done = db_.transaction("insert market trades", [&](Database& tx) -> Status {
    for (size_t next = 0; next < trades.size();) {
      const size_t count = multi_row_chunk(trades.size() - next);
      SqlParams params;
      params.reserve(count * kTradeColumns);
      for (size_t i = next; i < next + count; ++i) {
        const MarketTradeRecord& t = trades[i];
        for (SqlValue& value :
             SqlParams{t.instrument.str(), t.trade_id, decimal(t.price), decimal(t.qty),
                       enumeration(t.side), enumeration(t.ord_type), nanos(t.ts), iso(t.ts)}) {
          params.push_back(std::move(value));
        }
      }
      auto inserted = tx.execute({"insert market trades", insert_trades_sql(count)}, params);
      if (!inserted) return inserted.status();
      stored += *inserted;
      next += count;
    }
    return Status::ok();
  });
  if (!done.is_ok()) return done;
  return stored;
}

Result<std::vector<MarketTradeRecord>> SqlTradeRepository::range(const InstrumentId& instrument,
                                                                 Timestamp from, Timestamp to) {
  return read_all<MarketTradeRecord>(
      db_.query(kTradeRange, {instrument.str(), nanos(from), nanos(to)}),
      [&](const Row& row) -> Result<MarketTradeRecord> {
        RowReader r(row, "market_trades",
                    instrument.str() + "#" + std::to_string(row.integer(0).value_or(0)));
        MarketTradeRecord t;
        t.instrument = instrument;
        t.trade_id = r.integer(0, "trade_id");
        t.price = r.decimal<Price>(1, "price");
        t.qty = r.decimal<Quantity>(2, "qty");
        t.side = r.enumeration<Side>(3, "side");
        t.ord_type = r.enumeration<OrderType>(4, "ord_type");
        t.ts = r.time(5, "ts_ns");
        if (!r.status().is_ok()) return r.status();
        return t;
      });
}

Result<std::vector<MarketTradeSummary>> SqlTradeRepository::summary() {
  return read_all<MarketTradeSummary>(
      db_.query(kTradeSummary), [](const Row& row) -> Result<MarketTradeSummary> {
        RowReader r(row, "market_trades", row.text(0).value_or("?"));
        MarketTradeSummary s;
        s.instrument = r.strong_id<InstrumentId>(0, "instrument");
        s.count = r.integer(1, "count");
        s.first = r.time(2, "min(ts_ns)");
        s.last = r.time(3, "max(ts_ns)");
        s.first_trade_id = r.integer(4, "min(trade_id)");
        s.last_trade_id = r.integer(5, "max(trade_id)");
        if (!r.status().is_ok()) return r.status();
        return s;
      });
}

// ---- Halt state ---------------------------------------------------------------------------

Status SqlHaltStateRepository::record(const HaltRecord& h) {
  const SqlParams params{enumeration(h.state), h.reason,         enumeration(h.action), h.source,
                         nanos(h.changed_at),  iso(h.changed_at)};
  return db_.transaction("record halt state", [&](Database& tx) -> Status {
    auto set = tx.execute(kSetHaltState, params);
    if (!set) return set.status();
    return tx.execute(kAppendHaltHistory, params).status();
  });
}

Result<std::optional<HaltRecord>> SqlHaltStateRepository::current() {
  return read_first<HaltRecord>(db_.query(kCurrentHalt),
                                [](const Row& row) { return read_halt(row, "halt_state"); });
}

Result<std::vector<HaltRecord>> SqlHaltStateRepository::history() {
  return read_all<HaltRecord>(db_.query(kHaltHistory),
                              [](const Row& row) { return read_halt(row, "halt_history"); });
}

Status SqlHaltStateRepository::complete_recovery_item(const RecoveryItemRecord& item) {
  return db_.transaction("complete recovery item", [&](Database& tx) -> Status {
    auto current = tx.query(kCurrentHaltId);
    if (!current) return current.status();
    const std::string halted(to_string(SystemState::kHalted));
    if (current->empty() || current->front().text(0) != halted) {
      return failed_precondition("cannot store recovery item " + item.item +
                                 ": the stored state is not HALTED");
    }
    const std::optional<int64_t> halt_id = current->front().integer(1);
    if (!halt_id) return data_loss("halt_state is HALTED but halt_history is empty");
    auto inserted = tx.execute(
        kCompleteRecoveryItem,
        {*halt_id, item.item, item.completed_by, nanos(item.completed_at), iso(item.completed_at)});
    if (!inserted && inserted.status().code() == StatusCode::kAlreadyExists) {
      return Status(StatusCode::kAlreadyExists,
                    "recovery item " + item.item + " is already stored for the current halt");
    }
    return inserted.status();
  });
}

Result<std::vector<RecoveryItemRecord>> SqlHaltStateRepository::completed_recovery_items() {
  return read_all<RecoveryItemRecord>(
      db_.query(kCompletedRecoveryItems, {enumeration(SystemState::kHalted)}),
      [](const Row& row) { return read_recovery_item(row); });
}

// ---- Writer commands ----------------------------------------------------------------------

WriteCommand insert_fill_command(FillRecord fill) {
  return WriteCommand{kInsertFill.purpose,
                      [fill = std::move(fill)](Database& db) {
                        return SqlFillRepository(db).insert(fill).status();
                      },
                      &kBulkInsertFill};
}

WriteCommand append_event_command(std::shared_ptr<const std::string> run_id, Event event) {
  return WriteCommand{kAppendEvent.purpose,
                      [run_id = std::move(run_id), event = std::move(event)](Database& db) {
                        return SqlEventLogRepository(db).append(*run_id, event);
                      },
                      &kBulkAppendEvent};
}

Repositories make_sql_repositories(Database& db) {
  return Repositories{std::make_unique<SqlOrderRepository>(db),
                      std::make_unique<SqlFillRepository>(db),
                      std::make_unique<SqlSignalRepository>(db),
                      std::make_unique<SqlEventLogRepository>(db),
                      std::make_unique<SqlPortfolioSnapshotRepository>(db),
                      std::make_unique<SqlBarRepository>(db),
                      std::make_unique<SqlHaltStateRepository>(db),
                      std::make_unique<SqlTradeRepository>(db)};
}

}  // namespace galfriday::persistence
