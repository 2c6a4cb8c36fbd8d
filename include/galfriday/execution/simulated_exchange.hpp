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
  void on_state(const SystemStateEvent& state);

  size_t open_orders() const;
  Quantity held(const InstrumentId& id) const;

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
    OrderStatus status = OrderStatus::kNew;
  };
  struct Protection {
    std::optional<Price> stop_loss;
    std::optional<Price> take_profit;
  };

  Order& add_order(Order order);
  void process_order(Order& order, const MarketDataOHLCVEvent& bar, const InstrumentSpec& spec,
                     Quantity& liquidity);
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
  Timestamp now_{};
  bool halted_ = false;  // not RUNNING: approved entries are rejected
  uint64_t next_order_ = 1;
  uint64_t next_trade_ = 1;
};

}  // namespace galfriday
