#pragma once
// A self-contained HTML report of a backtest: metrics, equity curve, drawdown and trade
// markers drawn as inline SVG, and the trade list. No scripts, fonts or CDNs, so it opens
// offline; deterministic, so the same run gives the same bytes.

#include <string>
#include <vector>

#include "galfriday/backtest/performance.hpp"

namespace galfriday::backtest {

std::string render_html_report(const std::string& title, const PerformanceSummary& summary,
                               const std::vector<EquityPoint>& curve,
                               const std::vector<ClosedTrade>& trades, const std::string& currency);

}  // namespace galfriday::backtest
