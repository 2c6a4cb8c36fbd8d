// The operator command set, the control socket (permissions, ownership checks, protocol), the
// single-instance lock and the console, with a real engine thread running the bus.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../support/temp_dir.hpp"
#include "galfriday/monitoring/cli_service.hpp"
#include "galfriday/monitoring/console.hpp"
#include "galfriday/monitoring/control_socket.hpp"
#include "memory_halt_repository.hpp"

namespace galfriday::monitoring {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr Duration kTimeout = std::chrono::seconds(10);

using test_support::MemoryHaltRepository;

using TempDir = ::galfriday::test::TempDir;

// Engine state on an engine thread that runs the bus, as the app does.
class Engine {
 public:
  Engine()
      : coordinator_(bus_, clock_, repository_, HaltAction::kMaintainPositions,
                     [this] { return portfolio_; }),
        activity_([this] { return portfolio_; }),
        cli_(
            coordinator_, nullptr, &activity_, [this] { return portfolio_; }, clock_,
            [this] { shutdown_requested_ = true; }),
        gateway_(bus_) {
    portfolio_.valuation_currency = "USD";
    portfolio_.equity = Money::parse("100000.00", 2).value();
    PositionView position;
    position.instrument = InstrumentId("BTC/USD");
    position.qty = Quantity::parse("0.50000000", 8).value();
    portfolio_.positions.push_back(position);
    activity_.attach(bus_);
    cli_.attach(bus_, gateway_);
    thread_ = std::thread([this] {
      while (!stop_) {
        bus_.wait_for_posted(std::chrono::milliseconds(50));
        bus_.run_until_idle();
      }
    });
  }
  ~Engine() {
    stop_ = true;
    bus_.wake();
    thread_.join();
  }

  CommandGateway& gateway() { return gateway_; }
  CliService& cli() { return cli_; }
  bool shutdown_requested() const { return shutdown_requested_; }

  // Runs a command on the engine thread and returns its reply.
  CommandReply run(const std::string& command, std::vector<std::string> args = {}) {
    auto reply = gateway_.execute(command, std::move(args), "test", kTimeout);
    EXPECT_TRUE(reply.is_ok()) << reply.status().to_string();
    return reply.is_ok() ? *reply : CommandReply{};
  }

