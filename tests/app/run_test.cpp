// `galfriday run --mode paper` as a separate process against the local Kraken simulator on
// loopback: operator commands over `galfriday ctl`, a halt that survives a restart with the
// recovery checklist items completed before it, an interactive console under a pseudo-terminal,
// orderly shutdown on SIGTERM (exit code, released lock, drained writer), a second instance
// refused, and bad input. `galfriday run --mode live` against the simulator's private API: an
// open entry order at shutdown, cancelled (and stored cancelled once Kraken confirms it) or kept
// per execution.shutdown_orders.
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

#include "../support/kraken_account.hpp"
#include "../support/process.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/kraken_sim/simulator.hpp"
#include "galfriday/live/client_order_id.hpp"
#include "galfriday/live/live_session.hpp"
#include "galfriday/monitoring/control_socket.hpp"
#include "galfriday/monitoring/halt_coordinator.hpp"
#include "galfriday/persistence/event_log.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"
#include "galfriday/persistence/sql_repositories.hpp"
#include "paper_simulator.hpp"

namespace galfriday {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;
using test::CommandResult;
using test::kRunDeadline;
using test::kRunPoll;
using test::PtySession;
using test::run_command;
using test::RunProcess;
using test::shell_quote;
using test::SteadyClock;

// The account the simulator's private API serves (LiveRunTest).
constexpr std::string_view kApiKey = "run-test-key";
constexpr std::string_view kApiSecret = test::kKrakenExampleSecret;

class PaperRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/gfrun-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    data_dir_ = dir_ / "data";

