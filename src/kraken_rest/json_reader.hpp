#pragma once
// simdjson On-Demand helpers for Kraken REST results, public (src/kraken_rest) and private
// (src/live, which depends on kraken_rest). Internal: not under include/, so simdjson stays out
// of the public headers. Every failure becomes a kDataLoss Status naming the endpoint and the
// field; numbers that are money stay the exact text Kraken sent.

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday::kraken_rest::json {

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
                            token.back() == '\t'))
    token.remove_suffix(1);
  return token;
}

// A decimal as its exact text: a JSON string's content, or a JSON number's token.
inline Result<std::string> decimal_text(od::value value, std::string_view endpoint,
                                        std::string_view where) {
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(endpoint, where, error);
  if (type == od::json_type::string) {
    std::string_view text;
    if (auto error = value.get_string().get(text)) return json_error(endpoint, where, error);
    if (text.empty()) return shape_error(endpoint, where, "empty decimal");
    return std::string(text);
  }
  if (type == od::json_type::number) {
    return std::string(trim_token(value.raw_json_token()));
  }
  return shape_error(endpoint, where, "expected a decimal (string or number)");
}

// An integer sent either as a JSON integer or as a string of digits ("last" is either).
inline Result<int64_t> integer(od::value value, std::string_view endpoint, std::string_view where) {
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(endpoint, where, error);
  if (type == od::json_type::number) {
    int64_t number = 0;
    if (auto error = value.get_int64().get(number)) return json_error(endpoint, where, error);
    return number;
  }
  if (type == od::json_type::string) {
    std::string_view text;
    if (auto error = value.get_string().get(text)) return json_error(endpoint, where, error);
    int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return shape_error(endpoint, where, "'" + std::string(text) + "' is not an integer");
    return number;
  }
  return shape_error(endpoint, where, "expected an integer");
}

// The exact JSON text of a value (object, array or scalar).
inline Result<std::string_view> raw_json(od::value value, std::string_view endpoint,
                                         std::string_view where) {
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(endpoint, where, error);
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object object;
    if (auto error = value.get_object().get(object)) return json_error(endpoint, where, error);
    if (auto error = object.raw_json().get(raw)) return json_error(endpoint, where, error);
  } else if (type == od::json_type::array) {
    od::array array;
    if (auto error = value.get_array().get(array)) return json_error(endpoint, where, error);
    if (auto error = array.raw_json().get(raw)) return json_error(endpoint, where, error);
  } else {
    raw = trim_token(value.raw_json_token());
  }
  return raw;
}

// Fails when anything but whitespace follows the document's value.
inline Status expect_end(od::document& doc, std::string_view endpoint) {
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS)
    return shape_error(endpoint, "body", "unexpected content after the JSON value");
  return Status::ok();
}

inline Result<std::string> string(od::value value, std::string_view endpoint,
                                  std::string_view where) {
  std::string_view text;
  if (auto error = value.get_string().get(text)) return json_error(endpoint, where, error);
  return std::string(text);
}

inline bool is_null(od::value value) {
  bool null = false;
  return value.is_null().get(null) == simdjson::SUCCESS && null;
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

// Assigns the value of a Result expression to `target`, or returns its Status.
#define GF_JSON_ASSIGN_OR_RETURN(target, expr)   \
  do {                                           \
    auto gf_result_ = (expr);                    \
    if (!gf_result_) return gf_result_.status(); \
    target = std::move(*gf_result_);             \
  } while (false)

}  // namespace galfriday::kraken_rest::json
