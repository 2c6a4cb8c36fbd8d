#pragma once
// TradeBarAggregator: builds OHLCV bars of one interval from a time-ordered trade stream, the
// way deeper history than Kraken's 720 REST OHLC bars is made. Exact: prices and volumes are
// fixed point at the instrument's precisions, and the VWAP is sum(price x qty) / sum(qty)
// accumulated in 128 bits and rounded half-even once, at the price precision.
//
// Bars are aligned to multiples of the interval since the Unix epoch (as Kraken's are). An
// interval without trades produces no bar (it shows as a gap). Not thread-safe.

#include <cstdint>
#include <optional>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday::history {

struct AggregatedBar {
  // meta.ts_event = meta.ts_init = bar close (bar_start + interval), sequence 0: the same
  // shape BarRepository and the CSV reader use.
  MarketDataOHLCVEvent bar;
  Price vwap;
};

class TradeBarAggregator {
 public:
  // interval must be positive.
  TradeBarAggregator(InstrumentSpec spec, Duration interval);

  // Adds one trade. Returns the bar it closed, if it starts a later interval than the open
  // bar. kInvalidArgument for a trade older than the open bar's interval (out of order) or a
  // non-positive price or negative quantity.
  Result<std::optional<AggregatedBar>> add(Timestamp time, Price price, Quantity qty);

  // The open bar, if its interval has ended by `now` (no later trade can belong to it), and
  // clears it. nullopt otherwise.
  std::optional<AggregatedBar> close_if_ended(Timestamp now);

  // Start of the open bar, nullopt when none.
  std::optional<Timestamp> open_bar_start() const;

  Duration interval() const { return interval_; }
  Timestamp bar_start_of(Timestamp time) const;

 private:
  AggregatedBar finish();

  InstrumentSpec spec_;
  Duration interval_;
  std::optional<MarketDataOHLCVEvent> open_;
  fixed_point_detail::Int128 notional_raw_ = 0;  // sum of price.raw x qty.raw
  fixed_point_detail::Int128 volume_raw_ = 0;    // sum of qty.raw
};

}  // namespace galfriday::history