    auto created_options = test::paper_simulator_options();
    ASSERT_TRUE(created_options) << created_options.status().to_string();
    kraken_sim::SimulatorOptions options = std::move(*created_options);
    if (private_api_) {
      kraken_sim::PrivateApiOptions api;
      api.api_key = std::string(kApiKey);
      api.api_secret = std::string(kApiSecret);
      api.balances = {{"ZUSD", "100000.0000"}, {"XXBT", "0.0000000000"}, {"XETH", "0.0000000000"}};
      api.clock = &sim_clock_;
      options.private_api = api;
    }
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
    const auto deadline = SteadyClock::now() + kRunDeadline;
    while (SteadyClock::now() < deadline && process.running()) {
      const CommandResult status = ctl("status --json");
      if (status.exit_code == 0) {
        Json json = Json::parse(status.output, nullptr, false);
        if (json.is_object()) return json;
      }
      std::this_thread::sleep_for(kRunPoll);
    }
    return std::nullopt;
  }

  // Polls until every pair has had market data through the live feed.
  bool wait_for_market_data() {
    const auto deadline = SteadyClock::now() + kRunDeadline;
    while (SteadyClock::now() < deadline) {
      const CommandResult status = ctl("status --json");
      const Json json = Json::parse(status.output, nullptr, false);
      if (json.is_object() && json.contains("feeds") && !json["feeds"].empty()) {
        bool all = true;
        for (const auto& feed : json["feeds"]) all = all && !feed["last_data"].is_null();
        if (all) return true;
      }
      std::this_thread::sleep_for(kRunPoll);
    }
    return false;
  }

  std::unique_ptr<persistence::Database> open_db() {
    auto target =
        persistence::resolve_database(config::default_config().database, data_dir_, nullptr);
    EXPECT_TRUE(target) << target.status().to_string();
    if (!target) return nullptr;
    auto db = persistence::open_database(*target);
    EXPECT_TRUE(db) << db.status().to_string();
    return db ? std::move(*db) : nullptr;
  }

  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path config_;
  bool private_api_ = false;  // the simulator serves the private API too (LiveRunTest)
  LiveClock sim_clock_;
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
    // Part of the checklist before the restart.
    for (const char* item : {"review_halt_reason", "review_positions"}) {
      const CommandResult done = ctl(std::string("complete ") + item);
      EXPECT_EQ(done.exit_code, 0) << done.output;
    }

    run->signal(SIGTERM);
    ASSERT_EQ(run->wait_exit(), 0) << run->output();
  }
  {
    // The persisted halt is in the database, with the completed items ...
    auto db = open_db();
    ASSERT_NE(db, nullptr);
    persistence::SqlHaltStateRepository repository(*db);
    auto current = repository.current();
    ASSERT_TRUE(current) << current.status().to_string();
    ASSERT_TRUE(current->has_value());
    EXPECT_EQ((*current)->state, SystemState::kHalted);
    EXPECT_THAT((*current)->reason, HasSubstr("test halt"));
    auto completed = repository.completed_recovery_items();
    ASSERT_TRUE(completed) << completed.status().to_string();
    ASSERT_EQ(completed->size(), 2u);
    EXPECT_EQ((*completed)[0].item, "review_halt_reason");
    EXPECT_EQ((*completed)[1].item, "review_positions");
    EXPECT_THAT((*completed)[0].completed_by, HasSubstr("operator:ctl"));
    // ... whose schema `galfriday db status` reports at the latest version.
    const CommandResult db_status = run_command(
        std::string(GF_GALFRIDAY_BIN) + " db status --config " + shell_quote(config_.string()));
    EXPECT_EQ(db_status.exit_code, 0) << db_status.output;
    EXPECT_THAT(db_status.output, HasSubstr("schema version 6 of 6"));
  }
  {
    // ... and a restart comes back halted, with the reason and the items completed before.
    auto run = start_run("run2.out");
    const auto status = wait_for_status(*run);
    ASSERT_TRUE(status) << run->output();
    EXPECT_EQ((*status)["state"], "HALTED") << status->dump();
    EXPECT_THAT((*status)["reasons"].dump(), HasSubstr("test halt"));

    const CommandResult recovery = ctl("recovery --json");
    ASSERT_EQ(recovery.exit_code, 0) << recovery.output;
    const Json checklist = Json::parse(recovery.output, nullptr, false);
    ASSERT_TRUE(checklist.is_object()) << recovery.output;
    EXPECT_EQ(checklist["open_items"], monitoring::kRecoveryItems.size() - 2) << checklist.dump();
    std::vector<std::string> open;
    for (const auto& entry : checklist["checklist"]) {
      const std::string item = entry["item"].get<std::string>();
      const bool done_before = item == "review_halt_reason" || item == "review_positions";
      EXPECT_EQ(entry["done"], done_before) << entry.dump();
      if (done_before) {
        EXPECT_THAT(entry["completed_by"].get<std::string>(), HasSubstr("operator:ctl"));
      } else {
        open.push_back(item);
      }
    }
    const CommandResult again = ctl("complete review_positions");
    EXPECT_EQ(again.exit_code, 1) << again.output;
    EXPECT_THAT(again.output, HasSubstr("already completed"));
    const CommandResult early = ctl("resume");
    EXPECT_EQ(early.exit_code, 1) << early.output;

    for (const std::string& item : open) {
      const CommandResult done = ctl("complete " + item);
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
  // Paper orders end with the process: none is left open in the store.
  auto open_orders = persistence::SqlOrderRepository(*db).open_orders();
  ASSERT_TRUE(open_orders) << open_orders.status().to_string();
  EXPECT_TRUE(open_orders->empty()) << open_orders->front().client_order_id.str();

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
  PtySession session({GF_GALFRIDAY_BIN, "run", "--mode", "paper", "--config", config_.string()});
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
  const CommandResult no_secrets =
      run_command("env -u KRAKEN_API_KEY -u KRAKEN_API_SECRET " + bin +
                  " run --mode live --config " + config + " < /dev/null");
  EXPECT_EQ(no_secrets.exit_code, 2) << no_secrets.output;
  EXPECT_THAT(no_secrets.output, HasSubstr("KRAKEN_API_KEY"));
}

// `galfriday run --mode live` against the simulator's private API: what
// execution.shutdown_orders does to an entry order resting on the exchange at shutdown.
class LiveRunTest : public PaperRunTest {
 protected:
  void SetUp() override {
    private_api_ = true;
    PaperRunTest::SetUp();
    ::setenv("KRAKEN_API_KEY", std::string(kApiKey).c_str(), 1);
    ::setenv("KRAKEN_API_SECRET", std::string(kApiSecret).c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("KRAKEN_API_KEY");
    ::unsetenv("KRAKEN_API_SECRET");
    PaperRunTest::TearDown();
  }

  void write_live_config(const std::string& shutdown_orders) {
    std::ofstream(config_) << "data_dir: " << data_dir_.string() << "\n"
                           << "kraken:\n"
                           << "  rest_url: " << sim_->rest_url() << "\n"
                           << "  ws_url: " << sim_->ws_url() << "\n"
                           << "  ws_auth_url: " << sim_->ws_auth_url() << "\n"
                           << "execution:\n"
                           << "  limit_order_timeout_seconds: 86400\n"
                           << "  shutdown_orders: " << shutdown_orders << "\n"
                           << "monitoring:\n"
                           << "  market_data:\n"
                           << "    stale_seconds: 600\n"
                           << "    startup_grace_seconds: 600\n";
  }

  // A limit buy of BTC/USD 1000 below the bid, placed through a LiveSession of this process
  // (as an earlier run of the bot would have), left open on the exchange and in the database.
  // Returns its client order id.
  std::string place_resting_entry() {
    auto loaded = config::load_config_file(config_);
    EXPECT_TRUE(loaded.config.has_value());
    if (!loaded.config) return {};
    const config::Config& config = *loaded.config;
    auto instruments = app::build_instruments(config);
    EXPECT_TRUE(instruments) << instruments.status().to_string();
    if (!instruments) return {};
    const InstrumentId btc("BTC/USD");
    const InstrumentSpec* spec = instruments->find(btc);
    EXPECT_NE(spec, nullptr);
    if (spec == nullptr) return {};

    auto db = open_db();
    if (db == nullptr) return {};
    LiveClock clock;
    EXPECT_TRUE(persistence::migrate(*db, clock).is_ok());
    persistence::Repositories repositories = persistence::make_sql_repositories(*db);
    PubSubManager bus(clock);
    Scheduler scheduler(clock);
    config::Secrets secrets{std::string(kApiKey), std::string(kApiSecret)};
    auto created = live::LiveSession::create(config, *instruments, secrets, repositories, bus,
                                             clock, scheduler);
    EXPECT_TRUE(created) << created.status().to_string();
    if (!created) return {};
    auto session = std::move(*created);
    auto started = session->start();
    EXPECT_TRUE(started) << started.status().to_string();
    if (!started) return {};

    const auto distance = [&](std::string_view text) {
      return *Price::parse(text, spec->price_precision);
    };
    const Price limit = sim_->book(btc, 1)->bids.front().price - distance("1000");
    TradeSignalApprovedEvent signal;
    signal.signal_id = SignalId("shutdown-test");
    signal.instrument = btc;
    signal.strategy_id = "test";
    signal.side = Side::kBuy;
    signal.order_type = OrderType::kLimit;
    signal.quantity = *Quantity::parse("0.01", spec->qty_precision);
    signal.limit_price = limit;
    signal.stop_loss = limit - distance("500");
    signal.take_profit = limit + distance("500");
    TradeSignalProposedEvent proposed;
    proposed.signal_id = signal.signal_id;
    proposed.instrument = btc;
    proposed.strategy_id = "test";
    proposed.entry_type = OrderType::kLimit;
    proposed.limit_price = limit;
    proposed.reference_price = limit;
    proposed.stop_loss = signal.stop_loss;
    proposed.take_profit = signal.take_profit;
    EXPECT_TRUE(repositories.signals->record_proposed(proposed).is_ok());
    EXPECT_TRUE(repositories.signals->record_approved(signal).is_ok());

    const ClientOrderId entry =
        live::derive_client_order_id(signal.signal_id, OrderPurpose::kEntry);
    bool resting = false;
    bus.subscribe<ExecutionReportEvent>([&](const ExecutionReportEvent& report) {
      if (report.client_order_id == entry && report.status == OrderStatus::kNew) resting = true;
    });
    bus.publish(signal);
    const auto deadline = SteadyClock::now() + kRunDeadline;
    while (!resting && SteadyClock::now() < deadline) {
      bus.run_until_idle();
      scheduler.run_due();
      bus.run_until_idle();
      if (!resting) bus.wait_for_posted(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(resting) << "the entry did not come to rest on the exchange";
    // Like a bot stopped with `keep`: the order stays open on the exchange and in the store.
    EXPECT_TRUE(session->stop(/*cancel_open_entries=*/false, /*cancel_all=*/false).is_ok());
    session.reset();
    bus.run_until_idle();
    return entry.str();
  }

  std::string sim_status(const std::string& client_order_id) const {
    for (const auto& order : sim_->private_exchange()->orders()) {
      if (order.cl_ord_id == client_order_id) return order.status;
    }
    return "absent";
  }

  // The status of the order row in the run's database; nullopt when it is not there.
  std::optional<OrderStatus> stored_order_status(const std::string& client_order_id) {
    auto db = open_db();
    if (db == nullptr) return std::nullopt;
    auto stored = persistence::SqlOrderRepository(*db).find(ClientOrderId(client_order_id));
    EXPECT_TRUE(stored) << stored.status().to_string();
    if (!stored || !stored->has_value()) return std::nullopt;
    return (*stored)->status;
  }

  // The execution reports of one order in the event log of the `galfriday run --mode live` run.
  std::vector<ExecutionReportEvent> logged_reports(const std::string& client_order_id) {
    std::vector<ExecutionReportEvent> reports;
    auto db = open_db();
    if (db == nullptr) return reports;
    auto runs = persistence::SqlEventLogRepository(*db).runs();
    EXPECT_TRUE(runs) << runs.status().to_string();
    if (!runs) return reports;
    for (const auto& run_id : *runs) {
      if (run_id.rfind("live-", 0) != 0 || run_id.find("/log") != std::string::npos) continue;
      auto events = persistence::read_event_log(*db, run_id);
      EXPECT_TRUE(events) << events.status().to_string();
      if (!events) continue;
      for (const Event& event : *events) {
        const auto* report = std::get_if<ExecutionReportEvent>(&event);
        if (report != nullptr && report->client_order_id.str() == client_order_id) {
          reports.push_back(*report);
        }
      }
    }
    return reports;
  }

  // Starts `galfriday run --mode live`, waits until it answers, stops it with SIGTERM; its
  // output goes into `output`.
  void run_live_and_stop(std::string& output) {
    RunProcess run({"run", "--mode", "live", "--config", config_.string()}, dir_ / "live.out");
    const auto status = wait_for_status(run);
    output = run.output();
    ASSERT_TRUE(status) << output;
    EXPECT_EQ((*status)["state"], "RUNNING") << status->dump();
    run.signal(SIGTERM);
    const int exit_code = run.wait_exit();
    output = run.output();
    ASSERT_EQ(exit_code, 0) << output;
  }
};

TEST_F(LiveRunTest, ShutdownOrdersCancelCancelsTheOpenEntryOnTheExchange) {
  write_live_config("cancel");
  const std::string entry = place_resting_entry();
  ASSERT_FALSE(entry.empty());
  ASSERT_EQ(sim_status(entry), "open");
  std::string output;
  ASSERT_NO_FATAL_FAILURE(run_live_and_stop(output));
  EXPECT_EQ(sim_status(entry), "canceled") << output;
  // Kraken confirmed the cancel before the run ended, so the run stored it: the order row is
  // cancelled, and the report is in the run's event log (written before the writer drained).
  EXPECT_EQ(stored_order_status(entry), OrderStatus::kCanceled) << output;
  EXPECT_THAT(output, HasSubstr("1 entry order(s) cancelled on Kraken and stored cancelled"));
  EXPECT_THAT(output, Not(HasSubstr("is not confirmed by Kraken")));
  const auto reports = logged_reports(entry);
  ASSERT_FALSE(reports.empty()) << output;
  EXPECT_EQ(reports.back().status, OrderStatus::kCanceled);
}

TEST_F(LiveRunTest, ShutdownOrdersCancelThatKrakenRefusesLeavesTheEntryOpenWithAWarning) {
  write_live_config("cancel");
  const std::string entry = place_resting_entry();
  ASSERT_FALSE(entry.empty());
  // Kraken's gateway fails every attempt of the shutdown's CancelOrder (the client tries 4
  // times).
  sim_->private_exchange()->inject("CancelOrder", kraken_sim::PrivateFault::kServerError, 4);
  std::string output;
  ASSERT_NO_FATAL_FAILURE(run_live_and_stop(output));
  EXPECT_EQ(sim_status(entry), "open") << output;
  EXPECT_EQ(stored_order_status(entry), OrderStatus::kNew) << output;
  EXPECT_THAT(output,
              HasSubstr("the cancel of entry order " + entry + " is not confirmed by Kraken"));
  EXPECT_THAT(output, HasSubstr("Kraken reports it open"));
  EXPECT_THAT(output, HasSubstr("until the next start reconciles it"));
  for (const auto& report : logged_reports(entry)) {
    EXPECT_NE(report.status, OrderStatus::kCanceled);
  }
}

TEST_F(LiveRunTest, ShutdownOrdersKeepLeavesTheOpenEntryOnTheExchange) {
  write_live_config("keep");
  const std::string entry = place_resting_entry();
  ASSERT_FALSE(entry.empty());
  ASSERT_EQ(sim_status(entry), "open");
  std::string output;
  ASSERT_NO_FATAL_FAILURE(run_live_and_stop(output));
  EXPECT_EQ(sim_status(entry), "open") << output;
  EXPECT_EQ(stored_order_status(entry), OrderStatus::kNew) << output;
  EXPECT_EQ(sim_->private_exchange()->stats().requests_by_method.count("CancelOrder"), 0u);
}

}  // namespace
}  // namespace galfriday
