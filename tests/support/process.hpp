#pragma once
// Helpers for tests that run programs as child processes: shell commands with their output, a
// `galfriday` child (GF_GALFRIDAY_BIN, defined by the test target) with stdin from /dev/null and
// its output in a file, and a child under a pseudo-terminal as an operator's terminal runs it.
// Waits poll a condition up to a generous deadline; nothing waits on a fixed time.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace galfriday::test {

using SteadyClock = std::chrono::steady_clock;

// Generous: under ASan a start with migrations takes seconds, not minutes.
inline constexpr auto kRunDeadline = std::chrono::seconds(90);
inline constexpr auto kRunPoll = std::chrono::milliseconds(100);

inline std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A `galfriday` child with stdin from /dev/null and its output in a file. Killed (SIGKILL) by
// the destructor if it is still running.
class RunProcess {
 public:
  RunProcess(const std::vector<std::string>& args, const std::filesystem::path& output)
      : output_(output) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(GF_GALFRIDAY_BIN));
      for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execv(GF_GALFRIDAY_BIN, argv.data());
      ::_exit(127);
    }
  }
  ~RunProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  RunProcess(const RunProcess&) = delete;
  RunProcess& operator=(const RunProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const { ::kill(pid_, number); }
  std::string output() const { return read_text_file(output_); }

  // The exit code once the process ends within the deadline; -1 when it does not, -2 when a
  // signal killed it.
  int wait_exit() {
    const auto deadline = SteadyClock::now() + kRunDeadline;
    while (SteadyClock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
      }
      std::this_thread::sleep_for(kRunPoll);
    }
    return -1;
  }
  bool running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }

 private:
  std::filesystem::path output_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

// A child under a pseudo-terminal: `argv[0]` is the program's path.
class PtySession {
 public:
  explicit PtySession(const std::vector<std::string>& argv) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      std::vector<char*> args;
      for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  bool started() const { return pid_ > 0 && master_ >= 0; }
  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

  // Reads until `text` appears after the previous expectation.
  bool expect(const std::string& text) {
    const auto deadline = SteadyClock::now() + kRunDeadline;
    for (;;) {
      if (const size_t at = output_.find(text, consumed_); at != std::string::npos) {
        consumed_ = at + text.size();
        return true;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      pollfd fd{master_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(master_, buffer, sizeof(buffer));
      if (n <= 0) return false;
      output_.append(buffer, static_cast<size_t>(n));
    }
  }

  void type(const std::string& line) {
    const std::string text = line + "\n";
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }

  // The exit code once the process ends within the deadline (reading its output meanwhile, so
  // it never blocks on a full terminal); -1 when it does not, -2 when a signal killed it.
  int wait_exit() {
    const auto deadline = SteadyClock::now() + kRunDeadline;
    while (SteadyClock::now() < deadline) {
      char buffer[4096];
      pollfd fd{master_, POLLIN, 0};
      if (::poll(&fd, 1, 100) > 0) {
        const ssize_t n = ::read(master_, buffer, sizeof(buffer));
        if (n > 0) output_.append(buffer, static_cast<size_t>(n));
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
      }
    }
    return -1;
  }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t consumed_ = 0;
};

}  // namespace galfriday::test
