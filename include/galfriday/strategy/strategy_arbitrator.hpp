#pragma once
// StrategyArbitrator: turns predictions into trade proposals. Enters long when the
// probability reaches buy_threshold and the pair is flat; exits (ClosePositionCommand) when
// it falls to sell_threshold while a position is open. Stop-loss and take-profit are set as
// percentages of the entry price. One position per pair; a cooldown follows each exit.
// Sizing is the risk manager's job. Engine thread only.

#include <map>
#include <optional>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/ingest/market_price_service.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/portfolio/portfolio_manager.hpp"

namespace galfriday {

class StrategyArbitrator {
 public:
  StrategyArbitrator(const config::StrategyConfig& config, const InstrumentRegistry& instruments,
                     const MarketPriceService& prices, const PortfolioManager& portfolio);

  void attach(PubSubManager& bus);

  uint64_t proposals() const { return proposals_; }
  uint64_t exits() const { return exits_; }

 private:
  struct PairState {
    std::optional<SignalId> pending_entry;  // proposed, not yet rejected or done
    int cooldown_remaining = 0;             // predictions to skip after an exit
    bool exit_requested = false;
  };

  void on_prediction(const PredictionEvent& prediction);
  void on_rejected(const TradeSignalRejectedEvent& rejected);
  void on_report(const ExecutionReportEvent& report);
  void propose_entry(const PredictionEvent& prediction, const InstrumentSpec& spec, Price price);

  config::StrategyConfig config_;
  const InstrumentRegistry& instruments_;
  const MarketPriceService& prices_;
  const PortfolioManager& portfolio_;
  PubSubManager* bus_ = nullptr;
  std::map<InstrumentId, PairState> pairs_;
  uint64_t next_signal_ = 1;
  uint64_t proposals_ = 0;
  uint64_t exits_ = 0;
};

}  // namespace galfriday
