#pragma once
// PortfolioManager: books fills into cash and positions, exactly, and values them.
// PortfolioState is the one view of the portfolio that risk, monitoring, the CLI and reports
// read. Long positions at average cost; fees are paid in the quote currency and included in
// the cost basis of buys and deducted from the proceeds of sells, so realized P&L is net of
// fees and the books balance exactly: cash + Σ qty × price = initial capital + realized P&L +
// unrealized P&L. Engine thread only.
//
// Pairs must be quoted in the valuation currency (checked at start); cross-currency
// valuation arrives with the portfolio issue.

#include <map>
#include <optional>
#include <unordered_set>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/ingest/market_price_service.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday {

struct PositionView {
  InstrumentId instrument;
  Quantity qty;
  Money cost_basis;                 // what the open quantity cost, fees included
  std::optional<Price> mark_price;  // nullopt before any market data
  Money market_value;               // qty × mark (zero without a mark)
  Money unrealized_pnl;             // market_value − cost_basis
  Timestamp opened{};
};

// A round trip from flat to flat.
struct ClosedTrade {
  InstrumentId instrument;
  Timestamp entry_time{};
  Timestamp exit_time{};
  Quantity qty;    // total bought
  Money cost;      // total paid for it, fees included
  Money proceeds;  // total received, net of fees
  Money pnl;       // proceeds − cost
  Money fees;
};

struct PortfolioState {
  Timestamp as_of{};
  std::string valuation_currency;
  Money initial_equity;
  Money cash;    // valuation-currency balance
  Money equity;  // cash + positions at mark
  Money peak_equity;
  Money realized_pnl;  // net of fees
  Money unrealized_pnl;
  Money fees_paid;
  Money total_exposure;              // Σ |market value|
  double drawdown_pct = 0.0;         // from peak equity
  double daily_drawdown_pct = 0.0;   // from equity at the start of the UTC day
  double weekly_drawdown_pct = 0.0;  // from equity at the start of the ISO week (Monday UTC)
  int consecutive_losses = 0;
  int64_t closed_trades = 0;
  int64_t winning_trades = 0;
  std::vector<PositionView> positions;  // open positions only
};

class PortfolioManager {
 public:
  static Result<std::unique_ptr<PortfolioManager>> create(const config::PortfolioConfig& config,
                                                          const InstrumentRegistry& instruments,
                                                          const MarketPriceService& prices,
                                                          const Clock& clock);

  // Books fills from execution reports and marks to market on every closed bar.
  void attach(PubSubManager& bus);

  // Books the fill a report carries (if any). A fill already booked (same trade id) is
  // ignored and counted. Selling more than is held is a broken invariant: kFailedPrecondition.
  Status apply(const ExecutionReportEvent& report);
  // Revalues positions, updates peak and period drawdowns. Call when prices change.
  void mark_to_market();

  PortfolioState state() const;
  Money equity() const;
  Money cash() const { return cash_; }
  Quantity position_qty(const InstrumentId& id) const;
  Money exposure(const InstrumentId& id) const;
  Money total_exposure() const;
  const std::vector<ClosedTrade>& closed_trades() const { return closed_; }
  uint64_t duplicate_fills() const { return duplicate_fills_; }

 private:
  struct Position {
    Quantity qty;
    Money cost_basis;
    Timestamp opened{};
    ClosedTrade round_trip;
  };

  PortfolioManager(const config::PortfolioConfig& config, const InstrumentRegistry& instruments,
                   const MarketPriceService& prices, const Clock& clock, Money initial);
  Money market_value(const InstrumentId& id, const Position& position) const;
  void roll_periods(Timestamp now, Money equity);

  std::string valuation_currency_;
  const InstrumentRegistry& instruments_;
  const MarketPriceService& prices_;
  const Clock& clock_;
  PubSubManager* bus_ = nullptr;

  Money initial_equity_;
  Money cash_;
  Money realized_pnl_;
  Money fees_paid_;
  Money peak_equity_;
  Money day_start_equity_;
  Money week_start_equity_;
  Money last_marked_equity_;  // equity at the previous mark_to_market()
  int64_t current_day_ = INT64_MIN;
  int64_t current_week_ = INT64_MIN;
  int consecutive_losses_ = 0;
  int64_t winning_trades_ = 0;
  std::map<InstrumentId, Position> positions_;  // ordered: stable output
  std::vector<ClosedTrade> closed_;
  std::unordered_set<std::string> booked_trade_ids_;
  uint64_t duplicate_fills_ = 0;
};

}  // namespace galfriday
