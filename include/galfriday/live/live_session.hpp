#pragma once
// LiveSession: everything `galfriday run --mode live` needs to trade on Kraken, behind one
// object, so the application controller does not assemble the private REST client, the
// execution handler, the private WebSocket (executions + balances) and reconciliation itself.
//
//   auto session = live::LiveSession::create(config, instruments, secrets, repos, bus, clock,
//                                            scheduler);           // nothing connects yet
//   auto report = (*session)->start();   // recover() + reconcile(); an error means: do not
//                                        // trade (print it, exit with kExitReconcileFailed)
//   ... engine loop ...
//   (*session)->stop(cancel_open_entries, /*cancel_all=*/false);  // orderly shutdown
//
// Threading: create/start/stop on the engine thread. The private socket runs on its own I/O
// thread and hands frames to the handler (which only enqueues).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/live/execution_handler.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/persistence/sql_repositories.hpp"

namespace galfriday::live {

class LiveSession {
 public:
  // Builds the private client (config.kraken.rest_url, nonce file under data_dir), the
  // execution handler (attached to `bus`), and the private WebSocket client
  // (config.kraken.ws_auth_url, token from GetWebSocketsToken, refreshed on reconnect).
  // Nothing touches the network until start().
  static Result<std::unique_ptr<LiveSession>> create(const config::Config& config,
                                                     const InstrumentRegistry& instruments,
                                                     const config::Secrets& secrets,
                                                     persistence::Repositories& repositories,
                                                     PubSubManager& bus, const Clock& clock,
                                                     Scheduler& scheduler);
  virtual ~LiveSession() = default;

  // Recovers the stored open orders, reconciles them (and balances against positions) with
  // Kraken, then connects the private socket and schedules periodic reconciliation. An error
  // says why trading must not start.
  virtual Result<ReconciliationReport> start() = 0;

  // Stops the private socket and the timers; cancels open entry orders when asked (protective
  // stops stay unless `cancel_all`, and then the dead man's switch is disabled so Kraken does
  // not cancel them either), and waits until the handler's queue has drained.
  // With `cancel_open_entries`, the entries Kraken confirms cancelled (its TradesHistory and
  // QueryOrders after the cancels) are stored and reported CANCELED before stop() returns: the
  // ExecutionReportEvents are on the bus for the caller to dispatch. Those it does not confirm
  // stay open, each named in a warning; the next start reconciles them. Not an error.
  virtual Status stop(bool cancel_open_entries, bool cancel_all) = 0;

  // For the status line and the dashboard's feed health.
  virtual bool private_socket_up() const = 0;
  virtual const KrakenExecutionHandler& handler() const = 0;

  // One reconciliation round now, as the periodic timer runs it (open orders, fills, balances
  // against positions), on the handler's executor; blocks until it is done. A discrepancy in
  // balances refuses new entries and raises a critical halt trigger. Engine thread.
  virtual Result<ReconciliationReport> reconcile_now() = 0;
};

// What start() and reconcile_now() add to the handler's reconciliation: Kraken's balances
// (BalanceEx) against the base quantity our books hold per instrument (positions of open orders,
// quantity the open stop-loss/take-profit sells would sell). Kraken holding less than our books
// is a discrepancy that cannot be reconciled (the position was moved outside the bot): one
// message per instrument, empty when everything is covered. More on Kraken is not a discrepancy
// (the account may hold funds the bot does not trade).
std::vector<std::string> balance_discrepancies(
    const std::map<InstrumentId, Quantity>& holdings,
    const std::map<std::string, std::string>& kraken_balances,  // REST asset code -> balance
    const InstrumentRegistry& instruments);

}  // namespace galfriday::live
