#include "galfriday/core/fixed_point.hpp"

#include <cmath>
#include <limits>
#include <optional>

namespace galfriday {
namespace fixed_point_detail {
namespace {

constexpr int kMaxExponentDigits = 4;

// A decimal number split into its significant digits and a power of ten:
// value = sign × digits × 10^exponent, with digits holding no leading zeros.
struct DecimalParts {
  bool negative = false;
  std::string_view integer_digits;
  std::string_view fraction_digits;
  int exponent = 0;
};

std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text.substr(0, 64));
  if (text.size() > 64) out += "...";
  out += "'";
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Result<DecimalParts> split_decimal(std::string_view text) {
  DecimalParts parts;
  size_t pos = 0;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    parts.negative = text[pos] == '-';
    ++pos;
  }
  const size_t integer_start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  parts.integer_digits = text.substr(integer_start, pos - integer_start);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t fraction_start = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    parts.fraction_digits = text.substr(fraction_start, pos - fraction_start);
  }
  if (parts.integer_digits.empty() && parts.fraction_digits.empty()) {
    return invalid_argument(quoted(text) + " is not a decimal number");
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool negative_exponent = false;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
      negative_exponent = text[pos] == '-';
      ++pos;
    }
    const size_t exponent_start = pos;
    int exponent = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (pos - exponent_start >= kMaxExponentDigits) {
        return out_of_range(quoted(text) + " has an exponent that is too large");
      }
      exponent = exponent * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == exponent_start) return invalid_argument(quoted(text) + " is not a decimal number");
    parts.exponent = negative_exponent ? -exponent : exponent;
  }
  if (pos != text.size()) return invalid_argument(quoted(text) + " is not a decimal number");
  return parts;
}

// The form bar files and exchange messages use: optional '-', digits, optional '.' and at most
// `precision` decimals, 18 digits or fewer once scaled. It fits int64 exactly, so it is read in
// one pass (a backtest parses five per bar); anything else (exponents, '+', excess decimals,
// long numbers, malformed text) returns nullopt and takes the general path and its errors.
std::optional<int64_t> parse_plain_raw(std::string_view text, int precision) {
  constexpr int kMaxDigits = 18;  // 10^18 - 1 < 2^63
  size_t pos = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) pos = 1;
  int64_t raw = 0;
  int digits = 0;
  int decimals = -1;  // -1 until the '.'
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (is_digit(c)) {
      if (++digits > kMaxDigits) return std::nullopt;
      raw = raw * 10 + (c - '0');
      if (decimals >= 0) ++decimals;
    } else if (c == '.' && decimals < 0) {
      decimals = 0;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  if (decimals < 0) decimals = 0;
  if (decimals > precision || digits + (precision - decimals) > kMaxDigits) return std::nullopt;
  for (int i = decimals; i < precision; ++i) raw *= 10;
  return negative ? -raw : raw;
}

}  // namespace

Result<int64_t> parse_raw(std::string_view text, int precision) {
  if (const std::optional<int64_t> plain = parse_plain_raw(text, precision)) return *plain;
  auto parts = split_decimal(text);
  if (!parts) return parts.status();
  // The digits, read left to right, each worth 10^(place). A digit whose place lies below
  // 10^-precision must be zero; the rest accumulate into the raw value.
  const int fraction_size = static_cast<int>(parts->fraction_digits.size());
  const int lowest_place = parts->exponent - fraction_size;
  const int total_digits = static_cast<int>(parts->integer_digits.size()) + fraction_size;
  Int128 raw = 0;
  constexpr Int128 kLimit = static_cast<Int128>(std::numeric_limits<int64_t>::max()) + 1;
  for (int i = 0; i < total_digits; ++i) {
    const char c =
        i < static_cast<int>(parts->integer_digits.size())
            ? parts->integer_digits[static_cast<size_t>(i)]
            : parts->fraction_digits[static_cast<size_t>(i) - parts->integer_digits.size()];
    const int digit = c - '0';
    const int place = lowest_place + (total_digits - 1 - i);
    if (place < -precision) {
      if (digit != 0) {
        return invalid_argument(quoted(text) + " has more decimals than the allowed " +
                                std::to_string(precision));
      }
      continue;
    }
    raw = raw * 10 + digit;
    if (raw > kLimit) break;
  }
  // Scale up for digits that stopped above 10^-precision ("12e3", or "1.5" at precision 8).
  const int missing_places = lowest_place + precision;
  for (int i = 0; i < missing_places && raw <= kLimit && raw != 0; ++i) raw *= 10;
  if (raw > kLimit || (raw == kLimit && !parts->negative)) {
    return out_of_range(quoted(text) + " is too large for precision " + std::to_string(precision));
  }
  return static_cast<int64_t>(parts->negative ? -raw : raw);
}

