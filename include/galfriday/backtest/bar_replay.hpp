#pragma once
// Replays several pairs' bar files as one stream in time order (by close time, then by pair
// and interval, whatever order the files were given in), reading one row ahead per file so memory
// stays flat.

#include <vector>

#include "galfriday/ingest/ohlcvt_csv.hpp"

namespace galfriday::backtest {

class BarReplay {
 public:
  // Reads the first bar of each file; fails on the first malformed row.
  static Result<BarReplay> open(std::vector<OhlcvtCsvReader> readers);

  // The next bar across all files, nullopt when every file is exhausted.
  Result<std::optional<MarketDataOHLCVEvent>> next();

 private:
  explicit BarReplay(std::vector<OhlcvtCsvReader> readers) : readers_(std::move(readers)) {}

  std::vector<OhlcvtCsvReader> readers_;
  std::vector<std::optional<MarketDataOHLCVEvent>> heads_;
};

}  // namespace galfriday::backtest
