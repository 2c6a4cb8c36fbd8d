#include "galfriday/backtest/performance.hpp"

#include <cmath>
#include <cstdio>

namespace galfriday::backtest {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

}  // namespace

PerformanceSummary summarize(const std::vector<EquityPoint>& curve,
                             const PortfolioState& final_state,
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
    summary.total_return_pct =
        ratio(summary.final_equity - summary.initial_equity, summary.initial_equity) * 100.0;
  }

  // Drawdown depth and duration against the running peak (the initial equity counts as one).
  Money peak = summary.initial_equity;
  Timestamp peak_time = summary.start;
  int64_t bars_exposed = 0;
  for (const EquityPoint& point : curve) {
    if (point.equity >= peak) {
      peak = point.equity;
      peak_time = point.time;
    } else if (point.time - peak_time > summary.max_drawdown_duration) {
      summary.max_drawdown_duration = point.time - peak_time;
    }
    if (peak.is_positive()) {
      const double drawdown = ratio(peak - point.equity, peak) * 100.0;
      if (drawdown > summary.max_drawdown_pct) summary.max_drawdown_pct = drawdown;
    }
    if (!point.exposure.is_zero()) ++bars_exposed;
  }

  // Per-bar returns, the first from the initial equity.
  if (curve.size() >= 2 && summary.initial_equity.is_positive()) {
    std::vector<double> returns;
    returns.reserve(curve.size());
    double previous = summary.initial_equity.to_double();
    for (const EquityPoint& point : curve) {
      const double equity = point.equity.to_double();
      returns.push_back(previous > 0.0 ? equity / previous - 1.0 : 0.0);
      previous = equity;
    }
    const double n = static_cast<double>(returns.size());
    double mean = 0.0;
    for (double r : returns) mean += r;
    mean /= n;
    double variance = 0.0;
    double downside = 0.0;
    for (double r : returns) {
      variance += (r - mean) * (r - mean);
      if (r < 0.0) downside += r * r;
    }
    const double stddev = std::sqrt(variance / (n - 1.0));
    const double downside_deviation = std::sqrt(downside / n);
    const double span_seconds =
        std::chrono::duration<double>(curve.back().time - curve.front().time).count();
    constexpr double kSecondsPerYear = 365.0 * 24 * 3600;
    const double bar_seconds = span_seconds / (n - 1.0);
    const double bars_per_year = bar_seconds > 0.0 ? kSecondsPerYear / bar_seconds : 0.0;
    const double growth = summary.final_equity.to_double() / summary.initial_equity.to_double();
    if (bars_per_year > 0.0 && growth > 0.0) {
      summary.annualized_return_pct = (std::pow(growth, bars_per_year / n) - 1.0) * 100.0;
      summary.annualized_volatility_pct = stddev * std::sqrt(bars_per_year) * 100.0;
      if (stddev > 0.0) summary.sharpe_ratio = mean / stddev * std::sqrt(bars_per_year);
      if (downside_deviation > 0.0)
        summary.sortino_ratio = mean / downside_deviation * std::sqrt(bars_per_year);
    }
    if (summary.max_drawdown_pct > 0.0)
      summary.calmar_ratio = summary.annualized_return_pct / summary.max_drawdown_pct;
  }
  if (!curve.empty()) {
    summary.exposure_pct =
        100.0 * static_cast<double>(bars_exposed) / static_cast<double>(curve.size());
  }

  summary.trades = static_cast<int64_t>(trades.size());
  int64_t losing = 0;
  for (const ClosedTrade& trade : trades) {
    if (trade.pnl.is_positive()) {
      ++summary.winning_trades;
      summary.gross_profit += trade.pnl;
    } else if (trade.pnl.is_negative()) {
      ++losing;
      summary.gross_loss -= trade.pnl;
    }
  }
  if (summary.trades > 0) {
    summary.win_rate_pct =
        100.0 * static_cast<double>(summary.winning_trades) / static_cast<double>(summary.trades);
  }
  if (summary.winning_trades > 0) {
    summary.average_win = summary.gross_profit.scaled(
        1, summary.winning_trades, summary.gross_profit.precision(), Rounding::kHalfEven);
  }
  if (losing > 0) {
    summary.average_loss =
        summary.gross_loss.scaled(1, losing, summary.gross_loss.precision(), Rounding::kHalfEven);
  }
  if (summary.gross_loss.is_positive())
    summary.profit_factor = ratio(summary.gross_profit, summary.gross_loss);
  return summary;
}

