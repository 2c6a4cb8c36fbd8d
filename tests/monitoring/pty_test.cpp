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

#include "../support/process.hpp"

namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

using ::galfriday::test::CommandResult;
using ::galfriday::test::PtySession;
using ::galfriday::test::run_command;

TEST(OperatorSession, ConsoleUnderAPtyAndCtlFromAnotherTerminal) {
  std::string pattern = "/tmp/gfpty-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  {
    PtySession session({GF_OPERATOR_HARNESS, "--console", dir.string()});
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
