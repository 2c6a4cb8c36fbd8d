#include "galfriday/core/time.hpp"

#include <cstdio>
#include <cstring>

namespace galfriday {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

bool read_digits(std::string_view text, size_t& pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

bool expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// The time of day of a timestamp in Kraken's form ("2023-10-06T17:35:55.440295Z": 'T' at 10,
// "hh:mm:ss" from 11, optional '.' and 1..9 digits, 'Z' last) in nanoseconds, or -1 when `text`
// is not in that form or the time is not one parse_iso8601 accepts.
int64_t kraken_time_of_day_nanos(std::string_view text) {
  constexpr size_t kSecondsEnd = 19;  // "YYYY-MM-DDThh:mm:ss"
  constexpr size_t kMaxFractionDigits = 9;
  if (text.size() < kSecondsEnd + 1 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text.back() != 'Z') {
    return -1;
  }
  auto two_digits = [&](size_t at) {
    const unsigned tens = static_cast<unsigned char>(text[at]) - '0';
    const unsigned ones = static_cast<unsigned char>(text[at + 1]) - '0';
    return tens <= 9 && ones <= 9 ? static_cast<int>(tens * 10 + ones) : -1;
  };
  const int h = two_digits(11);
  const int mi = two_digits(14);
  const int s = two_digits(17);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
  int64_t nanos = 0;
  const size_t end = text.size() - 1;  // the 'Z'
  if (end > kSecondsEnd) {
    const size_t digits = end - kSecondsEnd - 1;
    if (text[kSecondsEnd] != '.' || digits == 0 || digits > kMaxFractionDigits) return -1;
    for (size_t i = kSecondsEnd + 1; i < end; ++i) {
      const unsigned digit = static_cast<unsigned char>(text[i]) - '0';
      if (digit > 9) return -1;
      nanos = nanos * 10 + digit;
    }
    for (size_t i = digits; i < kMaxFractionDigits; ++i) nanos *= 10;
  }
  return (int64_t{h} * 3600 + mi * 60 + s) * kNanosPerSecond + nanos;
}

}  // namespace

bool Iso8601DayCache::parse_same_day(std::string_view text, Timestamp& out) const {
  if (!has_day_ || text.size() < kDayPrefixSize ||
      std::memcmp(text.data(), day_prefix_.data(), kDayPrefixSize) != 0) {
    return false;
  }
  const int64_t time_of_day = kraken_time_of_day_nanos(text);
  if (time_of_day < 0) return false;
  out = timestamp_from_nanos(day_start_nanos_ + time_of_day);
  return true;
}

void Iso8601DayCache::remember(std::string_view text, Timestamp parsed) {
  const int64_t time_of_day = kraken_time_of_day_nanos(text);
  if (time_of_day < 0) return;
  std::memcpy(day_prefix_.data(), text.data(), kDayPrefixSize);
  day_start_nanos_ = to_nanos(parsed) - time_of_day;
  has_day_ = true;
}

std::string format_iso8601(Timestamp ts) {
  using namespace std::chrono;
  const auto day = floor<days>(ts);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<nanoseconds>(ts - day)};
  char buffer[64];
  int length = std::snprintf(
      buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
      static_cast<int>(hms.seconds().count()));
  int64_t fraction = hms.subseconds().count();
  if (fraction != 0) {
    int digits = 9;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    length += std::snprintf(buffer + length, sizeof(buffer) - static_cast<size_t>(length),
                            ".%0*lld", digits, static_cast<long long>(fraction));
  }
  std::string out(buffer, static_cast<size_t>(length));
  out += 'Z';
  return out;
}

Result<Timestamp> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  auto bad = [&] {
    return invalid_argument("'" + std::string(text.substr(0, 64)) +
                            "' is not an RFC 3339 timestamp (expected 2024-01-31T12:00:00Z)");
  };
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_digits(text, pos, 4, y) || !expect(text, pos, '-') || !read_digits(text, pos, 2, mo) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, d)) {
    return bad();
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' '))
    return bad();
  ++pos;
  if (!read_digits(text, pos, 2, h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, mi) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, s)) {
    return bad();
  }
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return bad();
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(text, pos, 2, oh) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, om)) {
      return bad();
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  // Nanoseconds since 1970 in 64 bits reach from 1677 to 2262; outside that the arithmetic below
  // would overflow, so such timestamps are out of range rather than wrong.
  if (y < kMinYear || y > kMaxYear) {
    return out_of_range("'" + std::string(text.substr(0, 64)) + "' is outside the years " +
                        std::to_string(kMinYear) + ".." + std::to_string(kMaxYear));
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return bad();
  const int64_t seconds =
      sys_days{ymd}.time_since_epoch().count() * 86400 + h * 3600 + mi * 60 + s - offset_seconds;
  return timestamp_from_nanos(seconds * kNanosPerSecond + nanos);
}

}  // namespace galfriday