std::string format_summary(const PerformanceSummary& s, const std::string& currency) {
  const auto money = [&](Money m) {
    return m.rescaled(2, Rounding::kHalfEven).to_string() + " " + currency;
  };
  std::string out;
  out += "Backtest " + format_iso8601(s.start) + " .. " + format_iso8601(s.end) + " (" +
         std::to_string(s.bars) + " bars)\n";
  out += "  initial equity   " + money(s.initial_equity) + "\n";
  out += "  final equity     " + money(s.final_equity) + "\n";
  out += "  total return     " + fixed(s.total_return_pct, 2) + " %\n";
  out += "  annualised       " + fixed(s.annualized_return_pct, 2) + " % return, " +
         fixed(s.annualized_volatility_pct, 2) + " % volatility\n";
  out += "  Sharpe / Sortino " + fixed(s.sharpe_ratio, 2) + " / " + fixed(s.sortino_ratio, 2) +
         "  Calmar " + fixed(s.calmar_ratio, 2) + "\n";
  out +=
      "  max drawdown     " + fixed(s.max_drawdown_pct, 2) + " % (longest " +
      fixed(std::chrono::duration<double, std::ratio<3600>>(s.max_drawdown_duration).count(), 1) +
      " h below a peak)\n";
  out += "  exposure         " + fixed(s.exposure_pct, 1) + " % of bars in the market\n";
  out += "  realized P&L     " + money(s.realized_pnl) + " (net of fees)\n";
  out += "  fees paid        " + money(s.fees_paid) + "\n";
  out += "  trades           " + std::to_string(s.trades) + " (" +
         std::to_string(s.winning_trades) + " won, win rate " + fixed(s.win_rate_pct, 1) +
         " %, profit factor " + fixed(s.profit_factor, 2) + ")\n";
  out += "  average win/loss " + money(s.average_win) + " / " + money(s.average_loss) + "\n";
  out += "  signals          " + std::to_string(s.signals_proposed) + " proposed, " +
         std::to_string(s.signals_approved) + " approved, " + std::to_string(s.signals_rejected) +
         " rejected\n";
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
  field("annualized_return_pct", fixed(s.annualized_return_pct, 6));
  field("annualized_volatility_pct", fixed(s.annualized_volatility_pct, 6));
  field("sharpe_ratio", fixed(s.sharpe_ratio, 6));
  field("sortino_ratio", fixed(s.sortino_ratio, 6));
  field("calmar_ratio", fixed(s.calmar_ratio, 6));
  field("max_drawdown_pct", fixed(s.max_drawdown_pct, 6));
  field("max_drawdown_duration_seconds",
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(s.max_drawdown_duration).count()));
  field("exposure_pct", fixed(s.exposure_pct, 6));
  field("profit_factor", fixed(s.profit_factor, 6));
  field("gross_profit", text(s.gross_profit.to_string()));
  field("gross_loss", text(s.gross_loss.to_string()));
  field("average_win", text(s.average_win.to_string()));
  field("average_loss", text(s.average_loss.to_string()));
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
    out += t.instrument.str() + "," + format_iso8601(t.entry_time) + "," +
           format_iso8601(t.exit_time) + "," + t.qty.to_string() + "," + t.cost.to_string() + "," +
           t.proceeds.to_string() + "," + t.pnl.to_string() + "," + t.fees.to_string() + "\n";
  }
  return out;
}

}  // namespace galfriday::backtest
