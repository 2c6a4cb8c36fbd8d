#include "galfriday/kraken_sim/simulator.hpp"

#include <time.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "galfriday/feed/recording.hpp"
#include "galfriday/market/order_book.hpp"
#include "wire_json.hpp"

namespace galfriday::kraken_sim {

namespace {

using Json = nlohmann::json;

// Levels the generator may touch per side: changes concentrate near the top of the book, as
// on a real exchange.
constexpr size_t kActiveLevels = 15;
constexpr int kOpsPerStep = 3;
// Candles an ohlc snapshot carries (Kraken sends a few recent ones) and REST OHLC's limit.
constexpr size_t kOhlcSnapshotCandles = 10;
constexpr size_t kRestOhlcRows = 720;
constexpr size_t kRestTradesDefaultCount = 1000;
// XORed into a checksum to corrupt it: any non-zero mask makes it wrong.
constexpr uint32_t kCorruptionMask = 0x5A5A5A5A;
// The private WebSocket's path (Kraken serves it on its own host, ws-auth.kraken.com/v2).
constexpr std::string_view kWsAuthPath = "/ws-auth/v2";
// A frame that is JSON cut short, as a network proxy that truncates messages would deliver.
constexpr std::string_view kMalformedFrame =
    R"({"channel":"book","type":"update","data":[{"symbol":)";

using namespace detail;

std::string iso(Timestamp ts) { return format_iso8601(ts); }

std::string rfc1123(Timestamp ts) {
  const time_t seconds = static_cast<time_t>(to_seconds(ts));
  struct tm parts {};
  gmtime_r(&seconds, &parts);
  char text[64];
  strftime(text, sizeof text, "%a, %d %b %y %H:%M:%S +0000", &parts);
  return text;
}

// "1688669597.827736900": Kraken's REST time of a trade, seconds with a fraction.
std::string rest_time(Timestamp ts) {
  const int64_t nanos = to_nanos(ts);
  std::string fraction = std::to_string(nanos % 1'000'000'000);
  fraction.insert(0, 9 - fraction.size(), '0');
  return std::to_string(nanos / 1'000'000'000) + "." + fraction;
}

using BidMap = std::map<int64_t, int64_t, std::greater<>>;  // price raw -> qty raw, best first
using AskMap = std::map<int64_t, int64_t>;

template <typename Map>
Map top_levels(const Map& side, size_t depth) {
  Map out;
  for (auto it = side.begin(); it != side.end() && out.size() < depth; ++it) out.insert(*it);
  return out;
}

template <typename Map>
void append_checksum_text(const Map& side, std::string& text) {
  size_t n = 0;
  for (auto it = side.begin(); it != side.end() && n < OrderBook::kChecksumLevels; ++it, ++n) {
    text += std::to_string(it->first);
    text += std::to_string(it->second);
  }
}

uint32_t checksum_of(const BidMap& bids, const AskMap& asks) {
  std::string text;
  append_checksum_text(asks, text);
  append_checksum_text(bids, text);
  return crc32_ieee(text);
}

struct SimTrade {
  uint64_t id = 0;
  int64_t price = 0;  // raw
  int64_t qty = 0;    // raw
  Side side = Side::kBuy;
  Timestamp time{};
};

// What a range of trades adds up to.
struct Aggregate {
  int64_t open = 0, high = 0, low = 0, close = 0, vwap = 0, volume = 0;
  int64_t count = 0;
};

template <typename It>
Aggregate aggregate(It begin, It end) {
  Aggregate out;
  fixed_point_detail::Int128 notional = 0;
  for (It it = begin; it != end; ++it) {
    if (out.count == 0) {
      out.open = out.high = out.low = it->price;
    }
    out.high = std::max(out.high, it->price);
    out.low = std::min(out.low, it->price);
    out.close = it->price;
    out.volume += it->qty;
    notional += static_cast<fixed_point_detail::Int128>(it->price) * it->qty;
    ++out.count;
  }
  if (out.volume > 0) out.vwap = static_cast<int64_t>(notional / out.volume);
  return out;
}

Timestamp bucket_start(Timestamp ts, Duration interval) {
  const int64_t nanos = to_nanos(ts);
  const int64_t width = interval.count();
  return timestamp_from_nanos(nanos - ((nanos % width) + width) % width);
}

struct PairSim {
  SimPair pair;
  BidMap bids;
  AskMap asks;
  std::deque<SimTrade> trades;
  uint64_t next_trade_id = 1;
  size_t trades_this_step = 0;

  int pp() const { return pair.spec.price_precision; }
  int qp() const { return pair.spec.qty_precision; }
  const std::string& symbol() const { return pair.spec.id.str(); }
};

struct BookSubscription {
  size_t depth = 10;
  BidMap bids;  // what the subscriber holds
  AskMap asks;
};

struct SessionState {
  std::shared_ptr<net::WebSocketSession> session;
  std::map<std::string, BookSubscription> books;
  std::set<std::string> trades;
  std::map<std::string, int> ohlc;  // symbol -> interval minutes
  bool instrument = false;
  size_t recording_cursor = 0;
  bool subscribed() const {
    return !books.empty() || !trades.empty() || !ohlc.empty() || instrument;
  }
};

bool valid_depth(int64_t depth) {
  return depth == 10 || depth == 25 || depth == 100 || depth == 500 || depth == 1000;
}

bool valid_interval(int64_t minutes) {
  for (int allowed : {1, 5, 15, 30, 60, 240, 1440, 10080, 21600}) {
    if (minutes == allowed) return true;
  }
  return false;
}

// AssetPairs' wsname is the WS v1 name, which keeps Kraken's legacy asset names.
std::string v1_wsname(const InstrumentSpec& spec) {
  auto legacy = [](const std::string& asset) -> std::string {
    if (asset == "BTC") return "XBT";
    if (asset == "DOGE") return "XDG";
    return asset;
  };
  return legacy(spec.base) + "/" + legacy(spec.quote);
}

net::HttpResponse json_response(int status, const Json& body) {
  net::HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = dump_wire(body);
  return response;
}

net::HttpResponse kraken_error(std::string error, int status = 200) {
  return json_response(status, Json{{"error", Json::array({std::move(error)})}});
}

net::HttpResponse kraken_result(Json result) {
  return json_response(200, Json{{"error", Json::array()}, {"result", std::move(result)}});
}

}  // namespace

uint32_t kraken_book_checksum(const std::vector<BookLevel>& bids,
                              const std::vector<BookLevel>& asks) {
  BidMap bid_map;
  AskMap ask_map;
  for (const BookLevel& level : bids) bid_map[level.price.raw()] = level.qty.raw();
  for (const BookLevel& level : asks) ask_map[level.price.raw()] = level.qty.raw();
  return checksum_of(bid_map, ask_map);
}

std::string wire_number(const Price& value) { return trim_number(value.to_string()); }
std::string wire_number(const Quantity& value) { return trim_number(value.to_string()); }

struct KrakenSimulator::Impl {
  SimulatorOptions options;
  std::unique_ptr<net::HttpServer> server;

  mutable std::mutex mutex;
  std::condition_variable ticker_wake;
  std::thread ticker;
  bool stopping = false;
  bool paused = false;
  std::chrono::steady_clock::time_point stall_until{};

  std::mt19937_64 random;
  std::vector<PairSim> pairs;
  std::map<std::string, size_t, std::less<>> pair_index;
  std::vector<std::string> recorded_frames;  // recording mode
  std::map<uint64_t, SessionState> sessions;
  std::map<std::pair<std::string, std::string>, RouteHandler> routes;
  uint64_t steps = 0;
  bool corrupt_next = false;
  std::unique_ptr<PrivateExchange> private_exchange;
  SimulatorStats stats;

  explicit Impl(SimulatorOptions opts) : options(std::move(opts)), random(options.seed) {}

  Timestamp now() const {
    return options.start_time + options.time_per_step * static_cast<int64_t>(steps);
  }
  uint64_t uniform(uint64_t n) { return n == 0 ? 0 : random() % n; }
  bool recording_mode() const { return !recorded_frames.empty(); }

  PairSim* find_pair(std::string_view symbol) {
    const auto it = pair_index.find(symbol);
    return it == pair_index.end() ? nullptr : &pairs[it->second];
  }

  // REST lookups accept the altname, the result key or the WS symbol.
  PairSim* find_rest_pair(std::string_view name) {
    for (PairSim& pair : pairs) {
      if (pair.pair.spec.altname == name || pair.pair.rest_key == name || pair.symbol() == name) {
        return &pair;
      }
    }
    return nullptr;
  }

  const std::string& rest_key(const PairSim& pair) const {
    return pair.pair.rest_key.empty() ? pair.pair.spec.altname : pair.pair.rest_key;
  }

  // --- Generation ---------------------------------------------------------------------------

  int64_t random_qty(const PairSim& pair) {
    // Up to 2 units of base, in steps of the lot precision's 5th decimal (or 1 lot).
    const int64_t unit = fixed_point_detail::pow10(std::max(pair.qp() - 5, 0));
    return static_cast<int64_t>(1 + uniform(200000)) * unit;
  }

  void refill(PairSim& pair) {
    while (pair.bids.size() < options.book_levels) {
      const int64_t worst =
          pair.bids.empty() ? pair.asks.begin()->first : pair.bids.rbegin()->first;
      const int64_t price = worst - static_cast<int64_t>(1 + uniform(3));
      if (price <= 0) break;
      pair.bids[price] = random_qty(pair);
    }
    while (pair.asks.size() < options.book_levels) {
      const int64_t worst =
          pair.asks.empty() ? pair.bids.begin()->first : pair.asks.rbegin()->first;
      pair.asks[worst + static_cast<int64_t>(1 + uniform(3))] = random_qty(pair);
    }
    while (pair.bids.size() > options.book_levels) pair.bids.erase(std::prev(pair.bids.end()));
    while (pair.asks.size() > options.book_levels) pair.asks.erase(std::prev(pair.asks.end()));
  }

  void init_book(PairSim& pair) {
    const int64_t mid = pair.pair.start_price.rescaled(pair.pp(), Rounding::kHalfEven).raw();
    pair.bids[mid - 1] = random_qty(pair);
    pair.asks[mid + 1] = random_qty(pair);
    refill(pair);
  }

  template <typename Map>
  typename Map::iterator pick_active(Map& side) {
    auto it = side.begin();
    std::advance(it, static_cast<ptrdiff_t>(uniform(std::min(kActiveLevels, side.size()))));
    return it;
  }

  void mutate_book(PairSim& pair) {
    for (int op = 0; op < kOpsPerStep; ++op) {
      const bool bid_side = uniform(2) == 0;
      const uint64_t kind = uniform(4);
      const int64_t ticks = static_cast<int64_t>(1 + uniform(2));
      if (bid_side) {
        auto level = pick_active(pair.bids);
        if (kind == 0) {
          level->second = random_qty(pair);
        } else if (kind == 1 && pair.bids.size() > 1) {
          pair.bids.erase(level);
        } else if (kind == 2 && level->first - ticks > 0) {
          pair.bids[level->first - ticks] = random_qty(pair);
        } else {
          const int64_t price = pair.bids.begin()->first + ticks;
          if (price < pair.asks.begin()->first) pair.bids[price] = random_qty(pair);
        }
      } else {
        auto level = pick_active(pair.asks);
        if (kind == 0) {
          level->second = random_qty(pair);
        } else if (kind == 1 && pair.asks.size() > 1) {
          pair.asks.erase(level);
        } else if (kind == 2) {
          pair.asks[level->first + ticks] = random_qty(pair);
        } else {
          const int64_t price = pair.asks.begin()->first - ticks;
          if (price > pair.bids.begin()->first && price > 0) pair.asks[price] = random_qty(pair);
        }
      }
    }
  }

  void maybe_trade(PairSim& pair, Timestamp when) {
    pair.trades_this_step = 0;
    if (uniform(2) != 0) return;
    const bool buy = uniform(2) == 0;
    SimTrade trade;
    trade.id = pair.next_trade_id++;
    trade.side = buy ? Side::kBuy : Side::kSell;
    trade.time = when;
    if (buy) {
      auto best = pair.asks.begin();
      trade.price = best->first;
      trade.qty = std::min(best->second, random_qty(pair));
      best->second -= trade.qty;
      if (best->second == 0) pair.asks.erase(best);
    } else {
      auto best = pair.bids.begin();
      trade.price = best->first;
      trade.qty = std::min(best->second, random_qty(pair));
      best->second -= trade.qty;
      if (best->second == 0) pair.bids.erase(best);
    }
    pair.trades.push_back(trade);
    while (pair.trades.size() > options.max_trades_kept) pair.trades.pop_front();
    pair.trades_this_step = 1;
  }

  // --- Messages -----------------------------------------------------------------------------

  void send(SessionState& state, std::string text) {
    if (state.session->send_text(std::move(text))) stats.frames_sent++;
  }
  void send(SessionState& state, const Json& message) { send(state, dump_wire(message)); }

  uint32_t next_checksum(uint32_t checksum) {
    if (!corrupt_next) return checksum;
    corrupt_next = false;
    stats.checksums_corrupted++;
    return checksum ^ kCorruptionMask;
  }

  template <typename Map>
  static Json levels_json(const Map& levels, int pp, int qp) {
    Json out = Json::array();
    for (const auto& [price, qty] : levels) {
      out.push_back(Json{{"price", wire(price, pp)}, {"qty", wire(qty, qp)}});
    }
    return out;
  }

  std::string book_message(const PairSim& pair, bool snapshot, const Json& bids, const Json& asks,
                           uint32_t checksum) {
    Json data{{"symbol", pair.symbol()},
              {"bids", bids},
              {"asks", asks},
              {"checksum", checksum},
              {"timestamp", iso(now())}};
    stats.book_messages_sent++;
    return dump_wire(Json{{"channel", "book"},
                          {"type", snapshot ? "snapshot" : "update"},
                          {"data", Json::array({std::move(data)})}});
  }

  void send_book_snapshot(SessionState& state, PairSim& pair, BookSubscription& subscription) {
    subscription.bids = top_levels(pair.bids, subscription.depth);
    subscription.asks = top_levels(pair.asks, subscription.depth);
    const uint32_t checksum = next_checksum(checksum_of(subscription.bids, subscription.asks));
    send(state, book_message(pair, true, levels_json(subscription.bids, pair.pp(), pair.qp()),
                             levels_json(subscription.asks, pair.pp(), pair.qp()), checksum));
  }

  // The changes that take a subscriber from what it holds to the new top levels. Levels that
  // fell out of its depth but still exist are not sent: the subscriber truncates them, as it
  // must with Kraken.
  template <typename Map>
  Json diff(const Map& held, const Map& now_top, const Map& full, int pp, int qp) {
    Json out = Json::array();
    for (const auto& [price, qty] : held) {
      if (!now_top.count(price) && !full.count(price)) {
        out.push_back(Json{{"price", wire(price, pp)}, {"qty", wire(0, qp)}});
      }
    }
    for (const auto& [price, qty] : now_top) {
      const auto it = held.find(price);
      if (it == held.end() || it->second != qty) {
        out.push_back(Json{{"price", wire(price, pp)}, {"qty", wire(qty, qp)}});
      }
    }
    return out;
  }

  void send_book_update(SessionState& state, PairSim& pair, BookSubscription& subscription) {
    BidMap bids = top_levels(pair.bids, subscription.depth);
    AskMap asks = top_levels(pair.asks, subscription.depth);
    Json bid_changes = diff(subscription.bids, bids, pair.bids, pair.pp(), pair.qp());
    Json ask_changes = diff(subscription.asks, asks, pair.asks, pair.pp(), pair.qp());
    if (bid_changes.empty() && ask_changes.empty()) return;
    subscription.bids = std::move(bids);
    subscription.asks = std::move(asks);
    const uint32_t checksum = next_checksum(checksum_of(subscription.bids, subscription.asks));
    send(state, book_message(pair, false, bid_changes, ask_changes, checksum));
  }

  Json trade_json(const PairSim& pair, const SimTrade& trade) const {
    return Json{{"symbol", pair.symbol()},
                {"side", trade.side == Side::kBuy ? "buy" : "sell"},
                {"price", wire(trade.price, pair.pp())},
                {"qty", wire(trade.qty, pair.qp())},
                {"ord_type", "market"},
                {"trade_id", trade.id},
                {"timestamp", iso(trade.time)}};
  }

  Json candle_json(const PairSim& pair, Timestamp start, int interval, const Aggregate& a) const {
    return Json{{"symbol", pair.symbol()},
                {"open", wire(a.open, pair.pp())},
                {"high", wire(a.high, pair.pp())},
                {"low", wire(a.low, pair.pp())},
                {"close", wire(a.close, pair.pp())},
                {"trades", a.count},
                {"volume", wire(a.volume, pair.qp())},
                {"vwap", wire(a.vwap, pair.pp())},
                {"interval_begin", iso(start)},
                {"interval", interval},
                {"timestamp", iso(start + std::chrono::minutes(interval))}};
  }

  // Candles (start, aggregate) of the trades, oldest first, at most `limit`, starting after
  // `after` when given.
  std::vector<std::pair<Timestamp, Aggregate>> candles(const PairSim& pair, int interval,
                                                       size_t limit,
                                                       std::optional<Timestamp> after = {}) {
    const Duration width = std::chrono::minutes(interval);
    std::vector<std::pair<Timestamp, Aggregate>> out;
    auto end = pair.trades.end();
    while (end != pair.trades.begin() && out.size() < limit) {
      const Timestamp start = bucket_start(std::prev(end)->time, width);
      if (after && start <= *after && !out.empty()) break;
      auto begin = end;
      while (begin != pair.trades.begin() && std::prev(begin)->time >= start) --begin;
      out.emplace_back(start, aggregate(begin, end));
      end = begin;
      if (after && start <= *after) break;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  void send_ohlc(SessionState& state, const PairSim& pair, int interval, bool snapshot) {
    auto rows = candles(pair, interval, snapshot ? kOhlcSnapshotCandles : 1);
    if (rows.empty()) return;
    Json data = Json::array();
    for (const auto& [start, a] : rows) data.push_back(candle_json(pair, start, interval, a));
    send(state, Json{{"channel", "ohlc"},
                     {"type", snapshot ? "snapshot" : "update"},
                     {"timestamp", iso(now())},
                     {"data", std::move(data)}});
  }

  // The price increment at the pair's precision: the configured tick, or one unit.
  static int64_t tick_raw(const InstrumentSpec& spec) {
    if (!spec.tick_size.is_positive()) return 1;
    return spec.tick_size.rescaled(spec.price_precision, Rounding::kCeiling).raw();
  }

  Json instrument_data() const {
    Json assets = Json::array();
    std::set<std::string> seen;
    Json pairs_json = Json::array();
    for (const PairSim& pair : pairs) {
      const InstrumentSpec& spec = pair.pair.spec;
      for (const std::string& asset : {spec.base, spec.quote}) {
        if (!seen.insert(asset).second) continue;
        assets.push_back(Json{{"id", asset},
                              {"status", "enabled"},
                              {"precision", 10},
                              {"precision_display", 5},
                              {"borrowable", false},
                              {"collateral_value", 1.0},
                              {"margin_rate", 0.0}});
      }
      Json entry{
          {"symbol", spec.id.str()},
          {"base", spec.base},
          {"quote", spec.quote},
          {"status", "online"},
          {"qty_precision", spec.qty_precision},
          {"qty_increment", wire(1, spec.qty_precision)},
          {"price_precision", spec.price_precision},
          {"price_increment", wire(tick_raw(spec), spec.price_precision)},
          {"cost_precision", spec.cost_precision},
          {"qty_min", wire(spec.ordermin.rescaled(spec.qty_precision, Rounding::kCeiling).raw(),
                           spec.qty_precision)},
          {"marginable", false},
          {"has_index", true}};
      if (!spec.costmin.is_zero()) {
        entry["cost_min"] =
            wire(spec.costmin.rescaled(spec.cost_precision, Rounding::kCeiling).raw(),
                 spec.cost_precision);
      }
      pairs_json.push_back(std::move(entry));
    }
    return Json{{"assets", assets}, {"pairs", pairs_json}};
  }

  void ack(SessionState& state, std::string_view method, Json result, const Json& req_id) {
    Json message{{"method", method},
                 {"result", std::move(result)},
                 {"success", true},
                 {"time_in", iso(now())},
                 {"time_out", iso(now())}};
    if (!req_id.is_null()) message["req_id"] = req_id;
    send(state, message);
  }

  void error_ack(SessionState& state, std::string_view method, std::string error,
                 const Json& req_id, std::string_view symbol = {}) {
    Json message{{"method", method},
                 {"success", false},
                 {"error", std::move(error)},
                 {"time_in", iso(now())},
                 {"time_out", iso(now())}};
    if (!symbol.empty()) message["symbol"] = symbol;
    if (!req_id.is_null()) message["req_id"] = req_id;
    send(state, message);
  }

  void on_subscription(SessionState& state, const std::string& method, const Json& params,
                       const Json& req_id) {
    const bool subscribe = method == "subscribe";
    const std::string channel = params.value("channel", "");
    if (channel == "instrument") {
      state.instrument = subscribe;
      ack(state, method, Json{{"channel", channel}, {"snapshot", true}}, req_id);
      if (subscribe) {
        send(state,
             Json{{"channel", "instrument"}, {"type", "snapshot"}, {"data", instrument_data()}});
      }
      return;
    }
    if (channel != "book" && channel != "trade" && channel != "ohlc") {
      error_ack(state, method, "Channel not supported: " + channel, req_id);
      return;
    }
    const auto symbols = params.find("symbol");
    if (symbols == params.end() || !symbols->is_array()) {
      error_ack(state, method, "Missing field: symbol", req_id);
      return;
    }
    const int64_t depth = params.value("depth", int64_t{10});
    const int64_t interval = params.value("interval", int64_t{1});
    if (channel == "book" && !valid_depth(depth)) {
      error_ack(state, method, "Invalid depth", req_id);
      return;
    }
    if (channel == "ohlc" && !valid_interval(interval)) {
      error_ack(state, method, "Invalid interval", req_id);
      return;
    }
    for (const Json& symbol_json : *symbols) {
      const std::string symbol = symbol_json.is_string() ? symbol_json.get<std::string>() : "";
      PairSim* pair = find_pair(symbol);
      if (!pair) {
        error_ack(state, method, "Currency pair not supported " + symbol, req_id, symbol);
        continue;
      }
      Json result{{"channel", channel}, {"symbol", symbol}};
      if (channel == "book") {
        result["depth"] = depth;
        result["snapshot"] = true;
      } else if (channel == "ohlc") {
        result["interval"] = interval;
        result["snapshot"] = true;
      }
      ack(state, method, std::move(result), req_id);
      if (!subscribe) {
        if (channel == "book") state.books.erase(symbol);
        if (channel == "trade") state.trades.erase(symbol);
        if (channel == "ohlc") state.ohlc.erase(symbol);
        continue;
      }
      if (channel == "book") {
        BookSubscription& subscription = state.books[symbol];
        subscription.depth = static_cast<size_t>(depth);
        if (!recording_mode()) send_book_snapshot(state, *pair, subscription);
      } else if (channel == "trade") {
        state.trades.insert(symbol);
      } else {
        state.ohlc[symbol] = static_cast<int>(interval);
        if (!recording_mode()) send_ohlc(state, *pair, static_cast<int>(interval), true);
      }
    }
  }

  void on_text(const std::shared_ptr<net::WebSocketSession>& session, std::string_view text) {
    std::lock_guard lock(mutex);
    const auto it = sessions.find(session->id());
    if (it == sessions.end()) return;
    SessionState& state = it->second;
    const Json request = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object()) {
      error_ack(state, "", "Malformed request", Json());
      return;
    }
    const std::string method = request.value("method", "");
    const Json req_id = request.contains("req_id") ? request["req_id"] : Json();
    if (method == "ping") {
      Json pong{{"method", "pong"}, {"time_in", iso(now())}, {"time_out", iso(now())}};
      if (!req_id.is_null()) pong["req_id"] = req_id;
      send(state, pong);
    } else if (method == "subscribe" || method == "unsubscribe") {
      const auto params = request.find("params");
      if (params == request.end() || !params->is_object()) {
        error_ack(state, method, "Missing field: params", req_id);
        return;
      }
      on_subscription(state, method, *params, req_id);
    } else {
      error_ack(state, method, "Method not supported: " + method, req_id);
    }
  }

  void on_open(const std::shared_ptr<net::WebSocketSession>& session) {
    std::lock_guard lock(mutex);
    stats.sessions_opened++;
    SessionState& state = sessions[session->id()];
    state.session = session;
    send(state, Json{{"channel", "status"},
                     {"type", "update"},
                     {"data", Json::array({Json{{"api_version", "v2"},
                                                {"connection_id", session->id()},
                                                {"system", "online"},
                                                {"version", "2.0.0"}}})}});
  }

  void on_close(const std::shared_ptr<net::WebSocketSession>& session) {
    std::lock_guard lock(mutex);
    sessions.erase(session->id());
  }

  // The private side matches against the top of the book and the step's trade.
  void publish_to_private(const PairSim& pair, const SimTrade* trade) {
    if (!private_exchange) return;
    constexpr size_t kPrivateDepth = 10;
    std::vector<BookLevel> bids;
    std::vector<BookLevel> asks;
    for (const auto& [price, qty] : top_levels(pair.bids, kPrivateDepth)) {
      bids.push_back({Price::from_raw(price, pair.pp()), Quantity::from_raw(qty, pair.qp())});
    }
    for (const auto& [price, qty] : top_levels(pair.asks, kPrivateDepth)) {
      asks.push_back({Price::from_raw(price, pair.pp()), Quantity::from_raw(qty, pair.qp())});
    }
    std::optional<PrivateExchange::MarketTrade> printed;
    if (trade != nullptr) {
      printed = PrivateExchange::MarketTrade{Price::from_raw(trade->price, pair.pp()),
                                             Quantity::from_raw(trade->qty, pair.qp())};
    }
    private_exchange->on_market(pair.pair.spec.id, bids, asks, printed);
  }

  // --- Stepping -----------------------------------------------------------------------------

  void apply_periodic_faults() {
    const PeriodicFaults& faults = options.faults;
    auto due = [&](uint64_t every) { return every > 0 && steps % every == 0; };
    if (due(faults.corrupt_checksum_every_steps)) corrupt_next = true;
    if (due(faults.malformed_every_steps)) send_malformed_locked();
    if (due(faults.drop_every_steps)) drop_locked();
    if (due(faults.stall_every_steps) && faults.stall > Duration::zero()) {
      stall_locked(faults.stall);
    }
  }

  void step_locked() {
    ++steps;
    stats.steps = steps;
    if (recording_mode()) {
      for (auto& [id, state] : sessions) {
        if (!state.subscribed() || state.recording_cursor >= recorded_frames.size()) continue;
        std::string frame = recorded_frames[state.recording_cursor++];
        if (corrupt_next && frame.find("\"channel\":\"book\"") != std::string::npos) {
          const size_t at = frame.find("\"checksum\":");
          if (at != std::string::npos) {
            const size_t digit = at + 11;
            frame[digit] = frame[digit] == '1' ? '2' : '1';
            corrupt_next = false;
            stats.checksums_corrupted++;
          }
        }
        send(state, std::move(frame));
      }
    } else {
      const Timestamp when = now();
      for (PairSim& pair : pairs) {
        mutate_book(pair);
        maybe_trade(pair, when);
        refill(pair);
        publish_to_private(pair, pair.trades_this_step > 0 ? &pair.trades.back() : nullptr);
      }
      for (auto& [id, state] : sessions) {
        for (PairSim& pair : pairs) {
          const auto book = state.books.find(pair.symbol());
          if (book != state.books.end()) send_book_update(state, pair, book->second);
          if (pair.trades_this_step > 0 && state.trades.count(pair.symbol())) {
            send(state, Json{{"channel", "trade"},
                             {"type", "update"},
                             {"data", Json::array({trade_json(pair, pair.trades.back())})}});
          }
          const auto ohlc = state.ohlc.find(pair.symbol());
          if (pair.trades_this_step > 0 && ohlc != state.ohlc.end()) {
            send_ohlc(state, pair, ohlc->second, false);
          }
        }
      }
    }
    if (options.heartbeat_every_steps > 0 && steps % options.heartbeat_every_steps == 0) {
      for (auto& [id, state] : sessions) {
        if (state.subscribed()) send(state, std::string(R"({"channel":"heartbeat"})"));
      }
    }
    apply_periodic_faults();
  }

  void drop_locked() {
    for (auto& [id, state] : sessions) {
      state.session->abort();
      stats.connections_dropped++;
    }
  }

  void send_malformed_locked() {
    for (auto& [id, state] : sessions) {
      send(state, std::string(kMalformedFrame));
      stats.malformed_frames_sent++;
    }
  }

  void stall_locked(Duration duration) {
    stats.stalls++;
    stall_until = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
    ticker_wake.notify_all();
  }

  void run_ticker() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      ticker_wake.wait_for(lock, options.tick_interval);
      if (stopping) break;
      if (paused || std::chrono::steady_clock::now() < stall_until) continue;
      step_locked();
    }
  }

  // --- REST ---------------------------------------------------------------------------------

  // Route handlers lock the simulator themselves, so the handler is called unlocked.
  net::HttpResponse rest(const net::HttpServerRequest& request) {
    RouteHandler handler;
    {
      std::lock_guard lock(mutex);
      const auto route = routes.find({request.method, std::string(request.path())});
      if (route != routes.end()) handler = route->second;
    }
    if (!handler) return kraken_error("EGeneral:Unknown method", 404);
    return handler(request);
  }
};

Result<std::unique_ptr<KrakenSimulator>> KrakenSimulator::start(SimulatorOptions options) {
  if (options.pairs.empty()) return invalid_argument("kraken-sim: no pairs");
  if (options.time_per_step <= Duration::zero()) {
    return invalid_argument("kraken-sim: time_per_step must be positive");
  }
  if (options.book_levels < 2) return invalid_argument("kraken-sim: book_levels must be >= 2");
  auto impl = std::make_unique<Impl>(options);
  for (const SimPair& pair : options.pairs) {
    const InstrumentSpec& spec = pair.spec;
    if (spec.price_precision < 0 || spec.price_precision > kMaxPrecision ||
        spec.qty_precision < 0 || spec.qty_precision > kMaxPrecision) {
      return invalid_argument("kraken-sim: pair " + spec.id.str() + " has a bad precision");
    }
    if (!pair.start_price.is_positive()) {
      return invalid_argument("kraken-sim: pair " + spec.id.str() +
                              " needs a positive start price");
    }
    if (impl->pair_index.count(spec.id.str())) {
      return invalid_argument("kraken-sim: pair " + spec.id.str() + " listed twice");
    }
    impl->pair_index[spec.id.str()] = impl->pairs.size();
    impl->pairs.push_back(PairSim{pair, {}, {}, {}, 1, 0});
  }
  for (PairSim& pair : impl->pairs) impl->init_book(pair);
  if (options.recording) {
    auto entries = feed::read_recording(*options.recording);
    if (!entries) return entries.status().with_context("kraken-sim");
    for (auto& entry : *entries) {
      if (entry.type != feed::RecordedEntry::Type::kFrame) continue;
      // Only market data is replayed; status, acks and heartbeats are the simulator's own.
      if (entry.frame.find("\"channel\":\"book\"") != std::string::npos ||
          entry.frame.find("\"channel\":\"trade\"") != std::string::npos ||
          entry.frame.find("\"channel\":\"ohlc\"") != std::string::npos) {
        impl->recorded_frames.push_back(std::move(entry.frame));
      }
    }
    if (impl->recorded_frames.empty()) {
      return invalid_argument("kraken-sim: recording " + options.recording->string() +
                              " has no book, trade or ohlc frames");
    }
  }

  Impl* raw = impl.get();
  raw->routes[{"GET", "/0/public/Time"}] = [raw](const net::HttpServerRequest&) {
    std::lock_guard lock(raw->mutex);
    return kraken_result(
        Json{{"unixtime", to_seconds(raw->now())}, {"rfc1123", rfc1123(raw->now())}});
  };
  raw->routes[{"GET", "/0/public/AssetPairs"}] = [raw](const net::HttpServerRequest& request) {
    std::lock_guard lock(raw->mutex);
    Json result = Json::object();
    std::vector<PairSim*> chosen;
    if (auto names = request.query_param("pair")) {
      std::string_view rest = *names;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string name(rest.substr(0, comma));
        PairSim* pair = raw->find_rest_pair(name);
        if (!pair) return kraken_error("EQuery:Unknown asset pair");
        chosen.push_back(pair);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else {
      for (PairSim& pair : raw->pairs) chosen.push_back(&pair);
    }
    for (PairSim* pair : chosen) {
      const InstrumentSpec& spec = pair->pair.spec;
      result[raw->rest_key(*pair)] = Json{{"altname", spec.altname},
                                          {"wsname", v1_wsname(spec)},
                                          {"aclass_base", "currency"},
                                          {"base", spec.base},
                                          {"aclass_quote", "currency"},
                                          {"quote", spec.quote},
                                          {"lot", "unit"},
                                          {"cost_decimals", spec.cost_precision},
                                          {"pair_decimals", spec.price_precision},
                                          {"lot_decimals", spec.qty_precision},
                                          {"lot_multiplier", 1},
                                          {"fees", Json::array({Json::array({0, 0.4})})},
                                          {"fees_maker", Json::array({Json::array({0, 0.25})})},
                                          {"fee_volume_currency", "ZUSD"},
                                          {"ordermin", spec.ordermin.to_string()},
                                          {"costmin", spec.costmin.to_string()},
                                          {"tick_size", spec.tick_size.to_string()},
                                          {"status", "online"}};
    }
    return kraken_result(std::move(result));
  };
  raw->routes[{"GET", "/0/public/Ticker"}] = [raw](const net::HttpServerRequest& request) {
    std::lock_guard lock(raw->mutex);
    const auto name = request.query_param("pair");
    PairSim* pair = name ? raw->find_rest_pair(*name) : nullptr;
    if (!pair) return kraken_error("EQuery:Unknown asset pair");
    const int pp = pair->pp();
    const int qp = pair->qp();
    auto text = [](int64_t raw_value, int precision) {
      return fixed_point_detail::format_raw(raw_value, precision);
    };
    const Timestamp now = raw->now();
    const Timestamp midnight = bucket_start(now, std::chrono::hours(24));
    auto from = [&](Timestamp start) {
      return std::find_if(pair->trades.begin(), pair->trades.end(),
                          [&](const SimTrade& t) { return t.time >= start; });
    };
    const Aggregate today = aggregate(from(midnight), pair->trades.end());
    const Aggregate day = aggregate(from(now - std::chrono::hours(24)), pair->trades.end());
    const auto& bid = *pair->bids.begin();
    const auto& ask = *pair->asks.begin();
    const SimTrade last = pair->trades.empty() ? SimTrade{} : pair->trades.back();
    Json ticker{{"a", Json::array({text(ask.first, pp), "1", "1.000"})},
                {"b", Json::array({text(bid.first, pp), "1", "1.000"})},
                {"c", Json::array({text(last.price, pp), text(last.qty, qp)})},
                {"v", Json::array({text(today.volume, qp), text(day.volume, qp)})},
                {"p", Json::array({text(today.vwap, pp), text(day.vwap, pp)})},
                {"t", Json::array({today.count, day.count})},
                {"l", Json::array({text(today.low, pp), text(day.low, pp)})},
                {"h", Json::array({text(today.high, pp), text(day.high, pp)})},
                {"o", text(today.open, pp)}};
    return kraken_result(Json{{raw->rest_key(*pair), std::move(ticker)}});
  };
  raw->routes[{"GET", "/0/public/OHLC"}] = [raw](const net::HttpServerRequest& request) {
    std::lock_guard lock(raw->mutex);
    const auto name = request.query_param("pair");
    PairSim* pair = name ? raw->find_rest_pair(*name) : nullptr;
    if (!pair) return kraken_error("EQuery:Unknown asset pair");
    int64_t interval = 1;
    if (auto text = request.query_param("interval")) {
      try {
        interval = std::stoll(*text);
      } catch (const std::exception&) {
        interval = 0;
      }
    }
    if (!valid_interval(interval)) return kraken_error("EGeneral:Invalid arguments:interval");
    std::optional<Timestamp> after;
    if (auto since = request.query_param("since")) {
      try {
        after = timestamp_from_seconds(std::stoll(*since));
      } catch (const std::exception&) {
        return kraken_error("EGeneral:Invalid arguments:since");
      }
    }
    const auto rows = raw->candles(*pair, static_cast<int>(interval), kRestOhlcRows, after);
    Json out = Json::array();
    const int pp = pair->pp();
    for (const auto& [start, a] : rows) {
      out.push_back(Json::array(
          {to_seconds(start), fixed_point_detail::format_raw(a.open, pp),
           fixed_point_detail::format_raw(a.high, pp), fixed_point_detail::format_raw(a.low, pp),
           fixed_point_detail::format_raw(a.close, pp), fixed_point_detail::format_raw(a.vwap, pp),
           fixed_point_detail::format_raw(a.volume, pair->qp()), a.count}));
    }
    const int64_t last =
        rows.empty() ? (after ? to_seconds(*after) : 0) : to_seconds(rows.back().first);
    return kraken_result(Json{{raw->rest_key(*pair), std::move(out)}, {"last", last}});
  };
  raw->routes[{"GET", "/0/public/Trades"}] = [raw](const net::HttpServerRequest& request) {
    std::lock_guard lock(raw->mutex);
    const auto name = request.query_param("pair");
    PairSim* pair = name ? raw->find_rest_pair(*name) : nullptr;
    if (!pair) return kraken_error("EQuery:Unknown asset pair");
    int64_t since_nanos = -1;
    size_t count = kRestTradesDefaultCount;
    try {
      if (auto since = request.query_param("since")) since_nanos = std::stoll(*since);
      if (auto text = request.query_param("count")) count = std::stoul(*text);
    } catch (const std::exception&) {
      return kraken_error("EGeneral:Invalid arguments");
    }
    if (count == 0 || count > kRestTradesDefaultCount) {
      return kraken_error("EGeneral:Invalid arguments:count");
    }
    Json rows = Json::array();
    int64_t last = std::max<int64_t>(since_nanos, 0);
    for (const SimTrade& trade : pair->trades) {
      if (to_nanos(trade.time) <= since_nanos) continue;
      if (rows.size() >= count) break;
      rows.push_back(Json::array({fixed_point_detail::format_raw(trade.price, pair->pp()),
                                  fixed_point_detail::format_raw(trade.qty, pair->qp()),
                                  raw_number(rest_time(trade.time)),
                                  trade.side == Side::kBuy ? "b" : "s", "m", "", trade.id}));
      last = to_nanos(trade.time);
    }
    return kraken_result(
        Json{{raw->rest_key(*pair), std::move(rows)}, {"last", std::to_string(last)}});
  };

  net::WebSocketHandler ws;
  ws.on_open = [raw](const std::shared_ptr<net::WebSocketSession>& session) {
    raw->on_open(session);
  };
  ws.on_text = [raw](const std::shared_ptr<net::WebSocketSession>& session, std::string_view text) {
    raw->on_text(session, text);
  };
  ws.on_close = [raw](const std::shared_ptr<net::WebSocketSession>& session) {
    raw->on_close(session);
  };
  std::vector<std::pair<std::string, net::WebSocketHandler>> websocket_paths{{"/v2", ws}};
  if (options.private_api) {
    std::vector<InstrumentSpec> specs;
    for (const SimPair& pair : options.pairs) specs.push_back(pair.spec);
    auto exchange = PrivateExchange::create(*options.private_api, std::move(specs));
    if (!exchange) return exchange.status();
    raw->private_exchange = std::move(*exchange);
    PrivateExchange* priv = raw->private_exchange.get();
    for (const char* method :
         {"Balance", "BalanceEx", "OpenOrders", "ClosedOrders", "QueryOrders", "TradesHistory",
          "AddOrder", "CancelOrder", "CancelAll", "CancelAllOrdersAfter", "GetWebSocketsToken"}) {
      const std::string name(method);
      raw->routes[{"POST", "/0/private/" + name}] = [priv,
                                                     name](const net::HttpServerRequest& request) {
        return priv->handle_rest(name, request);
      };
    }
    websocket_paths.emplace_back(kWsAuthPath, priv->websocket_handler());
    if (!raw->recording_mode()) {
      for (const PairSim& pair : raw->pairs) raw->publish_to_private(pair, nullptr);
    }
  }
  auto server = net::HttpServer::start(
      options.server, [raw](const net::HttpServerRequest& request) { return raw->rest(request); },
      std::move(websocket_paths));
  if (!server) return server.status().with_context("kraken-sim");
  raw->server = std::move(*server);
  if (options.tick_interval > Duration::zero()) {
    raw->ticker = std::thread([raw] { raw->run_ticker(); });
  }
  return std::unique_ptr<KrakenSimulator>(new KrakenSimulator(std::move(impl)));
}

KrakenSimulator::KrakenSimulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KrakenSimulator::~KrakenSimulator() { stop(); }

uint16_t KrakenSimulator::port() const { return impl_->server->port(); }

std::string KrakenSimulator::ws_url() const { return "ws://" + impl_->server->host_port() + "/v2"; }

std::string KrakenSimulator::rest_url() const { return "http://" + impl_->server->host_port(); }

std::string KrakenSimulator::ws_auth_url() const {
  return "ws://" + impl_->server->host_port() + std::string(kWsAuthPath);
}

PrivateExchange* KrakenSimulator::private_exchange() { return impl_->private_exchange.get(); }

Status KrakenSimulator::print_trade(const InstrumentId& pair_id, Side side, Price price,
                                    Quantity qty) {
  std::lock_guard lock(impl_->mutex);
  PairSim* pair = impl_->find_pair(pair_id.str());
  if (pair == nullptr) return not_found("kraken-sim: no pair " + pair_id.str());
  SimTrade trade;
  try {
    trade.price = price.rescaled(pair->pp(), Rounding::kHalfEven).raw();
    trade.qty = qty.rescaled(pair->qp(), Rounding::kHalfEven).raw();
  } catch (const std::exception& error) {
    return invalid_argument("kraken-sim: print_trade " + pair_id.str() + ": " + error.what());
  }
  if (Price::from_raw(trade.price, pair->pp()) != price ||
      Quantity::from_raw(trade.qty, pair->qp()) != qty) {
    return invalid_argument("kraken-sim: print_trade " + pair_id.str() +
                            ": price or qty has more decimals than the pair allows");
  }
  if (trade.price <= 0 || trade.qty <= 0) {
    return invalid_argument("kraken-sim: print_trade needs a positive price and quantity");
  }
  trade.id = pair->next_trade_id++;
  trade.side = side;
  trade.time = impl_->now();
  pair->trades.push_back(trade);
  while (pair->trades.size() > impl_->options.max_trades_kept) pair->trades.pop_front();
  for (auto& [id, state] : impl_->sessions) {
    if (state.trades.count(pair->symbol()) == 0) continue;
    impl_->send(state, Json{{"channel", "trade"},
                            {"type", "update"},
                            {"data", Json::array({impl_->trade_json(*pair, trade)})}});
  }
  impl_->publish_to_private(*pair, &pair->trades.back());
  return Status::ok();
}

void KrakenSimulator::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    impl_->ticker_wake.notify_all();
  }
  if (impl_->ticker.joinable()) impl_->ticker.join();
  impl_->server->stop();
  std::lock_guard lock(impl_->mutex);
  impl_->sessions.clear();
}

void KrakenSimulator::pause() {
  std::lock_guard lock(impl_->mutex);
  impl_->paused = true;
}

void KrakenSimulator::resume() {
  std::lock_guard lock(impl_->mutex);
  impl_->paused = false;
  impl_->ticker_wake.notify_all();
}

void KrakenSimulator::step(uint64_t n) {
  std::lock_guard lock(impl_->mutex);
  for (uint64_t i = 0; i < n; ++i) impl_->step_locked();
}

void KrakenSimulator::drop_connections() {
  std::lock_guard lock(impl_->mutex);
  impl_->drop_locked();
}

void KrakenSimulator::corrupt_next_checksum() {
  std::lock_guard lock(impl_->mutex);
  impl_->corrupt_next = true;
}

void KrakenSimulator::stall(Duration duration) {
  std::lock_guard lock(impl_->mutex);
  impl_->stall_locked(duration);
}

void KrakenSimulator::send_malformed_frame() {
  std::lock_guard lock(impl_->mutex);
  impl_->send_malformed_locked();
}

std::optional<SimBookView> KrakenSimulator::book(const InstrumentId& pair_id, size_t depth) const {
  std::lock_guard lock(impl_->mutex);
  if (impl_->recording_mode()) return std::nullopt;
  const auto it = impl_->pair_index.find(pair_id.str());
  if (it == impl_->pair_index.end()) return std::nullopt;
  const PairSim& pair = impl_->pairs[it->second];
  SimBookView view;
  const BidMap bids = top_levels(pair.bids, depth);
  const AskMap asks = top_levels(pair.asks, depth);
  for (const auto& [price, qty] : bids) {
    view.bids.push_back({Price::from_raw(price, pair.pp()), Quantity::from_raw(qty, pair.qp())});
  }
  for (const auto& [price, qty] : asks) {
    view.asks.push_back({Price::from_raw(price, pair.pp()), Quantity::from_raw(qty, pair.qp())});
  }
  view.checksum = checksum_of(bids, asks);
  return view;
}

size_t KrakenSimulator::book_subscribers(const InstrumentId& pair) const {
  std::lock_guard lock(impl_->mutex);
  size_t count = 0;
  for (const auto& [id, state] : impl_->sessions) count += state.books.count(pair.str());
  return count;
}

size_t KrakenSimulator::open_sessions() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

Timestamp KrakenSimulator::exchange_time() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->now();
}

SimulatorStats KrakenSimulator::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

void KrakenSimulator::add_route(std::string method, std::string path, RouteHandler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->routes[{std::move(method), std::move(path)}] = std::move(handler);
}

}  // namespace galfriday::kraken_sim
