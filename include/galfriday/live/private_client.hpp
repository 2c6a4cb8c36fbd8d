#pragma once
// KrakenPrivateClient: Kraken's private (signed) REST endpoints over net::HttpTransport.
//
// Every call: a fresh nonce (NonceGenerator), a form-encoded body that starts with it, the
// API-Key and API-Sign headers (RequestSigner), the local REST counter (waits up to
// max_rate_wait on the injected clock, else kResourceExhausted), then the response checked
// with kraken_rest::check_kraken_response (the one Kraken error vocabulary).
//
// Retries, with exponential backoff through the injected Sleeper:
//   - only errors that Kraken documents as not executed and transient (safe_to_retry:
//     EService:Unavailable/Busy, rate limits, EAPI:Invalid nonce with a new nonce, throttling
//     until the time Kraken names) and, for calls without side effects, transport failures;
//   - AddOrder whose outcome is unknown (timeout, connection lost after sending, 5xx,
//     EGeneral:Internal error) is never simply repeated: the order is first looked up by its
//     cl_ord_id (OpenOrders, then ClosedOrders); found, its txid is returned as the result;
//     only when Kraken has no such order is the AddOrder sent again, with the same cl_ord_id.
//     Together with deterministic cl_ord_ids this makes "one signal, at most one order".
//   - CancelOrder / CancelAll / CancelAllOrdersAfter are idempotent and retried like queries.
//
// Decimal values in results stay the exact text Kraken sent. The API key and secret are never
// in a Status message or log line (the caller registers them with the log redactor).
//
// Thread-safety: calls may come from several threads if the transport allows it (the nonce is
// atomic, the counters locked).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/live/nonce.hpp"
#include "galfriday/live/rate_limits.hpp"
#include "galfriday/live/signing.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::live {

// Waiting between attempts. The live implementation sleeps the calling thread; tests advance a
// SimulatedClock instead, so backoff and rate waits are deterministic.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_for(Duration duration) = 0;
};

class ThreadSleeper final : public Sleeper {
 public:
  void sleep_for(Duration duration) override;
};

struct PrivateClientOptions {
  std::string base_url = "https://api.kraken.com";  // kraken.rest_url
  std::chrono::milliseconds timeout{10'000};        // one HTTP exchange
  int max_attempts = 4;                             // per call, including the first
  Duration initial_backoff = std::chrono::milliseconds(250);
  Duration max_backoff = std::chrono::seconds(8);
  // How long a call may wait for the local REST counter before it is refused.
  Duration max_rate_wait = std::chrono::seconds(5);
  VerificationTier tier = VerificationTier::kStarter;
};

// ---- Requests and results -------------------------------------------------------------------

struct AddOrderRequest {
  std::string pair;  // REST pair name or altname, "XBTUSD"
  Side side = Side::kBuy;
  std::string ordertype;              // "market", "limit", "stop-loss", "take-profit", ...
  std::string volume;                 // exact text at lot precision
  std::optional<std::string> price;   // limit price, or trigger price of stop types
  std::optional<std::string> price2;  // limit price of *-limit types
  ClientOrderId cl_ord_id;
  std::optional<std::string> timeinforce;  // "GTC" (default), "IOC", "GTD"
  std::optional<std::string> expiretm;     // "+<seconds>" or a Unix time
  std::vector<std::string> oflags;         // "post", "fciq", ...
  bool reduce_only = false;
  bool validate = false;  // Kraken checks the order without placing it
};

struct AddOrderResult {
  std::vector<ExchangeOrderId> txids;  // empty for validate-only
  std::string description;             // descr.order, "buy 1.45 XBTUSD @ limit 27500.0"
  // True when the AddOrder outcome was unknown and the order was found by its cl_ord_id.
  bool recovered_by_query = false;
};

// An order as OpenOrders / ClosedOrders / QueryOrders describe it.
struct KrakenOrder {
  ExchangeOrderId txid;
  std::optional<ClientOrderId> cl_ord_id;
  std::optional<int64_t> userref;
  std::string status;  // pending, open, closed, canceled, expired
  std::string pair;    // descr.pair (altname), "XBTUSD"
  Side side = Side::kBuy;
  std::string ordertype;
  std::string price;  // descr.price, the limit/trigger price text ("0" for market)
  std::string vol;
  std::string vol_exec;
  std::string cost;
  std::string fee;
  std::string avg_price;          // "price": average execution price
  std::string reason;             // closed/canceled orders
  std::optional<double> opentm;   // Unix seconds (informational)
  std::optional<double> closetm;  // Unix seconds (informational)
  std::vector<TradeId> trades;    // when asked with trades=true
};

// Kraken's REST order status in our vocabulary: pending -> pending_new, open -> new or
// partially_filled (vol_exec > 0), closed -> filled, canceled, expired.
Result<OrderStatus> to_order_status(const KrakenOrder& order);

struct ClosedOrdersQuery {
  std::optional<ClientOrderId> cl_ord_id;
  std::optional<int64_t> start;  // Unix seconds
  std::optional<int64_t> end;
  int64_t offset = 0;
  bool trades = false;
};

struct ClosedOrdersPage {
  std::vector<KrakenOrder> orders;
  int64_t count = 0;  // total matching, for paging by offset (50 per page)
};

// One fill as TradesHistory describes it; the map key is the trade txid, equal to the WS v2
// executions exec_id, which is what fills are stored under.
struct KrakenTrade {
  TradeId txid;
  ExchangeOrderId ordertxid;
  std::string pair;  // "XXBTZUSD"
  Side side = Side::kBuy;
  std::string ordertype;
  std::string price;
  std::string cost;
  std::string fee;
  std::string vol;
  bool maker = false;
  Timestamp time{};
};

struct TradesHistoryQuery {
  std::optional<int64_t> start;  // Unix seconds
  std::optional<int64_t> end;
  int64_t offset = 0;
};

struct TradesPage {
  std::vector<KrakenTrade> trades;  // oldest first
  int64_t count = 0;
};

struct BalanceExEntry {
  std::string asset;  // "ZUSD", "XXBT"
  std::string balance;
  std::string hold_trade;
};

struct CancelResult {
  int64_t count = 0;
  bool pending = false;
};

struct DeadMansSwitchState {
  std::string current_time;  // RFC 3339 as Kraken sent it
  std::string trigger_time;  // "0001-01-01T00:00:00Z"-like or empty when disabled
};

struct WebSocketsToken {
  std::string token;
  int64_t expires_s = 0;
};

class KrakenPrivateClient {
 public:
  // kInvalidArgument when the secret is not base64 or the key is empty. The references must
  // outlive the client.
  static Result<std::unique_ptr<KrakenPrivateClient>> create(
      net::HttpTransport& transport, NonceGenerator& nonces, const Clock& clock, Sleeper& sleeper,
      std::string api_key, std::string_view api_secret_base64, PrivateClientOptions options = {});

