#include "galfriday/ingest/ohlcvt_csv.hpp"

#include <array>
#include <charconv>
#include <string_view>

namespace galfriday {
namespace {

constexpr size_t kColumns = 7;
constexpr size_t kMaxLineLength = 4096;

}  // namespace

std::optional<KrakenCsvName> parse_kraken_csv_name(const std::filesystem::path& path) {
  const std::string stem = path.stem().string();
  const auto underscore = stem.rfind('_');
  if (underscore == std::string::npos || underscore == 0 || path.extension() != ".csv") {
    return std::nullopt;
  }
  int minutes = 0;
  const char* begin = stem.data() + underscore + 1;
  const char* end = stem.data() + stem.size();
  auto [ptr, ec] = std::from_chars(begin, end, minutes);
  if (ec != std::errc() || ptr != end || minutes <= 0) return std::nullopt;
  return KrakenCsvName{stem.substr(0, underscore), minutes};
}

OhlcvtCsvReader::OhlcvtCsvReader(std::filesystem::path path, InstrumentSpec spec, Duration interval)
    : path_(std::move(path)), spec_(std::move(spec)), interval_(interval), in_(path_) {}

Result<OhlcvtCsvReader> OhlcvtCsvReader::open(const std::filesystem::path& path,
                                              InstrumentSpec spec, Duration interval) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return not_found("data file " + path.string() + " does not exist or is not a regular file");
  }
  if (interval <= Duration::zero()) return invalid_argument("bar interval must be positive");
  OhlcvtCsvReader reader(path, std::move(spec), interval);
  if (!reader.in_) return permission_denied("cannot open data file " + path.string());
  return reader;
}

Status OhlcvtCsvReader::row_error(const std::string& message) const {
  return invalid_argument(path_.string() + ":" + std::to_string(line_) + ": " + message);
}

Result<std::optional<MarketDataOHLCVEvent>> OhlcvtCsvReader::next() {
  // Lines are read into a stack buffer, not a std::string: no allocation per bar. It holds a
  // line of kMaxLineLength characters plus a '\r' and the terminator; a longer line fills it.
  std::array<char, kMaxLineLength + 2> buffer;
  std::string_view text;
  while (true) {
    in_.getline(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in_.bad()) return data_loss("read error in " + path_.string());
    if (in_.fail()) {
      if (in_.eof() && in_.gcount() == 0) return std::optional<MarketDataOHLCVEvent>{};
      ++line_;  // the buffer filled before the line ended
      return row_error("line is longer than " + std::to_string(kMaxLineLength) + " characters");
    }
    ++line_;
    // gcount() counts the '\n' when one ended the line (no eof); NULs in the line stay in it.
    const auto length = static_cast<size_t>(in_.gcount()) - (in_.eof() ? 0U : 1U);
    text = std::string_view(buffer.data(), length);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) break;  // blank lines (e.g. a trailing newline) are skipped
  }
  if (text.size() > kMaxLineLength)
    return row_error("line is longer than " + std::to_string(kMaxLineLength) + " characters");

  std::array<std::string_view, kColumns> columns;
  size_t count = 0;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    if (count == kColumns)
      return row_error("expected 7 columns (time,open,high,low,close,volume,trades), found more");
    columns[count++] = rest.substr(0, comma);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (count != kColumns) {
    return row_error("expected 7 columns (time,open,high,low,close,volume,trades), found " +
                     std::to_string(count));
  }

  int64_t unix_time = 0;
  {
    auto [ptr, ec] =
        std::from_chars(columns[0].data(), columns[0].data() + columns[0].size(), unix_time);
    if (ec != std::errc() || ptr != columns[0].data() + columns[0].size() || unix_time < 0) {
      return row_error("time '" + std::string(columns[0]) + "' is not a unix timestamp in seconds");
    }
  }
  MarketDataOHLCVEvent bar;
  bar.instrument = spec_.id;
  bar.interval = interval_;
  bar.bar_start = timestamp_from_seconds(unix_time);
  static constexpr std::array<const char*, 4> kPriceNames = {"open", "high", "low", "close"};
  std::array<Price*, 4> prices = {&bar.open, &bar.high, &bar.low, &bar.close};
  for (size_t i = 0; i < prices.size(); ++i) {
    auto price = spec_.parse_price(columns[i + 1]);
    if (!price) return row_error(std::string(kPriceNames[i]) + ": " + price.status().message());
    if (!price->is_positive()) return row_error(std::string(kPriceNames[i]) + " must be positive");
    *prices[i] = *price;
  }
  auto volume = spec_.parse_qty(columns[5]);
  if (!volume) return row_error("volume: " + volume.status().message());
  if (volume->is_negative()) return row_error("volume must not be negative");
  bar.volume = *volume;
  {
    auto [ptr, ec] =
        std::from_chars(columns[6].data(), columns[6].data() + columns[6].size(), bar.trade_count);
    if (ec != std::errc() || ptr != columns[6].data() + columns[6].size() || bar.trade_count < 0) {
      return row_error("trades '" + std::string(columns[6]) + "' is not a non-negative integer");
    }
  }
  if (bar.high < bar.open || bar.high < bar.close || bar.high < bar.low || bar.low > bar.open ||
      bar.low > bar.close) {
    return row_error("high/low do not bound open and close");
  }
  if (last_bar_start_ && bar.bar_start <= *last_bar_start_) {
    return row_error("bar time " + format_iso8601(bar.bar_start) +
                     " is not after the previous bar " + format_iso8601(*last_bar_start_) +
                     " (rows must be in increasing time order)");
  }
  last_bar_start_ = bar.bar_start;
  bar.meta.ts_event = bar.bar_start + interval_;
  return std::optional<MarketDataOHLCVEvent>(std::move(bar));
}

std::string format_ohlcvt_row(const MarketDataOHLCVEvent& bar) {
  std::string row = std::to_string(to_seconds(bar.bar_start));
  for (const Price* price : {&bar.open, &bar.high, &bar.low, &bar.close}) {
    row += ',';
    row += price->to_string();
  }
  row += ',';
  row += bar.volume.to_string();
  row += ',';
  row += std::to_string(bar.trade_count);
  return row;
}

}  // namespace galfriday
