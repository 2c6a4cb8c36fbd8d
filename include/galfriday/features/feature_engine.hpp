#pragma once
// FeatureEngine: turns closed bars into named feature vectors, incrementally (O(1) per bar).
// Nothing is published for a pair before its warm-up is complete. The same class computes
// features for training over history and live, so names and values match exactly.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"

namespace galfriday {

// Mean of the last `window` values, kept as a running sum over a circular buffer.
class RollingMean {
 public:
  explicit RollingMean(int window) : values_(static_cast<size_t>(window), 0.0) {}
  void add(double value);
  bool full() const { return count_ >= values_.size(); }
  double mean() const { return sum_ / static_cast<double>(count_ < values_.size() ? count_ : values_.size()); }

 private:
  std::vector<double> values_;
  size_t next_ = 0;
  size_t count_ = 0;
  double sum_ = 0.0;
};

class FeatureEngine {
 public:
  explicit FeatureEngine(const config::FeaturesConfig& config);

  // Feature names in the order of every FeatureVector this engine produces:
  // sma_fast, sma_slow, ma_spread (sma_fast / sma_slow - 1), return_<horizon>.
  const std::shared_ptr<const std::vector<std::string>>& names() const { return names_; }
  // Bars a pair needs before its first feature vector.
  int warmup_bars() const;

  void attach(PubSubManager& bus);

  // Updates the pair's state with a closed bar; returns features once warmed up.
  std::optional<FeatureVector> update(const MarketDataOHLCVEvent& bar);

 private:
  struct PairState {
    RollingMean fast;
    RollingMean slow;
    std::vector<double> closes;  // circular, return_horizon + 1 long
    size_t next = 0;
    int64_t bars = 0;
  };

  PairState& state_for(const InstrumentId& id);

  config::FeaturesConfig config_;
  std::shared_ptr<const std::vector<std::string>> names_;
  std::unordered_map<InstrumentId, PairState> pairs_;
  PubSubManager* bus_ = nullptr;
};

}  // namespace galfriday
