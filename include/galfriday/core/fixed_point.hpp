#pragma once
// Exact decimal fixed-point values for money: Price, Quantity and Money.
//
// A value is a signed 64-bit integer count of 10^-precision units, where precision is the
// instrument's (Kraken pair_decimals for prices, lot_decimals for quantities). Values parse
// from decimal text and print back at exactly their precision; no double is ever involved.
// Values of different precisions compare by numeric value (1.0 == 1.00) and add at the larger
// precision. Arithmetic is checked: an overflow is a broken invariant in trading state and
// throws ArithmeticOverflow, which the bus turns into a SystemErrorEvent (and a halt).
// Parsing is input validation and returns a Result instead.

#include <compare>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"

namespace galfriday {

// 10^18 is the largest power of ten an int64 holds.
inline constexpr int kMaxPrecision = 18;

enum class Rounding {
  kTowardZero,    // truncate: order sizes rounded down to the lot precision
  kAwayFromZero,  // conservative fees
  kFloor,         // toward -infinity
  kCeiling,       // toward +infinity
  kHalfEven,      // banker's rounding: reports and neutral conversions
};

class ArithmeticOverflow : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

namespace fixed_point_detail {

__extension__ typedef __int128 Int128;  // GCC/Clang 128-bit integer

constexpr int64_t pow10(int exponent) {
  int64_t result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

// The decimal text of a number, its digits and power of ten, before fitting a precision.
Result<int64_t> parse_raw(std::string_view text, int precision);
Result<int> infer_precision(std::string_view text);
std::string format_raw(int64_t raw, int precision);

// round(numerator / denominator) with the given mode; denominator > 0. Throws on int64
// overflow of the quotient.
int64_t divide_rounded(Int128 numerator, Int128 denominator, Rounding rounding);
int64_t checked_narrow(Int128 value);
Int128 scale_up(int64_t raw, int from_precision, int to_precision);

}  // namespace fixed_point_detail

template <typename Tag>
class FixedPoint {
 public:
  // Zero at precision 0.
  constexpr FixedPoint() = default;

  static constexpr FixedPoint from_raw(int64_t raw, int precision) {
    return FixedPoint(raw, precision);
  }

  // Parses decimal text ("30306.1", "-0.00100000", "1e-05") at the given precision. Extra
  // decimals that are zeros are accepted ("0.10000" at precision 1); non-zero digits beyond the
  // precision are an error, as is a value outside the int64 range at that precision.
  static Result<FixedPoint> parse(std::string_view text, int precision) {
    if (precision < 0 || precision > kMaxPrecision) {
      return out_of_range("precision " + std::to_string(precision) + " is outside 0.." +
                          std::to_string(kMaxPrecision));
    }
    auto raw = fixed_point_detail::parse_raw(text, precision);
    if (!raw) return raw.status();
    return FixedPoint(*raw, precision);
  }

  // Parses decimal text at the precision the text itself shows ("1.2300" -> precision 4).
  static Result<FixedPoint> parse(std::string_view text) {
    auto precision = fixed_point_detail::infer_precision(text);
    if (!precision) return precision.status();
    return parse(text, *precision);
  }

  constexpr int64_t raw() const { return raw_; }
  constexpr int precision() const { return precision_; }
  constexpr bool is_zero() const { return raw_ == 0; }
  constexpr bool is_positive() const { return raw_ > 0; }
  constexpr bool is_negative() const { return raw_ < 0; }

  // Exact text at this value's precision: "37500.0", "0.00100000", "-2".
  std::string to_string() const { return fixed_point_detail::format_raw(raw_, precision_); }

  // For features, model inputs and reports only; never feed the result back into money.
  double to_double() const {
    return static_cast<double>(raw_) / static_cast<double>(fixed_point_detail::pow10(precision_));
  }

  // The same value at another precision, rounded when precision drops. Throws on overflow.
  FixedPoint rescaled(int precision, Rounding rounding) const {
    using namespace fixed_point_detail;
    if (precision >= precision_)
      return FixedPoint(checked_narrow(scale_up(raw_, precision_, precision)), precision);
    return FixedPoint(divide_rounded(raw_, pow10(precision_ - precision), rounding), precision);
  }

  // value × numerator / denominator at `precision`, rounded. For percentages and ratios
  // (stop = entry × (1 − 2%) is entry.scaled(98, 100, ...)). denominator must be positive.
  FixedPoint scaled(int64_t numerator, int64_t denominator, int precision,
                    Rounding rounding) const {
    using namespace fixed_point_detail;
    if (denominator <= 0)
      throw std::invalid_argument("FixedPoint::scaled: denominator must be > 0");
    Int128 value = static_cast<Int128>(raw_) * numerator;
    if (precision >= precision_) {
      value *= pow10(precision - precision_);
      return FixedPoint(divide_rounded(value, denominator, rounding), precision);
    }
    return FixedPoint(
        divide_rounded(value, static_cast<Int128>(denominator) * pow10(precision_ - precision),
                       rounding),
        precision);
  }

