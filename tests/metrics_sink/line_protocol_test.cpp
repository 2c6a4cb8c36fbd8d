// Line protocol formatting and escaping, checked against the rules of the InfluxDB line
// protocol reference (the integration test sends the same lines to a real influxd).

#include "galfriday/metrics_sink/line_protocol.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace galfriday::metrics_sink {
namespace {

const Timestamp kTime = timestamp_from_nanos(1700000000123456789);

TEST(LineProtocol, FormatsTagsAndEveryFieldKind) {
  Point point;
  point.measurement = "market_trade";
  point.time = kTime;
  point.tag("pair", "BTC/USD").tag("side", "buy");
  point.field("price", Price::parse("37500.10").value());
  point.field("qty", Quantity::parse("0.00100000").value());
  point.field("count", int64_t{-7}).field("ratio", 0.1).field("ok", true).field("note", "hi");
  EXPECT_EQ(to_line(point).value(),
            "market_trade,pair=BTC/USD,side=buy price=37500.10,qty=0.00100000,count=-7i,"
            "ratio=0.1,ok=true,note=\"hi\" 1700000000123456789");
}

TEST(LineProtocol, EscapesEachPartByItsOwnRules) {
  Point point;
  point.measurement = "my measure,x=y";
  point.time = kTime;
  point.tag("tag key,=", "value with, comma=equals");
  point.field("field key", std::string("say \"hi\" \\ bye, a=b"));
  EXPECT_EQ(to_line(point).value(),
            "my\\ measure\\,x=y,tag\\ key\\,\\==value\\ with\\,\\ comma\\=equals "
            "field\\ key=\"say \\\"hi\\\" \\\\ bye, a=b\" 1700000000123456789");
}

TEST(LineProtocol, LeavesOutEmptyTagsAndNonFiniteFields) {
  Point point;
  point.measurement = "m";
  point.time = kTime;
  point.tag("model", "").tag("pair", "ETH/USD");
  point.field("nan", std::numeric_limits<double>::quiet_NaN());
  point.field("inf", std::numeric_limits<double>::infinity());
  point.field("v", 1.5);
  EXPECT_EQ(to_line(point).value(), "m,pair=ETH/USD v=1.5 1700000000123456789");
}

TEST(LineProtocol, RefusesWhatCannotBeWritten) {
  Point no_fields;
  no_fields.measurement = "m";
  no_fields.field("nan", std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(to_line(no_fields).status().code(), StatusCode::kInvalidArgument);

  Point empty_name;
  empty_name.field("v", 1.0);
  EXPECT_EQ(to_line(empty_name).status().code(), StatusCode::kInvalidArgument);

  Point newline_tag;
  newline_tag.measurement = "m";
  newline_tag.tag("pair", "BTC\nUSD").field("v", 1.0);
  EXPECT_EQ(to_line(newline_tag).status().code(), StatusCode::kInvalidArgument);

  Point bad_decimal;
  bad_decimal.measurement = "m";
  bad_decimal.field("price", DecimalText{"1e5"});
  EXPECT_EQ(to_line(bad_decimal).status().code(), StatusCode::kInvalidArgument);

  std::string out = "kept\n";
  EXPECT_FALSE(append_line(newline_tag, out).is_ok());
  EXPECT_EQ(out, "kept\n") << "a failed append leaves the buffer alone";
}

TEST(LineProtocol, DoublesUseTheShortestRoundTripText) {
  Point point;
  point.measurement = "m";
  point.field("a", 0.30000000000000004).field("b", -1e-300).field("c", 2.0);
  EXPECT_EQ(to_line(point).value(), "m a=0.30000000000000004,b=-1e-300,c=2 0");
}

}  // namespace
}  // namespace galfriday::metrics_sink
