#include "galfriday/history/trade_bar_aggregator.hpp"

#include <utility>

namespace galfriday::history {

TradeBarAggregator::TradeBarAggregator(InstrumentSpec spec, Duration interval)
    : spec_(std::move(spec)), interval_(interval) {}

Timestamp TradeBarAggregator::bar_start_of(Timestamp time) const {
  const int64_t nanos = to_nanos(time);
  const int64_t width = interval_.count();
  int64_t start = nanos - nanos % width;
  if (nanos < 0 && nanos % width != 0) start -= width;  // floor for times before 1970
  return timestamp_from_nanos(start);
}

std::optional<Timestamp> TradeBarAggregator::open_bar_start() const {
  if (!open_) return std::nullopt;
  return open_->bar_start;
}

Result<std::optional<AggregatedBar>> TradeBarAggregator::add(Timestamp time, Price price,
                                                             Quantity qty) {
  if (!price.is_positive())
    return invalid_argument("trade at " + format_iso8601(time) + ": price " + price.to_string() +
                            " is not positive");
  if (qty.is_negative())
    return invalid_argument("trade at " + format_iso8601(time) + ": quantity " + qty.to_string() +
                            " is negative");
  price = price.rescaled(spec_.price_precision, Rounding::kHalfEven);
  qty = qty.rescaled(spec_.qty_precision, Rounding::kHalfEven);
  const Timestamp start = bar_start_of(time);
  std::optional<AggregatedBar> closed;
  if (open_) {
    if (start < open_->bar_start)
      return invalid_argument("trade at " + format_iso8601(time) +
                              " is older than the open bar starting " +
                              format_iso8601(open_->bar_start) + " (trades out of order)");
    if (start > open_->bar_start) closed = finish();
  }
  if (!open_) {
    MarketDataOHLCVEvent bar;
    bar.instrument = spec_.id;
    bar.bar_start = start;
    bar.interval = interval_;
    bar.open = bar.high = bar.low = bar.close = price;
    bar.volume = Quantity::from_raw(0, spec_.qty_precision);
    bar.meta.ts_event = bar.meta.ts_init = start + interval_;
    open_ = bar;
  }
  MarketDataOHLCVEvent& bar = *open_;
  if (price > bar.high) bar.high = price;
  if (price < bar.low) bar.low = price;
  bar.close = price;
  bar.volume += qty;
  ++bar.trade_count;
  notional_raw_ += static_cast<fixed_point_detail::Int128>(price.raw()) * qty.raw();
  volume_raw_ += qty.raw();
  return closed;
}

std::optional<AggregatedBar> TradeBarAggregator::close_if_ended(Timestamp now) {
  if (!open_ || open_->bar_start + interval_ > now) return std::nullopt;
  return finish();
}

AggregatedBar TradeBarAggregator::finish() {
  AggregatedBar out;
  out.bar = *open_;
  // All trades of zero volume: the VWAP is undefined; the close stands in for it.
  out.vwap = volume_raw_ == 0
                 ? out.bar.close
                 : Price::from_raw(fixed_point_detail::divide_rounded(notional_raw_, volume_raw_,
                                                                      Rounding::kHalfEven),
                                   spec_.price_precision);
  open_.reset();
  notional_raw_ = 0;
  volume_raw_ = 0;
  return out;
}

}  // namespace galfriday::history
