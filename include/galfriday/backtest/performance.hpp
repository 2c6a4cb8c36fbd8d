#pragma once
// Performance of a run from its equity curve and closed trades.

#include <map>
#include <string>
#include <vector>

#include "galfriday/portfolio/portfolio_manager.hpp"

namespace galfriday::backtest {

struct EquityPoint {
  Timestamp time{};
  Money equity;
  Money exposure;  // market value of open positions
};

struct PerformanceSummary {
  Timestamp start{};
  Timestamp end{};
  Money initial_equity;
  Money final_equity;
  Money realized_pnl;
  Money fees_paid;
  double total_return_pct = 0.0;
  // Annualised over 365 days of 24 h (crypto trades every day), from per-bar returns of the
  // equity curve; bars per year follow from the curve's spacing.
  double annualized_return_pct = 0.0;
  double annualized_volatility_pct = 0.0;
  double sharpe_ratio = 0.0;  // mean / stddev of bar returns × √(bars per year), no risk-free rate
  double sortino_ratio = 0.0;  // mean / downside deviation × √(bars per year)
  double calmar_ratio = 0.0;   // annualised return / max drawdown
  double max_drawdown_pct = 0.0;
  Duration max_drawdown_duration{};  // longest time below a previous peak
  double exposure_pct = 0.0;         // share of bars with a position open
  double profit_factor = 0.0;        // gross profit / gross loss; 0 without losing trades
  Money gross_profit;
  Money gross_loss;
  Money average_win;
  Money average_loss;
  int64_t trades = 0;
  int64_t winning_trades = 0;
  double win_rate_pct = 0.0;
  int64_t bars = 0;
  uint64_t signals_proposed = 0;
  uint64_t signals_approved = 0;
  uint64_t signals_rejected = 0;
  std::map<std::string, uint64_t> rejections_by_reason;
};

PerformanceSummary summarize(const std::vector<EquityPoint>& curve,
                             const PortfolioState& final_state,
                             const std::vector<ClosedTrade>& trades);

// A readable multi-line summary for the terminal.
std::string format_summary(const PerformanceSummary& summary, const std::string& currency);
// The summary as a JSON object (money as exact decimal strings).
std::string summary_to_json(const PerformanceSummary& summary, const std::string& currency);
// One row per closed trade, with a header.
std::string trades_to_csv(const std::vector<ClosedTrade>& trades);

}  // namespace galfriday::backtest
