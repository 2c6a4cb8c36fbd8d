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
    } else if (name == "trades") {
      if (c.trade_window_seconds < 1) return invalid_argument("features.trade_window_seconds < 1");
      specs.push_back(features::trade_flow(c.trade_window_seconds));
    } else if (name == "book") {
      if (c.book_levels < 1) return invalid_argument("features.book_levels < 1");
      specs.push_back(features::book(c.book_levels));
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
  return std::unique_ptr<FeatureEngine>(
      new FeatureEngine(std::move(*specs), config.emit_on_book_update));
}

FeatureEngine::FeatureEngine(std::vector<features::IndicatorSpec> specs, bool emit_on_book_update)
    : specs_(std::move(specs)), emit_on_book_update_(emit_on_book_update) {
  auto names = std::make_shared<std::vector<std::string>>();
  for (size_t i = 0; i < specs_.size(); ++i) {
    const auto& spec = specs_[i];
    names->insert(names->end(), spec.names.begin(), spec.names.end());
    warmup_bars_ = std::max(warmup_bars_, spec.warmup_bars);
    switch (spec.source) {
      case features::IndicatorSource::kBars:
        bar_indicators_.push_back(i);
        break;
      case features::IndicatorSource::kTrades:
        trade_indicators_.push_back(i);
        break;
      case features::IndicatorSource::kBook:
        book_indicators_.push_back(i);
        break;
    }
  }
  names_ = std::move(names);
}

void FeatureEngine::attach(PubSubManager& bus) {
  bus_ = &bus;
  bus.subscribe<MarketDataOHLCVEvent>(
      [this](const MarketDataOHLCVEvent& bar) {
        if (auto features = update(bar)) {
          publish(bar.instrument, bar.meta.ts_event, std::move(*features));
        }
      },
      "feature_engine");
  if (uses_trades()) {
    bus.subscribe<MarketDataTradeEvent>(
        [this](const MarketDataTradeEvent& trade) { update_trade(trade); }, "feature_engine");
  }
  if (uses_book()) {
    bus.subscribe<MarketDataL2Event>(
        [this](const MarketDataL2Event& book) {
          if (auto features = update_book(book)) {
            publish(book.instrument, book.meta.ts_event, std::move(*features));
          }
        },
        "feature_engine");
  }
}

void FeatureEngine::publish(const InstrumentId& instrument, Timestamp time,
                            FeatureVector features) {
  FeatureEvent event;
  event.meta.ts_event = time;
  event.instrument = instrument;
  event.features = std::move(features);
  bus_->publish(std::move(event));
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
  for (const size_t i : bar_indicators_) state[i]->update(input);
  return collect(state, bar.meta.ts_event);
}

void FeatureEngine::update_trade(const MarketDataTradeEvent& trade) {
  PairState& state = state_for(trade.instrument);
  for (const size_t i : trade_indicators_) state[i]->on_trade(trade);
}

std::optional<FeatureVector> FeatureEngine::update_book(const MarketDataL2Event& book) {
  PairState& state = state_for(book.instrument);
  for (const size_t i : book_indicators_) state[i]->on_book(book);
  if (!emit_on_book_update_) return std::nullopt;
  return collect(state, book.meta.ts_event);
}

std::optional<FeatureVector> FeatureEngine::collect(PairState& state, Timestamp now) {
  for (const size_t i : trade_indicators_) state[i]->advance_to(now);
  for (const auto& indicator : state) {
    if (!indicator->ready()) return std::nullopt;
  }
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
