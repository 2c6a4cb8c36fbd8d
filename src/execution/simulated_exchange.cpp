#include "galfriday/execution/simulated_exchange.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace galfriday {
namespace {
// Average fill prices carry a few more decimals than the pair's prices, as Kraken's do.
constexpr int kAveragePriceExtraDecimals = 4;

// SplitMix64 (Steele, Lea, Flood 2014): a well-mixed 64-bit value from a counter, the same on
// every platform (unlike the standard distributions), so a seeded jitter repeats exactly.
uint64_t split_mix64(uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

Duration milliseconds_to_duration(double milliseconds) {
  return std::chrono::nanoseconds(std::llround(milliseconds * 1e6));
}
}  // namespace

SimulatedExchange::SimulatedExchange(const config::ExecutionConfig& config,
                                     const InstrumentRegistry& instruments)
    : config_(config), instruments_(instruments) {}

void SimulatedExchange::attach(PubSubManager& bus) {
  bus_ = &bus;
  // Subscribed before the rest of the pipeline, so fills of a bar precede its features.
  bus.subscribe<MarketDataOHLCVEvent>([this](const MarketDataOHLCVEvent& e) { on_bar(e); },
                                      "sim_exchange.bar");
  bus.subscribe<MarketDataL2Event>([this](const MarketDataL2Event& e) { on_book(e); },
                                   "sim_exchange.book");
  bus.subscribe<TradeSignalApprovedEvent>(
      [this](const TradeSignalApprovedEvent& e) { on_approved(e); }, "sim_exchange.approved");
  bus.subscribe<ClosePositionCommand>([this](const ClosePositionCommand& e) { on_close(e); },
                                      "sim_exchange.close");
  bus.subscribe<SystemStateEvent>([this](const SystemStateEvent& e) { on_state(e); },
                                  "sim_exchange.state");
}

size_t SimulatedExchange::open_orders() const { return orders_.size(); }

Quantity SimulatedExchange::held(const InstrumentId& id) const {
  const auto it = held_.find(id);
  return it == held_.end() ? Quantity{} : it->second;
}

Timestamp SimulatedExchange::arrival_time(Timestamp submitted, uint64_t order_number) const {
  Duration delay = milliseconds_to_duration(config_.latency_ms);
  const Duration jitter_range = milliseconds_to_duration(config_.latency_jitter_ms);
  if (jitter_range > Duration::zero()) {
    const auto range = static_cast<uint64_t>(jitter_range.count()) + 1;
    const uint64_t draw =
        split_mix64(static_cast<uint64_t>(config_.latency_seed) ^ split_mix64(order_number));
    delay += std::chrono::nanoseconds(static_cast<int64_t>(draw % range));
  }
  return submitted + delay;
}

SimulatedExchange::Order& SimulatedExchange::add_order(Order order) {
  order.exchange_id = ExchangeOrderId("SIM-O" + std::to_string(next_order_++));
  order.filled = Quantity::from_raw(0, order.qty.precision());
  orders_.push_back(std::move(order));
  Order& added = orders_.back();
  publish_report(added, std::nullopt, "", now_);
  return added;
}

void SimulatedExchange::on_approved(const TradeSignalApprovedEvent& signal) {
  if (signal.meta.ts_event > now_) now_ = signal.meta.ts_event;
  Order order;
  order.id = ClientOrderId("gf-" + signal.signal_id.str() + "-entry");
  order.instrument = signal.instrument;
  order.signal = signal.signal_id;
  order.purpose = OrderPurpose::kEntry;
  order.type = signal.order_type;
  order.side = signal.side;
  order.qty = signal.quantity;
  order.limit = signal.limit_price;
  if (halted_) {
    // Approved before the halt reached the risk manager (it was still queued): never placed.
    order.status = OrderStatus::kRejected;
    order.filled = Quantity::from_raw(0, order.qty.precision());
    publish_report(order, std::nullopt, "halted: new entries are refused", now_);
    return;
  }
  protection_[signal.instrument] = Protection{signal.stop_loss, signal.take_profit};
  if (latency_enabled()) order.arrives_at = arrival_time(signal.meta.ts_init, next_order_);
  add_order(std::move(order));
}

void SimulatedExchange::on_close(const ClosePositionCommand& command) {
  if (command.meta.ts_event > now_) now_ = command.meta.ts_event;
  // Entries still working for the pair are cancelled first: closing means flat.
  for (Order& order : orders_) {
    if (order.instrument == command.instrument && order.purpose == OrderPurpose::kEntry) {
      cancel(order, "close requested: " + command.reason);
    }
  }
  cancel_protection(command.instrument, "close requested");
  protection_.erase(command.instrument);
  std::erase_if(orders_, [](const Order& o) { return is_terminal(o.status); });
  const Quantity position = held(command.instrument);
  const Quantity qty = command.quantity ? std::min(*command.quantity, position) : position;
  if (!qty.is_positive()) return;
  Order order;
  order.id = ClientOrderId("gf-exit-" + std::to_string(next_order_));
  order.instrument = command.instrument;
  order.purpose = OrderPurpose::kExit;
  order.type = OrderType::kMarket;
  order.side = Side::kSell;
  order.qty = qty;
  if (latency_enabled()) order.arrives_at = arrival_time(command.meta.ts_init, next_order_);
  add_order(std::move(order));
}

void SimulatedExchange::on_state(const SystemStateEvent& state) {
  halted_ = state.state != SystemState::kRunning;
  if (state.state == SystemState::kStopping) {
    // Paper mode's shutdown: these orders live only in this process and cannot be kept, so each
    // ends as cancelled (also in the stored orders) instead of staying "open" forever.
    for (Order& order : orders_) {
      cancel(order, state.reason + "; simulated orders end with the process");
    }
    orders_.clear();
    return;
  }
  if (state.state != SystemState::kHalted) return;
  // New exposure stops with a halt; protective orders stay so positions remain guarded.
  std::vector<std::pair<InstrumentId, std::optional<SignalId>>> partly_filled;
  for (Order& order : orders_) {
    if (order.purpose != OrderPurpose::kEntry) continue;
    cancel(order, "halted: " + state.reason);
    // What a partly filled entry bought is a position too; it gets its stop and target, as when
    // a limit entry times out. Placed after the loop: adding orders while iterating is unsafe.
    if (order.filled.is_positive()) partly_filled.emplace_back(order.instrument, order.signal);
  }
  std::erase_if(orders_, [](const Order& o) { return is_terminal(o.status); });
  for (const auto& [id, signal] : partly_filled) protect(id, signal);
}

void SimulatedExchange::on_bar(const MarketDataOHLCVEvent& bar) {
  const InstrumentSpec* spec = instruments_.find(bar.instrument);
  if (spec == nullptr) return;
  if (books_.contains(bar.instrument)) {
    // Book-driven pair: its books fill the orders; its bars only age limit entries.
    if (bar.meta.ts_event > now_) now_ = bar.meta.ts_event;
    // Index loop: an expiring, partly filled entry places protective orders.
    const size_t placed = orders_.size();
    for (size_t i = 0; i < placed; ++i) {
      Order& order = orders_[i];
      if (order.instrument != bar.instrument || is_terminal(order.status) ||
          !arrived(order, bar.bar_start))
        continue;
      ++order.bars_seen;
      expire_limit_entry(order);
    }
    std::erase_if(orders_, [](const Order& o) { return is_terminal(o.status); });
    return;
  }
  now_ = bar.bar_start;  // orders fill during this bar, after it opened
  Quantity liquidity =
      bar.volume.scaled(percent_to_ppm(config_.fill_liquidity_ratio * 100.0), kPartsPerMillion,
                        spec->qty_precision, Rounding::kTowardZero);
  // Index loop: fills may add protective orders to the vector.
  for (size_t i = 0; i < orders_.size(); ++i) {
    if (orders_[i].instrument != bar.instrument || is_terminal(orders_[i].status)) continue;
    // An order still on its way (latency) misses a bar that opened before it arrived.
    if (!arrived(orders_[i], bar.bar_start)) continue;
    process_order(orders_[i], bar, *spec, liquidity);
  }
  std::erase_if(orders_, [](const Order& o) { return is_terminal(o.status); });
  now_ = bar.meta.ts_event;
}

void SimulatedExchange::process_order(Order& order, const MarketDataOHLCVEvent& bar,
                                      const InstrumentSpec& spec, Quantity& liquidity) {
  ++order.bars_seen;
  const Quantity remaining = order.qty - order.filled;
  // The share of the bar's volume this order would take, for the volume-impact slippage.
  const double volume_share =
      bar.volume.is_positive() ? ratio(std::min(remaining, liquidity), bar.volume) : 0.0;
  std::optional<Price> price;
  Liquidity side_of_book = Liquidity::kTaker;
  bool market_like = order.type == OrderType::kMarket || order.triggered;
  if (order.type == OrderType::kStopLoss && !order.triggered) {
    const bool touched =
        order.side == Side::kSell ? bar.low <= *order.stop : bar.high >= *order.stop;
    if (touched) {
      order.triggered = true;
      market_like = true;
      // A gap through the stop fills at the open, not at the stop.
      const Price trigger = order.side == Side::kSell ? std::min(bar.open, *order.stop)
                                                      : std::max(bar.open, *order.stop);
      price = slipped(trigger, order.side, spec, volume_share);
      cancel_protection(order.instrument, "one-cancels-other: stop-loss triggered", &order);
    }
  } else if (market_like) {
    price = slipped(bar.open, order.side, spec, volume_share);
  } else if (order.type == OrderType::kLimit || order.type == OrderType::kTakeProfit) {
    const Price limit = *order.limit;
    const bool reached = order.side == Side::kBuy ? bar.low <= limit : bar.high >= limit;
    if (reached) {
      const bool crosses_at_open = order.side == Side::kBuy ? bar.open <= limit : bar.open >= limit;
      price = order.side == Side::kBuy ? std::min(bar.open, limit) : std::max(bar.open, limit);
      side_of_book = crosses_at_open ? Liquidity::kTaker : Liquidity::kMaker;
    }
  }
  if (price) {
    const Quantity qty = std::min(remaining, liquidity);
    if (qty.is_positive()) {
      liquidity -= qty;
      fill(order, *price, qty, side_of_book, spec, bar.bar_start);
    }
  }
  expire_limit_entry(order);
}

void SimulatedExchange::expire_limit_entry(Order& order) {
  if (!is_terminal(order.status) && order.purpose == OrderPurpose::kEntry &&
      order.type == OrderType::kLimit && order.bars_seen >= kLimitEntryTimeoutBars) {
    cancel(order,
           "limit entry not filled within " + std::to_string(kLimitEntryTimeoutBars) + " bars");
    if (order.filled.is_positive()) protect(order.instrument, order.signal);
  }
}

void SimulatedExchange::on_book(const MarketDataL2Event& event) {
  const InstrumentSpec* spec = instruments_.find(event.instrument);
  if (spec == nullptr) return;
  // Local receive time: latency is measured on our clock, from submission to the data we see.
  const Timestamp when = event.meta.ts_init;
  if (when > now_) now_ = when;
  Book& book = books_[event.instrument];
  book.bids = event.bids;
  book.asks = event.asks;
  book.bids_taken.assign(book.bids.size(), Quantity::from_raw(0, spec->qty_precision));
  book.asks_taken.assign(book.asks.size(), Quantity::from_raw(0, spec->qty_precision));
  // Only orders placed before this update: protective orders placed by a fill below act from
  // the next update on.
  const size_t placed = orders_.size();
  for (size_t i = 0; i < placed; ++i) {
    Order& order = orders_[i];
    if (order.instrument != event.instrument || is_terminal(order.status) || !arrived(order, when))
      continue;
    process_book_order(order, book, *spec, when);
  }
  std::erase_if(orders_, [](const Order& o) { return is_terminal(o.status); });
}

void SimulatedExchange::process_book_order(Order& order, Book& book, const InstrumentSpec& spec,
                                           Timestamp when) {
  const bool buying = order.side == Side::kBuy;
  const std::vector<BookLevel>& opposite = buying ? book.asks : book.bids;
  std::vector<Quantity>& taken = buying ? book.asks_taken : book.bids_taken;
  if (order.type == OrderType::kStopLoss && !order.triggered) {
    // A sell stop fires when the best bid (what a sale would get) reaches it; a buy stop when
    // the best ask does.
    if (opposite.empty()) return;
    const Price touch = opposite.front().price;
    const bool touched = buying ? touch >= *order.stop : touch <= *order.stop;
    if (!touched) return;
    order.triggered = true;
    cancel_protection(order.instrument, "one-cancels-other: stop-loss triggered", &order);
  }
  const bool market_like = order.type == OrderType::kMarket || order.triggered;
  if (market_like) {
    take_liquidity(order, opposite, taken, std::nullopt, std::nullopt, spec, when);
    return;
  }
  // Limit entries and take-profits: on arrival the part that crosses the book takes it; after
  // that the order rests at its limit and fills only when the book crosses it.
  const Price limit = *order.limit;
  if (!order.resting) {
    order.resting = true;
    take_liquidity(order, opposite, taken, limit, std::nullopt, spec, when);
  } else {
    take_liquidity(order, opposite, taken, limit, limit, spec, when);
  }
}

void SimulatedExchange::take_liquidity(Order& order, const std::vector<BookLevel>& levels,
                                       std::vector<Quantity>& taken,
                                       const std::optional<Price>& bound,
                                       std::optional<Price> maker_price, const InstrumentSpec& spec,
                                       Timestamp when) {
  for (size_t level = 0; level < levels.size() && !is_terminal(order.status); ++level) {
    const Price price = levels[level].price;
    // Levels are best first: past the first one beyond the limit, none is within it.
    if (bound && (order.side == Side::kBuy ? price > *bound : price < *bound)) break;
    const Quantity available = levels[level].qty - taken[level];
    const Quantity qty = std::min(order.qty - order.filled, available);
    if (!qty.is_positive()) continue;
    taken[level] += qty;
    if (maker_price) {
      fill(order, *maker_price, qty, Liquidity::kMaker, spec, when);
    } else {
      fill(order, price, qty, Liquidity::kTaker, spec, when);
    }
  }
}

Price SimulatedExchange::slipped(Price price, Side side, const InstrumentSpec& spec,
                                 double volume_share) const {
  if (config_.slippage_model == config::SlippageModel::kNone) return price;
  double percent = config_.slippage_pct;
  if (config_.slippage_model == config::SlippageModel::kVolumeImpact) {
    percent += config_.impact_pct_per_volume * volume_share;
  }
  const int64_t ppm = percent_to_ppm(percent);
  // Always against us: buys pay more, sells receive less.
  if (side == Side::kBuy) {
    return spec.round_to_tick(price.scaled(kPartsPerMillion + ppm, kPartsPerMillion,
                                           spec.price_precision, Rounding::kCeiling),
                              Rounding::kCeiling);
  }
  return spec.round_to_tick(price.scaled(kPartsPerMillion - ppm, kPartsPerMillion,
                                         spec.price_precision, Rounding::kFloor),
                            Rounding::kFloor);
}

void SimulatedExchange::fill(Order& order, Price price, Quantity qty, Liquidity liquidity,
                             const InstrumentSpec& spec, Timestamp when) {
  const Money value = spec.cost(price, qty);
  const double fee_pct =
      liquidity == Liquidity::kMaker ? config_.maker_fee_pct : config_.taker_fee_pct;
  // fee = value × fee%, rounded up to the cost precision as Kraken charges it.
  const Money fee = value.scaled(percent_to_ppm(fee_pct), kPartsPerMillion, spec.cost_precision,
                                 Rounding::kAwayFromZero);
  // The average moves toward this fill's price by the fill's share of the filled quantity. Exact
  // for a single fill, unlike Σ value / qty with values rounded to the cost precision
  // (50035.1 × 0.12345678 averaged back to 50035.09998).
  const Quantity filled = order.filled + qty;
  const int64_t share = qty.rescaled(filled.precision(), Rounding::kTowardZero).raw();
  order.average_price +=
      (price - order.average_price)
          .scaled(share, filled.raw(), spec.price_precision + kAveragePriceExtraDecimals,
                  Rounding::kHalfEven);
  order.filled = filled;
  order.status = order.filled == order.qty ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;
  Quantity& position = held_[order.instrument];
  position = order.side == Side::kBuy ? position + qty : position - qty;
  Fill last{
      TradeId("SIM-T" + std::to_string(next_trade_++)), price, qty, fee, spec.quote, liquidity};
  publish_report(order, std::move(last), "", when);
  if (order.purpose == OrderPurpose::kEntry && order.status == OrderStatus::kFilled) {
    protect(order.instrument, order.signal);
  }
  if (order.purpose != OrderPurpose::kEntry && !held(order.instrument).is_positive()) {
    cancel_protection(order.instrument, order.purpose == OrderPurpose::kExit
                                            ? "position closed"
                                            : "one-cancels-other: position closed by the " +
                                                  std::string(to_string(order.purpose)));
    protection_.erase(order.instrument);
  } else if (order.purpose == OrderPurpose::kTakeProfit) {
    // One-cancels-other for a partly filled target: the stop keeps guarding what is left.
    shrink_stops_to_position(order.instrument, when);
  }
}

void SimulatedExchange::shrink_stops_to_position(const InstrumentId& id, Timestamp when) {
  const Quantity position = held(id);
  for (Order& stop : orders_) {
    if (stop.instrument != id || stop.purpose != OrderPurpose::kStopLoss ||
        is_terminal(stop.status))
      continue;
    const Quantity target = stop.filled + position;
    if (target < stop.qty) {
      stop.qty = target;
      publish_report(stop, std::nullopt, "amended to the remaining position", when);
    }
  }
}

void SimulatedExchange::protect(InstrumentId id, std::optional<SignalId> signal) {
  const auto it = protection_.find(id);
  const Quantity position = held(id);
  if (it == protection_.end() || !position.is_positive()) return;
  const std::string prefix = "gf-" + (signal ? signal->str() : std::string("pos")) + "-";
  if (it->second.stop_loss) {
    Order stop;
    stop.id = ClientOrderId(prefix + "sl");
    stop.instrument = id;
    stop.signal = signal;
    stop.purpose = OrderPurpose::kStopLoss;
    stop.type = OrderType::kStopLoss;
    stop.side = Side::kSell;
    stop.qty = position;
    stop.stop = it->second.stop_loss;
    add_order(std::move(stop));
  }
  if (it->second.take_profit) {
    Order target;
    target.id = ClientOrderId(prefix + "tp");
    target.instrument = id;
    target.signal = signal;
    target.purpose = OrderPurpose::kTakeProfit;
    target.type = OrderType::kTakeProfit;
    target.side = Side::kSell;
    target.qty = position;
    target.limit = it->second.take_profit;
    add_order(std::move(target));
  }
}

void SimulatedExchange::cancel_protection(const InstrumentId& id, const std::string& reason,
                                          const Order* keep) {
  for (Order& order : orders_) {
    if (&order == keep || order.instrument != id || is_terminal(order.status)) continue;
    // A triggered stop or a partly filled target is cancelled too: when its sibling fills or the
    // position is closed, whatever it still had to sell would oversell the position.
    if (order.purpose == OrderPurpose::kStopLoss || order.purpose == OrderPurpose::kTakeProfit) {
      cancel(order, reason);
    }
  }
}

void SimulatedExchange::cancel(Order& order, const std::string& reason) {
  if (is_terminal(order.status)) return;
  order.status = OrderStatus::kCanceled;
  publish_report(order, std::nullopt, reason, now_);
}

void SimulatedExchange::publish_report(const Order& order, std::optional<Fill> last_fill,
                                       std::string message, Timestamp when) {
  ExecutionReportEvent report;
  report.meta.ts_event = when;
  report.instrument = order.instrument;
  report.client_order_id = order.id;
  report.exchange_order_id = order.exchange_id;
  report.signal_id = order.signal;
  report.purpose = order.purpose;
  report.status = order.status;
  report.order_type = order.type;
  report.side = order.side;
  report.quantity_ordered = order.qty;
  report.quantity_filled = order.filled;
  if (order.filled.is_positive()) report.average_fill_price = order.average_price;
  report.limit_price = order.limit;
  report.stop_price = order.stop;
  report.last_fill = std::move(last_fill);
  report.message = std::move(message);
  bus_->publish(std::move(report));
}

}  // namespace galfriday
