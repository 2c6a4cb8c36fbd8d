#pragma once
// Kraken's downloadable OHLCVT CSV files: one file per pair and interval, named
// <ALTNAME>_<minutes>.csv (XBTUSD_1.csv), rows "unix_time,open,high,low,close,volume,trades"
// with no header. Rows are read one at a time so a year of bars needs no more memory than one.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday {

struct KrakenCsvName {
  std::string altname;  // "XBTUSD"
  int interval_minutes = 0;
};

// Reads "XBTUSD_1.csv" -> {XBTUSD, 1}; nullopt when the name does not follow that pattern.
std::optional<KrakenCsvName> parse_kraken_csv_name(const std::filesystem::path& path);

class OhlcvtCsvReader {
 public:
  // Fails when the file cannot be opened.
  static Result<OhlcvtCsvReader> open(const std::filesystem::path& path, InstrumentSpec spec,
                                      Duration interval);

  // The next bar as a closed-bar event (ts_event = bar close), nullopt at the end of the file.
  // A malformed row is an error naming the file and line; so is a bar whose time does not
  // increase or whose high/low do not bound its open and close.
  Result<std::optional<MarketDataOHLCVEvent>> next();

  const std::filesystem::path& path() const { return path_; }
  int64_t line() const { return line_; }

 private:
  OhlcvtCsvReader(std::filesystem::path path, InstrumentSpec spec, Duration interval);
  Status row_error(const std::string& message) const;

  std::filesystem::path path_;
  InstrumentSpec spec_;
  Duration interval_;
  std::ifstream in_;
  int64_t line_ = 0;
  std::optional<Timestamp> last_bar_start_;
};

// Writes a CSV row for a bar, in the same format the reader accepts.
std::string format_ohlcvt_row(const MarketDataOHLCVEvent& bar);

}  // namespace galfriday
