// KrakenPrivateClient: signed private REST calls with rate limiting, safe retries and
// query-before-retry for AddOrder.

#include "galfriday/live/private_client.hpp"

#include <simdjson.h>

#include <algorithm>
#include <thread>

#include "../kraken_rest/json_reader.hpp"
#include "galfriday/core/encoding.hpp"
#include "galfriday/kraken_rest/envelope.hpp"
#include "galfriday/kraken_rest/errors.hpp"
#include "galfriday/log/logger.hpp"

namespace galfriday::live {
namespace json = kraken_rest::json;
namespace {

namespace od = simdjson::ondemand;
using json::shape_error;

constexpr std::string_view kPrivatePathPrefix = "/0/private/";
constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

// Runs `parse` over the result JSON, turning simdjson exceptions (On Demand reports some errors
// only while iterating) into kDataLoss.
template <typename T, typename Parse>
Result<T> parse_result(std::string_view endpoint, const std::string& result_json, Parse parse) {
  simdjson::padded_string padded(result_json);
  od::parser parser;
  try {
    od::document doc = parser.iterate(padded);
    od::value root = doc.get_value();
    return parse(root);
  } catch (const simdjson::simdjson_error& error) {
    return shape_error(endpoint, "result", error.what());
  }
}

Result<Side> parse_side(std::string_view text, std::string_view endpoint, std::string_view where) {
  if (text == "buy") return Side::kBuy;
  if (text == "sell") return Side::kSell;
  return shape_error(endpoint, where, "unknown side '" + std::string(text) + "'");
}

Result<KrakenOrder> parse_order(std::string_view txid, od::value& value,
                                std::string_view endpoint) {
  KrakenOrder order;
  order.txid = ExchangeOrderId(std::string(txid));
  const std::string at = "order " + std::string(txid);
  od::object object = value.get_object();
  for (auto field : object) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    const std::string where = at + "." + std::string(key);
    if (key == "status") {
      GF_JSON_ASSIGN_OR_RETURN(order.status, json::string(v, endpoint, where));
    } else if (key == "cl_ord_id") {
      if (json::is_null(v)) continue;
      std::string text;
      GF_JSON_ASSIGN_OR_RETURN(text, json::string(v, endpoint, where));
      if (!text.empty()) order.cl_ord_id = ClientOrderId(text);
    } else if (key == "userref") {
      if (json::is_null(v)) continue;
      GF_JSON_ASSIGN_OR_RETURN(order.userref, json::integer(v, endpoint, where));
    } else if (key == "vol") {
      GF_JSON_ASSIGN_OR_RETURN(order.vol, json::decimal_text(v, endpoint, where));
    } else if (key == "vol_exec") {
      GF_JSON_ASSIGN_OR_RETURN(order.vol_exec, json::decimal_text(v, endpoint, where));
    } else if (key == "cost") {
      GF_JSON_ASSIGN_OR_RETURN(order.cost, json::decimal_text(v, endpoint, where));
    } else if (key == "fee") {
      GF_JSON_ASSIGN_OR_RETURN(order.fee, json::decimal_text(v, endpoint, where));
    } else if (key == "price") {
      GF_JSON_ASSIGN_OR_RETURN(order.avg_price, json::decimal_text(v, endpoint, where));
    } else if (key == "reason") {
      if (json::is_null(v)) continue;
      GF_JSON_ASSIGN_OR_RETURN(order.reason, json::string(v, endpoint, where));
    } else if (key == "opentm" || key == "closetm") {
      double seconds = 0;
      if (v.get_double().get(seconds) != simdjson::SUCCESS) continue;  // informational only
      (key == "opentm" ? order.opentm : order.closetm) = seconds;
    } else if (key == "trades") {
      od::array trades = v.get_array();
      for (auto trade : trades) {
        od::value trade_value = trade.value();
        std::string id;
        GF_JSON_ASSIGN_OR_RETURN(id, json::string(trade_value, endpoint, where));
        order.trades.emplace_back(std::move(id));
      }
    } else if (key == "descr") {
      od::object descr = v.get_object();
      for (auto descr_field : descr) {
        const std::string_view descr_key = descr_field.unescaped_key();
        od::value d = descr_field.value();
        const std::string descr_where = at + ".descr." + std::string(descr_key);
        if (descr_key == "pair") {
          GF_JSON_ASSIGN_OR_RETURN(order.pair, json::string(d, endpoint, descr_where));
        } else if (descr_key == "type") {
          std::string side;
          GF_JSON_ASSIGN_OR_RETURN(side, json::string(d, endpoint, descr_where));
          GF_JSON_ASSIGN_OR_RETURN(order.side, parse_side(side, endpoint, descr_where));
        } else if (descr_key == "ordertype") {
          GF_JSON_ASSIGN_OR_RETURN(order.ordertype, json::string(d, endpoint, descr_where));
        } else if (descr_key == "price") {
          GF_JSON_ASSIGN_OR_RETURN(order.price, json::decimal_text(d, endpoint, descr_where));
        }
      }
    }
  }
  if (order.status.empty()) return shape_error(endpoint, at, "missing status");
  return order;
}

// {"<txid>": {order}, ...}
Result<std::vector<KrakenOrder>> parse_order_map(od::value& value, std::string_view endpoint) {
  std::vector<KrakenOrder> orders;
  od::object object = value.get_object();
  for (auto field : object) {
    const std::string txid(std::string_view(field.unescaped_key()));
    od::value order_value = field.value();
    KrakenOrder order;
    GF_JSON_ASSIGN_OR_RETURN(order, parse_order(txid, order_value, endpoint));
    orders.push_back(std::move(order));
  }
  return orders;
}

Result<KrakenTrade> parse_trade(std::string_view txid, od::value& value,
                                std::string_view endpoint) {
  KrakenTrade trade;
  trade.txid = TradeId(std::string(txid));
  const std::string at = "trade " + std::string(txid);
  bool has_time = false;
  od::object object = value.get_object();
  for (auto field : object) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    const std::string where = at + "." + std::string(key);
    if (key == "ordertxid") {
      std::string id;
      GF_JSON_ASSIGN_OR_RETURN(id, json::string(v, endpoint, where));
      trade.ordertxid = ExchangeOrderId(std::move(id));
    } else if (key == "pair") {
      GF_JSON_ASSIGN_OR_RETURN(trade.pair, json::string(v, endpoint, where));
    } else if (key == "type") {
      std::string side;
      GF_JSON_ASSIGN_OR_RETURN(side, json::string(v, endpoint, where));
      GF_JSON_ASSIGN_OR_RETURN(trade.side, parse_side(side, endpoint, where));
    } else if (key == "ordertype") {
      GF_JSON_ASSIGN_OR_RETURN(trade.ordertype, json::string(v, endpoint, where));
    } else if (key == "price") {
      GF_JSON_ASSIGN_OR_RETURN(trade.price, json::decimal_text(v, endpoint, where));
    } else if (key == "cost") {
      GF_JSON_ASSIGN_OR_RETURN(trade.cost, json::decimal_text(v, endpoint, where));
    } else if (key == "fee") {
      GF_JSON_ASSIGN_OR_RETURN(trade.fee, json::decimal_text(v, endpoint, where));
    } else if (key == "vol") {
      GF_JSON_ASSIGN_OR_RETURN(trade.vol, json::decimal_text(v, endpoint, where));
    } else if (key == "maker") {
      bool maker = false;
      if (v.get_bool().get(maker) == simdjson::SUCCESS) trade.maker = maker;
    } else if (key == "time") {
      std::string text;
      GF_JSON_ASSIGN_OR_RETURN(text, json::decimal_text(v, endpoint, where));
      GF_JSON_ASSIGN_OR_RETURN(trade.time, json::unix_seconds_text(text, endpoint, where));
      has_time = true;
    }
  }
  if (trade.ordertxid.empty() || trade.price.empty() || trade.vol.empty() || !has_time) {
    return shape_error(endpoint, at, "missing ordertxid, price, vol or time");
  }
  return trade;
}

