#include "galfriday/core/encoding.hpp"

namespace galfriday {
namespace {

constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";
constexpr std::string_view kLowerHexDigits = "0123456789abcdef";

// Locale-independent, unlike std::isalnum.
bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string percent_encode(std::string_view text, HexCase hex_case) {
  constexpr unsigned kNibbleBits = 4;
  constexpr unsigned kNibbleMask = 0x0F;
  const std::string_view hex_digits =
      hex_case == HexCase::kUpper ? kUpperHexDigits : kLowerHexDigits;
  std::string encoded;
  encoded.reserve(text.size());
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (is_unreserved(byte)) {
      encoded.push_back(ch);
      continue;
    }
    encoded.push_back('%');
    encoded.push_back(hex_digits[byte >> kNibbleBits]);
    encoded.push_back(hex_digits[byte & kNibbleMask]);
  }
  return encoded;
}

}  // namespace galfriday
