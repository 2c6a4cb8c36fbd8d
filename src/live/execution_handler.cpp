// KrakenExecutionHandler: entries, OCO protection, exits, halts, WS executions and REST polling.

#include "galfriday/live/execution_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <set>
#include <utility>

#include "galfriday/live/client_order_id.hpp"

namespace galfriday::live {
namespace {

// Kraken's QueryOrders takes at most this many txids per call.
constexpr size_t kMaxTxidsPerQuery = 50;

// `txids` split into QueryOrders calls, in order.
std::vector<std::vector<ExchangeOrderId>> query_batches(const std::vector<ExchangeOrderId>& txids) {
  std::vector<std::vector<ExchangeOrderId>> batches;
  for (size_t start = 0; start < txids.size(); start += kMaxTxidsPerQuery) {
    const size_t end = std::min(txids.size(), start + kMaxTxidsPerQuery);
    batches.emplace_back(txids.begin() + static_cast<std::ptrdiff_t>(start),
                         txids.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

constexpr std::string_view kSource = "kraken_execution";

Side opposite(Side side) { return side == Side::kBuy ? Side::kSell : Side::kBuy; }

}  // namespace

// ---- Executors ------------------------------------------------------------------------------

void InlineExecutor::submit(std::function<void()> task) {
  queued_.push_back(std::move(task));
  if (running_) return;
  running_ = true;
  while (!queued_.empty()) {
    auto next = std::move(queued_.front());
    queued_.pop_front();
    next();
  }
  running_ = false;
}

WorkerExecutor::WorkerExecutor() : thread_([this] { run(); }) {}

WorkerExecutor::~WorkerExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void WorkerExecutor::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void WorkerExecutor::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

LiveExecutionOptions live_execution_options(const config::Config& config) {
  LiveExecutionOptions options;
  options.limit_order_timeout = std::chrono::seconds(config.execution.limit_order_timeout_seconds);
  options.dead_mans_switch_interval =
      std::chrono::seconds(config.kraken.dead_mans_switch_interval_seconds);
  options.dead_mans_switch_timeout_s = config.kraken.dead_mans_switch_timeout_seconds;
  options.poll_interval = std::chrono::seconds(config.kraken.rest_poll_interval_seconds);
  options.tier = config.kraken.verification_tier;
  return options;
}

PrivateClientOptions private_client_options(const config::Config& config) {
  PrivateClientOptions options;
  options.base_url = config.kraken.rest_url;
  options.timeout = std::chrono::milliseconds(config.kraken.request_timeout_ms);
  options.tier = config.kraken.verification_tier;
  return options;
}

std::filesystem::path nonce_file_path(const config::Config& config) {
  return config.kraken.nonce_file.is_absolute() ? config.kraken.nonce_file
                                                : config.data_dir / config.kraken.nonce_file;
}

std::string_view kraken_order_type(OrderType type) {
  switch (type) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
    case OrderType::kStopLoss:
      return "stop-loss";
    case OrderType::kTakeProfit:
      return "take-profit";
  }
  return "market";
}

// ---- Handler --------------------------------------------------------------------------------

KrakenExecutionHandler::KrakenExecutionHandler(
    LiveExecutionOptions options, const InstrumentRegistry& instruments,
    KrakenPrivateClient& client, persistence::OrderRepository& orders,
    persistence::FillRepository& fills, PubSubManager& bus, Scheduler& scheduler,
    TaskExecutor& executor, persistence::SignalRepository* signals)
    : options_(options),
      instruments_(instruments),
      client_(client),
      orders_repo_(orders),
      fills_repo_(fills),
      signals_repo_(signals),
      bus_(bus),
      scheduler_(scheduler),
      executor_(executor),
      order_counter_(options.tier, scheduler.clock()) {}

void KrakenExecutionHandler::attach() {
  subscriptions_.push_back(bus_.subscribe<TradeSignalApprovedEvent>(
      [this](const TradeSignalApprovedEvent& signal) { on_approved(signal); },
      std::string(kSource)));
  subscriptions_.push_back(bus_.subscribe<ClosePositionCommand>(
      [this](const ClosePositionCommand& command) { on_close(command); }, std::string(kSource)));
  subscriptions_.push_back(bus_.subscribe<SystemStateEvent>(
      [this](const SystemStateEvent& state) { on_state(state); }, std::string(kSource)));
  if (options_.dead_mans_switch_timeout_s > 0) {
    refresh_dead_mans_switch();
    timers_.push_back(scheduler_.schedule_every(options_.dead_mans_switch_interval,
                                                [this] { refresh_dead_mans_switch(); }));
  }
  timers_.push_back(scheduler_.schedule_every(options_.poll_interval, [this] { poll_now(); }));
}

void KrakenExecutionHandler::detach() {
  for (SubscriptionId id : subscriptions_) bus_.unsubscribe(id);
  subscriptions_.clear();
  for (TimerId id : timers_) scheduler_.cancel(id);
  timers_.clear();
}

std::map<InstrumentId, Quantity> KrakenExecutionHandler::holdings_to_cover() const {
  std::map<InstrumentId, Quantity> holdings;
  for (const auto& [instrument, qty] : positions_) {
    if (qty.is_positive()) holdings[instrument] = qty;
  }
  // A position's protective sells: the largest quantity one of them was placed for, less what
  // all of them sold, while one of them is still open.
  struct Group {
    InstrumentId instrument;
    Quantity placed_for;
    Quantity sold;
    bool open = false;
  };
  std::map<ClientOrderId, Group> groups;
  for (const auto& [id, order] : orders_) {
    const bool protective = order.record.purpose == OrderPurpose::kStopLoss ||
                            order.record.purpose == OrderPurpose::kTakeProfit;
    if (!protective || order.record.side != Side::kSell) continue;
    Group& group = groups[order.parent.value_or(id)];
    group.instrument = order.record.instrument;
    group.placed_for = std::max(group.placed_for, order.record.quantity);
    group.sold += order.state->filled();
    group.open = group.open || !is_terminal(order.state->status());
  }
  std::map<InstrumentId, Quantity> protected_qty;
  for (const auto& [parent, group] : groups) {
    const Quantity left = group.placed_for - group.sold;
    if (group.open && left.is_positive()) protected_qty[group.instrument] += left;
  }
  for (const auto& [instrument, qty] : protected_qty) {
    Quantity& held = holdings[instrument];
    held = std::max(held, qty);
  }
  return holdings;
}

void KrakenExecutionHandler::mark_unreconciled(std::string reason) {
  unreconciled_ = std::move(reason);
}

ShutdownCancelReport KrakenExecutionHandler::cancel_open_entries(const std::string& reason) {
  std::promise<ShutdownCancelReport> done;
  auto finished = done.get_future();
  executor_.submit(
      [this, &reason, &done] { done.set_value(cancel_open_entries_on_executor(reason)); });
  return finished.get();
}

ShutdownCancelReport KrakenExecutionHandler::cancel_open_entries_on_executor(
    const std::string& reason) {
  // The entries being cancelled, each with what stands between it and a confirmed close.
  std::map<ClientOrderId, std::vector<std::string>> entries;
  Timestamp oldest = scheduler_.clock().now();
  for (auto& [id, order] : orders_) {
    if (order.record.purpose != OrderPurpose::kEntry || is_terminal(order.state->status())) {
      continue;
    }
    oldest = std::min(oldest, order.placed_at);
    std::vector<std::string>& notes = entries[id];
    if (const Status sent = cancel(order, reason);
        !sent.is_ok() && sent.code() != StatusCode::kNotFound) {
      notes.push_back("CancelOrder failed: " + sent.message());
    }
  }
  ShutdownCancelReport result;
  if (entries.empty()) return result;

  // The evidence is what Kraken says after the cancels: no executions frame can arrive any
  // more, so this is how the store learns of them before the process ends.
  std::map<ExchangeOrderId, ClientOrderId> by_txid;
  std::vector<KrakenOrder> statuses;
  for (auto& [id, notes] : entries) {
    const LiveOrder& order = *find(id);
    if (order.state->exchange_order_id()) {
      by_txid[*order.state->exchange_order_id()] = id;
      continue;
    }
    // AddOrder's outcome was never learned: Kraken knows the order by cl_ord_id or not at all.
    auto found = client_.find_order(id);
    if (!found) {
      notes.push_back("looking it up by cl_ord_id failed: " + found.status().message());
    } else if (!*found) {
      notes.push_back("Kraken has no order with this cl_ord_id");
    } else {
      by_txid[(*found)->txid] = id;
      statuses.push_back(std::move(**found));
    }
  }
  std::vector<ExchangeOrderId> to_query;
  for (const auto& entry : by_txid) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const ExchangeOrderId& txid = entry.first;
    const bool known = std::any_of(statuses.begin(), statuses.end(),
                                   [&](const KrakenOrder& o) { return o.txid == txid; });
    if (!known) to_query.push_back(txid);
  }

  // Fills first, as poll() does: a status that closes an order is applied only with the fills
  // it had, or they would never be booked (a closed order is not reconciled again).
  TradesHistoryQuery query;
  query.start = to_seconds(oldest) - 1;
  auto trades = by_txid.empty() ? Result<TradesPage>(TradesPage{}) : client_.trades_history(query);
  if (!trades) {
    for (auto& [id, notes] : entries) {
      notes.push_back("TradesHistory failed: " + trades.status().message());
    }
    statuses.clear();
    to_query.clear();
  } else {
    for (const KrakenTrade& trade : trades->trades) {
      auto it = by_txid.find(trade.ordertxid);
      if (it == by_txid.end()) continue;
      if (Status applied = apply_kraken_trade(*find(it->second), trade); !applied.is_ok()) {
        health_error("shutdown: " + applied.message());
      }
    }
  }
  for (const std::vector<ExchangeOrderId>& batch : query_batches(to_query)) {
    auto queried = client_.query_orders(batch);
    if (!queried) {
      for (const ExchangeOrderId& txid : batch) {
        entries[by_txid[txid]].push_back("QueryOrders failed: " + queried.status().message());
      }
      continue;
    }
    for (KrakenOrder& kraken_order : *queried) statuses.push_back(std::move(kraken_order));
  }

  for (const KrakenOrder& kraken_order : statuses) {
    auto it = by_txid.find(kraken_order.txid);
    if (it == by_txid.end()) continue;
    LiveOrder& order = *find(it->second);
    const InstrumentSpec* spec = instruments_.find(order.record.instrument);
    auto executed = spec->parse_qty(kraken_order.vol_exec.empty() ? "0" : kraken_order.vol_exec);
    if (executed && *executed > order.state->filled()) {
      // Fills TradesHistory does not list yet: left open, so the next start's reconciliation
      // books them before the order is closed.
      entries[it->second].push_back("Kraken reports " + executed->to_string() +
                                    " executed but TradesHistory lists " +
                                    order.state->filled().to_string());
      continue;
    }
    apply_kraken_order(order, kraken_order);
    if (!is_terminal(order.state->status())) {
      entries[it->second].push_back("Kraken reports it " + kraken_order.status);
    }
  }

  for (const auto& [id, notes] : entries) {
    const OrderStatus status = find(id)->state->status();
    if (status == OrderStatus::kCanceled) {
      result.cancelled.push_back(id);
    } else if (is_terminal(status)) {
      result.closed.push_back(id);
    } else {
      std::string why;
      for (const std::string& note : notes) why += (why.empty() ? "" : "; ") + note;
      result.unconfirmed.push_back({id, why.empty() ? "Kraken did not report it" : why});
    }
  }
  return result;
}

Status KrakenExecutionHandler::recover() {
  std::promise<Status> done;
  std::future<Status> finished = done.get_future();
  executor_.submit([this, &done] { done.set_value(recover_on_executor()); });
  return finished.get();
}

Status KrakenExecutionHandler::recover_on_executor() {
  auto open = orders_repo_.open_orders();
  if (!open) {
    return open.status().with_context("recovering open orders");
  }
  for (auto& record : *open) {
    const InstrumentSpec* spec = instruments_.find(record.instrument);
    if (spec == nullptr) {
      return failed_precondition("stored open order " + record.client_order_id.str() + " is for " +
                                 record.instrument.str() + ", which is not configured");
    }
    LiveOrder order;
    order.state = std::make_unique<OrderStateMachine>(record.quantity, spec->price_precision,
                                                      OrderStatus::kPendingNew);
    // Replaying the stored fills seeds the exec ids, so an exchange replay is a duplicate.
    auto fills = fills_repo_.for_order(record.client_order_id);
    if (!fills) {
      return fills.status().with_context("recovering fills of " + record.client_order_id.str());
    }
    for (const auto& fill : *fills) {
      OrderUpdateMessage replay;
      replay.fill = FillUpdate{fill.trade_id.str(), fill.trade_id, fill.price, fill.qty, fill.fee,
                               fill.fee_currency,   fill.liquidity};
      auto applied = order.state->apply(replay);
      if (!applied) {
        return applied.status().with_context("replaying stored fills of " +
                                             record.client_order_id.str());
      }
      Quantity& held = positions_[record.instrument];
      held = record.side == Side::kBuy ? held + fill.qty : held - fill.qty;
    }
    OrderUpdateMessage stored;
    stored.status = record.status;
    stored.exchange_order_id = record.exchange_order_id;
    (void)order.state->apply(stored);  // a stored status the fills already passed is stale
    if (record.exchange_order_id)
      by_exchange_id_[*record.exchange_order_id] = record.client_order_id;
    order.placed_at = record.created_at;
    if (record.purpose == OrderPurpose::kEntry && record.signal_id && signals_repo_ != nullptr) {
      auto signal = signals_repo_->find(*record.signal_id);
      if (!signal)
        return signal.status().with_context("recovering the signal of " +
                                            record.client_order_id.str());
      if (*signal) order.take_profit = (*signal)->take_profit;
    }
    // A protective order's entry is the entry of its signal (client_order_id.hpp), so
    // one-cancels-other keeps working across a restart.
    if ((record.purpose == OrderPurpose::kStopLoss ||
         record.purpose == OrderPurpose::kTakeProfit) &&
        record.signal_id) {
      order.parent = derive_client_order_id(*record.signal_id, OrderPurpose::kEntry);
    }
    order.record = record;
    const ClientOrderId id = record.client_order_id;
    orders_.emplace(id, std::move(order));
  }
  // A complete entry is not reloaded, but the position its open protective orders protect is
  // ours: its fills count toward the position (once per entry).
  std::set<ClientOrderId> seeded;
  for (const auto& [id, order] : orders_) {
    if (!order.parent || orders_.count(*order.parent) != 0 ||
        !seeded.insert(*order.parent).second) {
      continue;
    }
    auto entry_fills = fills_repo_.for_order(*order.parent);
    if (!entry_fills) {
      return entry_fills.status().with_context("recovering the fills of entry " +
                                               order.parent->str());
    }
    const Side entry_side = opposite(order.record.side);
    for (const auto& fill : *entry_fills) {
      Quantity& held = positions_[order.record.instrument];
      held = entry_side == Side::kBuy ? held + fill.qty : held - fill.qty;
    }
  }
  return Status::ok();
}

Result<ReconciliationReport> KrakenExecutionHandler::reconcile(UnknownOrderPolicy policy) {
  std::promise<Result<ReconciliationReport>> done;
  auto finished = done.get_future();
  executor_.submit([this, policy, &done] { done.set_value(reconcile_on_executor(policy)); });
  return finished.get();
}

void KrakenExecutionHandler::apply_kraken_order(LiveOrder& order, const KrakenOrder& kraken_order) {
  auto status = to_order_status(kraken_order);
  if (!status) {
    health_error(status.status().message());
    return;
  }
  const InstrumentSpec* spec = instruments_.find(order.record.instrument);
  OrderUpdateMessage update;
  update.status = *status;
  update.exchange_order_id = kraken_order.txid;
  update.reason = kraken_order.reason;
  if (auto cum = spec->parse_qty(kraken_order.vol_exec.empty() ? "0" : kraken_order.vol_exec)) {
    update.cum_qty = *cum;
  }
  apply_update(order, update);
}

Status KrakenExecutionHandler::apply_kraken_trade(LiveOrder& order, const KrakenTrade& trade) {
  const InstrumentSpec* spec = instruments_.find(order.record.instrument);
  auto price = spec->parse_price(trade.price);
  auto qty = spec->parse_qty(trade.vol);
  auto fee = Money::parse(trade.fee);
  if (!price || !qty || !fee) {
    return data_loss("trade " + trade.txid.str() + " has an unparsable price '" + trade.price +
                     "', vol '" + trade.vol + "' or fee '" + trade.fee + "'");
  }
  OrderUpdateMessage update;
  update.fill = FillUpdate{trade.txid.str(),
                           trade.txid,
                           *price,
                           *qty,
                           *fee,
                           spec->quote,
                           trade.maker ? Liquidity::kMaker : Liquidity::kTaker};
  update.ts = trade.time;
  apply_update(order, update);
  return Status::ok();
}

Result<ReconciliationReport> KrakenExecutionHandler::reconcile_on_executor(
    UnknownOrderPolicy policy) {
  ReconciliationReport result;
  const int fills_before = fills_reported_;
  auto refuse = [&](const Status& status) -> Result<ReconciliationReport> {
    unreconciled_ = status.message();
    return Status(status.code(),
                  "cannot reconcile with Kraken, new entries are refused until it "
                  "succeeds: " +
                      status.message());
  };

  auto open = client_.open_orders();
  if (!open) return refuse(open.status());
  std::map<ExchangeOrderId, const KrakenOrder*> open_by_txid;
  for (const auto& kraken_order : *open) open_by_txid[kraken_order.txid] = &kraken_order;

  Timestamp oldest = scheduler_.clock().now();
  std::vector<ExchangeOrderId> to_query;
  for (auto& [id, order] : orders_) {
    if (is_terminal(order.state->status())) continue;
    ++result.local_orders_checked;
    oldest = std::min(oldest, order.placed_at);
    const OrderStatus before = order.state->status();
    const Quantity filled_before = order.state->filled();
    if (!order.state->exchange_order_id()) {
      // Stored but its AddOrder outcome was never learned: Kraken knows it by cl_ord_id or not
      // at all.
      auto found = client_.find_order(id);
      if (!found) return refuse(found.status());
      if (!*found) {
        result.discrepancies.push_back("order " + id.str() +
                                       " never reached Kraken (no order with this cl_ord_id)");
        reject(order, "not found on Kraken by cl_ord_id at reconciliation");
        continue;
      }
      apply_kraken_order(order, **found);
    } else if (auto it = open_by_txid.find(*order.state->exchange_order_id());
               it != open_by_txid.end()) {
      apply_kraken_order(order, *it->second);
    } else {
      to_query.push_back(*order.state->exchange_order_id());
    }
    if (order.state->status() != before || order.state->filled() != filled_before) {
      ++result.local_orders_updated;
    }
  }
  for (const std::vector<ExchangeOrderId>& batch : query_batches(to_query)) {
    auto queried = client_.query_orders(batch);
    if (!queried) return refuse(queried.status());
    for (const KrakenOrder& kraken_order : *queried) {
      LiveOrder* order = find_by_exchange_id(kraken_order.txid);
      if (order == nullptr) continue;
      const OrderStatus before = order->state->status();
      apply_kraken_order(*order, kraken_order);
      if (order->state->status() != before) ++result.local_orders_updated;
    }
  }

  // Fills since the oldest order still open locally, including those missed while down.
  if (result.local_orders_checked > 0) {
    TradesHistoryQuery query;
    query.start = to_seconds(oldest) - 1;
    auto trades = client_.trades_history(query);
    if (!trades) return refuse(trades.status());
    for (const KrakenTrade& trade : trades->trades) {
      LiveOrder* order = find_by_exchange_id(trade.ordertxid);
      if (order == nullptr) continue;
      if (Status applied = apply_kraken_trade(*order, trade); !applied.is_ok()) {
        return refuse(applied);
      }
    }
  }
  for (const auto& [id, order] : orders_) {
    if (order.state->unbooked().is_positive()) {
      result.discrepancies.push_back("order " + id.str() + ": Kraken reports " +
                                     order.state->unbooked().to_string() +
                                     " more filled than the fills found");
    }
  }

  // Open orders on Kraken that we do not know.
  for (const KrakenOrder& kraken_order : *open) {
    if (by_exchange_id_.count(kraken_order.txid) != 0) continue;
    if (kraken_order.cl_ord_id && find(*kraken_order.cl_ord_id) != nullptr) continue;
    const InstrumentSpec* spec = instruments_.find_by_altname(kraken_order.pair);
    if (policy == UnknownOrderPolicy::kCancel || spec == nullptr) {
      auto cancelled = client_.cancel_order(kraken_order.txid);
      if (!cancelled && cancelled.status().code() != StatusCode::kNotFound) {
        return refuse(cancelled.status());
      }
      ++result.unknown_orders_cancelled;
      result.discrepancies.push_back("unknown open order " + kraken_order.txid.str() + " (" +
                                     kraken_order.pair + ") cancelled");
      continue;
    }
    auto qty = spec->parse_qty(kraken_order.vol);
    if (!qty) return refuse(qty.status());
    LiveOrder adopted;
    adopted.record.client_order_id =
        kraken_order.cl_ord_id
            ? *kraken_order.cl_ord_id
            : derive_client_order_id("adopted:" + kraken_order.txid.str(), OrderPurpose::kEntry);
    adopted.record.exchange_order_id = kraken_order.txid;
    adopted.record.instrument = spec->id;
    adopted.record.purpose = OrderPurpose::kEntry;
    adopted.record.side = kraken_order.side;
    adopted.record.order_type =
        kraken_order.ordertype == "limit" ? OrderType::kLimit : OrderType::kMarket;
    adopted.record.quantity = *qty;
    adopted.record.message = "adopted at reconciliation";
    const Timestamp now = scheduler_.clock().now();
    adopted.record.created_at = adopted.record.updated_at = now;
    adopted.placed_at = now;
    adopted.state = std::make_unique<OrderStateMachine>(*qty, spec->price_precision);
    if (Status stored = orders_repo_.insert(adopted.record); !stored.is_ok()) {
      return refuse(stored);
    }
    const ClientOrderId id = adopted.record.client_order_id;
    auto [it, inserted] = orders_.emplace(id, std::move(adopted));
    apply_kraken_order(it->second, kraken_order);
    ++result.unknown_orders_adopted;
    result.discrepancies.push_back("unknown open order " + kraken_order.txid.str() + " (" +
                                   kraken_order.pair + ") adopted as " + id.str());
  }
  result.fills_booked = fills_reported_ - fills_before;
  unreconciled_.reset();
  return result;
}

void KrakenExecutionHandler::on_approved(const TradeSignalApprovedEvent& signal) {
  executor_.submit([this, signal] { place_entry(signal); });
  if (signal.order_type == OrderType::kLimit) {
    const ClientOrderId id = derive_client_order_id(signal.signal_id, OrderPurpose::kEntry);
    timers_.push_back(scheduler_.schedule_after(options_.limit_order_timeout, [this, id] {
      executor_.submit([this, id] { on_limit_timeout(id); });
    }));
  }
}

void KrakenExecutionHandler::on_close(const ClosePositionCommand& command) {
  executor_.submit([this, command] { place_exit(command); });
}

void KrakenExecutionHandler::on_state(const SystemStateEvent& state) {
  executor_.submit([this, state] {
    halted_ = state.state != SystemState::kRunning;
    // Only a halt cancels entries. STOPPING (shutdown) refuses new ones; LiveSession::stop()
    // then cancels or keeps the open ones, as execution.shutdown_orders says.
    if (state.state != SystemState::kHalted) return;
    for (auto& [id, order] : orders_) {
      if (order.record.purpose == OrderPurpose::kEntry && !is_terminal(order.state->status())) {
        (void)cancel(order, "halted: " + state.reason);  // failures are reported by cancel()
      }
    }
  });
}

void KrakenExecutionHandler::on_private_frame(std::string frame) {
  executor_.submit([this, frame = std::move(frame)] { handle_frame(frame); });
}

void KrakenExecutionHandler::set_private_socket_up(bool up) {
  executor_.submit([this, up] {
    socket_up_ = up;
    last_sequence_.reset();  // a new connection numbers its messages afresh
    // The snapshot of a new connection lists open orders only: one REST round catches the
    // orders that closed while the socket was down (or before it first connected).
    if (up) poll();
  });
}

void KrakenExecutionHandler::poll_now() {
  executor_.submit([this] {
    if (!socket_up_) poll();
  });
}

void KrakenExecutionHandler::refresh_dead_mans_switch() {
  executor_.submit([this] {
    auto state = client_.cancel_all_orders_after(options_.dead_mans_switch_timeout_s);
    if (!state) health_error("dead man's switch refresh failed: " + state.status().to_string());
  });
}

size_t KrakenExecutionHandler::open_order_count() const {
  return static_cast<size_t>(std::count_if(orders_.begin(), orders_.end(), [](const auto& entry) {
    return !is_terminal(entry.second.state->status());
  }));
}

std::optional<OrderStatus> KrakenExecutionHandler::status_of(const ClientOrderId& id) const {
  auto it = orders_.find(id);
  if (it == orders_.end()) return std::nullopt;
  return it->second.state->status();
}

Quantity KrakenExecutionHandler::position(const InstrumentId& instrument) const {
  auto it = positions_.find(instrument);
  return it == positions_.end() ? Quantity() : it->second;
}

KrakenExecutionHandler::LiveOrder* KrakenExecutionHandler::find(const ClientOrderId& id) {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

KrakenExecutionHandler::LiveOrder* KrakenExecutionHandler::find_by_exchange_id(
    const ExchangeOrderId& id) {
  auto it = by_exchange_id_.find(id);
  return it == by_exchange_id_.end() ? nullptr : find(it->second);
}

// ---- Placing --------------------------------------------------------------------------------

void KrakenExecutionHandler::place_entry(const TradeSignalApprovedEvent& signal) {
  const ClientOrderId id = derive_client_order_id(signal.signal_id, OrderPurpose::kEntry);
  if (find(id) != nullptr) return;  // the same signal again: its order exists already
  auto stored = orders_repo_.find(id);
  if (stored && *stored) return;  // placed by an earlier run; recover() owns it

  LiveOrder order;
  order.record.client_order_id = id;
  order.record.signal_id = signal.signal_id;
  order.record.instrument = signal.instrument;
  order.record.purpose = OrderPurpose::kEntry;
  order.record.side = signal.side;
  order.record.order_type = signal.order_type;
  order.record.quantity = signal.quantity;
  order.record.limit_price = signal.limit_price;
  order.record.stop_price = signal.stop_loss;  // kept for the protective orders
  if (halted_ || unreconciled_) {
    // Stored and reported, so the refusal is visible in the books and the event log.
    const InstrumentSpec* spec = instruments_.find(signal.instrument);
    order.state = std::make_unique<OrderStateMachine>(signal.quantity,
                                                      spec != nullptr ? spec->price_precision : 0);
    order.record.created_at = order.record.updated_at = scheduler_.clock().now();
    (void)orders_repo_.insert(order.record);
    auto [it, inserted] = orders_.emplace(id, std::move(order));
    reject(it->second, halted_ ? "trading is halted: new entries are refused"
                               : "positions are not reconciled with Kraken (" + *unreconciled_ +
                                     "): new entries are refused");
    return;
  }
  order.take_profit = signal.take_profit;
  place(std::move(order));
}

void KrakenExecutionHandler::place_exit(const ClosePositionCommand& command) {
  const Quantity held = position(command.instrument);
  if (held.is_zero()) return;  // nothing to close
  // Protective orders of the pair go first: they would otherwise close the position twice.
  for (auto& [id, order] : orders_) {
    if (order.record.instrument == command.instrument && !is_terminal(order.state->status()) &&
        order.record.purpose != OrderPurpose::kExit) {
      (void)cancel(order, "closing position: " + command.reason);
    }
  }
  Quantity qty = command.quantity ? std::min(*command.quantity, held.abs()) : held.abs();
  LiveOrder order;
  // A close command has no id; its time and pair identify it across retries.
  const std::string origin = "close:" + command.instrument.str() + ":" +
                             std::to_string(to_nanos(command.meta.ts_event)) + ":" +
                             command.requested_by;
  order.record.client_order_id = derive_client_order_id(origin, OrderPurpose::kExit);
  if (find(order.record.client_order_id) != nullptr) return;
  order.record.instrument = command.instrument;
  order.record.purpose = OrderPurpose::kExit;
  order.record.side = held.is_positive() ? Side::kSell : Side::kBuy;
  order.record.order_type = OrderType::kMarket;
  order.record.quantity = qty;
  place(std::move(order));
}

void KrakenExecutionHandler::place(LiveOrder order) {
  const InstrumentSpec* spec = instruments_.find(order.record.instrument);
  const ClientOrderId id = order.record.client_order_id;
  const Timestamp now = scheduler_.clock().now();
  order.state = std::make_unique<OrderStateMachine>(order.record.quantity,
                                                    spec != nullptr ? spec->price_precision : 0);
  order.record.status = OrderStatus::kPendingNew;
  order.record.created_at = order.record.updated_at = now;
  order.placed_at = now;
  auto [it, inserted] = orders_.emplace(id, std::move(order));
  LiveOrder& live = it->second;
  if (spec == nullptr) {
    reject(live, "instrument " + live.record.instrument.str() + " is not configured");
    return;
  }
  // Intent first: a crash after this line leaves a pending_new record to reconcile.
  if (Status stored = orders_repo_.insert(live.record); !stored.is_ok()) {
    health_error("storing order " + id.str() + " failed: " + stored.to_string());
    orders_.erase(it);
    return;
  }
  report(live, std::nullopt, now);

  const RateDecision rate = order_counter_.try_add(live.record.instrument);
  if (!rate.allowed) {
    reject(live, "matching-engine rate counter for " + live.record.instrument.str() +
                     " is full; next order possible in " +
                     std::to_string(
                         std::chrono::duration_cast<std::chrono::milliseconds>(rate.wait).count()) +
                     " ms");
    return;
  }
  AddOrderRequest request;
  request.pair = spec->altname;
  request.side = live.record.side;
  request.ordertype = std::string(kraken_order_type(live.record.order_type));
  request.volume = live.record.quantity.to_string();
  if (live.record.order_type == OrderType::kLimit && live.record.limit_price) {
    request.price = live.record.limit_price->to_string();
  }
  if ((live.record.order_type == OrderType::kStopLoss ||
       live.record.order_type == OrderType::kTakeProfit) &&
      live.record.stop_price) {
    request.price = live.record.stop_price->to_string();
  }
  request.cl_ord_id = id;
  auto added = client_.add_order(request);
  if (!added) {
    if (added.status().code() == StatusCode::kDeadlineExceeded) {
      // Unknown outcome that the lookup could not resolve: keep it pending_new; polling and
      // reconciliation find out by cl_ord_id.
      health_error("order " + id.str() + " outcome unknown: " + added.status().message());
      return;
    }
    if (added.status().message().find("EOrder:Rate limit exceeded") != std::string::npos) {
      order_counter_.on_rate_limit_exceeded(live.record.instrument);
    }
    health_error("order " + id.str() + " rejected: " + added.status().message());
    reject(live, added.status().message());
    return;
  }
  OrderUpdateMessage accepted;
  accepted.status = OrderStatus::kNew;
  accepted.exchange_order_id = added->txids.front();
  accepted.ts = scheduler_.clock().now();
  apply_update(live, accepted);
}

Status KrakenExecutionHandler::cancel(LiveOrder& order, const std::string& reason) {
  if (is_terminal(order.state->status())) return Status::ok();
  // Cancels reduce risk, so the local counter never holds one back: it is counted (to hold
  // back the next entries) and sent; if Kraken refuses it, the error is reported and the
  // order stays open for the next attempt (halt, timeout, close).
  if (!order_counter_.try_cancel(order.record.instrument, order.placed_at).allowed) {
    spdlog::warn("[{}] cancel of {} sent with the matching-engine counter of {} at its limit",
                 kSource, order.record.client_order_id.str(), order.record.instrument.str());
  }
  auto result = client_.cancel_order(order.record.client_order_id);
  if (!result) {
    // kNotFound: already gone on Kraken; what became of it comes with its next update.
    if (result.status().code() == StatusCode::kNotFound) return result.status();
    health_error("cancel of " + order.record.client_order_id.str() + " (" + reason +
                 ") failed: " + result.status().message());
    return result.status();
  }
  order.record.message = reason;
  // The executions channel (or polling) confirms the cancel; until then the order stays as is.
  return Status::ok();
}

void KrakenExecutionHandler::on_limit_timeout(const ClientOrderId& id) {
  LiveOrder* order = find(id);
  if (order == nullptr || is_terminal(order->state->status())) return;
  (void)cancel(*order, "limit order not filled within " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              options_.limit_order_timeout)
                                              .count()) +
                           " s");
}

// ---- Updates --------------------------------------------------------------------------------

void KrakenExecutionHandler::handle_frame(const std::string& frame) {
  auto decoded = decoder_.decode(frame);
  if (!decoded) {
    health_error("private WS frame: " + decoded.status().message());
    return;
  }
  auto* message = std::get_if<ExecutionsMessage>(&*decoded);
  if (message == nullptr) return;
  if (message->sequence) {
    if (last_sequence_ && *message->sequence <= *last_sequence_) return;  // replayed frame
    last_sequence_ = message->sequence;
  }
  for (const Execution& execution : message->executions) {
    LiveOrder* order = nullptr;
    if (execution.cl_ord_id) order = find(ClientOrderId(*execution.cl_ord_id));
    if (order == nullptr) order = find_by_exchange_id(ExchangeOrderId(execution.order_id));
    if (order == nullptr) continue;  // not ours (or from before recover): reconciliation's job
    const InstrumentSpec* spec = instruments_.find(order->record.instrument);
    auto update = to_order_update(execution, *spec);
    if (!update) {
      health_error(update.status().message());
      continue;
    }
    apply_update(*order, *update);
  }
}

void KrakenExecutionHandler::apply_update(LiveOrder& order, const OrderUpdateMessage& update) {
  const bool had_fill = update.fill && !order.state->has_fill(update.fill->exec_id);
  auto outcome = order.state->apply(update);
  if (!outcome) {
    // Our books and Kraken's disagree: a broken invariant, so halt (STYLE.md).
    bus_.post(PotentialHaltTriggerEvent{
        {},
        std::string(kSource),
        "order " + order.record.client_order_id.str() + ": " + outcome.status().to_string(),
        true});
    return;
  }
  if (*outcome != UpdateOutcome::kApplied) return;
  if (order.state->exchange_order_id()) {
    by_exchange_id_[*order.state->exchange_order_id()] = order.record.client_order_id;
  }
  after_change(order, had_fill ? update.fill : std::nullopt);
  if (!update.reason.empty()) order.record.message = update.reason;
  const Timestamp ts = update.ts == Timestamp{} ? scheduler_.clock().now() : update.ts;

  std::optional<Fill> last_fill;
  if (had_fill) {
    const FillUpdate& f = *update.fill;
    last_fill = Fill{f.trade_id, f.price, f.qty, f.fee, f.fee_currency, f.liquidity};
  }
  report(order, last_fill, ts);
  if (order.record.purpose == OrderPurpose::kEntry) protect(order);
}

void KrakenExecutionHandler::after_change(LiveOrder& order, const std::optional<FillUpdate>& fill) {
  order.record.status = order.state->status();
  order.record.exchange_order_id = order.state->exchange_order_id();
  order.record.quantity_filled = order.state->filled();
  order.record.average_fill_price = order.state->average_price();
  if (!fill) return;
  Quantity& held = positions_[order.record.instrument];
  held = order.record.side == Side::kBuy ? held + fill->qty : held - fill->qty;

  // One-cancels-other between a position's stop-loss and take-profit (also when the entry
  // itself was not reloaded after a restart because it is complete).
  if (!order.parent) return;
  const OrderPurpose sibling_purpose = order.record.purpose == OrderPurpose::kStopLoss
                                           ? OrderPurpose::kTakeProfit
                                           : OrderPurpose::kStopLoss;
  for (auto& [id, other] : orders_) {
    if (other.parent != order.parent || other.record.purpose != sibling_purpose ||
        is_terminal(other.state->status())) {
      continue;
    }
    (void)cancel(other, std::string(to_string(order.record.purpose)) + " filled");
  }
  LiveOrder* entry = find(*order.parent);
  if (entry == nullptr) return;
  // A partly filled take-profit leaves a smaller position: re-place the stop for what is left.
  if (order.record.purpose == OrderPurpose::kTakeProfit && !is_terminal(order.state->status())) {
    const Quantity left = entry->state->filled() - order.state->filled();
    if (!left.is_positive() || !entry->record.stop_price) return;
    LiveOrder stop;
    stop.record.client_order_id = derive_client_order_id(
        entry->record.signal_id ? std::string_view(entry->record.signal_id->str())
                                : std::string_view(entry->record.client_order_id.str()),
        OrderPurpose::kStopLoss, ++entry->stop_revision);
    stop.record.signal_id = entry->record.signal_id;
    stop.record.instrument = entry->record.instrument;
    stop.record.purpose = OrderPurpose::kStopLoss;
    stop.record.side = opposite(entry->record.side);
    stop.record.order_type = OrderType::kStopLoss;
    stop.record.quantity = left;
    stop.record.stop_price = entry->record.stop_price;
    stop.parent = entry->record.client_order_id;
    place(std::move(stop));
  }
}

void KrakenExecutionHandler::protect(LiveOrder& entry) {
  // Protection covers what the entry filled, once the entry can fill no more.
  const OrderStatus status = entry.state->status();
  if (entry.protection_placed || !is_terminal(status) || !entry.state->filled().is_positive()) {
    return;
  }
  entry.protection_placed = true;
  const ClientOrderId parent = entry.record.client_order_id;
  const std::string origin =
      entry.record.signal_id ? entry.record.signal_id->str() : entry.record.client_order_id.str();
  const Quantity filled = entry.state->filled();
  const InstrumentId instrument = entry.record.instrument;
  const Side side = opposite(entry.record.side);
  const std::optional<Price> stop = entry.record.stop_price;
  const std::optional<Price> target = entry.take_profit;

  auto make = [&](OrderPurpose purpose, OrderType type, Price trigger) {
    LiveOrder order;
    order.record.client_order_id = derive_client_order_id(std::string_view(origin), purpose);
    order.record.signal_id = entry.record.signal_id;
    order.record.instrument = instrument;
    order.record.purpose = purpose;
    order.record.side = side;
    order.record.order_type = type;
    order.record.quantity = filled;
    order.record.stop_price = trigger;
    order.parent = parent;
    return order;
  };
  // place() inserts into orders_; std::map keeps `entry` valid across insertions.
  if (stop) place(make(OrderPurpose::kStopLoss, OrderType::kStopLoss, *stop));
  if (target) place(make(OrderPurpose::kTakeProfit, OrderType::kTakeProfit, *target));
}

void KrakenExecutionHandler::report(const LiveOrder& order, std::optional<Fill> last_fill,
                                    Timestamp ts_event) {
  ExecutionReportEvent report;
  report.meta.ts_event = ts_event;
  report.instrument = order.record.instrument;
  report.client_order_id = order.record.client_order_id;
  report.exchange_order_id = order.state->exchange_order_id();
  report.signal_id = order.record.signal_id;
  report.purpose = order.record.purpose;
  report.status = order.state->status();
  report.order_type = order.record.order_type;
  report.side = order.record.side;
  report.quantity_ordered = order.record.quantity;
  report.quantity_filled = order.state->filled();
  report.average_fill_price = order.state->average_price();
  report.limit_price = order.record.limit_price;
  if (order.record.order_type == OrderType::kStopLoss ||
      order.record.order_type == OrderType::kTakeProfit) {
    report.stop_price = order.record.stop_price;
  }
  report.last_fill = std::move(last_fill);
  report.message = order.record.message;

  // Store before publishing: a fill already stored (a replay after a restart) is not reported
  // again, so the portfolio books it exactly once.
  if (auto fill = persistence::fill_record_from(report)) {
    auto inserted = fills_repo_.insert(*fill);
    if (!inserted) {
      bus_.post(PotentialHaltTriggerEvent{
          {},
          std::string(kSource),
          "storing fill " + fill->trade_id.str() + ": " + inserted.status().to_string(),
          true});
      return;
    }
    if (!*inserted) return;
    ++fills_reported_;
  }
  if (Status stored = orders_repo_.update(persistence::order_update_from(report));
      !stored.is_ok()) {
    health_error("storing order " + report.client_order_id.str() + ": " + stored.to_string());
  }
  bus_.post(std::move(report));
}

void KrakenExecutionHandler::reject(LiveOrder& order, const std::string& message) {
  OrderUpdateMessage rejected;
  rejected.status = OrderStatus::kRejected;
  rejected.reason = message;
  order.record.message = message;
  if (order.state->apply(rejected)) {
    order.record.status = OrderStatus::kRejected;
    report(order, std::nullopt, scheduler_.clock().now());
  }
}

void KrakenExecutionHandler::health_error(const std::string& detail) {
  spdlog::error("[{}] {}", kSource, detail);
  HealthSignalEvent event;
  event.signal = HealthSignal::kApiError;
  event.source = std::string(kSource);
  event.detail = detail;
  bus_.post(std::move(event));
}

// ---- REST polling fallback ------------------------------------------------------------------

void KrakenExecutionHandler::poll() {
  std::vector<ExchangeOrderId> txids;
  Timestamp oldest = scheduler_.clock().now();
  for (const auto& [id, order] : orders_) {
    if (is_terminal(order.state->status()) && order.state->unbooked().is_zero()) continue;
    if (!order.state->exchange_order_id()) continue;
    txids.push_back(*order.state->exchange_order_id());
    oldest = std::min(oldest, order.placed_at);
  }
  if (txids.empty()) return;
  if (txids.size() > kMaxTxidsPerQuery) txids.resize(kMaxTxidsPerQuery);

  // Fills first (TradesHistory since the oldest open order), then statuses, so a status that
  // completes an order never arrives before the fills that complete it.
  TradesHistoryQuery query;
  query.start = to_seconds(oldest) - 1;
  auto trades = client_.trades_history(query);
  if (!trades) {
    health_error("polling trades: " + trades.status().message());
    return;
  }
  for (const KrakenTrade& trade : trades->trades) {
    if (LiveOrder* order = find_by_exchange_id(trade.ordertxid)) {
      if (Status applied = apply_kraken_trade(*order, trade); !applied.is_ok()) {
        health_error("polling: " + applied.message());
      }
    }
  }
  auto orders = client_.query_orders(txids);
  if (!orders) {
    health_error("polling orders: " + orders.status().message());
    return;
  }
  for (const KrakenOrder& polled : *orders) {
    if (LiveOrder* order = find_by_exchange_id(polled.txid)) apply_kraken_order(*order, polled);
  }
}

}  // namespace galfriday::live
