#include "galfriday/monitoring/cli_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

namespace galfriday::monitoring {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kDefaultHaltReason = "manual halt by the operator";

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string pct(double value) { return fixed(value, 2) + " %"; }

// A simple fixed-width table: the first row is the header.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

CommandReply reply(std::string_view command, std::string text, Json data) {
  Json json = Json::object();
  json["ok"] = true;
  json["command"] = std::string(command);
  for (auto& [key, value] : data.items()) json[key] = value;
  return CommandReply{kCommandOk, std::move(text), json.dump()};
}

CommandReply error(std::string_view command, int exit_code, std::string message) {
  Json json = Json::object();
  json["ok"] = false;
  json["command"] = std::string(command);
  json["error"] = message;
  return CommandReply{exit_code, "error: " + message + "\n", json.dump()};
}

std::string joined_commands() {
  std::string out;
  for (const auto& name : command_names()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

Json reasons_json(const HaltStatus& status) {
  Json reasons = Json::array();
  for (const auto& reason : status.reasons) {
    reasons.push_back({{"condition", reason.condition},
                       {"detail", reason.detail},
                       {"source", reason.source},
                       {"at", format_iso8601(reason.at)}});
  }
  return reasons;
}

Json checklist_json(const HaltStatus& status) {
  Json items = Json::array();
  for (const auto& entry : status.checklist) {
    Json item = {{"item", std::string(recovery_item_id(entry.item))},
                 {"text", std::string(recovery_item_text(entry.item))},
                 {"done", entry.done}};
    if (entry.done) {
      item["completed_by"] = entry.completed_by;
      item["completed_at"] = format_iso8601(entry.completed_at);
    }
    items.push_back(std::move(item));
  }
  return items;
}

Json position_json(const PositionView& p) {
  Json json = {{"instrument", p.instrument.str()},
               {"qty", p.qty.to_string()},
               {"cost_basis", p.cost_basis.to_string()},
               {"market_value", p.market_value.to_string()},
               {"unrealized_pnl", p.unrealized_pnl.to_string()},
               {"opened", format_iso8601(p.opened)}};
  json["mark_price"] = p.mark_price ? Json(p.mark_price->to_string()) : Json(nullptr);
  return json;
}

Json order_json(const ExecutionReportEvent& o) {
  Json json = {
      {"client_order_id", o.client_order_id.str()},   {"instrument", o.instrument.str()},
      {"purpose", std::string(to_string(o.purpose))}, {"side", std::string(to_string(o.side))},
      {"type", std::string(to_string(o.order_type))}, {"status", std::string(to_string(o.status))},
      {"quantity", o.quantity_ordered.to_string()},   {"filled", o.quantity_filled.to_string()}};
  json["exchange_order_id"] =
      o.exchange_order_id ? Json(o.exchange_order_id->str()) : Json(nullptr);
  json["limit_price"] = o.limit_price ? Json(o.limit_price->to_string()) : Json(nullptr);
  json["stop_price"] = o.stop_price ? Json(o.stop_price->to_string()) : Json(nullptr);
  return json;
}

double return_pct(const PortfolioState& state) {
  if (!state.initial_equity.is_positive()) return 0.0;
  return (ratio(state.equity, state.initial_equity) - 1.0) * 100.0;
}

}  // namespace

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> kNames = {"status",  "positions", "orders",   "pnl",
                                                  "halt",    "resume",    "recovery", "complete",
                                                  "metrics", "shutdown",  "help"};
  return kNames;
}

Result<std::vector<std::string>> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && quote != '\'' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return invalid_argument(std::string("unterminated ") + quote + " quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

// --- CommandGateway ----------------------------------------------------------------------------

Result<CommandReply> CommandGateway::execute(std::string command, std::vector<std::string> args,
                                             std::string requested_by, Duration timeout) {
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_request_id_++;
    pending_.emplace(id, std::nullopt);
  }
  OperatorCommandEvent event;
  event.request_id = id;
  event.command = std::move(command);
  event.args = std::move(args);
  event.requested_by = std::move(requested_by);
  bus_.post(std::move(event));
  std::unique_lock lock(mutex_);
  const bool answered =
      replied_.wait_for(lock, timeout, [&] { return pending_.at(id).has_value(); });
  auto node = pending_.extract(id);
  if (!answered) {
    return Status(
        StatusCode::kDeadlineExceeded,
        "the engine did not answer within " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
            " ms");
  }
  return std::move(*node.mapped());
}

void CommandGateway::deliver(uint64_t request_id, CommandReply reply) {
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(request_id);
    if (it == pending_.end()) return;
    it->second = std::move(reply);
  }
  replied_.notify_all();
}