  Result<std::map<std::string, std::string>> balance();
  Result<std::vector<BalanceExEntry>> balance_ex();
  Result<std::vector<KrakenOrder>> open_orders(std::optional<ClientOrderId> cl_ord_id = {},
                                               bool trades = false);
  Result<ClosedOrdersPage> closed_orders(const ClosedOrdersQuery& query);
  Result<std::vector<KrakenOrder>> query_orders(const std::vector<ExchangeOrderId>& txids,
                                                bool trades = false);
  Result<TradesPage> trades_history(const TradesHistoryQuery& query);
  Result<AddOrderResult> add_order(const AddOrderRequest& request);
  Result<CancelResult> cancel_order(const ExchangeOrderId& txid);
  Result<CancelResult> cancel_order(const ClientOrderId& cl_ord_id);
  Result<int64_t> cancel_all();
  // timeout_s 0 disables the switch.
  Result<DeadMansSwitchState> cancel_all_orders_after(int64_t timeout_s);
  Result<WebSocketsToken> get_websockets_token();

  // The order that `cl_ord_id` names, open or closed, or nullopt when Kraken has none.
  Result<std::optional<KrakenOrder>> find_order(const ClientOrderId& cl_ord_id);

  // The exact signed request a call would send (form body without the nonce; the nonce is
  // added first). For the benchmark and for tests of the wire format.
  Result<net::HttpRequest> build_request(
      std::string_view method, const std::vector<std::pair<std::string, std::string>>& params);

  RestRateCounter& rest_counter() { return rest_counter_; }

 private:
  using Params = std::vector<std::pair<std::string, std::string>>;
  enum class SideEffect { kNone, kIdempotent, kCreatesOrder };

  KrakenPrivateClient(net::HttpTransport& transport, NonceGenerator& nonces, const Clock& clock,
                      Sleeper& sleeper, std::string api_key, RequestSigner signer,
                      PrivateClientOptions options);

  // One call with rate limiting and retries; returns the raw JSON of "result".
  Result<std::string> call(std::string_view method, const Params& params, SideEffect effect);
  // One attempt: what happened, and whether/when it may be repeated.
  struct Attempt;
  Attempt attempt_once(std::string_view method, const Params& params);
  Result<CancelResult> cancel_with(std::pair<std::string, std::string> id);
  Status wait_for_rate_counter(std::string_view method);
  Duration backoff(int attempt) const;

  net::HttpTransport& transport_;
  NonceGenerator& nonces_;
  const Clock& clock_;
  Sleeper& sleeper_;
  std::string api_key_;
  RequestSigner signer_;
  PrivateClientOptions options_;
  RestRateCounter rest_counter_;
};

// application/x-www-form-urlencoded body of `params` in order (RFC 3986 percent-encoding).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace galfriday::live