 private:
  LiveClock clock_;
  PubSubManager bus_{clock_};
  MemoryHaltRepository repository_;
  PortfolioState portfolio_;
  HaltCoordinator coordinator_;
  ActivityLog activity_;
  CliService cli_;
  CommandGateway gateway_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> shutdown_requested_{false};
  std::thread thread_;
};

// --- Commands ----------------------------------------------------------------------------------

TEST(CliCommands, UnknownCommandsAndWrongArgumentsAreBadInput) {
  Engine engine;
  const CommandReply unknown = engine.run("hlat");
  EXPECT_EQ(unknown.exit_code, kCommandBadInput);
  EXPECT_THAT(unknown.text, HasSubstr("unknown command 'hlat'; commands: status, positions"));
  EXPECT_EQ(engine.run("status", {"now"}).exit_code, kCommandBadInput);
  const CommandReply no_item = engine.run("complete");
  EXPECT_EQ(no_item.exit_code, kCommandBadInput);
  EXPECT_THAT(no_item.text, HasSubstr("usage: complete ITEM"));
  engine.run("halt");
  const CommandReply bad_item = engine.run("complete", {"confirm_resume"});
  EXPECT_EQ(bad_item.exit_code, kCommandBadInput);
  EXPECT_THAT(bad_item.text, HasSubstr("items: review_halt_reason, check_market_conditions"));
  const Json json = Json::parse(bad_item.json);
  EXPECT_FALSE(json["ok"].get<bool>());
}

TEST(CliCommands, HaltRecoveryAndResumeThroughCommands) {
  Engine engine;
  EXPECT_EQ(Json::parse(engine.run("status").json)["state"], "RUNNING");
  const CommandReply halted = engine.run("halt", {"fat", "finger"});
  EXPECT_EQ(halted.exit_code, kCommandOk);
  EXPECT_THAT(halted.text, HasSubstr("HALTED: fat finger"));

  const Json status = Json::parse(engine.run("status").json);
  EXPECT_EQ(status["state"], "HALTED");
  EXPECT_EQ(status["reasons"][0]["condition"], "operator");
  EXPECT_EQ(status["reasons"][0]["detail"], "fat finger");
  EXPECT_EQ(status["reasons"][0]["source"], "operator:test");
  EXPECT_EQ(status["positions"][0]["qty"], "0.50000000");
  EXPECT_EQ(status["checklist"].size(), kRecoveryItems.size());

  const CommandReply refused = engine.run("resume");
  EXPECT_EQ(refused.exit_code, kCommandFailed);
  EXPECT_THAT(refused.text, HasSubstr("open items: review_halt_reason"));
  for (RecoveryItem item : kRecoveryItems) {
    EXPECT_EQ(engine.run("complete", {std::string(recovery_item_id(item))}).exit_code, kCommandOk);
  }
  EXPECT_THAT(engine.run("recovery").text, HasSubstr("[x] review_risk_parameters"));
  EXPECT_EQ(engine.run("resume").exit_code, kCommandOk);
  EXPECT_EQ(Json::parse(engine.run("status").json)["state"], "RUNNING");
}

TEST(CliCommands, EveryCommandHasTextAndParsableJson) {
  Engine engine;
  for (const std::string& command : command_names()) {
    // The state-changing ones have their own tests.
    if (command == "shutdown" || command == "complete" || command == "halt" ||
        command == "resume") {
      continue;
    }
    const CommandReply reply = engine.run(command);
    EXPECT_EQ(reply.exit_code, kCommandOk) << command << ": " << reply.text;
    EXPECT_FALSE(reply.text.empty()) << command;
    const Json json = Json::parse(reply.json, nullptr, false);
    ASSERT_TRUE(json.is_object()) << command << ": " << reply.json;
    EXPECT_TRUE(json["ok"].get<bool>()) << command;
    EXPECT_EQ(json["command"], command);
  }
  EXPECT_THAT(engine.run("positions").text, HasSubstr("BTC/USD  0.50000000"));
  EXPECT_THAT(engine.run("metrics").text, HasSubstr("\ngalfriday_halted 0\n"));
  EXPECT_FALSE(engine.shutdown_requested());
  EXPECT_EQ(engine.run("shutdown").exit_code, kCommandOk);
  EXPECT_TRUE(engine.shutdown_requested());
}

TEST(CliCommands, CommandLinesSplitOnBlanksWithQuotes) {
  EXPECT_EQ(split_command_line("  halt \"fat finger\" 'x y'  z\\ w").value(),
            (std::vector<std::string>{"halt", "fat finger", "x y", "z w"}));
  EXPECT_EQ(split_command_line("").value(), std::vector<std::string>{});
  EXPECT_EQ(split_command_line("halt \"open").status().code(), StatusCode::kInvalidArgument);
}

// --- Control socket ----------------------------------------------------------------------------

TEST(ControlSocket, IsOwnerOnlyAndAnswersCommands) {
  TempDir dir;
  Engine engine;
  auto server = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  struct stat st {};
  ASSERT_EQ(::stat(control_socket_path(dir.path()).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() / "run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto status = send_control_command(dir.path(), "status", {}, kTimeout);
  ASSERT_TRUE(status.is_ok()) << status.status().to_string();
  EXPECT_EQ(status->exit_code, kCommandOk);
  EXPECT_THAT(status->text, HasSubstr("state:      RUNNING"));
  EXPECT_EQ(Json::parse(status->json)["state"], "RUNNING");

  auto unknown = send_control_command(dir.path(), "bogus", {"x"}, kTimeout);
  ASSERT_TRUE(unknown.is_ok());
  EXPECT_EQ(unknown->exit_code, kCommandBadInput);

  auto halted = send_control_command(dir.path(), "halt", {"from ctl"}, kTimeout);
  ASSERT_TRUE(halted.is_ok());
  EXPECT_EQ(halted->exit_code, kCommandOk);
  const Json after = Json::parse(engine.run("status").json);
  EXPECT_EQ(after["state"], "HALTED");
  EXPECT_THAT(after["reasons"][0]["source"].get<std::string>(), HasSubstr("operator:ctl(pid "));

  server->reset();
  EXPECT_FALSE(std::filesystem::exists(control_socket_path(dir.path())));
  EXPECT_EQ(send_control_command(dir.path(), "status", {}, kTimeout).status().code(),
            StatusCode::kUnavailable);
}

TEST(ControlSocket, MalformedRequestsGetAnErrorReply) {
  TempDir dir;
  Engine engine;
  auto server = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
  ASSERT_TRUE(server.is_ok());
  for (const std::string request :
       {"not json\n", "{\"args\":[]}\n", "{\"command\":\"x\",\"args\":[1]}\n"}) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = control_socket_path(dir.path()).string();
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    std::string response;
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    ::close(fd);
    const Json json = Json::parse(response);
    EXPECT_EQ(json["exit_code"], kCommandBadInput) << request;
    EXPECT_THAT(json["text"].get<std::string>(), HasSubstr("bad request")) << request;
  }
}

TEST(ControlSocket, RefusesPathsOwnedByAnotherUserOrNotASocket) {
  TempDir dir;
  Engine engine;
  const auto run_dir = dir.path() / "run";
  std::filesystem::create_directories(run_dir);
  ::chmod(run_dir.c_str(), 0700);
  const auto socket_path = control_socket_path(dir.path());
  {
    std::ofstream(socket_path) << "not a socket";
    auto refused = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
    EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
    EXPECT_THAT(refused.status().message(), HasSubstr("is not a socket; not removing it"));
    EXPECT_TRUE(std::filesystem::exists(socket_path));
    std::filesystem::remove(socket_path);
  }
  if (::geteuid() != 0) GTEST_SKIP() << "changing file owners needs root";
  constexpr uid_t kOtherUser = 54321;
  {
    // A socket left by another user.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.string().size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
    ASSERT_EQ(::lchown(socket_path.c_str(), kOtherUser, kOtherUser), 0);
    auto refused = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
    EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
    EXPECT_THAT(refused.status().message(), HasSubstr("belongs to uid 54321"));
    std::filesystem::remove(socket_path);
  }
  {
    ASSERT_EQ(::chown(run_dir.c_str(), kOtherUser, kOtherUser), 0);
    auto refused = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
    EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
    EXPECT_THAT(refused.status().message(), HasSubstr("run belongs to uid 54321"));
    ASSERT_EQ(::chown(run_dir.c_str(), 0, 0), 0);
  }
  {
    ASSERT_EQ(::chown(dir.path().c_str(), kOtherUser, kOtherUser), 0);
    auto refused = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
    EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
    ASSERT_EQ(::chown(dir.path().c_str(), 0, 0), 0);
  }
  // A stale socket of our own is replaced.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.string().size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
    auto server = ControlServer::start(dir.path(), engine.gateway(), kTimeout);
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    EXPECT_TRUE(send_control_command(dir.path(), "status", {}, kTimeout).is_ok());
  }
}

// --- Instance lock -----------------------------------------------------------------------------

TEST(InstanceLock, SecondInstanceIsRefusedWithThePid) {
  TempDir dir;
  auto first = InstanceLock::acquire(dir.path());
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  auto second = InstanceLock::acquire(dir.path());
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(),
              HasSubstr("another galfriday instance (PID " + std::to_string(::getpid()) +
                        ") is using data directory " + dir.path().string()));
  first->reset();
  EXPECT_TRUE(InstanceLock::acquire(dir.path()).is_ok());
}