std::string_view side_text(Side side) { return side == Side::kBuy ? "buy" : "sell"; }

}  // namespace

void ThreadSleeper::sleep_for(Duration duration) { std::this_thread::sleep_for(duration); }

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += percent_encode(name);
    body += '=';
    body += percent_encode(value);
  }
  return body;
}

Result<OrderStatus> to_order_status(const KrakenOrder& order) {
  if (order.status == "pending") return OrderStatus::kPendingNew;
  if (order.status == "open") {
    auto executed = Quantity::parse(order.vol_exec.empty() ? "0" : order.vol_exec);
    if (!executed) {
      return data_loss("order " + order.txid.str() + ": vol_exec '" + order.vol_exec +
                       "': " + executed.status().message());
    }
    return executed->is_positive() ? OrderStatus::kPartiallyFilled : OrderStatus::kNew;
  }
  if (order.status == "closed") return OrderStatus::kFilled;
  if (order.status == "canceled") return OrderStatus::kCanceled;
  if (order.status == "expired") return OrderStatus::kExpired;
  return data_loss("order " + order.txid.str() + ": unknown status '" + order.status + "'");
}

// ---- Client ---------------------------------------------------------------------------------

struct KrakenPrivateClient::Attempt {
  enum class Kind {
    kSuccess,        // result_json holds the result
    kRetryable,      // certainly not executed; may be repeated after `wait`
    kOutcomeUnknown  // may have been executed
  };
  Kind kind = Kind::kSuccess;
  std::string result_json;
  Status status;
  std::optional<Duration> wait;  // Kraken named how long to wait (throttling)
  bool final = false;            // an error that repeating cannot fix
};

