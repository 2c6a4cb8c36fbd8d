#include "galfriday/app/pipeline.hpp"

namespace galfriday::app {
namespace {
// Prices older than this are stale for valuation and risk checks in bar-driven runs: a bar of
// the largest Kraken interval (one week) plus slack.
constexpr Duration kPriceStaleAfter = std::chrono::hours(24 * 8);
}  // namespace

Result<InstrumentRegistry> build_instruments(const config::Config& config) {
  InstrumentRegistry registry;
  for (const auto& pair : config.pairs) {
    InstrumentSpec spec;
    spec.id = InstrumentId(pair.symbol);
    spec.altname = pair.altname;
    spec.base = pair.base;
    spec.quote = pair.quote;
    spec.price_precision = pair.price_precision;
    spec.qty_precision = pair.qty_precision;
    spec.cost_precision = pair.cost_precision;
    spec.ordermin = pair.ordermin;
    spec.costmin = pair.costmin;
    spec.tick_size = pair.tick_size;
    GF_RETURN_IF_ERROR(registry.add(std::move(spec)));
  }
  return registry;
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(const config::Config& config,
                                                   const InstrumentRegistry& instruments,
                                                   const Clock& clock, PubSubManager& bus,
                                                   PipelineOptions options) {
  std::unique_ptr<Pipeline> pipeline(new Pipeline());
  if (options.simulated_exchange) {
    pipeline->exchange_ = std::make_unique<SimulatedExchange>(config.execution, instruments);
  }
  pipeline->prices_ = std::make_unique<MarketPriceService>(clock, kPriceStaleAfter);
  auto portfolio =
      PortfolioManager::create(config.portfolio, instruments, *pipeline->prices_, clock);
  if (!portfolio) return portfolio.status();
  pipeline->portfolio_ = std::move(*portfolio);
  auto features = FeatureEngine::create(config.features);
  if (!features) return features.status();
  pipeline->features_ = std::move(*features);
  GF_RETURN_IF_ERROR(
      StrategyArbitrator::check_features(config.strategy, *pipeline->features_->names()));
  auto model = make_model(config.prediction, config.features);
  if (!model) return model.status();
  auto prediction = PredictionService::create(std::move(*model), config.prediction.target,
                                              *pipeline->features_->names());
  if (!prediction) return prediction.status();
  pipeline->prediction_ = std::move(*prediction);
  pipeline->strategy_ = std::make_unique<StrategyArbitrator>(
      config.strategy, instruments, *pipeline->prices_, *pipeline->portfolio_);
  pipeline->risk_ = std::make_unique<RiskManager>(config.risk, config.execution, instruments,
                                                  *pipeline->prices_, *pipeline->portfolio_);

  if (pipeline->exchange_) pipeline->exchange_->attach(bus);
  pipeline->prices_->attach(bus);
  pipeline->portfolio_->attach(bus);
  pipeline->features_->attach(bus);
  pipeline->prediction_->attach(bus);
  pipeline->strategy_->attach(bus);
  pipeline->risk_->attach(bus);
  return pipeline;
}

}  // namespace galfriday::app
