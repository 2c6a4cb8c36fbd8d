// The simulator's private side: one account, Kraken's private REST endpoints and the ws-auth
// executions/balances channels, orders matched against the simulator's book and trades.

#include "galfriday/kraken_sim/private_exchange.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <mutex>
#include <random>
#include <set>

#include "galfriday/live/assets.hpp"
#include "galfriday/live/client_order_id.hpp"
#include "galfriday/live/request_verifier.hpp"
#include "wire_json.hpp"

namespace galfriday::kraken_sim {
namespace {

using detail::dump_wire;
using detail::Json;
using detail::raw_number;
using detail::trim_number;

constexpr size_t kPageSize = 50;    // ClosedOrders / TradesHistory page
constexpr size_t kSnapTrades = 50;  // executions snap_trades: the last 50 fills
constexpr int64_t kTokenExpiresS = 900;
constexpr int kTimeDecimals = 4;  // REST times: Unix seconds with 4 decimals, as Kraken

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && end == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

std::map<std::string, std::string> form_decode(std::string_view body) {
  std::map<std::string, std::string> params;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const size_t eq = pair.find('=');
    params[percent_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return params;
}

// Fields of a client's JSON request, without nlohmann's type_error on a wrong type.
std::string string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool bool_field(const Json& object, const char* key, bool otherwise) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : otherwise;
}

std::string side_text(Side side) { return side == Side::kBuy ? "buy" : "sell"; }

// Unix seconds with Kraken's 4 decimals, as JSON number text.
std::string unix_text(Timestamp ts) {
  const int64_t nanos = to_nanos(ts);
  const int64_t unit = 1'000'000'000 / 10'000;
  return fixed_point_detail::format_raw(nanos / unit, kTimeDecimals);
}

Json wire_price(const Price& value) { return raw_number(trim_number(value.to_string())); }
Json wire_qty(const Quantity& value) { return raw_number(trim_number(value.to_string())); }
Json wire_money(const Money& value) { return raw_number(trim_number(value.to_string())); }

net::HttpResponse json_response(int status, const Json& body) {
  net::HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = dump_wire(body);
  return response;
}

net::HttpResponse kraken_error(const std::string& error) {
  return json_response(200, Json{{"error", Json::array({error})}});
}

net::HttpResponse kraken_result(Json result) {
  return json_response(200, Json{{"error", Json::array()}, {"result", std::move(result)}});
}

struct SimOrder {
  std::string txid;
  std::optional<std::string> cl_ord_id;
  const InstrumentSpec* spec = nullptr;
  Side side = Side::kBuy;
  std::string ordertype;  // market, limit, stop-loss, take-profit
  Quantity volume;
  Quantity executed;
  std::optional<Price> price;   // limit price or trigger price
  std::string status = "open";  // pending, open, closed, canceled, expired
  std::string reason;
  Timestamp opened{};
  Timestamp closed{};
  Money cost;
  Money fee;
  std::vector<std::string> trades;

  Quantity remaining() const { return volume - executed; }
  bool is_open() const { return status == "open" || status == "pending"; }
  bool is_stop_type() const { return ordertype == "stop-loss" || ordertype == "take-profit"; }
};

struct SimFill {
  std::string txid;
  std::string ordertxid;
  std::optional<std::string> cl_ord_id;
  const InstrumentSpec* spec = nullptr;
  std::string rest_pair;
  Side side = Side::kBuy;
  std::string ordertype;
  Price price;
  Quantity qty;
  Money cost;
  Money fee;
  bool maker = false;
  Timestamp time{};
  uint64_t trade_id = 0;
  std::string order_status;  // of its order after this fill
  Quantity cum_qty;
  Price avg_price;
  Money cum_cost;
};

struct PrivateSession {
  std::shared_ptr<net::WebSocketSession> session;
  bool executions = false;
  bool balances = false;
  uint64_t executions_sequence = 0;
  uint64_t balances_sequence = 0;
};

struct Market {
  std::vector<BookLevel> bids;
  std::vector<BookLevel> asks;
};

}  // namespace

struct PrivateExchange::Impl {
  Impl(PrivateApiOptions opts, std::vector<InstrumentSpec> specs, live::PrivateRequestVerifier v)
      : options(std::move(opts)), pairs(std::move(specs)), verifier(std::move(v)) {}

  PrivateApiOptions options;
  std::vector<InstrumentSpec> pairs;
  live::PrivateRequestVerifier verifier;

  mutable std::mutex mutex;
  std::map<std::string, Money> balances;  // REST asset code
  std::map<std::string, SimOrder> orders;
  std::vector<std::string> order_sequence;  // txids, oldest first
  std::vector<SimFill> fills;               // oldest first
  std::map<std::string, Market> markets;    // by instrument id
  std::map<std::string, std::deque<PrivateFault>> faults;
  std::set<std::string> tokens;
  std::map<uint64_t, PrivateSession> sessions;
  std::optional<Timestamp> dead_mans_trigger;
  bool refuse_sockets = false;
  std::mt19937_64 random{20240101};
  uint64_t next_trade_id = 1;
  uint64_t next_ledger = 1;
  PrivateStats stats;

