#include "galfriday/core/encoding.hpp"

#include <cstdint>

namespace galfriday {
namespace {

constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";
constexpr std::string_view kLowerHexDigits = "0123456789abcdef";

// Locale-independent, unlike std::isalnum.
bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kInvalidSextet = -1;

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return kInvalidSextet;
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

void base64_encode_to(const unsigned char* bytes, size_t size, char* out) {
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t triple =
        (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *out++ = kBase64Alphabet[(triple >> 18) & 0x3F];
    *out++ = kBase64Alphabet[(triple >> 12) & 0x3F];
    *out++ = kBase64Alphabet[(triple >> 6) & 0x3F];
    *out++ = kBase64Alphabet[triple & 0x3F];
  }
  const size_t rest = size - i;
  if (rest == 0) return;
  uint32_t triple = uint32_t{bytes[i]} << 16;
  if (rest == 2) triple |= uint32_t{bytes[i + 1]} << 8;
  *out++ = kBase64Alphabet[(triple >> 18) & 0x3F];
  *out++ = kBase64Alphabet[(triple >> 12) & 0x3F];
  *out++ = rest == 2 ? kBase64Alphabet[(triple >> 6) & 0x3F] : '=';
  *out++ = '=';
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '\0');
  base64_encode_to(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return invalid_argument("base64: length " + std::to_string(text.size()) +
                            " is not a multiple of 4");
  }
  size_t padding = 0;
  if (!text.empty() && text.back() == '=')
    padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last_group = i + 4 == text.size();
    uint32_t triple = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last_group && j >= 4 - padding) {
        triple <<= 6;
        continue;
      }
      const int value = sextet(c);
      if (value == kInvalidSextet) {
        return invalid_argument("base64: invalid character at offset " + std::to_string(i + j));
      }
      triple = (triple << 6) | static_cast<uint32_t>(value);
    }
    out.push_back(static_cast<char>((triple >> 16) & 0xFF));
    if (!(last_group && padding == 2)) out.push_back(static_cast<char>((triple >> 8) & 0xFF));
    if (!(last_group && padding >= 1)) out.push_back(static_cast<char>(triple & 0xFF));
  }
  return out;
}

}  // namespace galfriday