Result<int> infer_precision(std::string_view text) {
  auto parts = split_decimal(text);
  if (!parts) return parts.status();
  // Trailing zeros count: "1.2300" keeps four decimals, as the exchange printed it.
  const int decimals = static_cast<int>(parts->fraction_digits.size()) - parts->exponent;
  if (decimals > kMaxPrecision) {
    return invalid_argument(quoted(text) + " has more than " + std::to_string(kMaxPrecision) +
                            " decimals");
  }
  return decimals < 0 ? 0 : decimals;
}

std::string format_raw(int64_t raw, int precision) {
  const bool negative = raw < 0;
  // Work on the unsigned magnitude so INT64_MIN prints correctly.
  uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(raw) : static_cast<uint64_t>(raw);
  char buffer[48];
  int pos = sizeof(buffer);
  int digits = 0;
  do {
    buffer[--pos] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
    ++digits;
    if (digits == precision) buffer[--pos] = '.';
  } while (magnitude != 0 || digits < precision);
  if (buffer[pos] == '.') buffer[--pos] = '0';
  if (negative) buffer[--pos] = '-';
  return std::string(buffer + pos, sizeof(buffer) - static_cast<size_t>(pos));
}

int64_t checked_narrow(Int128 value) {
  if (value > std::numeric_limits<int64_t>::max() || value < std::numeric_limits<int64_t>::min()) {
    throw ArithmeticOverflow("fixed-point result exceeds the 64-bit range");
  }
  return static_cast<int64_t>(value);
}

Int128 scale_up(int64_t raw, int from_precision, int to_precision) {
  Int128 value = raw;
  for (int i = from_precision; i < to_precision; ++i) value *= 10;
  return value;
}

int64_t divide_rounded(Int128 numerator, Int128 denominator, Rounding rounding) {
  Int128 quotient = numerator / denominator;  // truncates toward zero
  const Int128 remainder = numerator % denominator;
  if (remainder != 0) {
    const bool negative = numerator < 0;
    const Int128 twice_remainder = (remainder < 0 ? -remainder : remainder) * 2;
    bool away = false;
    switch (rounding) {
      case Rounding::kTowardZero:
        away = false;
        break;
      case Rounding::kAwayFromZero:
        away = true;
        break;
      case Rounding::kFloor:
        away = negative;
        break;
      case Rounding::kCeiling:
        away = !negative;
        break;
      case Rounding::kHalfEven:
        away = twice_remainder > denominator ||
               (twice_remainder == denominator && (quotient % 2 != 0));
        break;
    }
    if (away) quotient += negative ? -1 : 1;
  }
  return checked_narrow(quotient);
}

}  // namespace fixed_point_detail

int64_t percent_to_ppm(double percent) { return std::llround(percent * 10'000.0); }

namespace {

// numerator_value / denominator_value at `precision`, for values given as raw and precision.
int64_t divide_values(int64_t numerator_raw, int numerator_precision, int64_t denominator_raw,
                      int denominator_precision, int precision, Rounding rounding) {
  using namespace fixed_point_detail;
  // n/10^a ÷ d/10^b = r/10^p  =>  r = n·10^(p+b-a) / d
  const int shift = precision + denominator_precision - numerator_precision;
  Int128 numerator = numerator_raw;
  Int128 denominator = denominator_raw;
  if (shift >= 0) {
    numerator *= pow10(shift);
  } else {
    denominator *= pow10(-shift);
  }
  return divide_rounded(numerator, denominator, rounding);
}

}  // namespace

Price price_for(Money amount, Quantity qty, int precision, Rounding rounding) {
  if (!qty.is_positive()) throw std::invalid_argument("price_for: quantity must be positive");
  return Price::from_raw(divide_values(amount.raw(), amount.precision(), qty.raw(), qty.precision(),
                                       precision, rounding),
                         precision);
}

Quantity quantity_for(Money amount, Price price, int precision, Rounding rounding) {
  if (!price.is_positive()) throw std::invalid_argument("quantity_for: price must be positive");
  return Quantity::from_raw(divide_values(amount.raw(), amount.precision(), price.raw(),
                                          price.precision(), precision, rounding),
                            precision);
}

}  // namespace galfriday
