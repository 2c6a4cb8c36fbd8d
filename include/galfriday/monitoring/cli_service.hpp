#pragma once
// The operator's command set, the same from every front end (interactive console, `galfriday
// ctl` over the control socket, the dashboard):
//
//   status              state, halt reasons, equity and drawdown, counts, feed health
//   positions           open positions at mark
//   orders              open orders
//   pnl                 realized / unrealized P&L, fees, return, drawdowns
//   halt [REASON...]    halt trading (front ends ask for confirmation first)
//   resume              resume after the recovery checklist is complete
//   recovery            the recovery checklist of the current halt
//   complete ITEM       complete one checklist item (ids as `recovery` lists them)
//   metrics             Prometheus text exposition of the same numbers
//   shutdown            stop the process in order
//   help                this list
//
// Threading. Commands run on the engine thread, where all trading state lives: a front end on
// another thread calls CommandGateway::execute(), which posts an OperatorCommandEvent to the
// bus and waits for the reply that CliService (subscribed on the engine thread) delivers.
//
// Every reply carries both forms: `text` for a person and `json` (one JSON object) for
// scripts. exit_code: 0 done, 1 refused or failed (e.g. resume with open checklist items),
// 2 bad input (unknown command, wrong arguments).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/monitoring/activity.hpp"
#include "galfriday/monitoring/halt_coordinator.hpp"
#include "galfriday/monitoring/monitoring_service.hpp"

namespace galfriday::monitoring {

inline constexpr int kCommandOk = 0;
inline constexpr int kCommandFailed = 1;
inline constexpr int kCommandBadInput = 2;

struct CommandReply {
  int exit_code = kCommandOk;
  std::string text;  // for a person; ends with a newline
  std::string json;  // one JSON object: {"ok":bool, "command":..., ...data or "error"}
};

// The command names, in help order.
const std::vector<std::string>& command_names();

// Splits a console line into words: blanks separate, "double" or 'single' quotes group, a
// backslash escapes the next character. kInvalidArgument for an unterminated quote.
Result<std::vector<std::string>> split_command_line(std::string_view line);

// Thread-safe bridge from front-end threads to the engine thread.
class CommandGateway {
 public:
  explicit CommandGateway(PubSubManager& bus) : bus_(bus) {}

  // Any thread but the engine's: posts the command and waits up to `timeout` for its reply.
  // kDeadlineExceeded when the engine does not answer in time (it may still run the command).
  Result<CommandReply> execute(std::string command, std::vector<std::string> args,
                               std::string requested_by, Duration timeout);

  // Engine thread: hands a reply to the waiting requester; unknown ids (timed out, or 0) are
  // dropped.
  void deliver(uint64_t request_id, CommandReply reply);

 private:
  PubSubManager& bus_;
  std::mutex mutex_;
  std::condition_variable replied_;
  uint64_t next_request_id_ = 1;
  std::map<uint64_t, std::optional<CommandReply>> pending_;
};

class CliService {
 public:
  using PortfolioProbe = std::function<PortfolioState()>;

  // `monitoring` and `activity` may be null (their sections are then omitted).
  // `request_shutdown` is called on the engine thread by `shutdown`.
  CliService(HaltCoordinator& coordinator, const MonitoringService* monitoring,
             const ActivityLog* activity, PortfolioProbe portfolio, const Clock& clock,
             std::function<void()> request_shutdown);
  ~CliService();
  CliService(const CliService&) = delete;
  CliService& operator=(const CliService&) = delete;

  // Runs every OperatorCommandEvent and delivers its reply through `gateway`.
  void attach(PubSubManager& bus, CommandGateway& gateway);

  // Engine thread: runs one command.
  CommandReply run(std::string_view command, const std::vector<std::string>& args,
                   const std::string& requested_by);

 private:
  CommandReply status() const;
  CommandReply positions() const;
  CommandReply orders() const;
  CommandReply pnl() const;
  CommandReply halt(const std::vector<std::string>& args, const std::string& requested_by);
  CommandReply resume(const std::string& requested_by);
  CommandReply recovery() const;
  CommandReply complete(const std::string& item, const std::string& requested_by);
  CommandReply metrics() const;
  CommandReply shutdown();
  CommandReply help() const;

  HaltCoordinator& coordinator_;
  const MonitoringService* monitoring_;
  const ActivityLog* activity_;
  PortfolioProbe portfolio_;
  const Clock& clock_;
  std::function<void()> request_shutdown_;
  PubSubManager* bus_ = nullptr;
  SubscriptionId subscription_ = 0;
};

}  // namespace galfriday::monitoring
