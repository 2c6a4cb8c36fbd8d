#include "galfriday/monitoring/console.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace galfriday::monitoring {
namespace {
constexpr const char* kPrompt = "galfriday> ";
}  // namespace

Console::Console(CommandGateway& gateway, int input_fd, std::ostream& out, Duration command_timeout)
    : gateway_(gateway),
      input_fd_(input_fd),
      out_(out),
      command_timeout_(command_timeout),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Console::~Console() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Console::stop() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof(one));
}

void Console::prompt(const char* text) { out_ << text << std::flush; }

Console::ReadResult Console::read_line(std::string& line) {
  for (;;) {
    if (const size_t newline = buffered_.find('\n'); newline != std::string::npos) {
      line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return ReadResult::kLine;
    }
    pollfd fds[2] = {{input_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, wake_fd_ >= 0 ? 2 : 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || fds[1].revents != 0) return ReadResult::kEnd;
    char buffer[1024];
    const ssize_t n = ::read(input_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (buffered_.empty()) return ReadResult::kEnd;
      line = std::move(buffered_);  // a last line without a newline
      buffered_.clear();
      return ReadResult::kLine;
    }
    buffered_.append(buffer, static_cast<size_t>(n));
  }
}

void Console::run() {
  out_ << "Gal-Friday console: `help` lists the commands, `quit` leaves the console\n";
  std::string line;
  for (;;) {
    prompt(kPrompt);
    if (read_line(line) == ReadResult::kEnd) {
      out_ << "\n";
      return;
    }
    if (!handle(line)) return;
  }
}

bool Console::handle(const std::string& line) {
  auto words = split_command_line(line);
  if (!words) {
    out_ << "error: " << words.status().message() << "\n";
    return true;
  }
  if (words->empty()) return true;
  bool json = false;
  if (words->back() == "--json") {
    json = true;
    words->pop_back();
    if (words->empty()) return true;
  }
  const std::string command = words->front();
  const std::vector<std::string> args(words->begin() + 1, words->end());
  if (command == "quit" || command == "exit") return false;
  if (command == "halt") {
    prompt("Halt trading now? Open entry orders are cancelled. [y/N] ");
    std::string answer;
    if (read_line(answer) == ReadResult::kEnd) return false;
    if (answer != "y" && answer != "Y" && answer != "yes") {
      out_ << "not halted\n";
      return true;
    }
  }
  auto reply = gateway_.execute(command, args, "console", command_timeout_);
  if (!reply) {
    out_ << "error: " << reply.status().message() << "\n";
    return true;
  }
  out_ << (json ? reply->json + "\n" : reply->text) << std::flush;
  return !(command == "shutdown" && reply->exit_code == kCommandOk);
}

}  // namespace galfriday::monitoring
