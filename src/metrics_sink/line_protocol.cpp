#include "galfriday/metrics_sink/line_protocol.hpp"

#include <charconv>
#include <cmath>

namespace galfriday::metrics_sink {
namespace {

bool has_line_break(std::string_view text) {
  return text.find_first_of("\n\r") != std::string_view::npos;
}

// Backslash before each character of `special`.
void escape_into(std::string_view text, std::string_view special, std::string& out) {
  for (const char c : text) {
    if (special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
}

Status check_name(std::string_view what, std::string_view name, std::string_view measurement) {
  if (name.empty()) {
    return invalid_argument("line protocol: measurement '" + std::string(measurement) +
                            "' has an empty " + std::string(what));
  }
  if (has_line_break(name)) {
    return invalid_argument("line protocol: measurement '" + std::string(measurement) +
                            "': " + std::string(what) + " contains a line break");
  }
  return Status::ok();
}

// The shortest text that reads back as the same double.
void append_double(double value, std::string& out) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}

bool is_decimal(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      digits = true;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

}  // namespace

Result<std::string> to_line(const Point& point) {
  std::string line;
  GF_RETURN_IF_ERROR(append_line(point, line));
  line.pop_back();  // the newline
  return line;
}

Status append_line(const Point& point, std::string& out) {
  const std::string_view measurement = point.measurement;
  if (measurement.empty()) return invalid_argument("line protocol: empty measurement name");
  if (has_line_break(measurement)) {
    return invalid_argument("line protocol: measurement name contains a line break");
  }
  std::string line;
  line.reserve(64 + point.fields.size() * 16);
  escape_into(measurement, ", ", line);
  for (const auto& [key, value] : point.tags) {
    GF_RETURN_IF_ERROR(check_name("tag key", key, measurement));
    if (value.empty()) continue;
    if (has_line_break(value)) {
      return invalid_argument("line protocol: measurement '" + std::string(measurement) +
                              "': tag " + key + " contains a line break");
    }
    line += ',';
    escape_into(key, ",= ", line);
    line += '=';
    escape_into(value, ",= ", line);
  }
  bool first = true;
  for (const auto& [key, value] : point.fields) {
    GF_RETURN_IF_ERROR(check_name("field key", key, measurement));
    std::string text;
    if (const double* number = std::get_if<double>(&value)) {
      if (!std::isfinite(*number)) continue;
      append_double(*number, text);
    } else if (const int64_t* integer = std::get_if<int64_t>(&value)) {
      text = std::to_string(*integer) + "i";
    } else if (const bool* flag = std::get_if<bool>(&value)) {
      text = *flag ? "true" : "false";
    } else if (const std::string* string = std::get_if<std::string>(&value)) {
      text += '"';
      escape_into(*string, "\"\\", text);
      text += '"';
    } else {
      const std::string& decimal = std::get<DecimalText>(value).text;
      if (!is_decimal(decimal)) {
        return invalid_argument("line protocol: measurement '" + std::string(measurement) +
                                "': field " + key + " is not a decimal number: '" + decimal + "'");
      }
      text = decimal;
    }
    line += first ? ' ' : ',';
    first = false;
    escape_into(key, ",= ", line);
    line += '=';
    line += text;
  }
  if (first) {
    return invalid_argument("line protocol: measurement '" + std::string(measurement) +
                            "' has no field that can be written");
  }
  line += ' ';
  line += std::to_string(to_nanos(point.time));
  line += '\n';
  out += line;
  return Status::ok();
}

}  // namespace galfriday::metrics_sink
