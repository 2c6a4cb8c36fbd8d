#include "galfriday/features/feature_engine.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace galfriday {

Result<std::vector<features::IndicatorSpec>> indicator_specs(const config::FeaturesConfig& c) {
  std::vector<features::IndicatorSpec> specs;
  for (const std::string& name : c.indicators) {
    if (name == "ma_spread") {
      specs.push_back(features::moving_average_spread(c.fast_window, c.slow_window));
    } else if (name == "returns") {
      if (c.return_horizons.empty()) return invalid_argument("features.return_horizons is empty");
      specs.push_back(features::returns(c.return_horizons));
    } else if (name == "rsi") {
      specs.push_back(features::rsi(c.rsi_period));
    } else if (name == "macd") {
      specs.push_back(features::macd(c.macd_fast, c.macd_slow, c.macd_signal));
    } else if (name == "bollinger") {
      specs.push_back(features::bollinger(c.bollinger_period, c.bollinger_stddev));
    } else if (name == "atr") {
      specs.push_back(features::atr(c.atr_period));
    } else if (name == "roc") {
      specs.push_back(features::rate_of_change(c.roc_period));
    } else if (name == "volatility") {
      specs.push_back(features::volatility(c.volatility_window));
    } else if (name == "vwap") {
      specs.push_back(features::vwap(c.vwap_window));
    } else {
      return invalid_argument("features.indicators: unknown indicator '" + name + "'");
    }
  }
  if (specs.empty()) return invalid_argument("features.indicators is empty");
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    for (const auto& feature : spec.names) {
      if (!seen.insert(feature).second) {
        return invalid_argument("features.indicators: feature '" + feature + "' is produced twice");
      }
    }
  }
  return specs;
}

Result<std::unique_ptr<FeatureEngine>> FeatureEngine::create(const config::FeaturesConfig& config) {
  auto specs = indicator_specs(config);
  if (!specs) return specs.status();
  return std::unique_ptr<FeatureEngine>(new FeatureEngine(std::move(*specs)));
}

FeatureEngine::FeatureEngine(std::vector<features::IndicatorSpec> specs)
    : specs_(std::move(specs)) {
  auto names = std::make_shared<std::vector<std::string>>();
  for (const auto& spec : specs_) {
    names->insert(names->end(), spec.names.begin(), spec.names.end());
    warmup_bars_ = std::max(warmup_bars_, spec.warmup_bars);
  }
  names_ = std::move(names);
}

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
    PairState state;
    for (const auto& spec : specs_) state.push_back(spec.make(spec.params, spec.real_param));
    it = pairs_.emplace(id, std::move(state)).first;
  }
  return it->second;
}

std::optional<FeatureVector> FeatureEngine::update(const MarketDataOHLCVEvent& bar) {
  PairState& state = state_for(bar.instrument);
  const features::BarInput input{bar.open.to_double(), bar.high.to_double(), bar.low.to_double(),
                                 bar.close.to_double(), bar.volume.to_double()};
  bool ready = true;
  for (auto& indicator : state) {
    indicator->update(input);
    ready = ready && indicator->ready();
  }
  if (!ready) return std::nullopt;
  FeatureVector vector{names_, {}};
  vector.values.reserve(names_->size());
  for (const auto& indicator : state) indicator->append_values(vector.values);
  if (!std::all_of(vector.values.begin(), vector.values.end(),
                   [](double v) { return std::isfinite(v); })) {
    ++non_finite_;
    return std::nullopt;
  }
  return vector;
}

}  // namespace galfriday
