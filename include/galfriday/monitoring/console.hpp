#pragma once
// The interactive operator console of the foreground process: reads command lines from a file
// descriptor (stdin), runs them through the CommandGateway on the engine thread and prints the
// replies. `halt` asks for confirmation first; a trailing `--json` prints the JSON reply;
// `quit`/`exit` leave the console (the process keeps running), `shutdown` stops the process.
//
// run() blocks; give it its own thread. stop() (any thread) makes run() return.

#include <ostream>
#include <string>

#include "galfriday/monitoring/cli_service.hpp"

namespace galfriday::monitoring {

class Console {
 public:
  Console(CommandGateway& gateway, int input_fd, std::ostream& out, Duration command_timeout);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Until end of input, `quit`/`exit`, `shutdown` or stop().
  void run();
  void stop();

 private:
  enum class ReadResult { kLine, kEnd };
  ReadResult read_line(std::string& line);
  void prompt(const char* text);
  // false when the console should end.
  bool handle(const std::string& line);

  CommandGateway& gateway_;
  int input_fd_;
  std::ostream& out_;
  Duration command_timeout_;
  int wake_fd_;
  std::string buffered_;
};

}  // namespace galfriday::monitoring
