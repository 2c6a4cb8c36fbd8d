#include "galfriday/live/client_order_id.hpp"

#include <cctype>
#include <string>

#include "galfriday/live/signing.hpp"

namespace galfriday::live {
namespace {

constexpr size_t kUuidHexDigits = 32;
constexpr size_t kLongUuidLength = 36;
constexpr size_t kMaxFreeTextLength = 18;
constexpr size_t kVersionNibble = 12;  // hex digit index of the UUID version
constexpr size_t kVariantNibble = 16;  // hex digit index of the UUID variant

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

ClientOrderId derive_client_order_id(std::string_view origin, OrderPurpose leg, uint32_t revision) {
  std::string input = "galfriday-cl-ord-id\n";
  input += origin;
  input += '\n';
  input += galfriday::to_string(leg);
  input += '\n';
  input += std::to_string(revision);
  std::string hex = sha256_hex(input).substr(0, kUuidHexDigits);
  hex[kVersionNibble] = '8';
  // Variant 10xx: keep the two low bits of the digit, set the high ones to 10.
  static constexpr std::string_view kHex = "0123456789abcdef";
  const int digit = static_cast<int>(kHex.find(hex[kVariantNibble]));
  hex[kVariantNibble] = kHex[static_cast<size_t>(0x8 | (digit & 0x3))];
  return ClientOrderId(hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                       hex.substr(16, 4) + "-" + hex.substr(20, 12));
}

bool is_valid_kraken_cl_ord_id(std::string_view text) {
  if (text.size() == kLongUuidLength) {
    for (size_t i = 0; i < text.size(); ++i) {
      const bool hyphen_position = i == 8 || i == 13 || i == 18 || i == 23;
      if (hyphen_position ? text[i] != '-' : !is_hex(text[i])) return false;
    }
    return true;
  }
  if (text.size() == kUuidHexDigits) {
    bool all_hex = true;
    for (const char c : text) all_hex = all_hex && is_hex(c);
    if (all_hex) return true;
  }
  if (text.empty() || text.size() > kMaxFreeTextLength) return false;
  for (const char c : text) {
    if (std::isgraph(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

}  // namespace galfriday::live
