#pragma once
// simdjson On-Demand helpers for the private REST results (internal to src/live). Decimals stay
// the exact text Kraken sent (a JSON string's content or a number's token); every failure is
// kDataLoss naming the endpoint and the field.

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday::live::json {

namespace od = simdjson::ondemand;

inline Status shape_error(std::string_view endpoint, std::string_view where,
                          std::string_view problem) {
  return data_loss("Kraken " + std::string(endpoint) + " response: " + std::string(where) + ": " +
                   std::string(problem));
}

inline Status json_error(std::string_view endpoint, std::string_view where,
                         simdjson::error_code error) {
  return shape_error(endpoint, where, simdjson::error_message(error));
}

inline std::string_view trim_token(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  return token;
}

inline bool is_null(od::value& value) {
  bool null = false;
  return value.is_null().get(null) == simdjson::SUCCESS && null;
}

// A decimal as exact text: a string's content or a number's token.
inline Result<std::string> decimal_text(od::value& value, std::string_view endpoint,
                                        std::string_view where) {
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(endpoint, where, error);
  if (type == od::json_type::string) {
    std::string_view text;
    if (auto error = value.get_string().get(text)) return json_error(endpoint, where, error);
    return std::string(text);
  }
  if (type == od::json_type::number) return std::string(trim_token(value.raw_json_token()));
  return shape_error(endpoint, where, "expected a decimal");
}

inline Result<std::string> string(od::value& value, std::string_view endpoint,
                                  std::string_view where) {
  std::string_view text;
  if (auto error = value.get_string().get(text)) return json_error(endpoint, where, error);
  return std::string(text);
}

// An integer sent as a JSON integer or as a string of digits.
inline Result<int64_t> integer(od::value& value, std::string_view endpoint,
                               std::string_view where) {
  auto text = decimal_text(value, endpoint, where);
  if (!text) return text.status();
  int64_t out = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return shape_error(endpoint, where, "expected an integer, got '" + *text + "'");
  }
  return out;
}

// Unix time in seconds with an optional fraction ("1688667796.8802"), exactly, to nanoseconds.
inline Result<Timestamp> unix_seconds_text(std::string_view text, std::string_view endpoint,
                                           std::string_view where) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (whole.empty() || ec != std::errc() || end != whole.data() + whole.size()) {
    return shape_error(endpoint, where, "expected Unix seconds, got '" + std::string(text) + "'");
  }
  int64_t nanos = 0;
  if (dot != std::string_view::npos) {
    std::string_view fraction = text.substr(dot + 1);
    int digits = 0;
    for (const char c : fraction) {
      if (c < '0' || c > '9') {
        return shape_error(endpoint, where,
                           "expected Unix seconds, got '" + std::string(text) + "'");
      }
      if (digits < 9) {
        nanos = nanos * 10 + (c - '0');
        ++digits;
      }
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  return timestamp_from_nanos(seconds * 1'000'000'000 + nanos);
}

#define GF_LIVE_ASSIGN_OR_RETURN(target, expr)   \
  do {                                           \
    auto gf_result_ = (expr);                    \
    if (!gf_result_) return gf_result_.status(); \
    target = std::move(*gf_result_);             \
  } while (false)

}  // namespace galfriday::live::json
