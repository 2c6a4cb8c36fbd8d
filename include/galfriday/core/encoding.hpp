#pragma once
// Text encodings shared by the HTTP clients (query strings, form bodies) and the log redactor.

#include <string>
#include <string_view>

namespace galfriday {

enum class HexCase { kUpper, kLower };

// RFC 3986 percent-encoding: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX. A base64
// secret's '+', '/' and '=' become %2B, %2F and %3D (or %2b, %2f, %3d with HexCase::kLower,
// which the log redactor also looks for).
std::string percent_encode(std::string_view text, HexCase hex_case = HexCase::kUpper);

}  // namespace galfriday