// --- CliService --------------------------------------------------------------------------------

CliService::CliService(HaltCoordinator& coordinator, const MonitoringService* monitoring,
                       const ActivityLog* activity, PortfolioProbe portfolio, const Clock& clock,
                       std::function<void()> request_shutdown)
    : coordinator_(coordinator),
      monitoring_(monitoring),
      activity_(activity),
      portfolio_(std::move(portfolio)),
      clock_(clock),
      request_shutdown_(std::move(request_shutdown)) {}

CliService::~CliService() {
  if (bus_ != nullptr) bus_->unsubscribe(subscription_);
}

void CliService::attach(PubSubManager& bus, CommandGateway& gateway) {
  bus_ = &bus;
  subscription_ = bus.subscribe<OperatorCommandEvent>(
      [this, &gateway](const OperatorCommandEvent& e) {
        gateway.deliver(e.request_id, run(e.command, e.args, e.requested_by));
      },
      "cli.command");
}

CommandReply CliService::run(std::string_view command, const std::vector<std::string>& args,
                             const std::string& requested_by) {
  const auto no_args = [&](auto&& body) -> CommandReply {
    if (!args.empty()) {
      return error(
          command, kCommandBadInput,
          "'" + std::string(command) + "' takes no arguments, got " + std::to_string(args.size()));
    }
    return body();
  };
  if (command == "status") return no_args([&] { return status(); });
  if (command == "positions") return no_args([&] { return positions(); });
  if (command == "orders") return no_args([&] { return orders(); });
  if (command == "pnl") return no_args([&] { return pnl(); });
  if (command == "halt") return halt(args, requested_by);
  if (command == "resume") return no_args([&] { return resume(requested_by); });
  if (command == "recovery") return no_args([&] { return recovery(); });
  if (command == "complete") {
    if (args.size() != 1) {
      return error(command, kCommandBadInput,
                   "usage: complete ITEM (one of the ids `recovery` lists)");
    }
    return complete(args[0], requested_by);
  }
  if (command == "metrics") return no_args([&] { return metrics(); });
  if (command == "shutdown") return no_args([&] { return shutdown(); });
  if (command == "help") return no_args([&] { return help(); });
  return error(command, kCommandBadInput,
               "unknown command '" + std::string(command) + "'; commands: " + joined_commands());
}