Result<std::unique_ptr<KrakenPrivateClient>> KrakenPrivateClient::create(
    net::HttpTransport& transport, NonceGenerator& nonces, const Clock& clock, Sleeper& sleeper,
    std::string api_key, std::string_view api_secret_base64, PrivateClientOptions options) {
  if (api_key.empty()) return invalid_argument("Kraken API key is empty");
  auto signer = RequestSigner::create(api_secret_base64);
  if (!signer) return signer.status();
  if (options.max_attempts < 1) return invalid_argument("max_attempts must be at least 1");
  return std::unique_ptr<KrakenPrivateClient>(new KrakenPrivateClient(
      transport, nonces, clock, sleeper, std::move(api_key), std::move(*signer), options));
}

KrakenPrivateClient::KrakenPrivateClient(net::HttpTransport& transport, NonceGenerator& nonces,
                                         const Clock& clock, Sleeper& sleeper, std::string api_key,
                                         RequestSigner signer, PrivateClientOptions options)
    : transport_(transport),
      nonces_(nonces),
      clock_(clock),
      sleeper_(sleeper),
      api_key_(std::move(api_key)),
      signer_(std::move(signer)),
      options_(std::move(options)),
      rest_counter_(options_.tier, clock) {}

Result<net::HttpRequest> KrakenPrivateClient::build_request(std::string_view method,
                                                            const Params& params) {
  auto nonce = nonces_.next();
  if (!nonce) return nonce.status();
  const std::string nonce_text = std::to_string(*nonce);
  Params with_nonce;
  with_nonce.reserve(params.size() + 1);
  with_nonce.emplace_back("nonce", nonce_text);
  with_nonce.insert(with_nonce.end(), params.begin(), params.end());

  std::string path(kPrivatePathPrefix);
  path += method;
  net::HttpRequest request;
  request.method = net::HttpMethod::kPost;
  request.url = options_.base_url + "/" + path.substr(1);
  request.body = form_encode(with_nonce);
  request.headers.push_back({"API-Key", api_key_});
  request.headers.push_back({"API-Sign", signer_.sign(path, nonce_text, request.body)});
  request.headers.push_back({"Content-Type", std::string(kFormContentType)});
  return request;
}

