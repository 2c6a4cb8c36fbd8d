#pragma once
// InfluxDB line protocol (the same text for 1.x and 2.x):
//
//   measurement,tag1=v1,tag2=v2 field1=1.5,field2=7i,field3="text",field4=true 1700000000000000000
//
// Escaping (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/):
//   measurement      ','  ' '            are backslash-escaped
//   tag keys/values, field keys  ','  '='  ' '  are backslash-escaped
//   string field values          '"'  '\'      are backslash-escaped; the value is quoted
// A line break cannot be represented in a name or tag (the line would end there), so it is
// refused with kInvalidArgument, as are empty names. An empty tag value is left out (InfluxDB
// has no empty tags). A field that is NaN or infinite cannot be written and is left out; a
// point left with no field is refused.
//
// Prices, quantities and money are written as their exact decimal text (an InfluxDB float
// literal), never through a double.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/status.hpp"

namespace galfriday::metrics_sink {

// A float written as exact decimal text ("37500.1"), from a FixedPoint's to_string().
struct DecimalText {
  std::string text;
  friend bool operator==(const DecimalText&, const DecimalText&) = default;
};

using FieldValue = std::variant<double, int64_t, bool, std::string, DecimalText>;

struct Point {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::pair<std::string, FieldValue>> fields;
  Timestamp time{};  // written in nanoseconds

  Point& tag(std::string key, std::string value) {
    tags.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  Point& field(std::string key, FieldValue value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  template <typename Tag>
  Point& field(std::string key, const FixedPoint<Tag>& value) {
    return field(std::move(key), DecimalText{value.to_string()});
  }
};

// One line, without the trailing newline.
Result<std::string> to_line(const Point& point);

// Appends the line and a newline to `out`; on error `out` is unchanged.
Status append_line(const Point& point, std::string& out);

}  // namespace galfriday::metrics_sink
