#pragma once
// Deterministic synthetic OHLCVT data, so the main job and the tests run offline. The price
// follows a random walk whose drift switches between up, down and flat regimes, which gives a
// momentum model something real to find and lose money on.

#include <cstdint>
#include <filesystem>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday {

struct SampleDataOptions {
  int64_t bars = 30 * 24 * 60;                           // a month of 1-minute bars
  Timestamp start = timestamp_from_seconds(1704067200);  // 2024-01-01T00:00:00Z
  Duration interval = std::chrono::minutes(1);
  uint64_t seed = 42;
  double volatility_per_bar = 0.0012;  // stddev of one bar's log return
  double trend_drift_per_bar = 0.00015;
  int64_t mean_regime_bars = 600;
};

// Writes a Kraken-format OHLCVT CSV for `spec` starting at `start_price`. The file is written to
// a temporary name and renamed, so a failure never leaves a half-written file.
// A start price for generated data (sample files, the Kraken simulator): near January 2024 levels
// for BTC, ETH and SOL so the sample looks familiar; 100 quote units for other bases.
Price sample_start_price(const InstrumentSpec& spec);

Status write_sample_ohlcvt(const std::filesystem::path& file, const InstrumentSpec& spec,
                           Price start_price, const SampleDataOptions& options);

}  // namespace galfriday
