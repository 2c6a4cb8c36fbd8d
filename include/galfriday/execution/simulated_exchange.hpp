#pragma once
// SimulatedExchange: the execution handler for backtest and paper trading. Orders placed
// while a bar is processed fill against the following bars of their pair, never the bar that
// produced the signal:
//  - market orders at the next open, moved against us by the slippage model (fixed, or a
//    base plus an impact proportional to the fill's share of the bar's volume);
//  - buy limits when the low reaches the limit, at min(open, limit) (maker when resting);
//  - each bar fills at most fill_liquidity_ratio of its volume; the rest waits for later bars;
//  - after an entry fills, a stop-loss and a take-profit protect the position as
//    one-cancels-other: a triggered stop cancels the target; a partly filled target shrinks the
//    stop to what is left; when both are touched in one bar the stop wins (the pessimistic
//    reading of a bar);
//  - Kraken maker/taker fees in the quote currency, rounded up to the cost precision.
//
// Order books (MarketDataL2Event): from a pair's first book on, its orders fill against the
// book updates that follow their placement instead of bars (its bars then only age limit
// entries toward their timeout):
//  - market orders, triggered stops and the marketable part of a new limit order walk the
//    opposite side level by level, one taker fill per level at the level's price (so the
//    order's average fill price is the volume-weighted price of the levels taken); what the
//    visible book cannot fill keeps working on later updates;
//  - liquidity taken from a book is not offered again to the next order at the same book state
//    (the next update of the pair replaces the book and what was taken);
//  - a resting limit or take-profit fills when the book crosses it: at its own price, as
//    maker, for the quantity of the crossing levels; stops trigger when the bid (sell stops)
//    or the ask (buy stops) reaches them;
//  - no slippage model: the levels walked are the price impact.
//
// Latency (execution.latency_ms, latency_jitter_ms, latency_seed): an order submitted at t
// (the approval's or close command's local time, ts_init) reaches the exchange at
// t + latency (+ a jitter drawn per order from the seed, so runs repeat exactly) and fills only
// against market data from then on: bars opening at or after it, books received at or after
// it. Protective orders take effect when their entry fills (Kraken's conditional close). With
// no latency configured, bar fills are exactly as described above.
//
// State: not RUNNING refuses new entries; HALTED cancels working entries (protective orders
// stay); STOPPING (paper mode's shutdown) cancels every working order, since none can outlive
// the process.
//
// It emits the same ExecutionReportEvents as the live handler. Engine thread only.

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday {

class SimulatedExchange {
 public:
  // Limit entries not filled within this many bars are cancelled.
  static constexpr int kLimitEntryTimeoutBars = 3;

  SimulatedExchange(const config::ExecutionConfig& config, const InstrumentRegistry& instruments);

  void attach(PubSubManager& bus);

  void on_approved(const TradeSignalApprovedEvent& signal);
  void on_close(const ClosePositionCommand& command);
  void on_bar(const MarketDataOHLCVEvent& bar);
  void on_book(const MarketDataL2Event& book);
  void on_state(const SystemStateEvent& state);

  size_t open_orders() const;
  Quantity held(const InstrumentId& id) const;

  // When an order submitted at `submitted` as the exchange's `order_number`-th order reaches
  // the book: submitted + latency + the order's jitter (0..latency_jitter_ms, a pure function
  // of latency_seed and order_number).
  Timestamp arrival_time(Timestamp submitted, uint64_t order_number) const;

 private:
  struct Order {
    ClientOrderId id;
    ExchangeOrderId exchange_id;
    InstrumentId instrument;
    std::optional<SignalId> signal;
    OrderPurpose purpose = OrderPurpose::kEntry;
    OrderType type = OrderType::kMarket;
    Side side = Side::kBuy;
    Quantity qty;
    Quantity filled;
    Price average_price;  // volume-weighted over the fills so far
    std::optional<Price> limit;
    std::optional<Price> stop;
    bool triggered = false;  // a stop that fired and now fills as a market order
    int bars_seen = 0;
    // Reaches the exchange then (latency); no market data before it fills the order.
    std::optional<Timestamp> arrives_at;
    // Book fills: false until the order first met a book. A limit that crosses the book on
    // arrival takes liquidity (taker); once resting, only a book crossing it fills it (maker).
    bool resting = false;
    OrderStatus status = OrderStatus::kNew;
  };
  // A pair's latest book and what our fills took from its levels at this state (same order).
  struct Book {
    std::vector<BookLevel> bids;
    std::vector<BookLevel> asks;
    std::vector<Quantity> bids_taken;
    std::vector<Quantity> asks_taken;
  };
  struct Protection {
    std::optional<Price> stop_loss;
    std::optional<Price> take_profit;
  };

  Order& add_order(Order order);
  void process_order(Order& order, const MarketDataOHLCVEvent& bar, const InstrumentSpec& spec,
                     Quantity& liquidity);
  // Cancels a limit entry that has seen kLimitEntryTimeoutBars bars; protects what it bought.
  void expire_limit_entry(Order& order);
  void process_book_order(Order& order, Book& book, const InstrumentSpec& spec, Timestamp when);
  // Fills `order` from the levels of `levels` (the side opposite to it) that `within` accepts,
  // best first, skipping what was taken already. `maker_price`: fill at that price as maker
  // (a resting order hit by a crossing book) instead of at each level's price as taker.
  void take_liquidity(Order& order, const std::vector<BookLevel>& levels,
                      std::vector<Quantity>& taken, const std::optional<Price>& bound,
                      std::optional<Price> maker_price, const InstrumentSpec& spec, Timestamp when);
  // True once the order has reached the exchange by `data_time` (latency).
  static bool arrived(const Order& order, Timestamp data_time) {
    return !order.arrives_at || *order.arrives_at <= data_time;
  }
  bool latency_enabled() const {
    return config_.latency_ms > 0.0 || config_.latency_jitter_ms > 0.0;
  }
  void fill(Order& order, Price price, Quantity qty, Liquidity liquidity,
            const InstrumentSpec& spec, Timestamp when);
  void cancel(Order& order, const std::string& reason);
  void protect(InstrumentId id, std::optional<SignalId> signal);
  void shrink_stops_to_position(const InstrumentId& id, Timestamp when);
  // Cancels the pair's working stop-loss and take-profit orders, except `keep` (the order that
  // is being filled and so cancels its sibling).
  void cancel_protection(const InstrumentId& id, const std::string& reason,
                         const Order* keep = nullptr);
  void publish_report(const Order& order, std::optional<Fill> last_fill, std::string message,
                      Timestamp when);
  // `volume_share`: the fill's quantity over the bar's volume, for the volume-impact model.
  Price slipped(Price price, Side side, const InstrumentSpec& spec, double volume_share) const;

  config::ExecutionConfig config_;
  const InstrumentRegistry& instruments_;
  PubSubManager* bus_ = nullptr;
  // Active orders in placement order. A deque, because filling one order can place protective
  // orders while a reference to it is in use, and deque::push_back keeps references valid.
  std::deque<Order> orders_;
  std::map<InstrumentId, Quantity> held_;
  std::map<InstrumentId, Protection> protection_;
  std::map<InstrumentId, Book> books_;  // pairs that are book-driven: their latest book
  Timestamp now_{};
  bool halted_ = false;  // not RUNNING: approved entries are rejected
  uint64_t next_order_ = 1;
  uint64_t next_trade_ = 1;
};

}  // namespace galfriday
