#pragma once
// simdjson On-Demand helpers shared by the REST parsers (internal to src/kraken_rest).
// Every failure becomes a kDataLoss Status naming the endpoint and the field; numbers that
// are money stay the exact text Kraken sent.

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"

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

}  // namespace galfriday::kraken_rest::json