  Timestamp now() const { return options.clock->now(); }

  // --- Ids ----------------------------------------------------------------------------------

  // Kraken's id shape: 6-5-6 upper-case letters and digits, the first naming the kind
  // ("OU22CG-KLAF2-FWUDD7" for an order, "T..." for a trade, "L..." for a ledger entry).
  std::string kraken_id(char first) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string id(1, first);
    for (int i = 1; i < 19; ++i) {
      if (i == 6 || i == 12) {
        id.push_back('-');
        continue;
      }
      id.push_back(kAlphabet[random() % kAlphabet.size()]);
    }
    return id;
  }

  const InstrumentSpec* find_pair(std::string_view name) const {
    for (const InstrumentSpec& spec : pairs) {
      if (spec.altname == name || spec.id.str() == name ||
          live::kraken_rest_asset(spec.base) + live::kraken_rest_asset(spec.quote) == name) {
        return &spec;
      }
    }
    return nullptr;
  }
  static std::string rest_pair_key(const InstrumentSpec& spec) {
    return live::kraken_rest_asset(spec.base) + live::kraken_rest_asset(spec.quote);
  }

  // --- Balances -----------------------------------------------------------------------------

  Money balance(const std::string& rest_asset) const {
    auto it = balances.find(rest_asset);
    return it == balances.end() ? Money() : it->second;
  }

  Money taker_fee(const Money& cost) const {
    return cost.scaled(options.taker_fee_ppm, kPartsPerMillion, cost.precision(),
                       Rounding::kHalfEven);
  }

  // What resting limit orders hold of `rest_asset`.
  Money held(const std::string& rest_asset) const {
    Money total;
    for (const auto& [txid, order] : orders) {
      if (!order.is_open() || order.ordertype != "limit" || !order.price) continue;
      const InstrumentSpec& spec = *order.spec;
      if (order.side == Side::kBuy && live::kraken_rest_asset(spec.quote) == rest_asset) {
        const Money cost = spec.cost(*order.price, order.remaining());
        total += cost + taker_fee(cost);
      } else if (order.side == Side::kSell && live::kraken_rest_asset(spec.base) == rest_asset) {
        total += Money::from_raw(order.remaining().raw(), order.remaining().precision());
      }
    }
    return total;
  }

  Money available(const std::string& rest_asset) const {
    return balance(rest_asset) - held(rest_asset);
  }

  // Whether the account can pay for `qty` of `order` now (a market-like execution at the book).
  bool can_afford(const SimOrder& order, Quantity qty, std::optional<Price> limit) const {
    const InstrumentSpec& spec = *order.spec;
    if (order.side == Side::kSell) {
      return Money::from_raw(qty.raw(), qty.precision()) <=
             available(live::kraken_rest_asset(spec.base));
    }
    Money cost;
    if (limit) {
      cost = spec.cost(*limit, qty);
    } else {
      for (const auto& [price, level_qty] : walk(spec, Side::kBuy, qty)) {
        cost += spec.cost(price, level_qty);
      }
    }
    return cost + taker_fee(cost) <= available(live::kraken_rest_asset(spec.quote));
  }

  // (price, qty) pieces that fill `qty` against the book's opposite side, best first; what the
  // published levels cannot hold fills at the last of them.
  std::vector<std::pair<Price, Quantity>> walk(const InstrumentSpec& spec, Side side,
                                               Quantity qty) const {
    std::vector<std::pair<Price, Quantity>> pieces;
    auto it = markets.find(spec.id.str());
    if (it == markets.end()) return pieces;
    const std::vector<BookLevel>& levels = side == Side::kBuy ? it->second.asks : it->second.bids;
    Quantity left = qty;
    for (const BookLevel& level : levels) {
      if (!left.is_positive()) break;
      const Quantity take = std::min(left, level.qty);
      pieces.emplace_back(level.price, take);
      left -= take;
    }
    if (left.is_positive() && !levels.empty()) {
      if (!pieces.empty() && pieces.back().first == levels.back().price) {
        pieces.back().second += left;
      } else {
        pieces.emplace_back(levels.back().price, left);
      }
    }
    return pieces;
  }

  // --- Messages -----------------------------------------------------------------------------

  void send_executions(Json execution) {
    for (auto& [id, state] : sessions) {
      if (!state.executions) continue;
      Json message{{"channel", "executions"},
                   {"type", "update"},
                   {"data", Json::array({execution})},
                   {"sequence", ++state.executions_sequence}};
      state.session->send_text(dump_wire(message));
    }
  }

