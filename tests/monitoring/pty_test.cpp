// An operator session against a separate running instance (operator_harness --console): the
// interactive console driven through a pseudo-terminal, `galfriday ctl` from "another
// terminal", and a second instance on the same data directory refused with the first's PID.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr int kWaitMs = 20000;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult run_command(const std::string& command) {
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

// The harness running under a pseudo-terminal, as an operator's terminal would run it.
class PtySession {
 public:
  explicit PtySession(const std::filesystem::path& data_dir) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::execl(GF_OPERATOR_HARNESS, GF_OPERATOR_HARNESS, "--console", data_dir.c_str(),
              static_cast<char*>(nullptr));
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

  bool started() const { return pid_ > 0 && master_ >= 0; }

  // Reads until `text` has appeared after the previous expectation; the output so far when it
  // does not within the wait.
  bool expect(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    for (;;) {
      if (const size_t at = output_.find(text, consumed_); at != std::string::npos) {
        consumed_ = at + text.size();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fd{master_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(master_, buffer, sizeof(buffer));
      if (n <= 0) return output_.find(text, consumed_) != std::string::npos;
      output_.append(buffer, static_cast<size_t>(n));
    }
  }

  void type(const std::string& line) {
    const std::string text = line + "\n";
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }

  // The exit code once the process ends (within the wait), -1 otherwise.
  int wait_exit() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    while (std::chrono::steady_clock::now() < deadline) {
      char buffer[4096];
      pollfd fd{master_, POLLIN, 0};
      if (::poll(&fd, 1, 100) > 0 && ::read(master_, buffer, sizeof(buffer)) > 0) continue;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
    }
    return -1;
  }

  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t consumed_ = 0;
};

TEST(OperatorSession, ConsoleUnderAPtyAndCtlFromAnotherTerminal) {
  std::string pattern = "/tmp/gfpty-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  {
    PtySession session(dir);
    ASSERT_TRUE(session.started());
    ASSERT_TRUE(session.expect("READY")) << session.output();
    ASSERT_TRUE(session.expect("galfriday> ")) << session.output();

    session.type("status");
    EXPECT_TRUE(session.expect("state:      RUNNING")) << session.output();
    ASSERT_TRUE(session.expect("galfriday> "));

    // `galfriday ctl` from another terminal sees the same instance.
    const std::string ctl = std::string(GF_GALFRIDAY_BIN) + " ctl --data-dir " + dir.string();
    const CommandResult status = run_command(ctl + " status --json");
    EXPECT_EQ(status.exit_code, 0) << status.output;
    const Json json = Json::parse(status.output, nullptr, false);
    ASSERT_TRUE(json.is_object()) << status.output;
    EXPECT_EQ(json["state"], "RUNNING");
    const CommandResult unknown = run_command(ctl + " frobnicate");
    EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
    EXPECT_THAT(unknown.output, HasSubstr("unknown command 'frobnicate'"));
    const CommandResult wrong_args = run_command(ctl + " complete");
    EXPECT_EQ(wrong_args.exit_code, 2) << wrong_args.output;
    const CommandResult unconfirmed = run_command(ctl + " halt nope < /dev/null");
    EXPECT_EQ(unconfirmed.exit_code, 2) << unconfirmed.output;
    EXPECT_THAT(unconfirmed.output, HasSubstr("needs --yes"));

    // A second instance on the same data directory is refused, naming the first.
    const CommandResult second = run_command(std::string(GF_OPERATOR_HARNESS) + " --console " +
                                             dir.string() + " < /dev/null");
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_THAT(second.output, HasSubstr("another galfriday instance (PID " +
                                         std::to_string(session.pid()) + ")"));

    // Halting from the console asks first.
    session.type("halt \"pty test\"");
    ASSERT_TRUE(session.expect("Halt trading now?")) << session.output();
    session.type("y");
    EXPECT_TRUE(session.expect("HALTED: pty test")) << session.output();
    ASSERT_TRUE(session.expect("galfriday> "));

    const CommandResult recovery = run_command(ctl + " recovery");
    EXPECT_EQ(recovery.exit_code, 0) << recovery.output;
    EXPECT_THAT(recovery.output, HasSubstr("[ ] review_halt_reason"));
    const CommandResult refused = run_command(ctl + " resume");
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("open items"));

    session.type("orders --json");
    EXPECT_TRUE(session.expect("{\"ok\":true,\"command\":\"orders\"")) << session.output();
    session.type("shutdown");
    EXPECT_TRUE(session.expect("shutting down")) << session.output();
    EXPECT_EQ(session.wait_exit(), 0) << session.output();
  }
  // Gone: ctl says so and fails.
  const CommandResult gone =
      run_command(std::string(GF_GALFRIDAY_BIN) + " ctl --data-dir " + dir.string() + " status");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.output, HasSubstr("no galfriday instance is answering"));
  std::filesystem::remove_all(dir);
}

}  // namespace
