#include "galfriday/monitoring/halt_coordinator.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace galfriday::monitoring {
namespace {

struct ItemNames {
  RecoveryItem item;
  std::string_view id;
  std::string_view text;
};

constexpr std::array<ItemNames, kRecoveryItems.size()> kItemNames = {{
    {RecoveryItem::kReviewHaltReason, "review_halt_reason",
     "Review and understand the halt reason"},
    {RecoveryItem::kCheckMarketConditions, "check_market_conditions",
     "Check market conditions (volatility, spreads, data feeds)"},
    {RecoveryItem::kReviewPositions, "review_positions",
     "Review open positions and open orders against the exchange"},
    {RecoveryItem::kVerifyApiConnectivity, "verify_api_connectivity",
     "Verify exchange API connectivity"},
    {RecoveryItem::kCheckAccountBalance, "check_account_balance",
     "Check account balances against the books"},
    {RecoveryItem::kReviewRiskParameters, "review_risk_parameters",
     "Review risk parameters and halt thresholds"},
}};

std::string reason_text(const HaltReason& reason) {
  return reason.detail.empty() ? reason.condition : reason.condition + ": " + reason.detail;
}

}  // namespace

std::string_view recovery_item_id(RecoveryItem item) {
  for (const auto& names : kItemNames) {
    if (names.item == item) return names.id;
  }
  return "?";
}

std::string_view recovery_item_text(RecoveryItem item) {
  for (const auto& names : kItemNames) {
    if (names.item == item) return names.text;
  }
  return "?";
}

std::optional<RecoveryItem> parse_recovery_item(std::string_view id) {
  for (const auto& names : kItemNames) {
    if (names.id == id) return names.item;
  }
  return std::nullopt;
}

HaltCoordinator::HaltCoordinator(PubSubManager& bus, const Clock& clock,
                                 persistence::HaltStateRepository& repository, HaltAction action,
                                 PortfolioProbe portfolio)
    : bus_(bus),
      clock_(clock),
      repository_(repository),
      action_(action),
      portfolio_(std::move(portfolio)) {
  status_.action = action;
}

Status HaltCoordinator::restore() {
  auto current = repository_.current();
  if (!current) return current.status().with_context("reading the persisted halt state");
  if (!current->has_value() || (*current)->state != SystemState::kHalted) return Status::ok();
  const persistence::HaltRecord& record = **current;
  auto completed = repository_.completed_recovery_items();
  if (!completed) return completed.status().with_context("reading the halt's recovery checklist");
  state_ = SystemState::kHalted;
  halt_stored_ = true;
  status_.state = SystemState::kHalted;
  status_.since = record.changed_at;
  status_.reasons = {HaltReason{"restored", record.reason, record.source, record.changed_at}};
  status_.checklist.clear();
  for (RecoveryItem item : kRecoveryItems) status_.checklist.push_back({item, false, {}, {}});
  for (const persistence::RecoveryItemRecord& done : *completed) {
    const auto item = parse_recovery_item(done.item);
    // Only a newer binary with more items could have stored it; ours never asks for it.
    if (!item) {
      spdlog::warn("monitoring: ignoring unknown recovery item '{}' stored for this halt",
                   done.item);
      continue;
    }
    for (auto& entry : status_.checklist) {
      if (entry.item != *item) continue;
      entry.done = true;
      entry.completed_by = done.completed_by;
      entry.completed_at = done.completed_at;
    }
  }
  spdlog::warn(
      "monitoring: still HALTED after restart (halted {} by {}: {}); {} of {} recovery "
      "items completed",
      format_iso8601(record.changed_at), record.source, record.reason,
      kRecoveryItems.size() - open_items().size(), kRecoveryItems.size());
  publish_state("restored: " + record.reason);
  return Status::ok();
}

void HaltCoordinator::halt(std::string condition, std::string detail, std::string source) {
  HaltReason reason{std::move(condition), std::move(detail), std::move(source), clock_.now()};
  const std::string text = reason_text(reason);
  if (state_ == SystemState::kHalted) {
    spdlog::warn("monitoring: already halted; also {} (from {})", text, reason.source);
    status_.reasons.push_back(std::move(reason));
    return;
  }
  state_ = SystemState::kHalted;
  status_.state = SystemState::kHalted;
  status_.since = reason.at;
  status_.checklist.clear();
  for (RecoveryItem item : kRecoveryItems) status_.checklist.push_back({item, false, {}, {}});
  const std::string source_name = reason.source;
  status_.reasons = {std::move(reason)};
  spdlog::critical("monitoring: HALT ({}) from {}", text, source_name);
  // Persisted before anyone hears of it: a crash right after the event still restarts halted.
  halt_stored_ = persist(SystemState::kHalted, text, source_name, *status_.since).is_ok();
  publish_state(text);
  if (action_ == HaltAction::kClosePositions) close_positions(text);
}