  void send_ledger(const std::string& rest_asset, const Money& amount, const Money& fee,
                   const std::string& ref_id) {
    Json entry{{"ledger_id", kraken_id('L')},
               {"ref_id", ref_id},
               {"timestamp", format_iso8601(now())},
               {"type", "trade"},
               {"asset", live::kraken_ws_asset(rest_asset)},
               {"asset_class", "currency"},
               {"category", "trade"},
               {"wallet_type", "spot"},
               {"wallet_id", "main"},
               {"amount", wire_money(amount)},
               {"fee", wire_money(fee)},
               {"balance", wire_money(balance(rest_asset))}};
    for (auto& [id, state] : sessions) {
      if (!state.balances) continue;
      Json message{{"channel", "balances"},
                   {"type", "update"},
                   {"data", Json::array({entry})},
                   {"sequence", ++state.balances_sequence}};
      state.session->send_text(dump_wire(message));
    }
  }

  Json order_identity(const SimOrder& order) const {
    Json json{{"order_id", order.txid}};
    if (order.cl_ord_id) json["cl_ord_id"] = *order.cl_ord_id;
    return json;
  }

  Json order_details(const SimOrder& order, const std::string& exec_type,
                     const std::string& status) const {
    Json json = order_identity(order);
    json["symbol"] = order.spec->id.str();
    json["order_qty"] = wire_qty(order.volume);
    json["cum_cost"] = wire_money(order.cost);
    json["cum_qty"] = wire_qty(order.executed);
    json["time_in_force"] = "GTC";
    json["exec_type"] = exec_type;
    json["side"] = side_text(order.side);
    json["order_type"] = order.ordertype;
    if (order.ordertype == "limit" && order.price) {
      json["limit_price_type"] = "static";
      json["limit_price"] = wire_price(*order.price);
    }
    if (order.is_stop_type() && order.price) {
      json["triggers"] = Json{
          {"reference", "last"}, {"price", wire_price(*order.price)}, {"price_type", "static"}};
    }
    json["order_status"] = status;
    json["fee_ccy_pref"] = "fciq";
    json["timestamp"] = format_iso8601(order.opened);
    return json;
  }

  Json fill_execution(const SimFill& fill) const {
    Json json{{"order_id", fill.ordertxid}};
    if (fill.cl_ord_id) json["cl_ord_id"] = *fill.cl_ord_id;
    json["exec_id"] = fill.txid;
    json["exec_type"] = "trade";
    json["trade_id"] = fill.trade_id;
    json["symbol"] = fill.spec->id.str();
    json["side"] = side_text(fill.side);
    json["last_qty"] = wire_qty(fill.qty);
    json["last_price"] = wire_price(fill.price);
    json["liquidity_ind"] = fill.maker ? "m" : "t";
    json["cost"] = wire_money(fill.cost);
    json["order_type"] = fill.ordertype;
    json["timestamp"] = format_iso8601(fill.time);
    json["order_status"] = fill.order_status;
    json["cum_qty"] = wire_qty(fill.cum_qty);
    json["cum_cost"] = wire_money(fill.cum_cost);
    json["avg_price"] = wire_price(fill.avg_price);
    json["fees"] = Json::array({Json{{"asset", fill.spec->quote}, {"qty", wire_money(fill.fee)}}});
    return json;
  }

  // --- Execution ----------------------------------------------------------------------------

  void fill(SimOrder& order, Price price, Quantity qty, bool maker) {
    const InstrumentSpec& spec = *order.spec;
    SimFill f;
    f.txid = kraken_id('T');
    f.ordertxid = order.txid;
    f.cl_ord_id = order.cl_ord_id;
    f.spec = &spec;
    f.rest_pair = rest_pair_key(spec);
    f.side = order.side;
    f.ordertype = order.ordertype;
    f.price = price;
    f.qty = qty;
    f.cost = spec.cost(price, qty);
    f.fee = f.cost.scaled(maker ? options.maker_fee_ppm : options.taker_fee_ppm, kPartsPerMillion,
                          spec.cost_precision, Rounding::kHalfEven);
    f.maker = maker;
    f.time = now();
    f.trade_id = next_trade_id++;

    order.executed += qty;
    order.cost += f.cost;
    order.fee += f.fee;
    order.trades.push_back(f.txid);
    if (!order.remaining().is_positive()) {
      order.status = "closed";
      order.closed = f.time;
    }
    f.order_status = order.status == "closed" ? "filled" : "partially_filled";
    f.cum_qty = order.executed;
    f.cum_cost = order.cost;
    f.avg_price = price_for(order.cost, order.executed, spec.price_precision, Rounding::kHalfEven);

    const std::string base = live::kraken_rest_asset(spec.base);
    const std::string quote = live::kraken_rest_asset(spec.quote);
    const Money base_amount = Money::from_raw(qty.raw(), qty.precision());
    const Money quote_amount = order.side == Side::kBuy ? -(f.cost + f.fee) : f.cost - f.fee;
    balances[base] = balance(base) + (order.side == Side::kBuy ? base_amount : -base_amount);
    balances[quote] = balance(quote) + quote_amount;
    stats.trades++;
    fills.push_back(f);
    send_executions(fill_execution(f));
    send_ledger(base, order.side == Side::kBuy ? base_amount : -base_amount, Money(), f.txid);
    send_ledger(quote, quote_amount, f.fee, f.txid);
  }