CommandReply CliService::status() const {
  const HaltStatus& halt = coordinator_.status();
  const PortfolioState state = portfolio_ ? portfolio_() : PortfolioState{};
  Json data = Json::object();
  data["as_of"] = format_iso8601(clock_.now());
  data["state"] = std::string(to_string(halt.state));
  data["since"] = halt.since ? Json(format_iso8601(*halt.since)) : Json(nullptr);
  data["halt_action"] = std::string(to_string(halt.action));
  data["reasons"] = reasons_json(halt);
  data["checklist"] = checklist_json(halt);
  data["halt_state_persisted"] = halt.persisted;
  if (!halt.persisted) data["persistence_error"] = halt.persistence_error;
  data["portfolio"] = {{"valuation_currency", state.valuation_currency},
                       {"equity", state.equity.to_string()},
                       {"cash", state.cash.to_string()},
                       {"peak_equity", state.peak_equity.to_string()},
                       {"realized_pnl", state.realized_pnl.to_string()},
                       {"unrealized_pnl", state.unrealized_pnl.to_string()},
                       {"total_exposure", state.total_exposure.to_string()},
                       {"drawdown_pct", state.drawdown_pct},
                       {"daily_drawdown_pct", state.daily_drawdown_pct},
                       {"weekly_drawdown_pct", state.weekly_drawdown_pct},
                       {"consecutive_losses", state.consecutive_losses}};
  Json positions = Json::array();
  for (const auto& p : state.positions) positions.push_back(position_json(p));
  data["positions"] = std::move(positions);

  Json orders = Json::array();
  Json fills = Json::array();
  Json signals = Json::array();
  Json equity = Json::array();
  if (activity_ != nullptr) {
    for (const auto& [id, order] : activity_->open_orders()) orders.push_back(order_json(order));
    for (const auto& f : activity_->recent_fills()) {
      fills.push_back({{"ts", format_iso8601(f.ts)},
                       {"instrument", f.instrument.str()},
                       {"client_order_id", f.client_order_id.str()},
                       {"purpose", std::string(to_string(f.purpose))},
                       {"side", std::string(to_string(f.side))},
                       {"price", f.price.to_string()},
                       {"qty", f.qty.to_string()},
                       {"fee", f.fee.to_string()}});
    }
    for (const auto& s : activity_->recent_signals()) {
      signals.push_back({{"ts", format_iso8601(s.ts)},
                         {"signal_id", s.signal_id.str()},
                         {"instrument", s.instrument.str()},
                         {"side", std::string(to_string(s.side))},
                         {"approved", s.approved},
                         {"detail", s.detail}});
    }
    for (const auto& point : activity_->equity_curve()) {
      equity.push_back({{"ts", format_iso8601(point.ts)},
                        {"equity", point.equity.to_string()},
                        {"drawdown_pct", point.drawdown_pct}});
    }
  }
  data["open_orders"] = std::move(orders);
  data["recent_fills"] = std::move(fills);
  data["recent_signals"] = std::move(signals);
  data["equity_curve"] = std::move(equity);

  Json feeds = Json::array();
  Json conditions = Json::array();
  std::string feed_text;
  if (monitoring_ != nullptr) {
    for (const auto& feed : monitoring_->feed_health()) {
      feeds.push_back(
          {{"instrument", feed.instrument.str()},
           {"last_data", feed.last_data ? Json(format_iso8601(*feed.last_data)) : Json(nullptr)},
           {"stale", feed.stale}});
      feed_text += "  " + feed.instrument.str() + ": " + (feed.stale ? "STALE" : "ok") +
                   (feed.last_data ? " (last " + format_iso8601(*feed.last_data) + ")" : "") + "\n";
    }
    for (const auto& c : monitoring_->conditions()) {
      conditions.push_back({{"name", c.name},
                            {"threshold", c.threshold},
                            {"current", c.current},
                            {"tripped", c.tripped}});
    }
  }
  data["feeds"] = std::move(feeds);
  data["conditions"] = std::move(conditions);

  std::string text = "state:      " + std::string(to_string(halt.state));
  if (halt.since) text += " since " + format_iso8601(*halt.since);
  text += "\n";
  for (const auto& reason : halt.reasons) {
    text += "reason:     " + reason.condition +
            (reason.detail.empty() ? "" : ": " + reason.detail) + " (" + reason.source + ", " +
            format_iso8601(reason.at) + ")\n";
  }
  if (coordinator_.halted()) {
    text +=
        "recovery:   " + std::to_string(halt.checklist.size() - coordinator_.open_items().size()) +
        " of " + std::to_string(halt.checklist.size()) + " checklist items done (see `recovery`)\n";
  }
  if (!halt.persisted)
    text += "WARNING:    halt state not persisted: " + halt.persistence_error + "\n";
  text += "equity:     " + state.equity.to_string() + " " + state.valuation_currency + "\n";
  text += "drawdown:   " + pct(state.drawdown_pct) + " total, " + pct(state.daily_drawdown_pct) +
          " today, " + pct(state.weekly_drawdown_pct) + " this week\n";
  text += "positions:  " + std::to_string(state.positions.size()) + "\n";
  if (activity_ != nullptr) {
    text += "orders:     " + std::to_string(activity_->open_orders().size()) + " open\n";
  }
  if (!feed_text.empty()) text += "feeds:\n" + feed_text;
  return reply("status", std::move(text), std::move(data));
}

CommandReply CliService::positions() const {
  const PortfolioState state = portfolio_ ? portfolio_() : PortfolioState{};
  Json list = Json::array();
  std::vector<std::vector<std::string>> rows = {
      {"PAIR", "QTY", "MARK", "VALUE", "COST", "UNREALIZED", "OPENED"}};
  for (const auto& p : state.positions) {
    list.push_back(position_json(p));
    rows.push_back({p.instrument.str(), p.qty.to_string(),
                    p.mark_price ? p.mark_price->to_string() : "-", p.market_value.to_string(),
                    p.cost_basis.to_string(), p.unrealized_pnl.to_string(),
                    format_iso8601(p.opened)});
  }
  std::string text = state.positions.empty() ? "no open positions\n" : table(rows);
  return reply("positions", std::move(text), Json{{"positions", std::move(list)}});
}

CommandReply CliService::orders() const {
  Json list = Json::array();
  std::vector<std::vector<std::string>> rows = {
      {"CLIENT ID", "PAIR", "PURPOSE", "SIDE", "TYPE", "STATUS", "QTY", "FILLED", "PRICE"}};
  if (activity_ != nullptr) {
    for (const auto& [id, o] : activity_->open_orders()) {
      list.push_back(order_json(o));
      const auto price = o.limit_price ? o.limit_price : o.stop_price;
      rows.push_back({id.str(), o.instrument.str(), std::string(to_string(o.purpose)),
                      std::string(to_string(o.side)), std::string(to_string(o.order_type)),
                      std::string(to_string(o.status)), o.quantity_ordered.to_string(),
                      o.quantity_filled.to_string(), price ? price->to_string() : "-"});
    }
  }
  std::string text = list.empty() ? "no open orders\n" : table(rows);
  return reply("orders", std::move(text), Json{{"orders", std::move(list)}});
}