Status KrakenPrivateClient::wait_for_rate_counter(std::string_view method) {
  Duration waited{};
  for (;;) {
    const RateDecision decision = rest_counter_.try_acquire(method);
    if (decision.allowed) return Status::ok();
    if (waited + decision.wait > options_.max_rate_wait) {
      return Status(
          StatusCode::kResourceExhausted,
          "Kraken " + std::string(method) + ": local REST rate counter is full for " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(decision.wait).count()) +
              " ms more (tier " + std::string(to_string(options_.tier)) + ")");
    }
    sleeper_.sleep_for(decision.wait);
    waited += decision.wait;
  }
}

Duration KrakenPrivateClient::backoff(int attempt) const {
  Duration delay = options_.initial_backoff;
  for (int i = 1; i < attempt && delay < options_.max_backoff; ++i) delay *= 2;
  return std::min(delay, options_.max_backoff);
}

KrakenPrivateClient::Attempt KrakenPrivateClient::attempt_once(std::string_view method,
                                                               const Params& params) {
  Attempt attempt;
  if (Status limited = wait_for_rate_counter(method); !limited.is_ok()) {
    attempt.kind = Attempt::Kind::kRetryable;
    attempt.status = limited;
    attempt.final = true;  // our own counter: waiting longer is the caller's decision
    return attempt;
  }
  auto request = build_request(method, params);
  if (!request) {
    attempt.kind = Attempt::Kind::kRetryable;
    attempt.status = request.status();
    attempt.final = true;
    return attempt;
  }
  auto response = transport_.send(*request, options_.timeout);
  if (!response) {
    // Transport failures after connect may or may not have reached Kraken.
    attempt.status = response.status().with_context("Kraken " + std::string(method));
    const bool maybe_delivered = response.status().code() == StatusCode::kDeadlineExceeded ||
                                 response.status().code() == StatusCode::kUnavailable;
    attempt.kind = maybe_delivered ? Attempt::Kind::kOutcomeUnknown : Attempt::Kind::kRetryable;
    attempt.final = !maybe_delivered;
    return attempt;
  }
  auto checked = kraken_rest::check_kraken_response(method, *response);
  if (checked) {
    attempt.result_json = checked->result_json.value_or("{}");
    return attempt;
  }
  attempt.status = checked.status();
  if (response->status != 200) {
    // 5xx from a proxy or Kraken's edge: for a POST the request may have been processed.
    const bool server_error = response->status >= 500;
    attempt.kind = server_error ? Attempt::Kind::kOutcomeUnknown : Attempt::Kind::kRetryable;
    attempt.final = !server_error && response->status != 429;
    if (response->status == 429) rest_counter_.on_rate_limit_exceeded();
    return attempt;
  }
  auto envelope = kraken_rest::parse_kraken_envelope(method, response->body);
  if (!envelope || envelope->errors.empty()) {
    attempt.kind = Attempt::Kind::kRetryable;
    attempt.final = true;  // malformed success: nothing to retry into
    return attempt;
  }
  const kraken_rest::KrakenError& error = envelope->errors.front();
  if (error.rate_limited && error.category == "EAPI") rest_counter_.on_rate_limit_exceeded();
  if (error.retry_at_unix) {
    const Timestamp until = timestamp_from_seconds(*error.retry_at_unix);
    const Timestamp now = clock_.now();
    attempt.wait = until > now ? until - now : Duration::zero();
  }
  if (error.outcome_unknown) {
    attempt.kind = Attempt::Kind::kOutcomeUnknown;
  } else {
    attempt.kind = Attempt::Kind::kRetryable;
    attempt.final = !error.safe_to_retry;
  }
  return attempt;
}

