#pragma once
// Word-at-a-time reading of plain decimals ("29430.2", "0.18967538", "4"): digits, then
// optionally '.' and digits, no sign and no exponent, as Kraken writes book prices and
// quantities. The WebSocket decoder reads every number token with it while validating the JSON
// (and records the value in the DecimalText), and the order book reads with it the texts that
// came another way; both fall back to a byte-wise reader for anything else.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace galfriday {

// A plain decimal's value: all its digits read as one integer, and how many of them follow the
// '.'. "29430.2" is {294302, 1}, "0.00100000" {100000, 8}.
struct PlainDecimal {
  uint64_t digits = 0;
  unsigned fraction_digits = 0;
};

// Most digits a PlainDecimal read by scan_plain_decimal has: 10^16 - 1 leaves room in 64 bits to
// scale to any precision up to 18 digits in total.
inline constexpr unsigned kMaxPlainDecimalDigits = 16;

// Bytes scan_plain_decimal may read from its start, whatever the text.
inline constexpr size_t kPlainDecimalReadBytes = 24;

namespace plain_decimal_detail {

constexpr uint64_t kEightAsciiZeros = 0x3030303030303030ULL;
// 10^0 .. 10^8: a word holds at most 8 digits.
constexpr uint64_t kPowersOfTen[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

inline uint64_t load_word(const char* at) {
  uint64_t word = 0;
  std::memcpy(&word, at, sizeof(word));
  return word;
}

// 0x80 in each byte of `word` that is not an ASCII digit, 0 in the others.
inline uint64_t non_digit_bytes(uint64_t word) {
  const uint64_t values = word ^ kEightAsciiZeros;  // digits become 0..9, others above 9
  return (values | ((values & 0x7F7F7F7F7F7F7F7FULL) + 0x7676767676767676ULL)) &
         0x8080808080808080ULL;
}

// How many ASCII digits `word` starts with (0..8), the first byte in memory first.
inline unsigned leading_digits(uint64_t word) {
  return static_cast<unsigned>(std::countr_zero(non_digit_bytes(word))) / 8;
}

// The value of the first `count` (0..8) bytes of `word`, which are ASCII digits, the first in
// the lowest byte: shifted to the top so the bytes below are leading zeros, then combined in
// pairs, quadruples and the whole (the eight-digit conversion simdjson uses).
inline uint64_t digits_value(uint64_t word, unsigned count) {
  if (count == 0) return 0;
  uint64_t value = (word << (8 * (8 - count))) & 0x0F0F0F0F0F0F0F0FULL;
  value = (value * 2561) >> 8;
  value = ((value & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
  return ((value & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
}

}  // namespace plain_decimal_detail

// Reads the plain decimal `chars` starts with, up to the first byte that cannot continue it,
// and returns its length; or returns 0 when the text does not start with one this reader takes:
// no digit first, a '.' without digits after it, more than 7 integer digits, more than
// kMaxPlainDecimalDigits digits, or a big-endian machine (callers then read byte-wise). Reads up
// to kPlainDecimalReadBytes bytes from `chars`, which must be readable (a padded buffer).
inline size_t scan_plain_decimal(const char* chars, PlainDecimal& out) {
  using namespace plain_decimal_detail;
  if constexpr (std::endian::native != std::endian::little) return 0;
  const uint64_t integer_word = load_word(chars);
  const unsigned integer_digits = leading_digits(integer_word);
  if (integer_digits == 0 || integer_digits == 8) return 0;
  const uint64_t integer = digits_value(integer_word, integer_digits);
  if (chars[integer_digits] != '.') {
    out = {integer, 0};
    return integer_digits;
  }
  const char* const fraction = chars + integer_digits + 1;
  const uint64_t first = load_word(fraction);
  unsigned fraction_digits = leading_digits(first);
  uint64_t value = 0;
  if (fraction_digits < 8) {
    value = integer * kPowersOfTen[fraction_digits] + digits_value(first, fraction_digits);
  } else {
    const uint64_t second = load_word(fraction + 8);
    const unsigned more = leading_digits(second);
    if (more == 8) return 0;
    fraction_digits += more;
    value = (integer * kPowersOfTen[8] + digits_value(first, 8)) * kPowersOfTen[more] +
            digits_value(second, more);
  }
  if (fraction_digits == 0 || integer_digits + fraction_digits > kMaxPlainDecimalDigits) return 0;
  out = {value, fraction_digits};
  return integer_digits + 1 + fraction_digits;
}

// Reads the run of up to 15 ASCII digits `chars` starts with as an integer and returns its
// length; 0 when it does not start with a digit, has more than 15 digits, or on a big-endian
// machine (callers then take a general reader). Reads 16 bytes from `chars`, which must be
// readable (a padded buffer). Kraken's checksums and trade ids are read with it.
inline size_t scan_plain_integer(const char* chars, uint64_t& out) {
  using namespace plain_decimal_detail;
  if constexpr (std::endian::native != std::endian::little) return 0;
  const uint64_t first = load_word(chars);
  const unsigned digits = leading_digits(first);
  if (digits == 0) return 0;
  if (digits < 8) {
    out = digits_value(first, digits);
    return digits;
  }
  const uint64_t second = load_word(chars + 8);
  const unsigned more = leading_digits(second);
  if (more == 8) return 0;
  out = digits_value(first, 8) * kPowersOfTen[more] + digits_value(second, more);
  return 8 + more;
}

}  // namespace galfriday
