#pragma once
// KrakenExecutionHandler: live order execution on Kraken.
//
// Inputs: TradeSignalApprovedEvent (new entries), ClosePositionCommand (exits), SystemStateEvent
// (halt), and the private WS v2 `executions` frames (on_private_frame, from the socket's I/O
// thread); REST polling (QueryOrders + TradesHistory) replaces the socket while it is down.
// Output: one ExecutionReportEvent per change of an order, posted to the bus in the order the
// changes happened, each fill stored once (FillRepository, keyed by Kraken's trade id, which is
// the executions exec_id).
//
// Per approved signal:
//  1. the entry's cl_ord_id is derived from the signal (client_order_id.hpp), so a signal
//     delivered twice, or a retry after a timeout, can never place a second order;
//  2. the order is stored (OrderRepository, pending_new) BEFORE it is sent, so a crash between
//     storing and sending leaves a record that recover() and reconciliation resolve;
//  3. AddOrder goes through KrakenPrivateClient (query by cl_ord_id before any retry);
//  4. a limit entry not completely filled after limit_order_timeout is cancelled;
//  5. once the entry has stopped filling (filled, or cancelled/expired with a partial fill),
//     a stop-loss and a take-profit for the filled quantity are placed as one-cancels-other:
//     a fill of one cancels the other; a partial take-profit re-places the stop for what is left.
// While halted, new entries are refused (reported rejected) and open entry orders are
// cancelled; protective orders stay, exits and cancels are always allowed. STOPPING (shutdown)
// refuses new entries but leaves the open ones to LiveSession::stop().
// A dead man's switch (CancelAllOrdersAfter) is refreshed every interval by the Scheduler, so
// if this process dies Kraken cancels its orders.
//
// Threading: all order state lives on one executor (a dedicated worker thread live, inline in
// tests); every entry point only enqueues a task, so the engine thread never waits for the
// network and the repositories are used from one thread. Entry points that touch the
// Scheduler (attach, on_approved, start) are engine-thread only; on_private_frame and
// set_private_socket_up may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/live/executions.hpp"
#include "galfriday/live/order_state.hpp"
#include "galfriday/live/private_client.hpp"
#include "galfriday/live/rate_limits.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/persistence/repositories.hpp"

namespace galfriday::live {

// Runs tasks one at a time in submission order.
class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;
  virtual void submit(std::function<void()> task) = 0;
};

// Runs each task at once on the submitting thread (tests, deterministic).
class InlineExecutor final : public TaskExecutor {
 public:
  void submit(std::function<void()> task) override;

 private:
  // A task submitted by a running task runs after it, not inside it.
  bool running_ = false;
  std::deque<std::function<void()>> queued_;
};

// One worker thread with a FIFO queue; the destructor runs what is queued, then joins.
class WorkerExecutor final : public TaskExecutor {
 public:
  WorkerExecutor();
  ~WorkerExecutor() override;
  WorkerExecutor(const WorkerExecutor&) = delete;
  WorkerExecutor& operator=(const WorkerExecutor&) = delete;
  void submit(std::function<void()> task) override;

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// What reconcile() does with an open order on Kraken that the local store does not know.
enum class UnknownOrderPolicy {
  kCancel,  // cancel it: nothing we did not decide trades on the account
  kAdopt,   // track it as an order of ours (stored, reported, its fills booked)
};

// What reconcile() found and did.
struct ReconciliationReport {
  int local_orders_checked = 0;
  int local_orders_updated = 0;  // status or fills changed by what Kraken reported
  int fills_booked = 0;          // fills missed while down, now stored and reported
  int unknown_orders_cancelled = 0;
  int unknown_orders_adopted = 0;
  std::vector<std::string> discrepancies;  // human-readable, one per finding
};

// What cancel_open_entries() found out from Kraken.
struct ShutdownCancelReport {
  struct Unconfirmed {
    ClientOrderId id;
    std::string why;  // what Kraken answered, or which call failed
  };
  std::vector<ClientOrderId> cancelled;  // Kraken reports them cancelled: stored CANCELED
  std::vector<ClientOrderId> closed;     // Kraken reports them filled or expired before the cancel
  std::vector<Unconfirmed> unconfirmed;  // still open in the store; the next start reconciles them
};

struct LiveExecutionOptions {
  Duration limit_order_timeout = std::chrono::seconds(60);        // execution.limit_order_timeout_s
  Duration dead_mans_switch_interval = std::chrono::seconds(20);  // kraken.dead_mans_switch...
  int64_t dead_mans_switch_timeout_s = 60;                        // 0 disables the switch
  Duration poll_interval = std::chrono::seconds(5);               // REST fallback while WS is down
  VerificationTier tier = VerificationTier::kStarter;
};

class KrakenExecutionHandler {
 public:
  // `signals` gives recover() the take-profit of an entry placed before a restart (orders store
  // only the stop); without it, a recovered entry is protected by its stop alone.
  KrakenExecutionHandler(LiveExecutionOptions options, const InstrumentRegistry& instruments,
                         KrakenPrivateClient& client, persistence::OrderRepository& orders,
                         persistence::FillRepository& fills, PubSubManager& bus,
                         Scheduler& scheduler, TaskExecutor& executor,
                         persistence::SignalRepository* signals = nullptr);