Result<std::string> KrakenPrivateClient::call(std::string_view method, const Params& params,
                                              SideEffect effect) {
  Status last;
  for (int attempt_number = 1; attempt_number <= options_.max_attempts; ++attempt_number) {
    Attempt attempt = attempt_once(method, params);
    if (attempt.kind == Attempt::Kind::kSuccess) return std::move(attempt.result_json);
    last = attempt.status;
    if (attempt.final) return last;
    if (attempt.kind == Attempt::Kind::kOutcomeUnknown && effect == SideEffect::kCreatesOrder) {
      // The caller (add_order) must look the order up before anything is repeated.
      return Status(StatusCode::kDeadlineExceeded, last.message());
    }
    if (attempt_number == options_.max_attempts) break;
    sleeper_.sleep_for(attempt.wait.value_or(backoff(attempt_number)));
  }
  return last.with_context("after " + std::to_string(options_.max_attempts) + " attempts");
}

// ---- Endpoints ------------------------------------------------------------------------------

Result<std::map<std::string, std::string>> KrakenPrivateClient::balance() {
  constexpr std::string_view kMethod = "Balance";
  auto result = call(kMethod, {}, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<std::map<std::string, std::string>>(
      kMethod, *result, [&](od::value& root) -> Result<std::map<std::string, std::string>> {
        std::map<std::string, std::string> balances;
        od::object object = root.get_object();
        for (auto field : object) {
          const std::string asset(std::string_view(field.unescaped_key()));
          od::value v = field.value();
          std::string amount;
          GF_JSON_ASSIGN_OR_RETURN(amount, json::decimal_text(v, kMethod, asset));
          balances.emplace(asset, std::move(amount));
        }
        return balances;
      });
}

Result<std::vector<BalanceExEntry>> KrakenPrivateClient::balance_ex() {
  constexpr std::string_view kMethod = "BalanceEx";
  auto result = call(kMethod, {}, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<std::vector<BalanceExEntry>>(
      kMethod, *result, [&](od::value& root) -> Result<std::vector<BalanceExEntry>> {
        std::vector<BalanceExEntry> entries;
        od::object object = root.get_object();
        for (auto field : object) {
          BalanceExEntry entry;
          entry.asset = std::string(std::string_view(field.unescaped_key()));
          od::object inner = field.value().get_object();
          for (auto inner_field : inner) {
            const std::string_view key = inner_field.unescaped_key();
            od::value v = inner_field.value();
            if (key == "balance") {
              GF_JSON_ASSIGN_OR_RETURN(entry.balance, json::decimal_text(v, kMethod, entry.asset));
            } else if (key == "hold_trade") {
              GF_JSON_ASSIGN_OR_RETURN(entry.hold_trade,
                                       json::decimal_text(v, kMethod, entry.asset));
            }
          }
          if (entry.balance.empty()) return shape_error(kMethod, entry.asset, "missing balance");
          if (entry.hold_trade.empty()) entry.hold_trade = "0";
          entries.push_back(std::move(entry));
        }
        return entries;
      });
}

Result<std::vector<KrakenOrder>> KrakenPrivateClient::open_orders(
    std::optional<ClientOrderId> cl_ord_id, bool trades) {
  constexpr std::string_view kMethod = "OpenOrders";
  Params params;
  if (trades) params.emplace_back("trades", "true");
  if (cl_ord_id) params.emplace_back("cl_ord_id", cl_ord_id->str());
  auto result = call(kMethod, params, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<std::vector<KrakenOrder>>(
      kMethod, *result, [&](od::value& root) -> Result<std::vector<KrakenOrder>> {
        od::object object = root.get_object();
        for (auto field : object) {
          if (std::string_view(field.unescaped_key()) != "open") continue;
          od::value open = field.value();
          return parse_order_map(open, kMethod);
        }
        return shape_error(kMethod, "result", "missing 'open'");
      });
}

Result<ClosedOrdersPage> KrakenPrivateClient::closed_orders(const ClosedOrdersQuery& query) {
  constexpr std::string_view kMethod = "ClosedOrders";
  Params params;
  if (query.trades) params.emplace_back("trades", "true");
  if (query.cl_ord_id) params.emplace_back("cl_ord_id", query.cl_ord_id->str());
  if (query.start) params.emplace_back("start", std::to_string(*query.start));
  if (query.end) params.emplace_back("end", std::to_string(*query.end));
  if (query.offset > 0) params.emplace_back("ofs", std::to_string(query.offset));
  auto result = call(kMethod, params, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<ClosedOrdersPage>(
      kMethod, *result, [&](od::value& root) -> Result<ClosedOrdersPage> {
        ClosedOrdersPage page;
        bool has_closed = false;
        od::object object = root.get_object();
        for (auto field : object) {
          const std::string_view key = field.unescaped_key();
          od::value v = field.value();
          if (key == "closed") {
            GF_JSON_ASSIGN_OR_RETURN(page.orders, parse_order_map(v, kMethod));
            has_closed = true;
          } else if (key == "count") {
            GF_JSON_ASSIGN_OR_RETURN(page.count, json::integer(v, kMethod, "count"));
          }
        }
        if (!has_closed) return shape_error(kMethod, "result", "missing 'closed'");
        return page;
      });
}

Result<std::vector<KrakenOrder>> KrakenPrivateClient::query_orders(
    const std::vector<ExchangeOrderId>& txids, bool trades) {
  constexpr std::string_view kMethod = "QueryOrders";
  constexpr size_t kMaxTxidsPerQuery = 50;
  if (txids.empty() || txids.size() > kMaxTxidsPerQuery) {
    return invalid_argument("QueryOrders takes 1 to 50 txids, got " + std::to_string(txids.size()));
  }
  std::string joined;
  for (const auto& txid : txids) {
    if (!joined.empty()) joined += ',';
    joined += txid.str();
  }
  Params params{{"txid", joined}};
  if (trades) params.emplace_back("trades", "true");
  auto result = call(kMethod, params, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<std::vector<KrakenOrder>>(
      kMethod, *result, [&](od::value& root) -> Result<std::vector<KrakenOrder>> {
        return parse_order_map(root, kMethod);
      });
}

Result<TradesPage> KrakenPrivateClient::trades_history(const TradesHistoryQuery& query) {
  constexpr std::string_view kMethod = "TradesHistory";
  Params params;
  if (query.start) params.emplace_back("start", std::to_string(*query.start));
  if (query.end) params.emplace_back("end", std::to_string(*query.end));
  if (query.offset > 0) params.emplace_back("ofs", std::to_string(query.offset));
  auto result = call(kMethod, params, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<TradesPage>(kMethod, *result, [&](od::value& root) -> Result<TradesPage> {
    TradesPage page;
    bool has_trades = false;
    od::object object = root.get_object();
    for (auto field : object) {
      const std::string_view key = field.unescaped_key();
      od::value v = field.value();
      if (key == "trades") {
        has_trades = true;
        od::object trades = v.get_object();
        for (auto trade_field : trades) {
          const std::string txid(std::string_view(trade_field.unescaped_key()));
          od::value trade_value = trade_field.value();
          KrakenTrade trade;
          GF_JSON_ASSIGN_OR_RETURN(trade, parse_trade(txid, trade_value, kMethod));
          page.trades.push_back(std::move(trade));
        }
      } else if (key == "count") {
        GF_JSON_ASSIGN_OR_RETURN(page.count, json::integer(v, kMethod, "count"));
      }
    }
    if (!has_trades) return shape_error(kMethod, "result", "missing 'trades'");
    std::stable_sort(page.trades.begin(), page.trades.end(),
                     [](const KrakenTrade& a, const KrakenTrade& b) { return a.time < b.time; });
    return page;
  });
}

Result<std::optional<KrakenOrder>> KrakenPrivateClient::find_order(const ClientOrderId& cl_ord_id) {
  auto open = open_orders(cl_ord_id);
  if (!open) return open.status().with_context("looking up cl_ord_id " + cl_ord_id.str());
  for (auto& order : *open) {
    // Kraken filters by cl_ord_id; the check guards against a server that ignores the filter.
    if (order.cl_ord_id == cl_ord_id) return std::optional<KrakenOrder>(std::move(order));
  }
  ClosedOrdersQuery query;
  query.cl_ord_id = cl_ord_id;
  auto closed = closed_orders(query);
  if (!closed) return closed.status().with_context("looking up cl_ord_id " + cl_ord_id.str());
  for (auto& order : closed->orders) {
    if (order.cl_ord_id == cl_ord_id) return std::optional<KrakenOrder>(std::move(order));
  }
  return std::optional<KrakenOrder>();
}

Result<AddOrderResult> KrakenPrivateClient::add_order(const AddOrderRequest& request) {
  constexpr std::string_view kMethod = "AddOrder";
  if (request.cl_ord_id.empty()) {
    return invalid_argument("AddOrder without a cl_ord_id: a retry could create a second order");
  }
  Params params{{"ordertype", request.ordertype},
                {"type", std::string(side_text(request.side))},
                {"volume", request.volume},
                {"pair", request.pair}};
  if (request.price) params.emplace_back("price", *request.price);
  if (request.price2) params.emplace_back("price2", *request.price2);
  params.emplace_back("cl_ord_id", request.cl_ord_id.str());
  if (request.timeinforce) params.emplace_back("timeinforce", *request.timeinforce);
  if (request.expiretm) params.emplace_back("expiretm", *request.expiretm);
  if (!request.oflags.empty()) {
    std::string flags;
    for (const auto& flag : request.oflags) flags += (flags.empty() ? "" : ",") + flag;
    params.emplace_back("oflags", flags);
  }
  if (request.reduce_only) params.emplace_back("reduce_only", "true");
  if (request.validate) params.emplace_back("validate", "true");

  Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    auto result =
        call(kMethod, params, request.validate ? SideEffect::kNone : SideEffect::kCreatesOrder);
    if (result) {
      return parse_result<AddOrderResult>(
          kMethod, *result, [&](od::value& root) -> Result<AddOrderResult> {
            AddOrderResult added;
            od::object object = root.get_object();
            for (auto field : object) {
              const std::string_view key = field.unescaped_key();
              od::value v = field.value();
              if (key == "txid") {
                od::array txids = v.get_array();
                for (auto txid : txids) {
                  od::value txid_value = txid.value();
                  std::string text;
                  GF_JSON_ASSIGN_OR_RETURN(text, json::string(txid_value, kMethod, "txid[]"));
                  added.txids.emplace_back(std::move(text));
                }
              } else if (key == "descr") {
                od::object descr = v.get_object();
                for (auto descr_field : descr) {
                  if (std::string_view(descr_field.unescaped_key()) != "order") continue;
                  od::value order = descr_field.value();
                  GF_JSON_ASSIGN_OR_RETURN(added.description,
                                           json::string(order, kMethod, "descr.order"));
                }
              }
            }
            if (added.txids.empty() && !request.validate) {
              return shape_error(kMethod, "result", "no txid for a placed order");
            }
            return added;
          });
    }
    last = result.status();
    if (last.code() != StatusCode::kDeadlineExceeded || request.validate) return last;
    // Outcome unknown: the order may exist. Look it up by cl_ord_id before anything else.
    auto found = find_order(request.cl_ord_id);
    if (!found) {
      // Neither placed nor known absent: repeating now could duplicate it.
      return Status(
          StatusCode::kDeadlineExceeded,
          last.message() + "; and looking the order up failed: " + found.status().message());
    }
    if (*found) {
      AddOrderResult recovered;
      recovered.txids.push_back((*found)->txid);
      recovered.recovered_by_query = true;
      return recovered;
    }
    if (attempt < options_.max_attempts) sleeper_.sleep_for(backoff(attempt));
  }
  return last.with_context("AddOrder " + request.cl_ord_id.str() + " not placed after " +
                           std::to_string(options_.max_attempts) + " attempts");
}

Result<CancelResult> KrakenPrivateClient::cancel_order(const ExchangeOrderId& txid) {
  return cancel_with({"txid", txid.str()});
}

Result<CancelResult> KrakenPrivateClient::cancel_order(const ClientOrderId& cl_ord_id) {
  return cancel_with({"cl_ord_id", cl_ord_id.str()});
}

Result<CancelResult> KrakenPrivateClient::cancel_with(std::pair<std::string, std::string> id) {
  constexpr std::string_view kMethod = "CancelOrder";
  auto result = call(kMethod, {std::move(id)}, SideEffect::kIdempotent);
  if (!result) return result.status();
  return parse_result<CancelResult>(kMethod, *result, [&](od::value& root) -> Result<CancelResult> {
    CancelResult cancel;
    od::object object = root.get_object();
    for (auto field : object) {
      const std::string_view key = field.unescaped_key();
      od::value v = field.value();
      if (key == "count") {
        GF_JSON_ASSIGN_OR_RETURN(cancel.count, json::integer(v, kMethod, "count"));
      } else if (key == "pending") {
        bool pending = false;
        if (v.get_bool().get(pending) == simdjson::SUCCESS) cancel.pending = pending;
      }
    }
    return cancel;
  });
}

Result<int64_t> KrakenPrivateClient::cancel_all() {
  constexpr std::string_view kMethod = "CancelAll";
  auto result = call(kMethod, {}, SideEffect::kIdempotent);
  if (!result) return result.status();
  return parse_result<int64_t>(kMethod, *result, [&](od::value& root) -> Result<int64_t> {
    od::object object = root.get_object();
    for (auto field : object) {
      if (std::string_view(field.unescaped_key()) != "count") continue;
      od::value v = field.value();
      return json::integer(v, kMethod, "count");
    }
    return shape_error(kMethod, "result", "missing count");
  });
}

Result<DeadMansSwitchState> KrakenPrivateClient::cancel_all_orders_after(int64_t timeout_s) {
  constexpr std::string_view kMethod = "CancelAllOrdersAfter";
  constexpr int64_t kMaxTimeoutSeconds = 86'400;
  if (timeout_s < 0 || timeout_s >= kMaxTimeoutSeconds) {
    return invalid_argument("CancelAllOrdersAfter timeout must be 0..86399 s, got " +
                            std::to_string(timeout_s));
  }
  auto result = call(kMethod, {{"timeout", std::to_string(timeout_s)}}, SideEffect::kIdempotent);
  if (!result) return result.status();
  return parse_result<DeadMansSwitchState>(
      kMethod, *result, [&](od::value& root) -> Result<DeadMansSwitchState> {
        DeadMansSwitchState state;
        od::object object = root.get_object();
        for (auto field : object) {
          const std::string_view key = field.unescaped_key();
          od::value v = field.value();
          if (key == "currentTime") {
            GF_JSON_ASSIGN_OR_RETURN(state.current_time, json::string(v, kMethod, "currentTime"));
          } else if (key == "triggerTime") {
            GF_JSON_ASSIGN_OR_RETURN(state.trigger_time, json::string(v, kMethod, "triggerTime"));
          }
        }
        if (state.current_time.empty())
          return shape_error(kMethod, "result", "missing currentTime");
        return state;
      });
}

Result<WebSocketsToken> KrakenPrivateClient::get_websockets_token() {
  constexpr std::string_view kMethod = "GetWebSocketsToken";
  auto result = call(kMethod, {}, SideEffect::kNone);
  if (!result) return result.status();
  return parse_result<WebSocketsToken>(
      kMethod, *result, [&](od::value& root) -> Result<WebSocketsToken> {
        WebSocketsToken token;
        od::object object = root.get_object();
        for (auto field : object) {
          const std::string_view key = field.unescaped_key();
          od::value v = field.value();
          if (key == "token") {
            GF_JSON_ASSIGN_OR_RETURN(token.token, json::string(v, kMethod, "token"));
          } else if (key == "expires") {
            GF_JSON_ASSIGN_OR_RETURN(token.expires_s, json::integer(v, kMethod, "expires"));
          }
        }
        if (token.token.empty()) return shape_error(kMethod, "result", "missing token");
        return token;
      });
}

}  // namespace galfriday::live