  void cancel(SimOrder& order, const std::string& reason) {
    order.status = "canceled";
    order.reason = reason;
    order.closed = now();
    Json json = order_identity(order);
    json["exec_type"] = "canceled";
    json["order_status"] = "canceled";
    json["cum_qty"] = wire_qty(order.executed);
    json["reason"] = reason;
    json["timestamp"] = format_iso8601(order.closed);
    send_executions(json);
  }

  // A market order, or a triggered stop: fills at the book as taker, or is canceled for lack of
  // funds.
  void execute_at_market(SimOrder& order) {
    if (!can_afford(order, order.remaining(), std::nullopt)) {
      cancel(order, "Insufficient funds");
      return;
    }
    for (const auto& [price, qty] : walk(*order.spec, order.side, order.remaining())) {
      fill(order, price, qty, /*maker=*/false);
    }
  }

  // A limit order that crosses the book at placement fills up to its price as taker.
  void execute_crossing_limit(SimOrder& order) {
    for (const auto& [price, qty] : walk(*order.spec, order.side, order.remaining())) {
      const bool through = order.side == Side::kBuy ? price > *order.price : price < *order.price;
      if (through) break;
      fill(order, price, qty, /*maker=*/false);
    }
  }

  void check_dead_mans_switch() {
    if (!dead_mans_trigger || now() < *dead_mans_trigger) return;
    dead_mans_trigger.reset();
    for (const std::string& txid : order_sequence) {
      SimOrder& order = orders.at(txid);
      if (order.is_open()) cancel(order, "Dead man's switch");
    }
  }

  void match(const InstrumentSpec& spec, std::optional<MarketTrade> trade) {
    const Market& market = markets[spec.id.str()];
    for (const std::string& txid : order_sequence) {
      SimOrder& order = orders.at(txid);
      if (!order.is_open() || order.spec != &spec || !order.price) continue;
      const Price level = *order.price;
      const bool buy = order.side == Side::kBuy;
      if (order.ordertype == "limit") {
        bool reached = false;
        if (buy && !market.asks.empty()) reached = market.asks.front().price <= level;
        if (!buy && !market.bids.empty()) reached = market.bids.front().price >= level;
        if (trade) reached = reached || (buy ? trade->price <= level : trade->price >= level);
        if (reached) fill(order, level, order.remaining(), /*maker=*/true);
        continue;
      }
      if (!trade) continue;
      const bool stop = order.ordertype == "stop-loss";
      // A sell stop and a buy take-profit trigger on a fall; the other two on a rise.
      const bool on_fall = stop != buy;
      const bool triggered = on_fall ? trade->price <= level : trade->price >= level;
      if (triggered) execute_at_market(order);
    }
  }

  // --- REST ---------------------------------------------------------------------------------

  Json rest_order(const SimOrder& order) const {
    const InstrumentSpec& spec = *order.spec;
    std::string description =
        side_text(order.side) + " " + order.volume.to_string() + " " + spec.altname + " @ ";
    if (order.ordertype == "market") {
      description += "market";
    } else if (order.ordertype == "limit") {
      description += "limit " + order.price->to_string();
    } else if (order.ordertype == "stop-loss") {
      description += "stop loss " + order.price->to_string();
    } else {
      description += "take profit " + order.price->to_string();
    }
    const Price average =
        order.executed.is_positive()
            ? price_for(order.cost, order.executed, spec.price_precision, Rounding::kHalfEven)
            : Price::from_raw(0, spec.price_precision);
    Json json{{"refid", nullptr},
              {"userref", 0},
              {"status", order.status},
              {"opentm", raw_number(unix_text(order.opened))},
              {"starttm", 0},
              {"expiretm", 0},
              {"descr", Json{{"pair", spec.altname},
                             {"type", side_text(order.side)},
                             {"ordertype", order.ordertype},
                             {"price", order.price ? order.price->to_string() : "0"},
                             {"price2", "0"},
                             {"leverage", "none"},
                             {"order", description},
                             {"close", ""}}},
              {"vol", order.volume.to_string()},
              {"vol_exec", order.executed.to_string()},
              {"cost", order.cost.to_string()},
              {"fee", order.fee.to_string()},
              {"price", average.to_string()},
              {"stopprice", "0"},
              {"limitprice", "0"},
              {"misc", ""},
              {"oflags", "fciq"}};
    if (order.cl_ord_id) json["cl_ord_id"] = *order.cl_ord_id;
    if (!order.is_open()) {
      json["closetm"] = raw_number(unix_text(order.closed));
      json["reason"] = order.reason.empty() ? Json(nullptr) : Json(order.reason);
    }
    return json;
  }

  Json rest_trade(const SimFill& f) const {
    return Json{{"ordertxid", f.ordertxid},     {"postxid", "TKH2SE-M7IF5-CFI7LT"},
                {"pair", f.rest_pair},          {"time", raw_number(unix_text(f.time))},
                {"type", side_text(f.side)},    {"ordertype", f.ordertype},
                {"price", f.price.to_string()}, {"cost", f.cost.to_string()},
                {"fee", f.fee.to_string()},     {"vol", f.qty.to_string()},
                {"margin", "0.00000"},          {"misc", ""},
                {"trade_id", f.trade_id},       {"maker", f.maker}};
  }