  // Subscribes to approved signals, close commands and system state, and starts the dead
  // man's switch and polling timers. Engine thread.
  void attach();
  // Undoes attach(): unsubscribes and cancels every timer this handler scheduled (also the
  // limit-order timeouts), so the handler can be destroyed while the bus and the Scheduler
  // live on (a session restarted in the same process). Engine thread.
  void detach();

  // Rebuilds the state of the orders the store holds as open (their stored fills replayed, so
  // a replayed exchange message is not counted twice) before trading starts. Runs on the
  // executor; the returned status is that of the load.
  Status recover();

  // Brings the local orders in line with Kraken before trading (after recover()): open orders,
  // orders whose outcome is unknown (looked up by cl_ord_id), fills since the oldest open
  // order; unknown open orders on Kraken are cancelled or adopted per `policy`. If Kraken
  // cannot be asked, entries stay refused (reported rejected with the reason) until a later
  // reconcile() succeeds: positions that cannot be reconciled must not be traded on.
  Result<ReconciliationReport> reconcile(UnknownOrderPolicy policy);
  // The same, for a task already running on the handler's executor (periodic reconciliation).
  Result<ReconciliationReport> reconcile_on_executor(UnknownOrderPolicy policy);

  // Executor thread: per instrument, the base quantity our books say the account holds: the
  // larger of the net position booked from the orders the handler tracks and the quantity the
  // open protective sell orders (stop-loss / take-profit) would sell. Compared with Kraken's
  // balances by the session.
  std::map<InstrumentId, Quantity> holdings_to_cover() const;
  // Executor thread: refuses new entries with `reason` until the next successful reconcile.
  void mark_unreconciled(std::string reason);
  // Orderly shutdown, after the private socket closed (no executions frame will confirm
  // anything any more): cancels every open entry order (protective orders stay), then asks
  // Kraken what became of them, fills first (TradesHistory since the oldest) and then their
  // status (QueryOrders, or the cl_ord_id lookup for one whose txid is unknown), and applies the
  // answer like any other update: an entry Kraken reports cancelled is stored and reported
  // CANCELED now (with the fills it had), not at the next start. An entry Kraken does not
  // confirm as closed stays open here and is named in `unconfirmed`; the next start's
  // reconciliation resolves it. Blocks until done: engine thread, never from the executor.
  ShutdownCancelReport cancel_open_entries(const std::string& reason);

  void on_approved(const TradeSignalApprovedEvent& signal);
  void on_close(const ClosePositionCommand& command);
  void on_state(const SystemStateEvent& state);

  // A text frame of the private WS v2 socket (any thread).
  void on_private_frame(std::string frame);
  // The private socket connected (sequence numbers restart) or dropped (REST polling takes
  // over). Any thread.
  void set_private_socket_up(bool up);

