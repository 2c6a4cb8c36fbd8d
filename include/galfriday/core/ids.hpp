#pragma once
// Strong id types: an order id can never be passed where a trade id is expected.

#include <compare>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace galfriday {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  friend bool operator==(const StrongId&, const StrongId&) = default;

 private:
  std::string value_;
};

// Kraken WS v2 symbol of a spot pair, e.g. "BTC/USD".
using InstrumentId = StrongId<struct InstrumentIdTag>;
// Our id for an order, sent to Kraken as cl_ord_id; derived deterministically from the signal.
using ClientOrderId = StrongId<struct ClientOrderIdTag>;
// Kraken's txid / order_id, e.g. "OU22CG-KLAF2-FWUDD7".
using ExchangeOrderId = StrongId<struct ExchangeOrderIdTag>;
// Exchange trade (fill) id; fills are stored idempotently under it.
using TradeId = StrongId<struct TradeIdTag>;
using SignalId = StrongId<struct SignalIdTag>;

}  // namespace galfriday

template <typename Tag>
struct std::hash<galfriday::StrongId<Tag>> {
  size_t operator()(const galfriday::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
