#include "galfriday/core/time.hpp"

#include <gtest/gtest.h>

namespace galfriday {
namespace {

TEST(Time, FormatsIso8601WithTrimmedFraction) {
  EXPECT_EQ(format_iso8601(timestamp_from_seconds(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(timestamp_from_seconds(1704067200)), "2024-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(timestamp_from_nanos(1696613755440295000)),
            "2023-10-06T17:35:55.440295Z");
  EXPECT_EQ(format_iso8601(timestamp_from_nanos(1696613755000000001)),
            "2023-10-06T17:35:55.000000001Z");
}

TEST(Time, ParsesKrakenTimestamps) {
  EXPECT_EQ(parse_iso8601("2023-10-06T17:35:55.440295Z").value(),
            timestamp_from_nanos(1696613755440295000));
  EXPECT_EQ(parse_iso8601("2024-01-01T00:00:00Z").value(), timestamp_from_seconds(1704067200));
  EXPECT_EQ(parse_iso8601("2024-01-01T01:00:00+01:00").value(), timestamp_from_seconds(1704067200));
}

TEST(Time, YearsBeyondTheNanosecondRangeAreOutOfRange) {
  EXPECT_EQ(parse_iso8601("2262-05-01T00:00:00Z").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(parse_iso8601("9999-12-31T23:59:59Z").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(parse_iso8601("1600-01-01T00:00:00Z").status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(parse_iso8601("2261-12-31T23:59:59Z").is_ok());
}

TEST(Time, RoundTripsThroughText) {
  const Timestamp ts = timestamp_from_nanos(1732540000123456789);
  EXPECT_EQ(parse_iso8601(format_iso8601(ts)).value(), ts);
}

TEST(Time, RejectsMalformedTimestamps) {
  for (const char* text :
       {"", "2024-01-01", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00",
        "2024-01-01T00:00:00.Z", "yesterday", "2024-01-01T25:00:00Z"}) {
    auto result = parse_iso8601(text);
    EXPECT_FALSE(result.is_ok()) << text;
  }
}

}  // namespace
}  // namespace galfriday
