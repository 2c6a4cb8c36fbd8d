// OrderStateMachine: Kraken order statuses with duplicate/stale/illegal message handling.

#include "galfriday/live/order_state.hpp"

#include <algorithm>
#include <string>

namespace galfriday::live {
namespace {

// Progress of an order; a status behind the current one is stale.
int rank(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPendingNew:
      return 0;
    case OrderStatus::kNew:
      return 1;
    case OrderStatus::kPartiallyFilled:
      return 2;
    case OrderStatus::kFilled:
    case OrderStatus::kCanceled:
    case OrderStatus::kExpired:
    case OrderStatus::kRejected:
      return 3;
  }
  return 0;
}

std::string transition_text(OrderStatus from, OrderStatus to) {
  return std::string(galfriday::to_string(from)) + " -> " + std::string(galfriday::to_string(to));
}

}  // namespace

std::string_view to_string(UpdateOutcome outcome) {
  switch (outcome) {
    case UpdateOutcome::kApplied:
      return "applied";
    case UpdateOutcome::kDuplicate:
      return "duplicate";
    case UpdateOutcome::kStale:
      return "stale";
  }
  return "unknown";
}

bool is_transition_allowed(OrderStatus from, OrderStatus to) {
  if (from == to || is_terminal(from)) return false;
  if (to == OrderStatus::kRejected) return from == OrderStatus::kPendingNew;
  if (to == OrderStatus::kPendingNew) return false;
  // Forward moves only; partially_filled -> partially_filled (another fill) is not a status change.
  return rank(to) > rank(from);
}

OrderStateMachine::OrderStateMachine(Quantity ordered, int price_precision, OrderStatus initial)
    : ordered_(ordered),
      price_precision_(price_precision),
      status_(initial),
      filled_(Quantity::from_raw(0, ordered.precision())),
      exchange_cum_qty_(Quantity::from_raw(0, ordered.precision())) {}

Result<UpdateOutcome> OrderStateMachine::apply(const OrderUpdateMessage& message) {
  // --- Validate and decide everything first; mutate only when the whole message is legal. ---
  if (message.exchange_order_id && exchange_order_id_ &&
      *message.exchange_order_id != *exchange_order_id_) {
    return data_loss("update for order " + exchange_order_id_->str() + " carries order id " +
                     message.exchange_order_id->str());
  }

  bool new_fill = false;
  Quantity fill_qty;
  Price fill_price;
  if (message.fill) {
    const FillUpdate& fill = *message.fill;
    if (fill.exec_id.empty()) return data_loss("fill without an execution id");
    new_fill = exec_ids_.count(fill.exec_id) == 0;
    if (new_fill) {
      if (!fill.qty.is_positive()) {
        return data_loss("fill " + fill.exec_id + " has quantity " + fill.qty.to_string());
      }
      if (!fill.price.is_positive()) {
        return data_loss("fill " + fill.exec_id + " has price " + fill.price.to_string());
      }
      fill_qty = fill.qty.rescaled(ordered_.precision(), Rounding::kTowardZero);
      fill_price = fill.price.rescaled(price_precision_, Rounding::kTowardZero);
      if (fill_qty != fill.qty || fill_price != fill.price) {
        return data_loss("fill " + fill.exec_id + " (" + fill.qty.to_string() + " @ " +
                         fill.price.to_string() + ") has more decimals than the pair allows");
      }
      if (status_ == OrderStatus::kRejected) {
        return failed_precondition("fill " + fill.exec_id + " on an order the exchange rejected");
      }
      if (filled_ + fill_qty > ordered_) {
        return data_loss("fill " + fill.exec_id + " of " + fill_qty.to_string() +
                         " takes the order to " + (filled_ + fill_qty).to_string() +
                         ", above the ordered " + ordered_.to_string());
      }
    }
  }
  if (message.cum_qty && *message.cum_qty > ordered_) {
    return data_loss("cumulative quantity " + message.cum_qty->to_string() +
                     " is above the ordered " + ordered_.to_string());
  }

  const Quantity filled_after = new_fill ? filled_ + fill_qty : filled_;
  std::optional<OrderStatus> target = message.status;
  if (!target && new_fill) {
    target = filled_after == ordered_ ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;
  }

  // Fills that reach the ordered quantity fill the order, whatever status the message names
  // (Kraken's own docs example reports its only, complete fill as partially_filled).
  if (new_fill && filled_after == ordered_ && !is_terminal(status_)) target = OrderStatus::kFilled;

  bool status_changes = false;
  bool status_stale = false;
  if (target && *target != status_) {
    if (is_transition_allowed(status_, *target)) {
      status_changes = true;
    } else if (status_ == OrderStatus::kRejected || *target == OrderStatus::kRejected ||
               (is_terminal(status_) && is_terminal(*target))) {
      return failed_precondition("illegal order status change " +
                                 transition_text(status_, *target));
    } else {
      status_stale = true;  // a non-terminal status behind the current one
    }
  }
  const bool cum_regressed = message.cum_qty && *message.cum_qty < exchange_cum_qty_;

  // --- Apply. ---
  if (message.exchange_order_id && !exchange_order_id_)
    exchange_order_id_ = message.exchange_order_id;
  if (message.cum_qty && *message.cum_qty > exchange_cum_qty_) exchange_cum_qty_ = *message.cum_qty;
  if (new_fill) {
    exec_ids_.insert(message.fill->exec_id);
    filled_ = filled_after;
    notional_raw_ += static_cast<fixed_point_detail::Int128>(fill_price.raw()) * fill_qty.raw();
    if (exchange_cum_qty_ < filled_) exchange_cum_qty_ = filled_;
  }
  if (status_changes) status_ = *target;

  if (status_changes || new_fill) return UpdateOutcome::kApplied;
  if (message.fill) return UpdateOutcome::kDuplicate;  // a fill seen before, replayed
  if (status_stale || cum_regressed) return UpdateOutcome::kStale;
  return UpdateOutcome::kDuplicate;
}

std::optional<Price> OrderStateMachine::average_price() const {
  if (!filled_.is_positive()) return std::nullopt;
  using namespace fixed_point_detail;
  const int precision = std::min(price_precision_ + kAveragePriceExtraDecimals, kMaxPrecision);
  // notional is at price_precision + qty_precision; / filled (qty_precision) leaves price scale.
  const Int128 numerator = notional_raw_ * pow10(precision - price_precision_);
  return Price::from_raw(divide_rounded(numerator, filled_.raw(), Rounding::kHalfEven), precision);
}

Quantity OrderStateMachine::unbooked() const {
  return exchange_cum_qty_ > filled_ ? exchange_cum_qty_ - filled_
                                     : Quantity::from_raw(0, ordered_.precision());
}

}  // namespace galfriday::live
