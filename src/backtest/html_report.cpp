#include "galfriday/backtest/html_report.hpp"

#include <algorithm>
#include <cstdio>

namespace galfriday::backtest {
namespace {

constexpr double kChartWidth = 960.0;
constexpr double kEquityHeight = 280.0;
constexpr double kDrawdownHeight = 140.0;
constexpr double kMargin = 48.0;
// Enough points for a smooth line at this width; more only makes the file bigger.
constexpr size_t kMaxPlottedPoints = 1200;
constexpr size_t kMaxListedTrades = 500;

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string number(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string money(Money value) { return value.rescaled(2, Rounding::kHalfEven).to_string(); }

// Maps times and values onto one chart's pixel box.
struct Scale {
  double t0, t1, v0, v1, height;
  double x(Timestamp t) const {
    const double span = t1 - t0;
    return kMargin + (span > 0 ? (static_cast<double>(to_nanos(t)) - t0) / span : 0.0) *
                         (kChartWidth - 2 * kMargin);
  }
  double y(double v) const {
    const double span = v1 - v0;
    return height - kMargin / 2 - (span > 0 ? (v - v0) / span : 0.5) * (height - kMargin);
  }
};

std::vector<size_t> plotted_indices(size_t count) {
  std::vector<size_t> indices;
  if (count == 0) return indices;
  const size_t step = std::max<size_t>(1, count / kMaxPlottedPoints);
  for (size_t i = 0; i < count; i += step) indices.push_back(i);
  if (indices.back() != count - 1) indices.push_back(count - 1);
  return indices;
}

std::string axis_labels(const Scale& scale, Timestamp start, Timestamp end, const std::string& low,
                        const std::string& high) {
  std::string svg;
  svg += "<text x=\"" + number(kMargin, 0) + "\" y=\"" + number(scale.height - 4, 0) +
         "\" class=\"axis\">" + escape(format_iso8601(start)) + "</text>";
  svg += "<text x=\"" + number(kChartWidth - kMargin, 0) + "\" y=\"" + number(scale.height - 4, 0) +
         "\" class=\"axis\" text-anchor=\"end\">" + escape(format_iso8601(end)) + "</text>";
  svg += "<text x=\"4\" y=\"" + number(scale.y(scale.v1) + 4, 0) + "\" class=\"axis\">" +
         escape(high) + "</text>";
  svg += "<text x=\"4\" y=\"" + number(scale.y(scale.v0), 0) + "\" class=\"axis\">" + escape(low) +
         "</text>";
  return svg;
}

std::string equity_chart(const std::vector<EquityPoint>& curve,
                         const std::vector<ClosedTrade>& trades) {
  if (curve.empty()) return "<p>No bars were replayed.</p>";
  double low = curve.front().equity.to_double();
  double high = low;
  for (const auto& point : curve) {
    low = std::min(low, point.equity.to_double());
    high = std::max(high, point.equity.to_double());
  }
  const Scale scale{static_cast<double>(to_nanos(curve.front().time)),
                    static_cast<double>(to_nanos(curve.back().time)), low, high, kEquityHeight};
  std::string points;
  for (size_t i : plotted_indices(curve.size())) {
    points += number(scale.x(curve[i].time), 1) + "," +
              number(scale.y(curve[i].equity.to_double()), 1) + " ";
  }
  std::string svg =
      "<svg viewBox=\"0 0 " + number(kChartWidth, 0) + " " + number(kEquityHeight, 0) +
      "\" role=\"img\" aria-label=\"Equity curve\"><polyline class=\"equity\" points=\"" + points +
      "\"/>";
  // The equity at a trade's times, found in the curve (sorted by time).
  const auto equity_at = [&](Timestamp t) {
    auto it =
        std::lower_bound(curve.begin(), curve.end(), t,
                         [](const EquityPoint& p, Timestamp value) { return p.time < value; });
    if (it == curve.end()) it = std::prev(curve.end());
    return it->equity.to_double();
  };
  for (const ClosedTrade& trade : trades) {
    const double ex = scale.x(trade.entry_time);
    const double ey = scale.y(equity_at(trade.entry_time));
    svg += "<path class=\"entry\" d=\"M" + number(ex, 1) + " " + number(ey - 6, 1) +
           " l-4 7 h8 z\"><title>buy " + escape(trade.instrument.str()) + " " +
           escape(format_iso8601(trade.entry_time)) + "</title></path>";
    const double xx = scale.x(trade.exit_time);
    const double xy = scale.y(equity_at(trade.exit_time));
    svg += std::string("<circle class=\"") + (trade.pnl.is_negative() ? "loss" : "win") +
           "\" cx=\"" + number(xx, 1) + "\" cy=\"" + number(xy, 1) + "\" r=\"3\"><title>sell " +
           escape(trade.instrument.str()) + " " + escape(format_iso8601(trade.exit_time)) +
           " P&amp;L " + money(trade.pnl) + "</title></circle>";
  }
  svg += axis_labels(scale, curve.front().time, curve.back().time, number(low, 2), number(high, 2));
  return svg + "</svg>";
}

std::string drawdown_chart(const std::vector<EquityPoint>& curve, Money initial) {
  if (curve.empty()) return "";
  std::vector<double> drawdown;
  drawdown.reserve(curve.size());
  double peak = initial.to_double();
  double deepest = 0.0;
  for (const auto& point : curve) {
    const double equity = point.equity.to_double();
    peak = std::max(peak, equity);
    const double dd = peak > 0 ? (equity / peak - 1.0) * 100.0 : 0.0;
    deepest = std::min(deepest, dd);
    drawdown.push_back(dd);
  }
  const Scale scale{static_cast<double>(to_nanos(curve.front().time)),
                    static_cast<double>(to_nanos(curve.back().time)), deepest < 0 ? deepest : -1.0,
                    0.0, kDrawdownHeight};
  std::string points = number(scale.x(curve.front().time), 1) + "," + number(scale.y(0.0), 1) + " ";
  for (size_t i : plotted_indices(curve.size())) {
    points += number(scale.x(curve[i].time), 1) + "," + number(scale.y(drawdown[i]), 1) + " ";
  }
  points += number(scale.x(curve.back().time), 1) + "," + number(scale.y(0.0), 1);
  std::string svg =
      "<svg viewBox=\"0 0 " + number(kChartWidth, 0) + " " + number(kDrawdownHeight, 0) +
      "\" role=\"img\" aria-label=\"Drawdown\"><polygon class=\"drawdown\" points=\"" + points +
      "\"/>";
  svg +=
      axis_labels(scale, curve.front().time, curve.back().time, number(scale.v0, 2) + " %", "0 %");
  return svg + "</svg>";
}

}  // namespace

std::string render_html_report(const std::string& title, const PerformanceSummary& s,
                               const std::vector<EquityPoint>& curve,
                               const std::vector<ClosedTrade>& trades,
                               const std::string& currency) {
  const std::string c = " " + escape(currency);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) +
      "</title>\n<style>"
      "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 10px;border-bottom:1px solid "
      "#ddd;text-align:right}"
      "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
      ".equity{fill:none;stroke:#1f6feb;stroke-width:1.5}.drawdown{fill:#f8d7da;stroke:#c0392b;"
      "stroke-width:1}"
      ".entry{fill:#2e7d32}.win{fill:#2e7d32}.loss{fill:#c62828}.axis{font-size:11px;fill:#666}"
      "svg{width:100%;height:auto;border:1px solid #eee;margin:.5em 0}.neg{color:#c62828}"
      "</style></head><body>\n<h1>" +
      escape(title) + "</h1>\n<p>" + escape(format_iso8601(s.start)) + " to " +
      escape(format_iso8601(s.end)) + ", " + std::to_string(s.bars) + " bars</p>\n";
  const auto row = [&](const std::string& name, const std::string& value) {
    html += "<tr><td>" + escape(name) + "</td><td>" + value + "</td></tr>";
  };
  html += "<table><tr><th>Metric</th><th>Value</th></tr>";
  row("Initial equity", money(s.initial_equity) + c);
  row("Final equity", money(s.final_equity) + c);
  row("Total return", number(s.total_return_pct, 2) + " %");
  row("Annualised return", number(s.annualized_return_pct, 2) + " %");
  row("Annualised volatility", number(s.annualized_volatility_pct, 2) + " %");
  row("Sharpe ratio", number(s.sharpe_ratio, 2));
  row("Sortino ratio", number(s.sortino_ratio, 2));
  row("Calmar ratio", number(s.calmar_ratio, 2));
  row("Max drawdown", number(s.max_drawdown_pct, 2) + " %");
  row("Longest drawdown",
      number(std::chrono::duration<double, std::ratio<3600>>(s.max_drawdown_duration).count(), 1) +
          " h");
  row("Exposure", number(s.exposure_pct, 1) + " % of bars");
  row("Trades", std::to_string(s.trades));
  row("Win rate", number(s.win_rate_pct, 1) + " %");
  row("Profit factor", number(s.profit_factor, 2));
  row("Average win / loss", money(s.average_win) + " / " + money(s.average_loss) + c);
  row("Realized P&amp;L (net of fees)", money(s.realized_pnl) + c);
  row("Fees paid", money(s.fees_paid) + c);
  row("Signals proposed / approved / rejected", std::to_string(s.signals_proposed) + " / " +
                                                    std::to_string(s.signals_approved) + " / " +
                                                    std::to_string(s.signals_rejected));
  for (const auto& [reason, count] : s.rejections_by_reason)
    row("&nbsp;&nbsp;rejected: " + escape(reason), std::to_string(count));
  html += "</table>\n<h2>Equity</h2>\n" + equity_chart(curve, trades) + "\n<h2>Drawdown</h2>\n" +
          drawdown_chart(curve, s.initial_equity) + "\n<h2>Trades</h2>\n";
  html +=
      "<table><tr><th>Pair</th><th>Entry</th><th>Exit</th><th>Quantity</th><th>Cost</"
      "th><th>Proceeds</th>"
      "<th>P&amp;L</th><th>Fees</th></tr>";
  for (size_t i = 0; i < trades.size() && i < kMaxListedTrades; ++i) {
    const ClosedTrade& t = trades[i];
    html += "<tr><td>" + escape(t.instrument.str()) + "</td><td>" +
            escape(format_iso8601(t.entry_time)) + "</td><td>" +
            escape(format_iso8601(t.exit_time)) + "</td><td>" + t.qty.to_string() + "</td><td>" +
            money(t.cost) + "</td><td>" + money(t.proceeds) + "</td><td" +
            (t.pnl.is_negative() ? " class=\"neg\"" : "") + ">" + money(t.pnl) + "</td><td>" +
            money(t.fees) + "</td></tr>";
  }
  html += "</table>\n";
  if (trades.size() > kMaxListedTrades) {
    html += "<p>First " + std::to_string(kMaxListedTrades) + " of " +
            std::to_string(trades.size()) + " trades; all are in trades.csv.</p>\n";
  }
  return html + "</body></html>\n";
}

}  // namespace galfriday::backtest
