#pragma once
// The Kraken account the private-API tests share: BTC/USD as Kraken's AssetPairs describes it,
// and an API secret in Kraken's format (the private key of Kraken's documented signing example).

#include <string_view>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday::test {

inline constexpr std::string_view kKrakenExampleSecret =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

inline InstrumentSpec btc_usd_spec() {
  InstrumentSpec spec;
  spec.id = InstrumentId("BTC/USD");
  spec.altname = "XBTUSD";
  spec.base = "BTC";
  spec.quote = "USD";
  spec.price_precision = 1;
  spec.qty_precision = 8;
  spec.cost_precision = 5;
  spec.ordermin = *Quantity::parse("0.0001", 8);
  spec.costmin = *Money::parse("0.5", 5);
  spec.tick_size = *Price::parse("0.1", 1);
  return spec;
}

}  // namespace galfriday::test