// --- Console -----------------------------------------------------------------------------------

TEST(Console, RunsCommandsAsksBeforeHaltingAndPrintsJsonOnRequest) {
  Engine engine;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const std::string input =
      "status\n"
      "halt too volatile\n"
      "n\n"
      "halt \"too volatile\"\n"
      "yes\n"
      "recovery --json\n"
      "hlat\n"
      "quit\n"
      "status\n";  // never read: the console ended at quit
  ASSERT_EQ(::write(pipe_fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(pipe_fds[1]);
  std::ostringstream out;
  Console console(engine.gateway(), pipe_fds[0], out, kTimeout);
  console.run();
  ::close(pipe_fds[0]);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("state:      RUNNING"));
  EXPECT_THAT(text, HasSubstr("Halt trading now?"));
  EXPECT_THAT(text, HasSubstr("not halted\n"));
  EXPECT_THAT(text, HasSubstr("HALTED: too volatile"));
  EXPECT_THAT(text, HasSubstr("{\"ok\":true,\"command\":\"recovery\",\"state\":\"HALTED\""));
  EXPECT_THAT(text, HasSubstr("error: unknown command 'hlat'"));
  EXPECT_EQ(text.find("state:      HALTED"), std::string::npos);
}

}  // namespace
}  // namespace galfriday::monitoring
