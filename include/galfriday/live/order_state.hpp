#pragma once
// OrderStateMachine: the state of one live order, advanced by updates from the WS v2
// `executions` channel and from REST polling, which can arrive twice, late or out of order.
//
// Statuses and the transitions Kraken can produce (anything else is illegal):
//
//   pending_new ──► new ──► partially_filled ──► filled
//        │           │             │  ▲ (more fills)
//        │           └─────────────┴──┴──► canceled | expired
//        ├──► partially_filled | filled | canceled | expired   (acks may be skipped)
//        └──► rejected                                          (only before the exchange took it)
//
// Rules for messages that do not fit the current state:
//  - fills are identified by their exec id (Kraken's execution id; trade id when there is
//    none): a fill seen before is a duplicate and is never counted again, whatever its status;
//    a new fill is counted even when it arrives after a terminal status (a fill that happened
//    before a cancel but was reported after it), so quantities stay exact;
//  - fills that reach the ordered quantity make the order filled, whatever status the message
//    names;
//  - a non-terminal status behind the current one (a late "new" after "partially_filled", or
//    anything non-terminal after a terminal status) is stale and ignored;
//  - a terminal status contradicting another terminal status (canceled after filled), a reject
//    after the exchange accepted the order, or fills above the ordered quantity are illegal:
//    apply() returns an error and changes nothing, because our books and the exchange's
//    disagree (the caller halts, per STYLE.md).
//
// Quantities are exact: the filled quantity is the sum of distinct fills at the lot precision,
// and the average price is Σ price × qty / Σ qty computed exactly in 128 bits and rounded once,
// half-even, to the price precision plus kAveragePriceExtraDecimals.
//
// Not thread-safe: one per order, owned by the execution handler on the engine thread.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"

namespace galfriday::live {

inline constexpr int kAveragePriceExtraDecimals = 4;

// One fill as an update reports it.
struct FillUpdate {
  std::string exec_id;  // unique per fill; the idempotency key
  TradeId trade_id;     // stored with the fill (FillRepository key)
  Price price;
  Quantity qty;
  Money fee;
  std::string fee_currency;
  Liquidity liquidity = Liquidity::kTaker;
};

// What one message says about an order; every field is optional because Kraken sends only
// what changed (a cancel may carry just the order id and status).
struct OrderUpdateMessage {
  std::optional<OrderStatus> status;
  std::optional<ExchangeOrderId> exchange_order_id;
  std::optional<FillUpdate> fill;
  std::optional<Quantity> cum_qty;  // the exchange's cumulative filled quantity after it
  std::string reason;               // cancel or reject reason
  Timestamp ts{};                   // exchange time
};

enum class UpdateOutcome {
  kApplied,    // status and/or fill changed the order: report it
  kDuplicate,  // already known: nothing to report
  kStale,      // older than what we know: ignored
};
std::string_view to_string(UpdateOutcome outcome);

// Whether Kraken can move an order from `from` to `to` (a different status).
bool is_transition_allowed(OrderStatus from, OrderStatus to);

class OrderStateMachine {
 public:
  // `ordered` at the lot precision; prices are held at `price_precision`.
  OrderStateMachine(Quantity ordered, int price_precision,
                    OrderStatus initial = OrderStatus::kPendingNew);

  // kFailedPrecondition for an illegal transition, kDataLoss for fills above the ordered
  // quantity or a fill whose values are inconsistent (non-positive quantity, negative price);
  // the state is unchanged on error.
  Result<UpdateOutcome> apply(const OrderUpdateMessage& message);

  OrderStatus status() const { return status_; }
  Quantity ordered() const { return ordered_; }
  Quantity filled() const { return filled_; }
  Quantity remaining() const { return ordered_ - filled_; }
  std::optional<Price> average_price() const;
  const std::optional<ExchangeOrderId>& exchange_order_id() const { return exchange_order_id_; }
  // The exchange reported more filled quantity (cum_qty) than the fills we have seen: fills to
  // fetch (TradesHistory) before the books are complete. Zero when none are missing.
  Quantity unbooked() const;
  bool has_fill(const std::string& exec_id) const { return exec_ids_.count(exec_id) != 0; }

 private:
  Quantity ordered_;
  int price_precision_;
  OrderStatus status_;
  Quantity filled_;
  Quantity exchange_cum_qty_;
  fixed_point_detail::Int128 notional_raw_ = 0;  // Σ price_raw × qty_raw
  std::optional<ExchangeOrderId> exchange_order_id_;
  std::unordered_set<std::string> exec_ids_;
};

}  // namespace galfriday::live
