#include "galfriday/backtest/performance.hpp"

#include <cstdio>

namespace galfriday::backtest {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

}  // namespace

PerformanceSummary summarize(const std::vector<EquityPoint>& curve, const PortfolioState& final_state,
                             const std::vector<ClosedTrade>& trades) {
  PerformanceSummary summary;
  summary.initial_equity = final_state.initial_equity;
  summary.final_equity = final_state.equity;
  summary.realized_pnl = final_state.realized_pnl;
  summary.fees_paid = final_state.fees_paid;
  if (!curve.empty()) {
    summary.start = curve.front().time;
    summary.end = curve.back().time;
  }
  if (summary.initial_equity.is_positive()) {
    summary.total_return_pct = ratio(summary.final_equity - summary.initial_equity, summary.initial_equity) * 100.0;
  }
  Money peak = summary.initial_equity;
  for (const EquityPoint& point : curve) {
    if (point.equity > peak) peak = point.equity;
    if (peak.is_positive()) {
      const double drawdown = ratio(peak - point.equity, peak) * 100.0;
      if (drawdown > summary.max_drawdown_pct) summary.max_drawdown_pct = drawdown;
    }
  }
  summary.trades = static_cast<int64_t>(trades.size());
  for (const ClosedTrade& trade : trades) {
    if (trade.pnl.is_positive()) ++summary.winning_trades;
  }
  if (summary.trades > 0) {
    summary.win_rate_pct = 100.0 * static_cast<double>(summary.winning_trades) / static_cast<double>(summary.trades);
  }
  return summary;
}

std::string format_summary(const PerformanceSummary& s, const std::string& currency) {
  const auto money = [&](Money m) { return m.rescaled(2, Rounding::kHalfEven).to_string() + " " + currency; };
  std::string out;
  out += "Backtest " + format_iso8601(s.start) + " .. " + format_iso8601(s.end) + " (" + std::to_string(s.bars) + " bars)\n";
  out += "  initial equity   " + money(s.initial_equity) + "\n";
  out += "  final equity     " + money(s.final_equity) + "\n";
  out += "  total return     " + fixed(s.total_return_pct, 2) + " %\n";
  out += "  max drawdown     " + fixed(s.max_drawdown_pct, 2) + " %\n";
  out += "  realized P&L     " + money(s.realized_pnl) + " (net of fees)\n";
  out += "  fees paid        " + money(s.fees_paid) + "\n";
  out += "  trades           " + std::to_string(s.trades) + " (" + std::to_string(s.winning_trades) + " won, win rate " +
         fixed(s.win_rate_pct, 1) + " %)\n";
  out += "  signals          " + std::to_string(s.signals_proposed) + " proposed, " + std::to_string(s.signals_approved) +
         " approved, " + std::to_string(s.signals_rejected) + " rejected\n";
  for (const auto& [reason, count] : s.rejections_by_reason) {
    out += "    rejected for " + reason + ": " + std::to_string(count) + "\n";
  }
  return out;
}

std::string summary_to_json(const PerformanceSummary& s, const std::string& currency) {
  std::string out = "{\n";
  const auto field = [&](const std::string& name, const std::string& value, bool last = false) {
    out += "  \"" + name + "\": " + value + (last ? "\n" : ",\n");
  };
  const auto text = [](const std::string& value) { return "\"" + value + "\""; };
  field("start", text(format_iso8601(s.start)));
  field("end", text(format_iso8601(s.end)));
  field("bars", std::to_string(s.bars));
  field("currency", text(currency));
  field("initial_equity", text(s.initial_equity.to_string()));
  field("final_equity", text(s.final_equity.to_string()));
  field("total_return_pct", fixed(s.total_return_pct, 6));
  field("max_drawdown_pct", fixed(s.max_drawdown_pct, 6));
  field("realized_pnl", text(s.realized_pnl.to_string()));
  field("fees_paid", text(s.fees_paid.to_string()));
  field("trades", std::to_string(s.trades));
  field("winning_trades", std::to_string(s.winning_trades));
  field("signals_proposed", std::to_string(s.signals_proposed));
  field("signals_approved", std::to_string(s.signals_approved));
  field("signals_rejected", std::to_string(s.signals_rejected));
  std::string reasons = "{";
  for (const auto& [reason, count] : s.rejections_by_reason) {
    if (reasons.size() > 1) reasons += ", ";
    reasons += text(reason) + ": " + std::to_string(count);
  }
  field("rejections_by_reason", reasons + "}", true);
  out += "}\n";
  return out;
}

std::string trades_to_csv(const std::vector<ClosedTrade>& trades) {
  std::string out = "instrument,entry_time,exit_time,qty,cost,proceeds,pnl,fees\n";
  for (const ClosedTrade& t : trades) {
    out += t.instrument.str() + "," + format_iso8601(t.entry_time) + "," + format_iso8601(t.exit_time) + "," +
           t.qty.to_string() + "," + t.cost.to_string() + "," + t.proceeds.to_string() + "," + t.pnl.to_string() + "," +
           t.fees.to_string() + "\n";
  }
  return out;
}

}  // namespace galfriday::backtest
