#pragma once
// Time values. Timestamps are UTC nanoseconds since the Unix epoch; durations nanoseconds.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"

namespace galfriday {

using Duration = std::chrono::nanoseconds;
using Timestamp = std::chrono::sys_time<Duration>;

inline constexpr Timestamp timestamp_from_nanos(int64_t nanos) {
  return Timestamp(Duration(nanos));
}
inline constexpr Timestamp timestamp_from_seconds(int64_t seconds) {
  return Timestamp(std::chrono::seconds(seconds));
}
inline constexpr int64_t to_nanos(Timestamp ts) { return ts.time_since_epoch().count(); }
inline constexpr int64_t to_seconds(Timestamp ts) {
  return std::chrono::duration_cast<std::chrono::seconds>(ts.time_since_epoch()).count();
}

// RFC 3339 in UTC with the fraction trimmed to what is needed:
// "2023-10-06T17:35:55.440295Z", "2024-01-01T00:00:00Z".
std::string format_iso8601(Timestamp ts);

// Parses RFC 3339 timestamps as Kraken sends them ("2023-10-06T17:35:55.440295Z"), with an
// optional fraction of up to 9 digits and a "Z" or "+hh:mm" offset.
Result<Timestamp> parse_iso8601(std::string_view text);

// Remembers the day of the last timestamp parsed in Kraken's form ("YYYY-MM-DDThh:mm:ss" with an
// optional fraction of 1 to 9 digits, then "Z"), so that the next timestamps of that day are read
// from their time of day only: a market data connection parses one per message, nearly all on
// the same day. Gives exactly what parse_iso8601 gives, or nothing.
class Iso8601DayCache {
 public:
  // Sets `out` to the timestamp `text` denotes and returns true when it is in Kraken's form, on
  // the remembered day, with a valid time of day; false otherwise (then parse_iso8601 decides,
  // and remember() may follow). (A bool and an out parameter rather than std::optional: the
  // optional comes back through memory written in two parts and read in one, which stalls.)
  bool parse_same_day(std::string_view text, Timestamp& out) const;

  // Remembers the day of `text`, which parse_iso8601 parsed to `parsed`, when it is in Kraken's
  // form; otherwise keeps the day remembered before.
  void remember(std::string_view text, Timestamp parsed);

 private:
  static constexpr size_t kDayPrefixSize = 11;  // "2023-10-06T"
  std::array<char, kDayPrefixSize> day_prefix_{};
  bool has_day_ = false;
  int64_t day_start_nanos_ = 0;
};

}  // namespace galfriday
