#pragma once
// Text encodings shared by the HTTP clients (query strings, form bodies) and the log redactor.

#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"

namespace galfriday {

enum class HexCase { kUpper, kLower };

// RFC 3986 percent-encoding: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX. A base64
// secret's '+', '/' and '=' become %2B, %2F and %3D (or %2b, %2f, %3d with HexCase::kLower,
// which the log redactor also looks for).
std::string percent_encode(std::string_view text, HexCase hex_case = HexCase::kUpper);

// Standard base64 (RFC 4648, with '=' padding): Kraken's API secrets and signatures, HTTP Basic
// authentication.
std::string base64_encode(std::string_view bytes);
// The same into `out`, which has room for 4 * ceil(size / 3) characters (no allocation: the
// order path signs every request).
void base64_encode_to(const unsigned char* bytes, size_t size, char* out);
// kInvalidArgument on a character outside the alphabet, bad padding or a length that is not a
// multiple of 4. The message never quotes the input (it may be a secret).
Result<std::string> base64_decode(std::string_view text);

}  // namespace galfriday