CommandReply CliService::pnl() const {
  const PortfolioState s = portfolio_ ? portfolio_() : PortfolioState{};
  const std::string ccy = " " + s.valuation_currency;
  std::string text;
  text += "equity:          " + s.equity.to_string() + ccy + "\n";
  text += "initial equity:  " + s.initial_equity.to_string() + ccy + "\n";
  text += "return:          " + pct(return_pct(s)) + "\n";
  text += "realized P&L:    " + s.realized_pnl.to_string() + ccy + " (net of fees)\n";
  text += "unrealized P&L:  " + s.unrealized_pnl.to_string() + ccy + "\n";
  text += "fees paid:       " + s.fees_paid.to_string() + ccy + "\n";
  text += "drawdown:        " + pct(s.drawdown_pct) + " total, " + pct(s.daily_drawdown_pct) +
          " today, " + pct(s.weekly_drawdown_pct) + " this week\n";
  text += "closed trades:   " + std::to_string(s.closed_trades) + " (" +
          std::to_string(s.winning_trades) + " won, " + std::to_string(s.consecutive_losses) +
          " losses in a row)\n";
  Json data = {{"valuation_currency", s.valuation_currency},
               {"equity", s.equity.to_string()},
               {"initial_equity", s.initial_equity.to_string()},
               {"return_pct", return_pct(s)},
               {"realized_pnl", s.realized_pnl.to_string()},
               {"unrealized_pnl", s.unrealized_pnl.to_string()},
               {"fees_paid", s.fees_paid.to_string()},
               {"drawdown_pct", s.drawdown_pct},
               {"daily_drawdown_pct", s.daily_drawdown_pct},
               {"weekly_drawdown_pct", s.weekly_drawdown_pct},
               {"closed_trades", s.closed_trades},
               {"winning_trades", s.winning_trades},
               {"consecutive_losses", s.consecutive_losses}};
  return reply("pnl", std::move(text), std::move(data));
}

CommandReply CliService::halt(const std::vector<std::string>& args,
                              const std::string& requested_by) {
  std::string reason;
  for (const auto& word : args) reason += (reason.empty() ? "" : " ") + word;
  if (reason.empty()) reason = kDefaultHaltReason;
  const bool was_halted = coordinator_.halted();
  coordinator_.halt("operator", reason, "operator:" + requested_by);
  std::string text =
      was_halted ? "already halted; reason added: " + reason + "\n" : "HALTED: " + reason + "\n";
  if (!was_halted) text += "resume needs the recovery checklist: see `recovery`\n";
  return reply("halt", std::move(text),
               Json{{"state", std::string(to_string(coordinator_.status().state))},
                    {"reason", reason},
                    {"was_halted", was_halted}});
}

CommandReply CliService::resume(const std::string& requested_by) {
  const Status resumed = coordinator_.resume("operator:" + requested_by);
  if (!resumed.is_ok()) return error("resume", kCommandFailed, resumed.message());
  return reply("resume", "RUNNING: trading resumed\n", Json{{"state", "RUNNING"}});
}

CommandReply CliService::recovery() const {
  const HaltStatus& halt = coordinator_.status();
  Json data = {{"state", std::string(to_string(halt.state))},
               {"checklist", checklist_json(halt)},
               {"open_items", static_cast<int64_t>(coordinator_.open_items().size())}};
  if (!coordinator_.halted()) {
    return reply("recovery", "not halted: there is no recovery checklist\n", std::move(data));
  }
  std::string text = "recovery checklist (complete each with `complete ITEM`):\n";
  for (const auto& entry : halt.checklist) {
    text += std::string(entry.done ? "  [x] " : "  [ ] ") +
            std::string(recovery_item_id(entry.item)) + " - " +
            std::string(recovery_item_text(entry.item));
    if (entry.done) {
      text += " (" + entry.completed_by + ", " + format_iso8601(entry.completed_at) + ")";
    }
    text += "\n";
  }
  const size_t open = coordinator_.open_items().size();
  text += open == 0 ? "all items done: `resume` to trade again\n"
                    : std::to_string(open) + " item(s) open\n";
  return reply("recovery", std::move(text), std::move(data));
}