  // Engine thread, from the Scheduler: one REST polling round / one dead man's switch refresh.
  // Public so tests can drive them; attach() schedules them.
  void poll_now();
  void refresh_dead_mans_switch();

  // Snapshot accessors for tests and the monitoring CLI (executor thread or after it drained).
  size_t open_order_count() const;
  std::optional<OrderStatus> status_of(const ClientOrderId& id) const;
  Quantity position(const InstrumentId& instrument) const;

 private:
  struct LiveOrder {
    persistence::OrderRecord record;
    std::unique_ptr<OrderStateMachine> state;
    Timestamp placed_at{};
    bool protection_placed = false;       // entry: SL/TP placed for its fills
    uint32_t stop_revision = 0;           // entry: stop re-placed after partial take-profits
    std::optional<ClientOrderId> parent;  // SL/TP: the entry they protect
    std::optional<Price> take_profit;     // entry: the target of its take-profit order
  };

  Status recover_on_executor();
  void apply_kraken_order(LiveOrder& order, const KrakenOrder& kraken_order);
  // A TradesHistory fill of `order`; kDataLoss when its numbers do not parse at the pair.
  Status apply_kraken_trade(LiveOrder& order, const KrakenTrade& trade);
  void place_entry(const TradeSignalApprovedEvent& signal);
  void place_exit(const ClosePositionCommand& command);
  // Stores, then sends; reports pending_new then new or rejected.
  void place(LiveOrder order);
  // Sends CancelOrder; the order changes only when Kraken reports the cancel (executions,
  // polling, or cancel_open_entries' query). kNotFound: Kraken has no such open order.
  Status cancel(LiveOrder& order, const std::string& reason);
  ShutdownCancelReport cancel_open_entries_on_executor(const std::string& reason);
  void on_limit_timeout(const ClientOrderId& id);
  void handle_frame(const std::string& frame);
  void apply_update(LiveOrder& order, const OrderUpdateMessage& update);
  void after_change(LiveOrder& order, const std::optional<FillUpdate>& new_fill);
  void protect(LiveOrder& entry);
  void report(const LiveOrder& order, std::optional<Fill> last_fill, Timestamp ts_event);
  void reject(LiveOrder& order, const std::string& message);
  void health_error(const std::string& detail);
  void poll();
  LiveOrder* find(const ClientOrderId& id);
  LiveOrder* find_by_exchange_id(const ExchangeOrderId& id);

  LiveExecutionOptions options_;
  const InstrumentRegistry& instruments_;
  KrakenPrivateClient& client_;
  persistence::OrderRepository& orders_repo_;
  persistence::FillRepository& fills_repo_;
  persistence::SignalRepository* signals_repo_;
  PubSubManager& bus_;
  Scheduler& scheduler_;
  TaskExecutor& executor_;
  OrderRateCounter order_counter_;
  ExecutionsDecoder decoder_;

  // Executor-thread state.
  std::map<ClientOrderId, LiveOrder> orders_;
  std::map<ExchangeOrderId, ClientOrderId> by_exchange_id_;
  std::map<InstrumentId, Quantity> positions_;
  bool halted_ = false;
  std::optional<std::string> unreconciled_;  // why entries are refused until reconcile() passes
  int fills_reported_ = 0;
  std::optional<uint64_t> last_sequence_;
  bool socket_up_ = false;
  // Engine-thread state: what attach() and on_approved() registered, for detach().
  std::vector<TimerId> timers_;
  std::vector<SubscriptionId> subscriptions_;
};

// Options from the configuration (kraken.*, execution.limit_order_timeout_seconds).
LiveExecutionOptions live_execution_options(const config::Config& config);
PrivateClientOptions private_client_options(const config::Config& config);
// The nonce mark file: kraken.nonce_file, under data_dir when relative.
std::filesystem::path nonce_file_path(const config::Config& config);

// The Kraken ordertype for an order type ("market", "limit", "stop-loss", "take-profit").
std::string_view kraken_order_type(OrderType type);

}  // namespace galfriday::live
