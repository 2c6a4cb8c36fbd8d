// The dashboard page: one document with its CSS, JavaScript and SVG inline, so it works offline
// and loads nothing from anywhere else. It polls /api/status and draws from that JSON; the
// halt, resume and checklist buttons post to /api/* with the token the operator types in
// (kept in sessionStorage for the tab, never in a URL).

#include "galfriday/monitoring/dashboard.hpp"

namespace galfriday::monitoring {

std::string_view dashboard_page() {
  static constexpr std::string_view kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gal-Friday</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
header { display: flex; align-items: center; gap: 16px; padding: 12px 20px; background: #1d2330; color: #fff; }
header h1 { font-size: 18px; margin: 0; }
#state { font-weight: bold; padding: 3px 12px; border-radius: 12px; background: #888; }
#state.RUNNING { background: #1f8a4c; } #state.HALTED { background: #c0392b; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px 20px; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
section h2 { font-size: 15px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #c0392b; font-weight: bold; } .ok { color: #1f8a4c; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
input { padding: 4px 6px; } button { padding: 5px 12px; cursor: pointer; }
#halt-button { background: #c0392b; color: #fff; border: 0; border-radius: 4px; }
#resume-button { background: #1f8a4c; color: #fff; border: 0; border-radius: 4px; }
#message { margin-top: 8px; min-height: 1.2em; }
svg { width: 100%; height: 160px; background: #fafbfc; }
.empty { color: #888; }
</style>
</head>
<body>
<header>
  <h1>Gal-Friday</h1>
  <span id="state">loading</span>
  <span id="since"></span>
  <span id="equity"></span>
  <span id="updated" style="margin-left:auto;font-size:12px;opacity:.7"></span>
</header>
<main>
  <section>
    <h2>Control</h2>
    <div class="controls">
      <input id="token" type="password" placeholder="dashboard token" autocomplete="off">
      <input id="reason" type="text" placeholder="halt reason">
      <button id="halt-button" type="button">Halt</button>
      <button id="resume-button" type="button">Resume</button>
    </div>
    <div id="message"></div>
    <h2 style="margin-top:12px">Halt reasons</h2>
    <div id="reasons" class="empty">none</div>
    <h2 style="margin-top:12px">Recovery checklist</h2>
    <div id="checklist" class="empty">not halted</div>
  </section>
  <section>
    <h2>Equity</h2>
    <svg id="equity-chart" viewBox="0 0 600 160" preserveAspectRatio="none"></svg>
    <h2>Drawdown</h2>
    <svg id="drawdown-chart" viewBox="0 0 600 160" preserveAspectRatio="none"></svg>
    <div id="drawdown"></div>
  </section>
  <section><h2>Positions</h2><div id="positions"></div></section>
  <section><h2>Open orders</h2><div id="orders"></div></section>
  <section><h2>Recent fills</h2><div id="fills"></div></section>
  <section><h2>Recent signals</h2><div id="signals"></div></section>
  <section><h2>Feed health</h2><div id="feeds"></div></section>
  <section><h2>Halt conditions</h2><div id="conditions"></div></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v === null || v === undefined ? "-" : v)
  .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
function table(rows, columns, numeric) {
  if (!rows || rows.length === 0) return '<span class="empty">none</span>';
  let html = "<table><tr>" + columns.map(c => "<th>" + esc(c[1]) + "</th>").join("") + "</tr>";
  for (const row of rows) {
    html += "<tr>" + columns.map(c => {
      const value = typeof c[0] === "function" ? c[0](row) : esc(row[c[0]]);
      return (numeric && numeric.includes(c[0]) ? '<td class="num">' : "<td>") + value + "</td>";
    }).join("") + "</tr>";
  }
  return html + "</table>";
}
function chart(svg, values, color) {
  if (values.length < 2) { svg.innerHTML = '<text x="10" y="20" fill="#888">waiting for data</text>'; return; }
  const min = Math.min(...values), max = Math.max(...values), span = (max - min) || 1;
  const points = values.map((v, i) =>
    (i * 600 / (values.length - 1)).toFixed(1) + "," + (150 - (v - min) * 140 / span).toFixed(1));
  svg.innerHTML = '<polyline fill="none" stroke="' + color + '" stroke-width="2" points="' +
    points.join(" ") + '"/><text x="4" y="12" font-size="11" fill="#555">' + esc(max.toFixed(2)) +
    '</text><text x="4" y="156" font-size="11" fill="#555">' + esc(min.toFixed(2)) + "</text>";
}
function render(s) {
  const state = $("state");
  state.textContent = s.state;
  state.className = s.state;
  $("since").textContent = s.since ? "since " + s.since : "";
  $("equity").textContent = "equity " + s.portfolio.equity + " " + s.portfolio.valuation_currency;
  $("updated").textContent = "updated " + s.as_of;
  $("reasons").innerHTML = s.reasons.length === 0 ? '<span class="empty">none</span>' :
    table(s.reasons, [["condition", "condition"], ["detail", "detail"], ["source", "source"], ["at", "at"]]);
  if (s.checklist.length === 0) {
    $("checklist").innerHTML = '<span class="empty">not halted</span>';
  } else {
    $("checklist").innerHTML = table(s.checklist, [
      [r => r.done ? '<span class="ok">done</span>' :
        '<button type="button" class="complete" data-item="' + esc(r.item) + '">complete</button>', ""],
      ["item", "item"], ["text", "check"], ["completed_by", "by"]]);
  }
  chart($("equity-chart"), s.equity_curve.map(p => parseFloat(p.equity)), "#2c6fbb");
  chart($("drawdown-chart"), s.equity_curve.map(p => -p.drawdown_pct), "#c0392b");
  const p = s.portfolio;
  $("drawdown").textContent = "drawdown " + p.drawdown_pct.toFixed(2) + " % total, " +
    p.daily_drawdown_pct.toFixed(2) + " % today, " + p.weekly_drawdown_pct.toFixed(2) +
    " % this week; " + p.consecutive_losses + " losses in a row";
  $("positions").innerHTML = table(s.positions, [["instrument", "pair"], ["qty", "qty"],
    ["mark_price", "mark"], ["market_value", "value"], ["unrealized_pnl", "unrealized"]],
    ["qty", "mark_price", "market_value", "unrealized_pnl"]);
  $("orders").innerHTML = table(s.open_orders, [["client_order_id", "id"], ["instrument", "pair"],
    ["purpose", "purpose"], ["side", "side"], ["type", "type"], ["status", "status"],
    ["quantity", "qty"], ["filled", "filled"], ["limit_price", "limit"], ["stop_price", "stop"]]);
  $("fills").innerHTML = table(s.recent_fills.slice().reverse(), [["ts", "time"], ["instrument", "pair"],
    ["side", "side"], ["purpose", "purpose"], ["price", "price"], ["qty", "qty"], ["fee", "fee"]]);
  $("signals").innerHTML = table(s.recent_signals.slice().reverse(), [["ts", "time"],
    ["instrument", "pair"], ["side", "side"],
    [r => r.approved ? '<span class="ok">approved</span>' : '<span class="bad">rejected</span>', "decision"],
    ["detail", "detail"]]);
  $("feeds").innerHTML = table(s.feeds, [["instrument", "pair"], ["last_data", "last data"],
    [r => r.stale ? '<span class="bad">STALE</span>' : '<span class="ok">ok</span>', "health"]]);
  $("conditions").innerHTML = table(s.conditions, [["name", "condition"], ["threshold", "threshold"],
    ["current", "current"], [r => r.tripped ? '<span class="bad">TRIPPED</span>' : "", ""]]);
}
async function refresh() {
  try {
    const response = await fetch("/api/status", {cache: "no-store"});
    render(await response.json());
  } catch (e) {
    $("updated").textContent = "no answer from the engine: " + e;
  }
}
async function act(path, body) {
  const token = $("token").value || sessionStorage.getItem("gf-token") || "";
  if ($("token").value) sessionStorage.setItem("gf-token", $("token").value);
  const response = await fetch(path, {method: "POST", cache: "no-store",
    headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    body: JSON.stringify(body || {})});
  const reply = await response.json();
  $("message").innerHTML = reply.ok ? '<span class="ok">' + esc(reply.command) + ": done</span>"
                                    : '<span class="bad">' + esc(reply.error) + "</span>";
  await refresh();
}
$("halt-button").addEventListener("click", () => {
  if (window.confirm("Halt trading now? Open entry orders are cancelled.")) {
    act("/api/halt", {reason: $("reason").value});
  }
});
$("resume-button").addEventListener("click", () => act("/api/resume"));
$("checklist").addEventListener("click", (e) => {
  const item = e.target.getAttribute && e.target.getAttribute("data-item");
  if (item) act("/api/complete", {item: item});
});
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";
  return kPage;
}

}  // namespace galfriday::monitoring
