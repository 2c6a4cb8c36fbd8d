#pragma once
// HaltStateRepository over memory, for the tests that need a HaltCoordinator but not a database
// (the SQL implementation has its own tests on both backends, tests/persistence). It keeps the
// interface's contract: the checklist belongs to the current halt, and recording a state ends it.

#include <optional>
#include <string>
#include <vector>

#include "galfriday/persistence/repositories.hpp"

namespace galfriday::monitoring::test_support {

class MemoryHaltRepository final : public persistence::HaltStateRepository {
 public:
  Status record(const persistence::HaltRecord& record) override {
    if (const Status failure = take_failure(); !failure.is_ok()) return failure;
    history_.push_back(record);
    checklist_.clear();
    return Status::ok();
  }
  Result<std::optional<persistence::HaltRecord>> current() override {
    if (history_.empty()) return std::optional<persistence::HaltRecord>{};
    return std::optional<persistence::HaltRecord>(history_.back());
  }
  Result<std::vector<persistence::HaltRecord>> history() override { return history_; }

  Status complete_recovery_item(const persistence::RecoveryItemRecord& item) override {
    if (const Status failure = take_failure(); !failure.is_ok()) return failure;
    if (!halted()) return failed_precondition("the stored state is not HALTED");
    for (const auto& done : checklist_) {
      if (done.item == item.item) {
        return Status(StatusCode::kAlreadyExists, item.item + " is already stored");
      }
    }
    checklist_.push_back(item);
    return Status::ok();
  }
  Result<std::vector<persistence::RecoveryItemRecord>> completed_recovery_items() override {
    if (!halted()) return std::vector<persistence::RecoveryItemRecord>{};
    return checklist_;
  }

  // The next write fails with kUnavailable (a database that went away).
  bool fail_next = false;

 private:
  bool halted() const { return !history_.empty() && history_.back().state == SystemState::kHalted; }
  Status take_failure() {
    if (!fail_next) return Status::ok();
    fail_next = false;
    return unavailable("disk unplugged");
  }

  std::vector<persistence::HaltRecord> history_;
  std::vector<persistence::RecoveryItemRecord> checklist_;
};

}  // namespace galfriday::monitoring::test_support