  static std::optional<int64_t> integer_param(const std::map<std::string, std::string>& params,
                                              const std::string& name) {
    auto it = params.find(name);
    if (it == params.end() || it->second.empty()) return std::nullopt;
    int64_t value = 0;
    const auto [end, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
    if (ec != std::errc() || end != it->second.data() + it->second.size()) return std::nullopt;
    return value;
  }

  net::HttpResponse add_order(const std::map<std::string, std::string>& params) {
    auto param = [&](const std::string& name) -> std::string {
      auto it = params.find(name);
      return it == params.end() ? std::string() : it->second;
    };
    const InstrumentSpec* spec = find_pair(param("pair"));
    if (spec == nullptr) return kraken_error("EQuery:Unknown asset pair");
    const std::string type = param("type");
    if (type != "buy" && type != "sell") return kraken_error("EGeneral:Invalid arguments:type");
    const std::string ordertype = param("ordertype");
    if (ordertype != "market" && ordertype != "limit" && ordertype != "stop-loss" &&
        ordertype != "take-profit") {
      return kraken_error("EGeneral:Invalid arguments:ordertype");
    }
    auto volume = spec->parse_qty(param("volume"));
    if (!volume || !volume->is_positive()) {
      return kraken_error("EGeneral:Invalid arguments:volume");
    }
    if (*volume < spec->ordermin) return kraken_error("EOrder:Order minimum not met");
    SimOrder order;
    order.spec = spec;
    order.side = type == "buy" ? Side::kBuy : Side::kSell;
    order.ordertype = ordertype;
    order.volume = *volume;
    order.executed = Quantity::from_raw(0, spec->qty_precision);
    order.cost = Money::from_raw(0, spec->cost_precision);
    order.fee = Money::from_raw(0, spec->cost_precision);
    if (ordertype != "market") {
      if (param("price").empty()) return kraken_error("EGeneral:Invalid arguments:price");
      auto price = spec->parse_price(param("price"));
      if (!price) {
        return kraken_error("EOrder:Invalid price:" + rest_pair_key(*spec) +
                            " price can only be specified up to " +
                            std::to_string(spec->price_precision) + " decimals.");
      }
      if (!price->is_positive()) return kraken_error("EOrder:Invalid price");
      order.price = *price;
      if (spec->cost(*price, *volume) < spec->costmin) {
        return kraken_error("EOrder:Cost minimum not met");
      }
    }
    if (auto id = params.find("cl_ord_id"); id != params.end()) {
      if (!live::is_valid_kraken_cl_ord_id(id->second)) {
        return kraken_error("EGeneral:Invalid arguments:cl_ord_id");
      }
      order.cl_ord_id = id->second;
    }
    // Funds: market and limit orders need them now; stops when they trigger.
    if (!order.is_stop_type()) {
      const std::optional<Price> limit =
          ordertype == "limit" ? order.price : std::optional<Price>();
      if (!can_afford(order, order.volume, limit)) {
        return kraken_error("EOrder:Insufficient funds");
      }
    }
    Json descr{{"order", rest_order(SimOrder(order))["descr"]["order"]}};
    if (param("validate") == "true") return kraken_result(Json{{"descr", descr}});

    order.txid = kraken_id('O');
    order.opened = now();
    const std::string txid = order.txid;
    auto [it, inserted] = orders.emplace(txid, std::move(order));
    order_sequence.push_back(txid);
    stats.orders_placed++;
    SimOrder& placed = it->second;
    send_executions(order_details(placed, "pending_new", "pending_new"));
    Json accepted = order_identity(placed);
    accepted["exec_type"] = "new";
    accepted["order_status"] = "new";
    accepted["timestamp"] = format_iso8601(placed.opened);
    send_executions(accepted);
    if (ordertype == "market") {
      execute_at_market(placed);
    } else if (ordertype == "limit") {
      execute_crossing_limit(placed);
    }
    return kraken_result(Json{{"descr", descr}, {"txid", Json::array({txid})}});
  }

  net::HttpResponse cancel_order(const std::map<std::string, std::string>& params) {
    SimOrder* target = nullptr;
    if (auto it = params.find("txid"); it != params.end()) {
      auto found = orders.find(it->second);
      if (found != orders.end()) target = &found->second;
    } else if (auto id = params.find("cl_ord_id"); id != params.end()) {
      for (auto& [txid, order] : orders) {
        if (order.cl_ord_id == id->second && order.is_open()) target = &order;
      }
    } else {
      return kraken_error("EGeneral:Invalid arguments:txid");
    }
    if (target == nullptr || !target->is_open()) return kraken_error("EOrder:Unknown order");
    cancel(*target, "User requested");
    return kraken_result(Json{{"count", 1}});
  }

  net::HttpResponse dispatch(const std::string& method,
                             const std::map<std::string, std::string>& params) {
    if (method == "Balance") {
      Json result = Json::object();
      for (const auto& [asset, amount] : balances) result[asset] = amount.to_string();
      return kraken_result(std::move(result));
    }
    if (method == "BalanceEx") {
      Json result = Json::object();
      for (const auto& [asset, amount] : balances) {
        result[asset] =
            Json{{"balance", amount.to_string()}, {"hold_trade", held(asset).to_string()}};
      }
      return kraken_result(std::move(result));
    }
    if (method == "OpenOrders") {
      Json open = Json::object();
      const auto cl_ord_id = params.find("cl_ord_id");
      for (const std::string& txid : order_sequence) {
        const SimOrder& order = orders.at(txid);
        if (!order.is_open()) continue;
        if (cl_ord_id != params.end() && order.cl_ord_id != cl_ord_id->second) continue;
        open[txid] = rest_order(order);
      }
      return kraken_result(Json{{"open", std::move(open)}});
    }
    if (method == "ClosedOrders") {
      const auto cl_ord_id = params.find("cl_ord_id");
      const auto start = integer_param(params, "start");
      const auto end = integer_param(params, "end");
      std::vector<const SimOrder*> matching;
      for (auto it = order_sequence.rbegin(); it != order_sequence.rend(); ++it) {
        const SimOrder& order = orders.at(*it);
        if (order.is_open()) continue;
        if (cl_ord_id != params.end() && order.cl_ord_id != cl_ord_id->second) continue;
        if (start && to_seconds(order.closed) < *start) continue;
        if (end && to_seconds(order.closed) > *end) continue;
        matching.push_back(&order);
      }
      std::stable_sort(matching.begin(), matching.end(),
                       [](const SimOrder* a, const SimOrder* b) { return a->closed > b->closed; });
      const size_t offset =
          static_cast<size_t>(std::max<int64_t>(0, integer_param(params, "ofs").value_or(0)));
      Json closed = Json::object();
      for (size_t i = offset; i < matching.size() && i < offset + kPageSize; ++i) {
        closed[matching[i]->txid] = rest_order(*matching[i]);
      }
      return kraken_result(Json{{"closed", std::move(closed)}, {"count", matching.size()}});
    }
    if (method == "QueryOrders") {
      auto txids = params.find("txid");
      if (txids == params.end() || txids->second.empty()) {
        return kraken_error("EGeneral:Invalid arguments:txid");
      }
      Json result = Json::object();
      std::string_view rest = txids->second;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string txid(rest.substr(0, comma));
        auto it = orders.find(txid);
        if (it == orders.end()) return kraken_error("EOrder:Unknown order");
        result[txid] = rest_order(it->second);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      return kraken_result(std::move(result));
    }
    if (method == "TradesHistory") {
      const auto start = integer_param(params, "start");
      const auto end = integer_param(params, "end");
      std::vector<const SimFill*> matching;
      for (auto it = fills.rbegin(); it != fills.rend(); ++it) {
        // start is exclusive, end inclusive (Kraken's docs).
        if (start && to_seconds(it->time) <= *start) continue;
        if (end && to_seconds(it->time) > *end) continue;
        matching.push_back(&*it);
      }
      const size_t offset =
          static_cast<size_t>(std::max<int64_t>(0, integer_param(params, "ofs").value_or(0)));
      Json trades = Json::object();
      for (size_t i = offset; i < matching.size() && i < offset + kPageSize; ++i) {
        trades[matching[i]->txid] = rest_trade(*matching[i]);
      }
      return kraken_result(Json{{"trades", std::move(trades)}, {"count", matching.size()}});
    }
    if (method == "AddOrder") return add_order(params);
    if (method == "CancelOrder") return cancel_order(params);
    if (method == "CancelAll") {
      int64_t count = 0;
      for (const std::string& txid : order_sequence) {
        SimOrder& order = orders.at(txid);
        if (!order.is_open()) continue;
        cancel(order, "User requested");
        ++count;
      }
      return kraken_result(Json{{"count", count}});
    }
    if (method == "CancelAllOrdersAfter") {
      const auto timeout = integer_param(params, "timeout");
      if (!timeout || *timeout < 0 || *timeout >= 86400) {
        return kraken_error("EGeneral:Invalid arguments:timeout");
      }
      const Timestamp current = now();
      if (*timeout == 0) {
        dead_mans_trigger.reset();
      } else {
        dead_mans_trigger = current + std::chrono::seconds(*timeout);
      }
      return kraken_result(
          Json{{"currentTime", format_iso8601(current)},
               {"triggerTime", dead_mans_trigger ? format_iso8601(*dead_mans_trigger) : "0"}});
    }
    if (method == "GetWebSocketsToken") {
      std::string token;
      for (int i = 0; i < 43; ++i) {
        static constexpr std::string_view kAlphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        token.push_back(kAlphabet[random() % kAlphabet.size()]);
      }
      tokens.insert(token);
      return kraken_result(Json{{"token", token}, {"expires", kTokenExpiresS}});
    }
    return kraken_error("EGeneral:Unknown method");
  }

  // --- WebSocket ----------------------------------------------------------------------------

  void ws_error(PrivateSession& state, const std::string& method, const std::string& error,
                const Json& req_id) {
    Json ack{{"method", method},
             {"success", false},
             {"error", error},
             {"time_in", format_iso8601(now())},
             {"time_out", format_iso8601(now())}};
    if (!req_id.is_null()) ack["req_id"] = req_id;
    state.session->send_text(dump_wire(ack));
  }

  void subscribe(PrivateSession& state, const Json& params, const Json& req_id, bool on) {
    const std::string method = on ? "subscribe" : "unsubscribe";
    const std::string channel = string_field(params, "channel");
    const std::string token = string_field(params, "token");
    if (channel != "executions" && channel != "balances") {
      ws_error(state, method, "Channel not supported: " + channel, req_id);
      return;
    }
    if (tokens.count(token) == 0) {
      ws_error(state, method, "ESession:Invalid session", req_id);
      return;
    }
    Json result{{"channel", channel}};
    const bool snap_orders = bool_field(params, "snap_orders", true);
    const bool snap_trades = bool_field(params, "snap_trades", false);
    const bool snapshot = bool_field(params, "snapshot", true);
    if (channel == "executions") {
      result["maxratecount"] = 125;
      result["snap_orders"] = snap_orders;
      result["snap_trades"] = snap_trades;
    } else {
      result["snapshot"] = snapshot;
    }
    Json ack{{"method", method},
             {"result", result},
             {"success", true},
             {"time_in", format_iso8601(now())},
             {"time_out", format_iso8601(now())}};
    if (!req_id.is_null()) ack["req_id"] = req_id;
    state.session->send_text(dump_wire(ack));
    if (!on) {
      (channel == "executions" ? state.executions : state.balances) = false;
      return;
    }
    if (channel == "executions") {
      state.executions = true;
      Json data = Json::array();
      if (snap_trades) {
        const size_t first = fills.size() > kSnapTrades ? fills.size() - kSnapTrades : 0;
        for (size_t i = first; i < fills.size(); ++i) data.push_back(fill_execution(fills[i]));
      }
      if (snap_orders) {
        for (const std::string& txid : order_sequence) {
          const SimOrder& order = orders.at(txid);
          if (!order.is_open()) continue;
          data.push_back(order_details(order, "new",
                                       order.executed.is_positive() ? "partially_filled" : "new"));
        }
      }
      state.session->send_text(dump_wire(Json{{"channel", "executions"},
                                              {"type", "snapshot"},
                                              {"data", std::move(data)},
                                              {"sequence", ++state.executions_sequence}}));
    } else {
      state.balances = true;
      if (!snapshot) return;
      Json data = Json::array();
      for (const auto& [asset, amount] : balances) {
        data.push_back(Json{
            {"asset", live::kraken_ws_asset(asset)},
            {"asset_class", "currency"},
            {"balance", wire_money(amount)},
            {"wallets", Json::array({Json{
                            {"type", "spot"}, {"id", "main"}, {"balance", wire_money(amount)}}})}});
      }
      state.session->send_text(dump_wire(Json{{"channel", "balances"},
                                              {"type", "snapshot"},
                                              {"data", std::move(data)},
                                              {"sequence", ++state.balances_sequence}}));
    }
  }

  void on_text(const std::shared_ptr<net::WebSocketSession>& session, std::string_view text) {
    std::lock_guard lock(mutex);
    auto it = sessions.find(session->id());
    if (it == sessions.end()) return;
    PrivateSession& state = it->second;
    const Json request = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object()) {
      ws_error(state, "", "Malformed request", Json());
      return;
    }
    const std::string method = string_field(request, "method");
    const Json req_id = request.contains("req_id") ? request["req_id"] : Json();
    if (method == "ping") {
      Json pong{{"method", "pong"},
                {"time_in", format_iso8601(now())},
                {"time_out", format_iso8601(now())}};
      if (!req_id.is_null()) pong["req_id"] = req_id;
      state.session->send_text(dump_wire(pong));
      return;
    }
    if (method == "subscribe" || method == "unsubscribe") {
      const auto params = request.find("params");
      if (params == request.end() || !params->is_object()) {
        ws_error(state, method, "Missing field: params", req_id);
        return;
      }
      subscribe(state, *params, req_id, method == "subscribe");
      return;
    }
    ws_error(state, method, "Method not supported: " + method, req_id);
  }
};

