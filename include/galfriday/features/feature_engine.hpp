#pragma once
// FeatureEngine: turns closed bars into named feature vectors, incrementally (O(1) per bar per
// indicator). Nothing is published for a pair before every configured indicator has warmed up.
// The same class computes features for training (batch over history, through update()) and
// live (on the bus), so names and values match exactly between training and inference.
// Engine thread only.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/features/indicators.hpp"

namespace galfriday {

// The indicator specs a features config asks for, in its order. Fails on an unknown name or a
// feature name produced twice.
Result<std::vector<features::IndicatorSpec>> indicator_specs(const config::FeaturesConfig& config);

class FeatureEngine {
 public:
  static Result<std::unique_ptr<FeatureEngine>> create(const config::FeaturesConfig& config);

  // Feature names in the order of every FeatureVector this engine produces.
  const std::shared_ptr<const std::vector<std::string>>& names() const { return names_; }
  // Bars a pair needs before its first feature vector.
  int warmup_bars() const { return warmup_bars_; }

  void attach(PubSubManager& bus);

  // Updates the pair's state with a closed bar; returns features once warmed up. A bar whose
  // features are not all finite returns nothing (counted in non_finite()), so a model never
  // sees NaN or infinity.
  std::optional<FeatureVector> update(const MarketDataOHLCVEvent& bar);

  uint64_t non_finite() const { return non_finite_; }

 private:
  explicit FeatureEngine(std::vector<features::IndicatorSpec> specs);

  using PairState = std::vector<std::unique_ptr<features::Indicator>>;
  PairState& state_for(const InstrumentId& id);

  std::vector<features::IndicatorSpec> specs_;
  std::shared_ptr<const std::vector<std::string>> names_;
  int warmup_bars_ = 0;
  std::unordered_map<InstrumentId, PairState> pairs_;
  PubSubManager* bus_ = nullptr;
  uint64_t non_finite_ = 0;
};

}  // namespace galfriday
