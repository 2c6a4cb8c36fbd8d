#include "galfriday/core/time.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

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

std::optional<Timestamp> same_day(const Iso8601DayCache& days, std::string_view text) {
  Timestamp out;
  if (!days.parse_same_day(text, out)) return std::nullopt;
  return out;
}

TEST(Iso8601DayCache, ReadsTheRememberedDayFromTheTimeOfDay) {
  Iso8601DayCache days;
  EXPECT_FALSE(same_day(days, "2023-10-06T17:35:55.440295Z"));  // nothing remembered yet
  days.remember("2023-10-06T17:35:55.440295Z",
                parse_iso8601("2023-10-06T17:35:55.440295Z").value());
  EXPECT_EQ(same_day(days, "2023-10-06T17:35:56.000001Z"),
            timestamp_from_nanos(1696613756000001000));
  EXPECT_EQ(same_day(days, "2023-10-06T00:00:00Z"), timestamp_from_seconds(1696550400));
  EXPECT_EQ(same_day(days, "2023-10-06T23:59:60Z"), timestamp_from_seconds(1696636800));
  EXPECT_FALSE(same_day(days, "2023-10-07T00:00:00Z"));             // another day
  EXPECT_FALSE(same_day(days, "2023-10-06T01:00:00+01:00"));        // an offset
  EXPECT_FALSE(same_day(days, "2023-10-06T24:00:00Z"));             // no such hour
  EXPECT_FALSE(same_day(days, "2023-10-06T17:35:55.Z"));            // empty fraction
  EXPECT_FALSE(same_day(days, "2023-10-06T17:35:55.1234567890Z"));  // parse_iso8601 decides
  // A timestamp with an offset parses but leaves the remembered day as it was.
  days.remember("2023-10-07T01:00:00+01:00", parse_iso8601("2023-10-07T01:00:00+01:00").value());
  EXPECT_EQ(same_day(days, "2023-10-06T00:00:00Z"), timestamp_from_seconds(1696550400));
}

TEST(Iso8601DayCache, GivesWhatParseIso8601GivesOrNothing) {
  // Valid timestamps of a few days, half of them with one byte changed: whatever the cache reads
  // must be what the full parser reads, and it must read every unchanged one of the day it
  // remembers.
  std::mt19937_64 random(20261126);
  const std::vector<std::string> days_text = {"2023-07-30", "2024-02-29", "1970-01-01",
                                              "2261-12-31"};
  const std::string alphabet = "0123456789:.TZtz+- ";
  Iso8601DayCache days;
  std::string remembered;  // the day of the last unchanged text remembered; "" when unknown
  int read_by_cache = 0;
  for (int i = 0; i < 50000; ++i) {
    const std::string& day = days_text[(i / 200) % days_text.size()];
    char time[32];
    std::snprintf(time, sizeof(time), "T%02d:%02d:%02d", static_cast<int>(random() % 24),
                  static_cast<int>(random() % 60), static_cast<int>(random() % 61));
    std::string text = day + time;
    const auto digits = random() % 11;
    if (digits > 0) {
      text += '.';
      for (uint64_t d = 0; d < digits; ++d) text += static_cast<char>('0' + random() % 10);
    }
    text += 'Z';
    const bool changed = random() % 2 == 0;
    if (changed) text[random() % text.size()] = alphabet[random() % alphabet.size()];

    const auto parsed = parse_iso8601(text);
    const auto cached = same_day(days, text);
    if (cached) {
      ++read_by_cache;
      ASSERT_TRUE(parsed.is_ok()) << text;
      ASSERT_EQ(*cached, *parsed) << text;
    } else if (!changed && digits <= 9 && day == remembered) {
      FAIL() << "a timestamp of the remembered day was not read: " << text;
    }
    if (parsed.is_ok()) {
      days.remember(text, *parsed);
      // Ten fraction digits are not Kraken's form: the cache keeps the day it had.
      if (changed) {
        remembered.clear();
      } else if (digits <= 9) {
        remembered = day;
      }
    }
  }
  EXPECT_GT(read_by_cache, 15000);
}

}  // namespace
}  // namespace galfriday
