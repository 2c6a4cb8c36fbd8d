#pragma once
// The private (authenticated) side of the local Kraken simulator: one account with balances,
// its orders matched against the simulator's own book and trades, Kraken's private REST
// endpoints and the ws-auth WebSocket v2 `executions` and `balances` channels.
//
// REST (POST /0/private/<Method>, form-encoded, same port as the public API): Balance,
// BalanceEx, OpenOrders, ClosedOrders, QueryOrders, TradesHistory, AddOrder (market, limit,
// stop-loss, take-profit; cl_ord_id; validate), CancelOrder (txid or cl_ord_id), CancelAll,
// CancelAllOrdersAfter, GetWebSocketsToken. Every request is checked first the way Kraken does
// it (live::PrivateRequestVerifier: API-Key, API-Sign over the exact body, nonce above the last
// accepted one) and refused with Kraken's strings (EAPI:Invalid key / signature / nonce).
//
// WebSocket (path /ws-auth/v2): status on connect, ping/pong, subscribe to `executions`
// (snap_orders, snap_trades) and `balances` with a token from GetWebSocketsToken (anything
// else: "ESession:Invalid session"), then the messages Kraken sends for each change of an
// order (pending_new, new, trade, filled, canceled, expired) and each ledger entry, each
// channel with its own `sequence` per connection.
//
// Matching (documented simplifications):
//   - market: fills at once against the book levels, best first (a remainder beyond the top
//     levels the simulator publishes fills at the last of them); taker fee.
//   - limit: a crossing limit fills like a market order up to its price (taker); otherwise it
//     rests and fills completely, at its own price (maker fee), when the opposite touch or a
//     public trade reaches it.
//   - stop-loss / take-profit (trigger "last"): triggered by a public trade at or through the
//     trigger price (sell stop: price <= trigger; sell take-profit: price >= trigger; buys the
//     other way round), then executed as a market order.
//   - funds: buys need the quote (cost + taker fee) and sells the base; resting limit orders
//     hold theirs (BalanceEx hold_trade). Stop and take-profit orders hold nothing until they
//     trigger (so a position's stop-loss and take-profit can both rest); a triggered order that
//     lacks funds is canceled with reason "Insufficient funds".
//   - fees: taker_fee_ppm / maker_fee_ppm of the cost, at the pair's cost precision, in quote.
//   - the dead man's switch cancels every open order once its trigger time has passed (checked
//     on every request and every market step).
//
// Time: orders and trades are stamped with the injected Clock (the same clock the client uses
// in a test), not the public feed's generated exchange time.
//
// Threading: thread-safe; the simulator calls on_market() under its own lock, and the private
// side never calls back into the simulator.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/market/order_book.hpp"
#include "galfriday/net/http_server.hpp"

namespace galfriday::kraken_sim {

struct PrivateApiOptions {
  std::string api_key;
  std::string api_secret;  // base64, as Kraken issues it
  // Starting balances by REST asset code ("ZUSD", "XXBT") -> decimal text.
  std::map<std::string, std::string> balances;
  int64_t taker_fee_ppm = 4000;  // 0.40 %
  int64_t maker_fee_ppm = 2500;  // 0.25 %
  const Clock* clock = nullptr;  // required
};

// Faults injected into the next calls of one private REST method.
enum class PrivateFault {
  kDropResponseAfterAccept,  // executed, then the connection is closed without an answer
  kServerError,              // HTTP 503 from the "gateway", not executed
  kRateLimit,                // {"error":["EAPI:Rate limit exceeded"]}, not executed
};

// An order as the simulator holds it (for test assertions).
struct SimOrderView {
  std::string txid;
  std::optional<std::string> cl_ord_id;
  std::string pair;  // altname
  Side side = Side::kBuy;
  std::string ordertype;
  std::string status;  // open, closed, canceled, expired
  Quantity volume;
  Quantity executed;
};

struct PrivateStats {
  uint64_t requests = 0;       // private REST requests received
  uint64_t rejected_auth = 0;  // refused by the key/signature/nonce check
  uint64_t faults_injected = 0;
  uint64_t orders_placed = 0;
  uint64_t trades = 0;
  uint64_t private_sockets_dropped = 0;
  std::map<std::string, uint64_t> requests_by_method;  // authenticated requests per method
};

class PrivateExchange {
 public:
  // kInvalidArgument when the secret is not base64, no clock is given, or a balance does not
  // parse.
  static Result<std::unique_ptr<PrivateExchange>> create(PrivateApiOptions options,
                                                         std::vector<InstrumentSpec> pairs);
  ~PrivateExchange();
  PrivateExchange(const PrivateExchange&) = delete;
  PrivateExchange& operator=(const PrivateExchange&) = delete;

  // --- Wiring (the simulator) ---------------------------------------------------------------
  // One private REST request; `method` is the last path segment ("AddOrder"). A response with
  // status 0 asks the server to close the connection without answering.
  net::HttpResponse handle_rest(const std::string& method, const net::HttpServerRequest& request);
  net::WebSocketHandler websocket_handler();
  // The pair's book (best first) and the public trade of this step, if any. Checks triggers and
  // resting orders.
  struct MarketTrade {
    Price price;
    Quantity qty;
  };
  void on_market(const InstrumentId& pair, const std::vector<BookLevel>& bids,
                 const std::vector<BookLevel>& asks, std::optional<MarketTrade> trade);

  // --- Faults -------------------------------------------------------------------------------
  void inject(const std::string& method, PrivateFault fault, int times = 1);
  // Aborts every ws-auth connection without a close frame.
  void drop_private_sockets();
  // While refused, a new ws-auth connection is aborted right after its handshake (a private
  // socket that cannot stay up).
  void refuse_private_sockets(bool refuse);

  // --- Inspection ---------------------------------------------------------------------------
  std::vector<SimOrderView> orders() const;
  // REST asset code -> balance text.
  std::map<std::string, std::string> balances() const;
  // Sets a balance (an operator moving funds outside the bot).
  // kInvalidArgument when `amount` is not a decimal.
  Status set_balance(const std::string& rest_asset, const std::string& amount);
  size_t private_sessions() const;
  PrivateStats stats() const;

  struct Impl;

 private:
  explicit PrivateExchange(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace galfriday::kraken_sim