CommandReply CliService::complete(const std::string& item, const std::string& requested_by) {
  const auto parsed = parse_recovery_item(item);
  if (!parsed) {
    std::string ids;
    for (RecoveryItem known : kRecoveryItems) {
      if (!ids.empty()) ids += ", ";
      ids += recovery_item_id(known);
    }
    return error("complete", kCommandBadInput,
                 "unknown checklist item '" + item + "'; items: " + ids);
  }
  const Status done = coordinator_.complete_item(*parsed, "operator:" + requested_by);
  if (!done.is_ok()) return error("complete", kCommandFailed, done.message());
  const size_t open = coordinator_.open_items().size();
  return reply("complete", "done: " + item + " (" + std::to_string(open) + " item(s) open)\n",
               Json{{"item", item}, {"open_items", static_cast<int64_t>(open)}});
}

CommandReply CliService::metrics() const {
  const HaltStatus& halt = coordinator_.status();
  const PortfolioState s = portfolio_ ? portfolio_() : PortfolioState{};
  std::ostringstream out;
  const auto gauge = [&](const char* name, const char* help, const std::string& value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n"
        << name << ' ' << value << '\n';
  };
  gauge("galfriday_halted", "1 when trading is halted, 0 when running.",
        coordinator_.halted() ? "1" : "0");
  gauge("galfriday_halt_reasons", "Reasons of the current halt.",
        std::to_string(halt.reasons.size()));
  gauge("galfriday_recovery_items_open", "Recovery checklist items still open.",
        std::to_string(coordinator_.open_items().size()));
  gauge("galfriday_equity", "Portfolio equity in the valuation currency.", s.equity.to_string());
  gauge("galfriday_cash", "Cash in the valuation currency.", s.cash.to_string());
  gauge("galfriday_realized_pnl", "Realized P&L net of fees.", s.realized_pnl.to_string());
  gauge("galfriday_unrealized_pnl", "Unrealized P&L at mark.", s.unrealized_pnl.to_string());
  gauge("galfriday_total_exposure", "Sum of absolute position values.",
        s.total_exposure.to_string());
  gauge("galfriday_drawdown_percent", "Drawdown from peak equity, percent.",
        fixed(s.drawdown_pct, 6));
  gauge("galfriday_daily_drawdown_percent", "Drawdown since the start of the UTC day, percent.",
        fixed(s.daily_drawdown_pct, 6));
  gauge("galfriday_weekly_drawdown_percent", "Drawdown since the start of the week, percent.",
        fixed(s.weekly_drawdown_pct, 6));
  gauge("galfriday_consecutive_losses", "Losing round trips in a row.",
        std::to_string(s.consecutive_losses));
  gauge("galfriday_open_positions", "Open positions.", std::to_string(s.positions.size()));
  if (activity_ != nullptr) {
    gauge("galfriday_open_orders", "Open orders.", std::to_string(activity_->open_orders().size()));
  }
  if (monitoring_ != nullptr) {
    const auto feeds = monitoring_->feed_health();
    out << "# HELP galfriday_feed_stale 1 when the pair's market data is stale.\n"
        << "# TYPE galfriday_feed_stale gauge\n";
    for (const auto& feed : feeds) {
      out << "galfriday_feed_stale{instrument=\"" << feed.instrument.str() << "\"} "
          << (feed.stale ? 1 : 0) << '\n';
    }
    out << "# HELP galfriday_halt_condition_tripped 1 when the condition caused the current "
           "halt.\n"
        << "# TYPE galfriday_halt_condition_tripped gauge\n";
    for (const auto& c : monitoring_->conditions()) {
      out << "galfriday_halt_condition_tripped{condition=\"" << c.name << "\"} "
          << (c.tripped ? 1 : 0) << '\n';
    }
  }
  std::string text = out.str();
  return reply("metrics", text, Json{{"prometheus", text}});
}

CommandReply CliService::shutdown() {
  spdlog::warn("operator requested shutdown");
  if (request_shutdown_) request_shutdown_();
  return reply("shutdown", "shutting down\n", Json::object());
}

CommandReply CliService::help() const {
  const std::string text =
      "status              state, halt reasons, equity, drawdown, feed health\n"
      "positions           open positions\n"
      "orders              open orders\n"
      "pnl                 profit and loss\n"
      "halt [REASON...]    halt trading (asks for confirmation)\n"
      "resume              resume trading (after the recovery checklist)\n"
      "recovery            the recovery checklist\n"
      "complete ITEM       complete one checklist item\n"
      "metrics             Prometheus metrics\n"
      "shutdown            stop the process\n"
      "help                this list\n";
  Json names = Json::array();
  for (const auto& name : command_names()) names.push_back(name);
  return reply("help", text, Json{{"commands", std::move(names)}});
}

}  // namespace galfriday::monitoring
