#pragma once
// StrategyArbitrator: turns predictions into trade proposals. Enters long when the
// probability reaches buy_threshold, every confirmation rule holds and the pair is flat; exits
// (ClosePositionCommand) when it falls to sell_threshold, or when the time stop has run out,
// while a position is open. Stop-loss and take-profit are set as percentages of the entry or
// as ATR multiples. One position per pair; a cooldown follows each exit and each rejection.
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

  // Checks that the features the strategy reads (ATR, confirmation rules) are produced.
  static Status check_features(const config::StrategyConfig& config,
                               const std::vector<std::string>& feature_names);

  void attach(PubSubManager& bus);

  uint64_t proposals() const { return proposals_; }
  uint64_t exits() const { return exits_; }

 private:
  struct PairState {
    std::optional<SignalId> pending_entry;  // proposed, not yet rejected or done
    int cooldown_remaining = 0;             // predictions to skip after an exit
    bool exit_requested = false;
    int bars_held = 0;  // predictions seen while the position was open
  };

  void on_prediction(const PredictionEvent& prediction);
  void on_rejected(const TradeSignalRejectedEvent& rejected);
  void on_report(const ExecutionReportEvent& report);
  void propose_entry(const PredictionEvent& prediction, const InstrumentSpec& spec, Price price);
  void request_exit(const PredictionEvent& prediction, PairState& state, std::string reason);
  bool confirmed(const FeatureVector& features) const;

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