Status HaltCoordinator::complete_item(RecoveryItem item, std::string completed_by) {
  if (state_ != SystemState::kHalted) {
    return failed_precondition("not halted: the recovery checklist belongs to a halt");
  }
  const std::string id(recovery_item_id(item));
  for (auto& entry : status_.checklist) {
    if (entry.item != item) continue;
    if (entry.done) {
      return failed_precondition(id + " is already completed (by " + entry.completed_by + ")");
    }
    // The checklist is stored against the halt: a halt the repository missed is stored now.
    if (!halt_stored_) {
      const HaltReason& first = status_.reasons.front();
      const Status stored = persist(SystemState::kHalted, reason_text(first), first.source,
                                    status_.since.value_or(first.at));
      if (!stored.is_ok()) {
        return stored.with_context("cannot record the halt, so " + id + " stays open");
      }
      halt_stored_ = true;
    }
    const Timestamp now = clock_.now();
    const Status stored = repository_.complete_recovery_item({id, completed_by, now});
    if (!stored.is_ok()) return stored.with_context("cannot record " + id + ", it stays open");
    entry.done = true;
    entry.completed_by = std::move(completed_by);
    entry.completed_at = now;
    spdlog::info("monitoring: recovery item {} completed by {}", id, entry.completed_by);
    return Status::ok();
  }
  return internal_error("recovery item missing from the checklist");
}

std::vector<RecoveryItem> HaltCoordinator::open_items() const {
  std::vector<RecoveryItem> open;
  for (const auto& entry : status_.checklist) {
    if (!entry.done) open.push_back(entry.item);
  }
  return open;
}

Status HaltCoordinator::resume(std::string resumed_by) {
  if (state_ != SystemState::kHalted) return failed_precondition("not halted");
  const auto open = open_items();
  if (!open.empty()) {
    std::string names;
    for (RecoveryItem item : open) {
      if (!names.empty()) names += ", ";
      names += recovery_item_id(item);
    }
    return failed_precondition("the recovery checklist is not complete; open items: " + names);
  }
  const std::string reason = "resumed by " + resumed_by;
  // Unlike a halt, a resume that cannot be recorded does not happen: after a restart the
  // system would come back halted although the operator had resumed it.
  const Status persisted = persist(SystemState::kRunning, reason, resumed_by, clock_.now());
  if (!persisted.is_ok()) {
    return unavailable("cannot record the resume, still halted: " + persisted.message());
  }
  state_ = SystemState::kRunning;
  halt_stored_ = false;
  status_.state = SystemState::kRunning;
  status_.since = clock_.now();
  status_.reasons.clear();
  status_.checklist.clear();
  spdlog::warn("monitoring: RUNNING ({})", reason);
  publish_state(reason);
  return Status::ok();
}

Status HaltCoordinator::persist(SystemState state, const std::string& reason,
                                const std::string& source, Timestamp at) {
  persistence::HaltRecord record;
  record.state = state;
  record.reason = reason;
  if (state == SystemState::kHalted) record.action = action_;
  record.source = source;
  record.changed_at = at;
  const Status status = repository_.record(record);
  status_.persisted = status.is_ok();
  status_.persistence_error = status.is_ok() ? "" : status.to_string();
  if (!status.is_ok()) {
    spdlog::error("monitoring: cannot persist the {} state: {}", to_string(state),
                  status.to_string());
    SystemErrorEvent error;
    error.source = "monitoring.halt_state";
    error.message =
        "cannot persist the " + std::string(to_string(state)) + " state: " + status.to_string();
    // Not critical: the state holds in memory, and a critical error would only re-halt.
    error.critical = false;
    bus_.publish(std::move(error));
  }
  return status;
}

void HaltCoordinator::publish_state(const std::string& reason) {
  SystemStateEvent event;
  event.state = state_;
  event.reason = reason;
  if (state_ == SystemState::kHalted) event.halt_action = action_;
  bus_.publish(std::move(event));
}

void HaltCoordinator::close_positions(const std::string& reason) {
  if (!portfolio_) return;
  for (const PositionView& position : portfolio_().positions) {
    if (!position.qty.is_positive()) continue;
    ClosePositionCommand command;
    command.instrument = position.instrument;
    command.reason = "halt: " + reason;
    command.requested_by = "monitoring";
    bus_.publish(std::move(command));
  }
}

}  // namespace galfriday::monitoring
