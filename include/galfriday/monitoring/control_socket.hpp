#pragma once
// Operator access from other processes: the single-instance lock on the data directory and the
// control socket that `galfriday ctl` talks to.
//
// Control protocol (one request, one response, then the server closes the connection):
//   request:  one line of JSON, at most 64 KiB:  {"command":"halt","args":["fat","finger"]}\n
//   response: one line of JSON:
//             {"exit_code":0,"text":"HALTED: fat
//             finger\n","data":{"ok":true,"command":"halt",...}}\n
// `text` is the human-readable reply and `data` the JSON reply of the command (cli_service.hpp).
// A request that is not such JSON is answered with exit_code 2 and an error.
//
// Security: the socket lives in <data_dir>/run/ (mode 0700) and is itself mode 0600; the
// server refuses to start when the data directory, run/ or an existing socket belongs to
// another user, refuses to remove anything that is not a socket, and drops connections whose
// peer (SO_PEERCRED) is neither its own user nor root.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/monitoring/cli_service.hpp"

namespace galfriday::monitoring {

// <data_dir>/run/control.sock
std::filesystem::path control_socket_path(const std::filesystem::path& data_dir);

// An exclusive flock on <data_dir>/galfriday.lock, held for the object's lifetime; the file
// holds the owner's PID. A second acquire (from any process) fails with kFailedPrecondition:
// "another galfriday instance (PID 1234) is using data directory ...".
class InstanceLock {
 public:
  static Result<std::unique_ptr<InstanceLock>> acquire(const std::filesystem::path& data_dir);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_;
};

class ControlServer {
 public:
  // Creates the socket and starts serving on its own thread; commands go through `gateway`
  // (run on the engine thread) with `command_timeout`. kPermissionDenied for a path owned by
  // another user or a non-socket in the way; kInvalidArgument for a path too long for a UNIX
  // socket; kUnavailable when the socket cannot be created.
  static Result<std::unique_ptr<ControlServer>> start(const std::filesystem::path& data_dir,
                                                      CommandGateway& gateway,
                                                      Duration command_timeout);
  // Stops serving, joins the thread and removes the socket.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  ControlServer(std::filesystem::path path, int listen_fd, int wake_fd, CommandGateway& gateway,
                Duration command_timeout);
  void serve();
  void handle(int fd);

  std::filesystem::path path_;
  int listen_fd_;
  int wake_fd_;  // eventfd: stop() makes it readable
  CommandGateway& gateway_;
  Duration command_timeout_;
  std::thread thread_;
};

// The client side: sends one command and returns the reply. kUnavailable when no instance
// listens on the data directory's socket; kDeadlineExceeded when it does not answer in time.
Result<CommandReply> send_control_command(const std::filesystem::path& data_dir,
                                          const std::string& command,
                                          const std::vector<std::string>& args, Duration timeout);

}  // namespace galfriday::monitoring
