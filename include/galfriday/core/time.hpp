#pragma once
// Time values. Timestamps are UTC nanoseconds since the Unix epoch; durations nanoseconds.

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

}  // namespace galfriday
