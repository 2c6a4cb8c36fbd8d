#include "galfriday/features/feature_engine.hpp"

#include <algorithm>

namespace galfriday {

void RollingMean::add(double value) {
  if (count_ >= values_.size()) sum_ -= values_[next_];
  values_[next_] = value;
  sum_ += value;
  next_ = (next_ + 1) % values_.size();
  ++count_;
}

FeatureEngine::FeatureEngine(const config::FeaturesConfig& config)
    : config_(config),
      names_(std::make_shared<const std::vector<std::string>>(std::vector<std::string>{
          "sma_fast", "sma_slow", "ma_spread", "return_" + std::to_string(config.return_horizon)})) {}

int FeatureEngine::warmup_bars() const { return std::max(config_.slow_window, config_.return_horizon + 1); }

void FeatureEngine::attach(PubSubManager& bus) {
  bus_ = &bus;
  bus.subscribe<MarketDataOHLCVEvent>(
      [this](const MarketDataOHLCVEvent& bar) {
        auto features = update(bar);
        if (!features) return;
        FeatureEvent event;
        event.meta.ts_event = bar.meta.ts_event;
        event.instrument = bar.instrument;
        event.features = std::move(*features);
        bus_->publish(std::move(event));
      },
      "feature_engine");
}

FeatureEngine::PairState& FeatureEngine::state_for(const InstrumentId& id) {
  auto it = pairs_.find(id);
  if (it == pairs_.end()) {
    PairState state{RollingMean(config_.fast_window), RollingMean(config_.slow_window),
                    std::vector<double>(static_cast<size_t>(config_.return_horizon) + 1, 0.0), 0, 0};
    it = pairs_.emplace(id, std::move(state)).first;
  }
  return it->second;
}

std::optional<FeatureVector> FeatureEngine::update(const MarketDataOHLCVEvent& bar) {
  PairState& state = state_for(bar.instrument);
  const double close = bar.close.to_double();
  state.fast.add(close);
  state.slow.add(close);
  state.closes[state.next] = close;
  state.next = (state.next + 1) % state.closes.size();
  ++state.bars;
  if (state.bars < warmup_bars()) return std::nullopt;
  // After the write, `next` points at the oldest close: return_horizon bars before this one.
  const double past_close = state.closes[state.next];
  const double sma_fast = state.fast.mean();
  const double sma_slow = state.slow.mean();
  return FeatureVector{names_, {sma_fast, sma_slow, sma_fast / sma_slow - 1.0, close / past_close - 1.0}};
}

}  // namespace galfriday