  FixedPoint operator-() const {
    if (raw_ == INT64_MIN) throw ArithmeticOverflow("negation of the smallest fixed-point value");
    return FixedPoint(-raw_, precision_);
  }
  FixedPoint abs() const { return raw_ < 0 ? -*this : *this; }

  friend FixedPoint operator+(FixedPoint a, FixedPoint b) { return add(a, b, 1); }
  friend FixedPoint operator-(FixedPoint a, FixedPoint b) { return add(a, b, -1); }
  FixedPoint& operator+=(FixedPoint other) { return *this = *this + other; }
  FixedPoint& operator-=(FixedPoint other) { return *this = *this - other; }

  friend std::strong_ordering operator<=>(FixedPoint a, FixedPoint b) {
    if (a.precision_ == b.precision_) return a.raw_ <=> b.raw_;
    const int precision = a.precision_ > b.precision_ ? a.precision_ : b.precision_;
    const auto lhs = fixed_point_detail::scale_up(a.raw_, a.precision_, precision);
    const auto rhs = fixed_point_detail::scale_up(b.raw_, b.precision_, precision);
    return lhs < rhs ? std::strong_ordering::less
                     : (lhs > rhs ? std::strong_ordering::greater : std::strong_ordering::equal);
  }
  friend bool operator==(FixedPoint a, FixedPoint b) { return (a <=> b) == 0; }

 private:
  constexpr FixedPoint(int64_t raw, int precision) : raw_(raw), precision_(precision) {}

  static FixedPoint add(FixedPoint a, FixedPoint b, int sign) {
    const int precision = a.precision_ > b.precision_ ? a.precision_ : b.precision_;
    const auto lhs = fixed_point_detail::scale_up(a.raw_, a.precision_, precision);
    const auto rhs = fixed_point_detail::scale_up(b.raw_, b.precision_, precision);
    return FixedPoint(fixed_point_detail::checked_narrow(sign > 0 ? lhs + rhs : lhs - rhs),
                      precision);
  }

  int64_t raw_ = 0;
  int precision_ = 0;
};

struct PriceTag {};
struct QuantityTag {};
struct MoneyTag {};

using Price = FixedPoint<PriceTag>;        // quote currency per unit of base
using Quantity = FixedPoint<QuantityTag>;  // units of base currency
using Money = FixedPoint<MoneyTag>;        // an amount of one currency (balances, fees, P&L)

// price × quantity, exact through 128 bits, rounded to `precision`.
inline Money notional(Price price, Quantity quantity, int precision, Rounding rounding) {
  using namespace fixed_point_detail;
  const int exact_precision = price.precision() + quantity.precision();
  const Int128 product = static_cast<Int128>(price.raw()) * quantity.raw();
  if (precision >= exact_precision) {
    const Int128 scaled = product * pow10(precision - exact_precision);
    return Money::from_raw(checked_narrow(scaled), precision);
  }
  return Money::from_raw(divide_rounded(product, pow10(exact_precision - precision), rounding),
                         precision);
}

// amount / price: how many units `amount` buys at `price`, rounded to `precision`.
// Throws std::invalid_argument when price is not positive.
Quantity quantity_for(Money amount, Price price, int precision, Rounding rounding);

inline constexpr int64_t kPartsPerMillion = 1'000'000;

// A configured percentage (2.5 means 2.5 %) as parts per million, so percentages of money are
// applied exactly with FixedPoint::scaled(ppm, kPartsPerMillion, ...). Exact for percentages
// written with up to four decimals.
int64_t percent_to_ppm(double percent);

// amount / qty: the price per unit that `amount` paid for `qty` (average fill prices),
// rounded to `precision`. Throws std::invalid_argument when qty is not positive.
Price price_for(Money amount, Quantity qty, int precision, Rounding rounding);

// a / b as a double, for ratios in reports and risk checks (never for money itself).
template <typename TagA, typename TagB>
double ratio(FixedPoint<TagA> a, FixedPoint<TagB> b) {
  return a.to_double() / b.to_double();
}

}  // namespace galfriday

template <typename Tag>
struct std::hash<galfriday::FixedPoint<Tag>> {
  size_t operator()(galfriday::FixedPoint<Tag> value) const noexcept {
    // Equal values at different precisions must hash alike: hash the value at max precision.
    const auto normalized = galfriday::fixed_point_detail::scale_up(value.raw(), value.precision(),
                                                                    galfriday::kMaxPrecision);
    return std::hash<int64_t>{}(static_cast<int64_t>(normalized)) ^
           std::hash<int64_t>{}(static_cast<int64_t>(normalized >> 64));
  }
};
