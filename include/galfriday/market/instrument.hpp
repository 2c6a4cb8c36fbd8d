#pragma once
// Instrument specifications: what the exchange allows for one spot pair (precisions, minimums,
// tick). Every price and quantity of a pair is held at these precisions.

#include <map>
#include <string>
#include <vector>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/status.hpp"

namespace galfriday {

struct InstrumentSpec {
  InstrumentId id;          // "BTC/USD"
  std::string altname;      // "XBTUSD"
  std::string base;         // "BTC"
  std::string quote;        // "USD"
  int price_precision = 0;  // pair_decimals
  int qty_precision = 0;    // lot_decimals
  int cost_precision = 0;   // cost_decimals
  Quantity ordermin;
  Money costmin;
  Price tick_size;

  Result<Price> parse_price(std::string_view text) const {
    return Price::parse(text, price_precision);
  }
  Result<Quantity> parse_qty(std::string_view text) const {
    return Quantity::parse(text, qty_precision);
  }

  // Rounds a price to a multiple of tick_size (floor or ceiling as given).
  Price round_to_tick(Price price, Rounding rounding) const;
  // Rounds a quantity down to the lot precision.
  Quantity round_qty_down(Quantity qty) const {
    return qty.rescaled(qty_precision, Rounding::kTowardZero);
  }
  // Value of qty at price, in the quote currency at cost precision (rounded half-even).
  Money cost(Price price, Quantity qty) const {
    return notional(price, qty, cost_precision, Rounding::kHalfEven);
  }
};

// The instruments a run trades, looked up by id or by REST altname.
class InstrumentRegistry {
 public:
  Status add(InstrumentSpec spec);
  const InstrumentSpec* find(const InstrumentId& id) const;
  const InstrumentSpec* find_by_altname(std::string_view altname) const;
  const std::vector<InstrumentSpec>& all() const { return specs_; }

 private:
  std::vector<InstrumentSpec> specs_;
};

}  // namespace galfriday
