#pragma once
// HaltCoordinator: the one owner of the system's RUNNING/HALTED state.
//
// A halt (from a monitoring condition, a PotentialHaltTriggerEvent, a critical SystemErrorEvent
// or the operator) publishes SystemStateEvent(HALTED, reason): the risk manager then rejects
// new signals, and execution handlers refuse new entries and cancel their open entry orders
// (protective orders stay). With HaltAction::kClosePositions it also publishes one
// ClosePositionCommand per open position. The state is written through HaltStateRepository
// before the event is published, so a process that restarts comes back halted (restore()).
//
// Resuming needs the recovery checklist: every item completed by the operator, one by one,
// after the halt. Each completion is stored with the halt (HaltStateRepository), so a restart
// while halted keeps what was done; a new halt starts a fresh checklist. A halt while halted adds
// its reason to the current halt and resets nothing.
//
// Engine thread only.

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/persistence/repositories.hpp"
#include "galfriday/portfolio/portfolio_manager.hpp"

namespace galfriday::monitoring {

// What the operator checks before trading resumes, in the order they are listed.
enum class RecoveryItem {
  kReviewHaltReason,
  kCheckMarketConditions,
  kReviewPositions,
  kVerifyApiConnectivity,
  kCheckAccountBalance,
  kReviewRiskParameters,
};

inline constexpr std::array<RecoveryItem, 6> kRecoveryItems = {
    RecoveryItem::kReviewHaltReason,    RecoveryItem::kCheckMarketConditions,
    RecoveryItem::kReviewPositions,     RecoveryItem::kVerifyApiConnectivity,
    RecoveryItem::kCheckAccountBalance, RecoveryItem::kReviewRiskParameters,
};

// "review_halt_reason", ... (what `complete ITEM` takes).
std::string_view recovery_item_id(RecoveryItem item);
// "Review and understand the halt reason", ...
std::string_view recovery_item_text(RecoveryItem item);
std::optional<RecoveryItem> parse_recovery_item(std::string_view id);

// One reason the system is halted.
struct HaltReason {
  std::string condition;  // "daily_drawdown", "operator", "halt_trigger", ...
  std::string detail;     // with the numbers: "2.31 % >= 2.00 %"
  std::string source;     // "monitoring", "operator:ctl", the trigger's source
  Timestamp at{};
};

struct ChecklistEntry {
  RecoveryItem item = RecoveryItem::kReviewHaltReason;
  bool done = false;
  std::string completed_by;
  Timestamp completed_at{};
};

struct HaltStatus {
  SystemState state = SystemState::kRunning;
  std::optional<Timestamp> since;         // when the current state began (nullopt: never changed)
  std::vector<HaltReason> reasons;        // of the current halt; the first one halted
  std::vector<ChecklistEntry> checklist;  // of the current halt; empty while running
  HaltAction action = HaltAction::kMaintainPositions;
  // Whether the last state change reached the repository; the error when not.
  bool persisted = true;
  std::string persistence_error;
};

class HaltCoordinator {
 public:
  using PortfolioProbe = std::function<PortfolioState()>;

  // `portfolio` gives the open positions to close on a halt with kClosePositions.
  HaltCoordinator(PubSubManager& bus, const Clock& clock,
                  persistence::HaltStateRepository& repository, HaltAction action,
                  PortfolioProbe portfolio);

  // Reads the persisted state. When it is HALTED, the coordinator is halted again (reason
  // "restored: <reason>") with the checklist items already completed for that halt, and
  // publishes SystemStateEvent(HALTED) so that risk and execution block from the first event;
  // positions are not closed again. Call once at start.
  Status restore();

  // Halts, or adds the reason to the current halt. Never fails: a repository error is logged
  // in status().persistence_error and reported as a SystemErrorEvent, and the halt holds.
  void halt(std::string condition, std::string detail, std::string source);

  // kFailedPrecondition when not halted, or when the item is already done. The completion is
  // stored before it counts: when the repository fails, the item stays open and its error is
  // returned. A halt that could not be stored when it happened is stored first.
  Status complete_item(RecoveryItem item, std::string completed_by);

  // kFailedPrecondition when not halted or when checklist items are open (they are named).
  // kUnavailable (still halted) when the RUNNING state cannot be persisted.
  Status resume(std::string resumed_by);

  bool halted() const { return state_ == SystemState::kHalted; }
  const HaltStatus& status() const { return status_; }
  std::vector<RecoveryItem> open_items() const;

 private:
  Status persist(SystemState state, const std::string& reason, const std::string& source,
                 Timestamp at);
  void publish_state(const std::string& reason);
  void close_positions(const std::string& reason);

  PubSubManager& bus_;
  const Clock& clock_;
  persistence::HaltStateRepository& repository_;
  HaltAction action_;
  PortfolioProbe portfolio_;
  SystemState state_ = SystemState::kRunning;
  // Whether the current halt reached the repository (the checklist is stored against it).
  bool halt_stored_ = false;
  HaltStatus status_;
};

}  // namespace galfriday::monitoring
