#pragma once
// The trading pipeline wired on one bus: market prices, features, prediction, strategy, risk,
// execution and portfolio. The same wiring serves every mode; only the execution handler and
// the data source differ.

#include <memory>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/execution/simulated_exchange.hpp"
#include "galfriday/features/feature_engine.hpp"
#include "galfriday/ingest/market_price_service.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/portfolio/portfolio_manager.hpp"
#include "galfriday/prediction/prediction_service.hpp"
#include "galfriday/risk/risk_manager.hpp"
#include "galfriday/strategy/strategy_arbitrator.hpp"

namespace galfriday::app {

// The configured pairs as instrument specs.
Result<InstrumentRegistry> build_instruments(const config::Config& config);

struct PipelineOptions {
  // Backtest and paper mode fill orders on the SimulatedExchange. Live mode leaves it out:
  // Kraken's execution handler (module live) consumes the approved signals instead.
  bool simulated_exchange = true;
};

class Pipeline {
 public:
  // Builds every service and subscribes it to `bus` in dispatch order: the exchange first
  // (fills at a bar's open precede everything computed from its close), then prices,
  // portfolio, features, prediction, strategy and risk.
  static Result<std::unique_ptr<Pipeline>> create(const config::Config& config,
                                                  const InstrumentRegistry& instruments,
                                                  const Clock& clock, PubSubManager& bus,
                                                  PipelineOptions options = {});

  const PortfolioManager& portfolio() const { return *portfolio_; }
  const RiskManager& risk() const { return *risk_; }
  const StrategyArbitrator& strategy() const { return *strategy_; }
  // Null without PipelineOptions::simulated_exchange.
  const SimulatedExchange* exchange() const { return exchange_.get(); }
  const MarketPriceService& prices() const { return *prices_; }

 private:
  Pipeline() = default;

  std::unique_ptr<SimulatedExchange> exchange_;
  std::unique_ptr<MarketPriceService> prices_;
  std::unique_ptr<PortfolioManager> portfolio_;
  std::unique_ptr<FeatureEngine> features_;
  std::unique_ptr<PredictionService> prediction_;
  std::unique_ptr<StrategyArbitrator> strategy_;
  std::unique_ptr<RiskManager> risk_;
};

}  // namespace galfriday::app