PrivateExchange::PrivateExchange(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateExchange::~PrivateExchange() = default;

Result<std::unique_ptr<PrivateExchange>> PrivateExchange::create(
    PrivateApiOptions options, std::vector<InstrumentSpec> pairs) {
  if (options.clock == nullptr) return invalid_argument("kraken-sim private API: no clock");
  auto verifier = live::PrivateRequestVerifier::create(options.api_key, options.api_secret);
  if (!verifier) return verifier.status().with_context("kraken-sim private API");
  auto impl = std::make_unique<Impl>(options, std::move(pairs), std::move(*verifier));
  for (const auto& [asset, text] : options.balances) {
    auto amount = Money::parse(text);
    if (!amount) {
      return invalid_argument("kraken-sim private API: balance of " + asset + " '" + text +
                              "': " + amount.status().message());
    }
    impl->balances[asset] = *amount;
  }
  return std::unique_ptr<PrivateExchange>(new PrivateExchange(std::move(impl)));
}

net::HttpResponse PrivateExchange::handle_rest(const std::string& method,
                                               const net::HttpServerRequest& request) {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  impl.stats.requests++;
  if (auto error = impl.verifier.verify(request.path(), request.headers, request.body)) {
    impl.stats.rejected_auth++;
    return kraken_error(*error);
  }
  impl.stats.requests_by_method[method]++;
  impl.check_dead_mans_switch();
  std::optional<PrivateFault> fault;
  if (auto it = impl.faults.find(method); it != impl.faults.end() && !it->second.empty()) {
    fault = it->second.front();
    it->second.pop_front();
    impl.stats.faults_injected++;
  }
  if (fault == PrivateFault::kRateLimit) return kraken_error("EAPI:Rate limit exceeded");
  if (fault == PrivateFault::kServerError) {
    net::HttpResponse response;
    response.status = 503;
    response.headers.push_back({"Content-Type", "text/html"});
    response.body = "<html><body><h1>503 Service Unavailable</h1></body></html>";
    return response;
  }
  net::HttpResponse response = impl.dispatch(method, form_decode(request.body));
  if (fault == PrivateFault::kDropResponseAfterAccept) {
    return net::HttpResponse{};  // status 0: executed, but the answer never arrives
  }
  return response;
}

net::WebSocketHandler PrivateExchange::websocket_handler() {
  Impl* impl = impl_.get();
  net::WebSocketHandler handler;
  handler.on_open = [impl](const std::shared_ptr<net::WebSocketSession>& session) {
    std::lock_guard lock(impl->mutex);
    if (impl->refuse_sockets) {
      session->abort();
      impl->stats.private_sockets_dropped++;
      return;
    }
    impl->sessions[session->id()] = PrivateSession{session};
    session->send_text(R"({"channel":"status","data":[{"api_version":"v2","connection_id":)" +
                       std::to_string(session->id()) +
                       R"(,"system":"online","version":"2.0.0"}],"type":"update"})");
  };
  handler.on_text = [impl](const std::shared_ptr<net::WebSocketSession>& session,
                           std::string_view text) { impl->on_text(session, text); };
  handler.on_close = [impl](const std::shared_ptr<net::WebSocketSession>& session) {
    std::lock_guard lock(impl->mutex);
    impl->sessions.erase(session->id());
  };
  return handler;
}

void PrivateExchange::on_market(const InstrumentId& pair, const std::vector<BookLevel>& bids,
                                const std::vector<BookLevel>& asks,
                                std::optional<MarketTrade> trade) {
  std::lock_guard lock(impl_->mutex);
  const InstrumentSpec* spec = impl_->find_pair(pair.str());
  if (spec == nullptr) return;
  impl_->markets[pair.str()] = Market{bids, asks};
  impl_->check_dead_mans_switch();
  impl_->match(*spec, trade);
}

void PrivateExchange::inject(const std::string& method, PrivateFault fault, int times) {
  std::lock_guard lock(impl_->mutex);
  for (int i = 0; i < times; ++i) impl_->faults[method].push_back(fault);
}

void PrivateExchange::drop_private_sockets() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [id, state] : impl_->sessions) {
    state.session->abort();
    impl_->stats.private_sockets_dropped++;
  }
}

void PrivateExchange::refuse_private_sockets(bool refuse) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_sockets = refuse;
}

std::vector<SimOrderView> PrivateExchange::orders() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<SimOrderView> out;
  for (const std::string& txid : impl_->order_sequence) {
    const SimOrder& order = impl_->orders.at(txid);
    out.push_back(SimOrderView{order.txid, order.cl_ord_id, order.spec->altname, order.side,
                               order.ordertype, order.status, order.volume, order.executed});
  }
  return out;
}

std::map<std::string, std::string> PrivateExchange::balances() const {
  std::lock_guard lock(impl_->mutex);
  std::map<std::string, std::string> out;
  for (const auto& [asset, amount] : impl_->balances) out[asset] = amount.to_string();
  return out;
}

Status PrivateExchange::set_balance(const std::string& rest_asset, const std::string& amount) {
  auto parsed = Money::parse(amount);
  if (!parsed) {
    return invalid_argument("balance of " + rest_asset + " '" + amount +
                            "': " + parsed.status().message());
  }
  std::lock_guard lock(impl_->mutex);
  impl_->balances[rest_asset] = *parsed;
  return Status::ok();
}

size_t PrivateExchange::private_sessions() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

PrivateStats PrivateExchange::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace galfriday::kraken_sim
