#include "galfriday/market/instrument.hpp"

namespace galfriday {

Price InstrumentSpec::round_to_tick(Price price, Rounding rounding) const {
  const Price at_precision = price.rescaled(price_precision, rounding);
  const Price tick = tick_size.rescaled(price_precision, Rounding::kTowardZero);
  if (!tick.is_positive()) return at_precision;
  // A multiple of the tick: round raw / tick_raw, then scale back.
  const int64_t ticks =
      Price::from_raw(at_precision.raw(), 0).scaled(1, tick.raw(), 0, rounding).raw();
  return Price::from_raw(ticks * tick.raw(), price_precision);
}

Status InstrumentRegistry::add(InstrumentSpec spec) {
  if (find(spec.id) != nullptr)
    return {StatusCode::kAlreadyExists, "instrument " + spec.id.str() + " is listed twice"};
  specs_.push_back(std::move(spec));
  return Status::ok();
}

const InstrumentSpec* InstrumentRegistry::find(const InstrumentId& id) const {
  for (const auto& spec : specs_) {
    if (spec.id == id) return &spec;
  }
  return nullptr;
}

const InstrumentSpec* InstrumentRegistry::find_by_altname(std::string_view altname) const {
  for (const auto& spec : specs_) {
    if (spec.altname == altname) return &spec;
  }
  return nullptr;
}

}  // namespace galfriday
