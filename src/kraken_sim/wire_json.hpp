#pragma once
// JSON with exact decimal numbers, shared by the public simulator and its private side:
// Kraken's WebSocket v2 sends prices and quantities as JSON numbers ("4.0", "0.566"), which a
// double inside nlohmann::json cannot reproduce exactly.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "galfriday/core/fixed_point.hpp"

namespace galfriday::kraken_sim::detail {

using Json = nlohmann::json;

inline std::string trim_number(std::string text) {
  const size_t dot = text.find('.');
  if (dot == std::string::npos) return text + ".0";
  size_t end = text.size();
  while (end > dot + 2 && text[end - 1] == '0') --end;
  text.resize(end);
  return text;
}

// Decimal numbers must reach the wire as exact text ("0.33251"), which a double inside
// nlohmann::json cannot promise. wire() stores the text between marker characters in a JSON
// string; dump_wire() serialises and then unquotes the marked strings into bare numbers.
inline constexpr std::string_view kNumberOpen = "\"\\u0001";
inline constexpr std::string_view kNumberClose = "\\u0002\"";

inline Json raw_number(std::string text) { return "\x01" + std::move(text) + "\x02"; }

inline Json wire(int64_t raw, int precision) {
  return raw_number(trim_number(fixed_point_detail::format_raw(raw, precision)));
}

inline std::string dump_wire(const Json& json) {
  std::string text = json.dump();
  std::string out;
  out.reserve(text.size());
  size_t from = 0;
  while (true) {
    const size_t open = text.find(kNumberOpen, from);
    if (open == std::string::npos) break;
    const size_t close = text.find(kNumberClose, open + kNumberOpen.size());
    if (close == std::string::npos) break;
    out.append(text, from, open - from);
    out.append(text, open + kNumberOpen.size(), close - open - kNumberOpen.size());
    from = close + kNumberClose.size();
  }
  out.append(text, from, std::string::npos);
  return out;
}

}  // namespace galfriday::kraken_sim::detail
