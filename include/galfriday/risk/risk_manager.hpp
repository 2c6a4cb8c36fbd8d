#pragma once
// RiskManager: every pre-trade check between a proposed signal and an order, and the
// position size. Each rejection names its reason and the numbers that failed. Sizing is fixed
// fractional: qty = equity × risk_per_trade% / |entry − stop|, rounded down to the lot
// precision, then capped by the max order value, the per-pair and total exposure limits and
// the available cash (fees included). Engine thread only.

#include <map>
#include <variant>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/ingest/market_price_service.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/portfolio/portfolio_manager.hpp"

namespace galfriday {

class RiskManager {
 public:
  RiskManager(const config::RiskConfig& risk, const config::ExecutionConfig& execution,
              const InstrumentRegistry& instruments, const MarketPriceService& prices,
              const PortfolioManager& portfolio);

  // Checks proposals and publishes the approval or the rejection; follows SystemStateEvent.
  void attach(PubSubManager& bus);

  // The decision for one proposal, without publishing it.
  std::variant<TradeSignalApprovedEvent, TradeSignalRejectedEvent> evaluate(
      const TradeSignalProposedEvent& signal) const;

  bool halted() const { return halted_; }
  uint64_t approved() const { return approved_; }
  uint64_t rejected() const { return rejected_; }
  const std::map<RejectReason, uint64_t>& rejections_by_reason() const {
    return rejections_by_reason_;
  }

 private:
  config::RiskConfig risk_;
  config::ExecutionConfig execution_;
  const InstrumentRegistry& instruments_;
  const MarketPriceService& prices_;
  const PortfolioManager& portfolio_;
  bool halted_ = false;
  uint64_t approved_ = 0;
  uint64_t rejected_ = 0;
  std::map<RejectReason, uint64_t> rejections_by_reason_;
};

}  // namespace galfriday
