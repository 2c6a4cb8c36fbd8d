#pragma once
// FeatureEngine: turns closed bars, trades and L2 book events into named feature vectors,
// incrementally (O(1) per bar or trade per indicator; O(levels) per book event). Nothing is
// published for a pair before every configured indicator has warmed up. One FeatureEvent per
// pair per closed bar carries every feature, trade and book features at their latest values;
// with features.emit_on_book_update, each book event also publishes the full vector (bar
// features as of the last closed bar).
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
  // Bars a pair needs before its first feature vector. Trade and book indicators add their own
  // warm-up (a trade window's length, the first book event) on top.
  int warmup_bars() const { return warmup_bars_; }
  bool uses_trades() const { return !trade_indicators_.empty(); }
  bool uses_book() const { return !book_indicators_.empty(); }

  void attach(PubSubManager& bus);

  // Updates the pair's state with a closed bar; returns features once warmed up. A bar whose
  // features are not all finite returns nothing (counted in non_finite()), so a model never
  // sees NaN or infinity.
  std::optional<FeatureVector> update(const MarketDataOHLCVEvent& bar);

  // Updates the pair's trade indicators. Trade features are published with the next bar (or
  // book update), so this returns nothing.
  void update_trade(const MarketDataTradeEvent& trade);

  // Updates the pair's book indicators; with emit_on_book_update, returns the full vector once
  // every indicator is ready (and its values are finite), as update() does for a bar.
  std::optional<FeatureVector> update_book(const MarketDataL2Event& book);

  uint64_t non_finite() const { return non_finite_; }

 private:
  FeatureEngine(std::vector<features::IndicatorSpec> specs, bool emit_on_book_update);

  using PairState = std::vector<std::unique_ptr<features::Indicator>>;
  PairState& state_for(const InstrumentId& id);
  // The pair's vector when every indicator is ready at `now` and every value is finite.
  std::optional<FeatureVector> collect(PairState& state, Timestamp now);
  void publish(const InstrumentId& instrument, Timestamp time, FeatureVector features);

  std::vector<features::IndicatorSpec> specs_;
  std::shared_ptr<const std::vector<std::string>> names_;
  int warmup_bars_ = 0;
  bool emit_on_book_update_ = false;
  // Indexes into specs_ (and each PairState) by source.
  std::vector<size_t> bar_indicators_;
  std::vector<size_t> trade_indicators_;
  std::vector<size_t> book_indicators_;
  std::unordered_map<InstrumentId, PairState> pairs_;
  PubSubManager* bus_ = nullptr;
  uint64_t non_finite_ = 0;
};

}  // namespace galfriday
