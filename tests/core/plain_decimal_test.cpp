#include "galfriday/core/plain_decimal.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>

namespace galfriday {
namespace {

// The text in a buffer that is readable kPlainDecimalReadBytes past its start, followed by
// `after` (what comes next in the frame: ',' or '}' in JSON, or anything).
struct Padded {
  std::array<char, 64> bytes{};
  Padded(const std::string& text, char after) {
    std::memcpy(bytes.data(), text.data(), std::min(text.size(), bytes.size()));
    if (text.size() < bytes.size()) bytes[text.size()] = after;
  }
};

// What scan_plain_decimal must return, written the obvious way: the length of the plain
// decimal the text starts with and its value, or 0 when the word-wise reader does not take it.
size_t reference_scan(const std::string& text, PlainDecimal& out) {
  size_t at = 0;
  uint64_t digits = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9')
    digits = digits * 10 + (text[at++] - '0');
  const size_t integer_digits = at;
  if (integer_digits == 0 || integer_digits >= 8) return 0;
  if (at == text.size() || text[at] != '.') {
    out = {digits, 0};
    return at;
  }
  ++at;
  const size_t fraction_start = at;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9')
    digits = digits * 10 + (text[at++] - '0');
  const size_t fraction_digits = at - fraction_start;
  if (fraction_digits == 0 || fraction_digits >= 16 ||
      integer_digits + fraction_digits > kMaxPlainDecimalDigits) {
    return 0;
  }
  out = {digits, static_cast<unsigned>(fraction_digits)};
  return at;
}

TEST(PlainDecimal, ReadsKrakensNumbers) {
  struct Case {
    const char* text;
    size_t length;
    uint64_t digits;
    unsigned fraction_digits;
  };
  for (const Case& c : {Case{"29430.2", 7, 294302, 1}, Case{"0.00011621", 10, 11621, 8},
                        Case{"4", 1, 4, 0}, Case{"0.123456789012345", 17, 123456789012345, 15}}) {
    PlainDecimal value;
    EXPECT_EQ(scan_plain_decimal(Padded(c.text, ',').bytes.data(), value), c.length) << c.text;
    EXPECT_EQ(value.digits, c.digits) << c.text;
    EXPECT_EQ(value.fraction_digits, c.fraction_digits) << c.text;
  }
}

TEST(PlainDecimal, LeavesOtherTextsToTheByteWiseReaders) {
  PlainDecimal value;
  for (const char* text : {"", "-1", ".5", "x", "12345678", "12345678.5", "1.", "1.x",
                           "0.1234567890123456", "1234567.1234567890"}) {
    EXPECT_EQ(scan_plain_decimal(Padded(text, ',').bytes.data(), value), 0u) << text;
  }
  // Stops where the plain decimal ends; the caller checks that this is the end of its text.
  EXPECT_EQ(scan_plain_decimal(Padded("1.5e3", ',').bytes.data(), value), 3u);
  EXPECT_EQ(scan_plain_decimal(Padded("1.5.3", ',').bytes.data(), value), 3u);
}

TEST(PlainDecimal, AgreesWithTheObviousReaderOnRandomTexts) {
  std::mt19937_64 random(11);
  const std::string alphabet = "0123456789.-e,} x";
  for (int i = 0; i < 200000; ++i) {
    std::string text;
    const size_t length = random() % 26;
    for (size_t j = 0; j < length; ++j) {
      // Mostly digits, a '.' now and then, other bytes rarely: the shapes near the limits.
      const uint64_t pick = random() % 100;
      text += pick < 85   ? static_cast<char>('0' + random() % 10)
              : pick < 95 ? '.'
                          : alphabet[random() % alphabet.size()];
    }
    PlainDecimal expected;
    const size_t expected_size = reference_scan(text, expected);
    PlainDecimal actual;
    const size_t actual_size = scan_plain_decimal(Padded(text, ',').bytes.data(), actual);
    ASSERT_EQ(actual_size, expected_size) << text;
    if (expected_size != 0) {
      ASSERT_EQ(actual.digits, expected.digits) << text;
      ASSERT_EQ(actual.fraction_digits, expected.fraction_digits) << text;
    }
  }
}

TEST(PlainInteger, ReadsUpToFifteenDigitsAndAgreesWithTheObviousReader) {
  uint64_t value = 0;
  EXPECT_EQ(scan_plain_integer(Padded("3547452596", ',').bytes.data(), value), 10u);
  EXPECT_EQ(value, 3547452596u);
  EXPECT_EQ(scan_plain_integer(Padded("999999999999999", '}').bytes.data(), value), 15u);
  EXPECT_EQ(value, 999999999999999u);
  for (const char* text : {"", "-1", "x1", "1234567890123456"}) {
    EXPECT_EQ(scan_plain_integer(Padded(text, ',').bytes.data(), value), 0u) << text;
  }
  std::mt19937_64 random(12);
  const std::string alphabet = "0123456789.-e,} x";
  for (int i = 0; i < 100000; ++i) {
    std::string text;
    const size_t length = random() % 20;
    for (size_t j = 0; j < length; ++j) {
      text += random() % 100 < 90 ? static_cast<char>('0' + random() % 10)
                                  : alphabet[random() % alphabet.size()];
    }
    size_t expected_size = 0;
    uint64_t expected = 0;
    while (expected_size < text.size() && text[expected_size] >= '0' && text[expected_size] <= '9')
      expected = expected * 10 + static_cast<uint64_t>(text[expected_size++] - '0');
    if (expected_size > 15) expected_size = 0;
    uint64_t actual = 0;
    ASSERT_EQ(scan_plain_integer(Padded(text, ',').bytes.data(), actual), expected_size) << text;
    if (expected_size != 0) {
      ASSERT_EQ(actual, expected) << text;
    }
  }
}

}  // namespace
}  // namespace galfriday
