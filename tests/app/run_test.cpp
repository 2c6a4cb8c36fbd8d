// `galfriday run --mode paper` as a separate process against the local Kraken simulator on
// loopback: operator commands over `galfriday ctl`, a halt that survives a restart, the recovery
// checklist, an interactive console under a pseudo-terminal, orderly shutdown on SIGTERM (exit
// code, released lock, drained writer), a second instance refused, and bad input.
//
// Nothing waits on a fixed time: every wait polls a condition (the control socket answers, a
// process exits) up to a generous deadline.

#include <fcntl.h>
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
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "galfriday/app/pipeline.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/kraken_sim/simulator.hpp"
#include "galfriday/monitoring/control_socket.hpp"
#include "galfriday/monitoring/halt_coordinator.hpp"
#include "galfriday/persistence/event_log.hpp"
#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/sql_repositories.hpp"

namespace galfriday {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// Generous: under ASan a start with migrations takes seconds, not minutes.
constexpr auto kDeadline = std::chrono::seconds(90);
constexpr auto kPoll = std::chrono::milliseconds(100);

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

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

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A `galfriday run` child with stdin from /dev/null and its output in a file.
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
  std::string output() const { return read_file(output_); }

  // The exit code once the process ends within the deadline; -1 when it does not, -2 when a
  // signal killed it.
  int wait_exit() {
    const auto deadline = SteadyClock::now() + kDeadline;
    while (SteadyClock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
      }
      std::this_thread::sleep_for(kPoll);
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

// The instance under a pseudo-terminal, as an operator's terminal runs it.
class PtySession {
 public:
  explicit PtySession(const std::filesystem::path& config) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::execl(GF_GALFRIDAY_BIN, GF_GALFRIDAY_BIN, "run", "--mode", "paper", "--config",
              config.c_str(), static_cast<char*>(nullptr));
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

  // Reads until `text` appears after the previous expectation.
  bool expect(const std::string& text) {
    const auto deadline = SteadyClock::now() + kDeadline;
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

  int wait_exit() {
    const auto deadline = SteadyClock::now() + kDeadline;
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

  const std::string& output() const { return output_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t consumed_ = 0;
};

class PaperRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/gfrun-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    data_dir_ = dir_ / "data";

    auto instruments = app::build_instruments(config::default_config());
    ASSERT_TRUE(instruments) << instruments.status().to_string();
    kraken_sim::SimulatorOptions options;
    for (const InstrumentSpec& spec : instruments->all()) {
      options.pairs.push_back({spec, sample_start_price(spec), ""});
    }
    // One simulated second per 20 ms: a one-minute bar closes about every 1.2 s.
    options.tick_interval = std::chrono::milliseconds(20);
    auto sim = kraken_sim::KrakenSimulator::start(std::move(options));
    ASSERT_TRUE(sim) << sim.status().to_string();
    sim_ = std::move(*sim);

    config_ = dir_ / "config.yaml";
    std::ofstream(config_) << "data_dir: " << data_dir_.string() << "\n"
                           << "kraken:\n"
                           << "  ws_url: " << sim_->ws_url() << "\n"
                           << "monitoring:\n"
                           << "  market_data:\n"
                           << "    stale_seconds: 600\n"
                           << "    startup_grace_seconds: 600\n";
  }
  void TearDown() override {
    if (sim_) sim_->stop();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<RunProcess> start_run(const std::string& output_name = "run.out") {
    return std::make_unique<RunProcess>(
        std::vector<std::string>{"run", "--mode", "paper", "--config", config_.string()},
        dir_ / output_name);
  }

  std::string ctl_prefix() const {
    return std::string(GF_GALFRIDAY_BIN) + " ctl --data-dir " + shell_quote(data_dir_.string());
  }
  CommandResult ctl(const std::string& args) { return run_command(ctl_prefix() + " " + args); }

  // Polls `ctl status --json` until the instance answers (or it exits, or the deadline).
  std::optional<Json> wait_for_status(RunProcess& process) {
    const auto deadline = SteadyClock::now() + kDeadline;
    while (SteadyClock::now() < deadline && process.running()) {
      const CommandResult status = ctl("status --json");
      if (status.exit_code == 0) {
        Json json = Json::parse(status.output, nullptr, false);
        if (json.is_object()) return json;
      }
      std::this_thread::sleep_for(kPoll);
    }
    return std::nullopt;
  }

  // Polls until every pair has had market data through the live feed.
  bool wait_for_market_data() {
    const auto deadline = SteadyClock::now() + kDeadline;
    while (SteadyClock::now() < deadline) {
      const CommandResult status = ctl("status --json");
      const Json json = Json::parse(status.output, nullptr, false);
      if (json.is_object() && json.contains("feeds") && !json["feeds"].empty()) {
        bool all = true;
        for (const auto& feed : json["feeds"]) all = all && !feed["last_data"].is_null();
        if (all) return true;
      }
      std::this_thread::sleep_for(kPoll);
    }
    return false;
  }

  std::unique_ptr<persistence::Database> open_db() {
    auto target = persistence::resolve_database(config::default_config().database, data_dir_,
                                                nullptr);
    EXPECT_TRUE(target) << target.status().to_string();
    if (!target) return nullptr;
    auto db = persistence::open_database(*target);
    EXPECT_TRUE(db) << db.status().to_string();
    return db ? std::move(*db) : nullptr;
  }

  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path config_;
  std::unique_ptr<kraken_sim::KrakenSimulator> sim_;
};

TEST_F(PaperRunTest, CtlStatusHaltPersistsAcrossRestartAndResumeNeedsTheChecklist) {
  {
    auto run = start_run();
    const auto status = wait_for_status(*run);
    ASSERT_TRUE(status) << run->output();
    EXPECT_EQ((*status)["state"], "RUNNING") << status->dump();
    ASSERT_TRUE(wait_for_market_data()) << run->output();

    const CommandResult halted = ctl("halt --yes operator test halt");
    EXPECT_EQ(halted.exit_code, 0) << halted.output;
    EXPECT_THAT(halted.output, HasSubstr("HALTED"));
    const CommandResult refused = ctl("resume");
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("open items"));

    run->signal(SIGTERM);
    ASSERT_EQ(run->wait_exit(), 0) << run->output();
  }
  {
    // The persisted halt is in the database ...
    auto db = open_db();
    ASSERT_NE(db, nullptr);
    auto current = persistence::SqlHaltStateRepository(*db).current();
    ASSERT_TRUE(current) << current.status().to_string();
    ASSERT_TRUE(current->has_value());
    EXPECT_EQ((*current)->state, SystemState::kHalted);
    EXPECT_THAT((*current)->reason, HasSubstr("test halt"));
  }
  {
    // ... and a restart comes back halted, with the reason.
    auto run = start_run("run2.out");
    const auto status = wait_for_status(*run);
    ASSERT_TRUE(status) << run->output();
    EXPECT_EQ((*status)["state"], "HALTED") << status->dump();
    EXPECT_THAT((*status)["reasons"].dump(), HasSubstr("test halt"));

    for (const auto item : monitoring::kRecoveryItems) {
      const CommandResult done =
          ctl("complete " + std::string(monitoring::recovery_item_id(item)));
      EXPECT_EQ(done.exit_code, 0) << done.output;
    }
    const CommandResult resumed = ctl("resume");
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
    const auto after = wait_for_status(*run);
    ASSERT_TRUE(after);
    EXPECT_EQ((*after)["state"], "RUNNING");

    const CommandResult shutdown = ctl("shutdown");
    EXPECT_EQ(shutdown.exit_code, 0) << shutdown.output;
    EXPECT_EQ(run->wait_exit(), 0) << run->output();
  }
}

TEST_F(PaperRunTest, SigtermShutsDownInOrderAndTheWriterIsDrained) {
  auto run = start_run();
  ASSERT_TRUE(wait_for_status(*run)) << run->output();
  ASSERT_TRUE(wait_for_market_data()) << run->output();

  // A second instance on the same data directory is refused, naming the first.
  const CommandResult second =
      run_command(std::string(GF_GALFRIDAY_BIN) + " run --mode paper --config " +
                  shell_quote(config_.string()) + " < /dev/null");
  EXPECT_EQ(second.exit_code, 3) << second.output;
  EXPECT_THAT(second.output,
              HasSubstr("another galfriday instance (PID " + std::to_string(run->pid()) + ")"));

  run->signal(SIGTERM);
  ASSERT_EQ(run->wait_exit(), 0) << run->output();
  EXPECT_THAT(run->output(), HasSubstr("shutting down (SIGTERM)"));

  // The lock is released and the control socket is gone.
  auto lock = monitoring::InstanceLock::acquire(data_dir_);
  EXPECT_TRUE(lock) << lock.status().to_string();
  EXPECT_FALSE(std::filesystem::exists(monitoring::control_socket_path(data_dir_)));
  const CommandResult gone = ctl("status");
  EXPECT_EQ(gone.exit_code, 1);

  // Everything the engine queued is in the database: the live market data, the STOPPING state
  // that ended trading, and the log lines up to the writer's own last report.
  auto db = open_db();
  ASSERT_NE(db, nullptr);
  auto runs = persistence::SqlEventLogRepository(*db).runs();
  ASSERT_TRUE(runs) << runs.status().to_string();
  std::string run_id;
  for (const auto& id : *runs) {
    if (id.rfind("paper-", 0) == 0 && id.find("/log") == std::string::npos) run_id = id;
  }
  ASSERT_FALSE(run_id.empty()) << ::testing::PrintToString(*runs);
  auto events = persistence::read_event_log(*db, run_id);
  ASSERT_TRUE(events) << events.status().to_string();
  size_t book_events = 0;
  bool stopping_last_state = false;
  for (const Event& event : *events) {
    if (std::holds_alternative<MarketDataL2Event>(event)) ++book_events;
    if (const auto* state = std::get_if<SystemStateEvent>(&event)) {
      stopping_last_state = state->state == SystemState::kStopping;
    }
  }
  EXPECT_GT(book_events, 0u);
  EXPECT_TRUE(stopping_last_state);

  auto log = persistence::read_event_log(*db, run_id + "/log");
  ASSERT_TRUE(log) << log.status().to_string();
  bool stopped_line = false;
  for (const Event& event : *log) {
    if (const auto* line = std::get_if<LogEvent>(&event)) {
      stopped_line = stopped_line || line->message.find("stopped:") != std::string::npos;
    }
  }
  EXPECT_TRUE(stopped_line) << log->size() << " log lines";
}

TEST_F(PaperRunTest, ConsoleUnderAPseudoTerminal) {
  PtySession session(config_);
  ASSERT_TRUE(session.started());
  ASSERT_TRUE(session.expect("galfriday> ")) << session.output();

  session.type("status");
  EXPECT_TRUE(session.expect("state:      RUNNING")) << session.output();
  ASSERT_TRUE(session.expect("galfriday> ")) << session.output();

  session.type("halt test");
  ASSERT_TRUE(session.expect("Halt trading now?")) << session.output();
  session.type("y");
  EXPECT_TRUE(session.expect("HALTED: test")) << session.output();
  ASSERT_TRUE(session.expect("galfriday> ")) << session.output();

  // The same instance from another terminal.
  const CommandResult status = ctl("status --json");
  EXPECT_EQ(status.exit_code, 0) << status.output;
  const Json json = Json::parse(status.output, nullptr, false);
  ASSERT_TRUE(json.is_object()) << status.output;
  EXPECT_EQ(json["state"], "HALTED");

  session.type("shutdown");
  EXPECT_TRUE(session.expect("shutting down")) << session.output();
  EXPECT_EQ(session.wait_exit(), 0) << session.output();
}

TEST_F(PaperRunTest, BadArgumentsAndBadConfigAreRefusedWithAClearMessage) {
  const std::string bin = GF_GALFRIDAY_BIN;
  const std::string config = shell_quote(config_.string());

  const CommandResult no_mode = run_command(bin + " run --config " + config);
  EXPECT_EQ(no_mode.exit_code, 2) << no_mode.output;
  EXPECT_THAT(no_mode.output, HasSubstr("--mode"));

  const CommandResult bad_mode = run_command(bin + " run --mode backtest --config " + config);
  EXPECT_EQ(bad_mode.exit_code, 2) << bad_mode.output;
  EXPECT_THAT(bad_mode.output, HasSubstr("backtest"));

  const CommandResult missing =
      run_command(bin + " run --mode paper --config " + shell_quote((dir_ / "nope.yaml").string()));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("nope.yaml"));

  const std::filesystem::path bad = dir_ / "bad.yaml";
  std::ofstream(bad) << "data_dir: " << data_dir_.string() << "\n"
                     << "risk:\n"
                     << "  max_total_drawdown_pct: lots\n";
  const CommandResult invalid =
      run_command(bin + " run --mode paper --config " + shell_quote(bad.string()));
  EXPECT_EQ(invalid.exit_code, 2) << invalid.output;
  EXPECT_THAT(invalid.output, HasSubstr("risk.max_total_drawdown_pct"));
  // Refused before anything was created in the data directory.
  EXPECT_FALSE(std::filesystem::exists(data_dir_ / "galfriday.lock"));

  // Live mode without credentials: refused before any connection.
  const CommandResult no_secrets = run_command("env -u KRAKEN_API_KEY -u KRAKEN_API_SECRET " +
                                               bin + " run --mode live --config " + config +
                                               " < /dev/null");
  EXPECT_EQ(no_secrets.exit_code, 2) << no_secrets.output;
  EXPECT_THAT(no_secrets.output, HasSubstr("KRAKEN_API_KEY"));
}

}  // namespace
}  // namespace galfriday
