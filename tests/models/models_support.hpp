#pragma once
// Helpers of the model-lifecycle tests: a migrated SQLite database in a temporary directory, and
// generated bars with a planted, learnable signal.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "../prediction/test_support.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/sqlite_store.hpp"

namespace galfriday::testing_support {

inline std::unique_ptr<persistence::Database> open_migrated(const std::filesystem::path& file,
                                                            const Clock& clock) {
  persistence::SqliteOptions options;
  options.durability = persistence::Durability::kNormal;
  auto db = persistence::open_sqlite(file, options);
  EXPECT_TRUE(db.is_ok()) << db.status().to_string();
  if (!db) return nullptr;
  const Status migrated = persistence::migrate(**db, clock);
  EXPECT_TRUE(migrated.is_ok()) << migrated.to_string();
  return std::move(*db);
}

// One-minute bars of BTC/USD whose log returns follow r[t] = phi · r[t-1] + noise: momentum a
// model can learn from the return features (the label is "a close within 5 bars at least 0.1 %
// higher"). phi = 0 gives a pure random walk with nothing to learn.
inline std::vector<MarketDataOHLCVEvent> planted_bars(size_t count, uint64_t seed, double phi = 0.5,
                                                      double sigma = 0.0012) {
  Rng rng(seed);
  std::vector<MarketDataOHLCVEvent> bars;
  bars.reserve(count);
  double close = 30000.0;
  double previous_return = 0.0;
  const Timestamp start = timestamp_from_seconds(1704067200);
  for (size_t i = 0; i < count; ++i) {
    const double r = phi * previous_return + sigma * rng.normal();
    previous_return = r;
    const double open = close;
    close = open * std::exp(r);
    const auto price = [](double value) {
      return Price::from_raw(static_cast<int64_t>(std::llround(value * 100.0)), 2);
    };
    MarketDataOHLCVEvent bar;
    bar.instrument = InstrumentId("BTC/USD");
    bar.interval = std::chrono::minutes(1);
    bar.bar_start = start + std::chrono::minutes(static_cast<int64_t>(i));
    bar.meta.ts_event = bar.bar_start + bar.interval;
    bar.meta.ts_init = bar.meta.ts_event;
    bar.open = price(open);
    bar.close = price(close);
    bar.high = price(std::max(open, close) * 1.0003);
    bar.low = price(std::min(open, close) * 0.9997);
    bar.volume = Quantity::from_raw(static_cast<int64_t>(100000000 + i % 7 * 1000000), 8);
    bar.trade_count = 10;
    bars.push_back(bar);
  }
  return bars;
}

// Features of the retraining tests: fewer indicators, so training is quick.
inline config::FeaturesConfig small_features() {
  config::FeaturesConfig features;
  features.indicators = {"returns", "rsi", "volatility"};
  features.return_horizons = {1, 2, 5};
  features.rsi_period = 14;
  features.volatility_window = 20;
  return features;
}

}  // namespace galfriday::testing_support
