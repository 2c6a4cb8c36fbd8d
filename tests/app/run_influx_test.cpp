// `galfriday run --mode paper` with InfluxDB metrics (docs/persistence.md), as a separate process
// against the local Kraken simulator on loopback:
//   - against a real influxd 1.x (scripts/with-test-server.sh influx sets
//     GALFRIDAY_TEST_INFLUX_URL) without the database: the run creates it
//     (influxdb.create_database defaults to true); market data, features, predictions,
//     portfolio equity, latency and queue depths arrive with their pair tags and sane values, read
//     back through the HTTP /query API and the `influx` CLI; the log lines of the shutdown arrive
//     too, so the buffer was sent after the engine stopped;
//   - against a closed loopback port: trading runs on, the back-pressure is logged with the
//     writer's counters, and the run still shuts down in order (exit 0);
//   - against an influxd that checks credentials (influx-auth: GALFRIDAY_TEST_INFLUX_AUTH_URL
//     and its admin user): with a wrong GALFRIDAY_INFLUX_PASSWORD the log warns of HTTP 401
//     and the summary counts the refused points, trading goes on (exit 0); with the right
//     password from influxdb.password_file the metrics arrive; neither password appears in the
//     console output or the log file;
//   - bad InfluxDB settings: exit 2 with a message naming the setting.
//
// Nothing waits on a fixed time: every wait polls a condition up to a generous deadline.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

#include "../support/process.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/core/encoding.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/kraken_sim/simulator.hpp"
#include "galfriday/net/beast_http_transport.hpp"
#include "galfriday/persistence/event_log.hpp"
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
using test::run_command;
using test::RunProcess;
using test::shell_quote;
using test::SteadyClock;
using Row = std::map<std::string, Json>;

constexpr auto kQueryTimeout = std::chrono::seconds(10);

// The influxd of scripts/with-test-server.sh, read through its HTTP /query API (InfluxQL).
class InfluxQuery {
 public:
  // `authorization`: the Authorization header for an influxd that checks credentials.
  InfluxQuery(std::string url, std::string database, std::string authorization = "")
      : url_(std::move(url)),
        database_(std::move(database)),
        authorization_(std::move(authorization)) {
    auto transport = net::BeastHttpTransport::create();
    EXPECT_TRUE(transport.is_ok()) << transport.status().to_string();
    if (transport) transport_ = std::move(*transport);
  }

  Result<Json> run(const std::string& influxql) {
    if (!transport_) return internal_error("no HTTP transport");
    net::HttpRequest request;
    request.method = net::HttpMethod::kPost;
    request.url = url_ + "/query?epoch=ns&db=" + database_ + "&q=" + percent_encode(influxql);
    if (!authorization_.empty()) request.headers.push_back({"Authorization", authorization_});
    auto response = transport_->send(request, kQueryTimeout);
    if (!response) return response.status();
    if (response->status != 200) {
      return internal_error("query '" + influxql + "' answered " +
                            std::to_string(response->status) + ": " + response->body);
    }
    return Json::parse(response->body);
  }

  // Every row of `SELECT * FROM measurement` (tags are columns too).
  std::vector<Row> rows(const std::string& measurement) {
    std::vector<Row> out;
    auto answer = run("SELECT * FROM \"" + measurement + "\"");
    EXPECT_TRUE(answer.is_ok()) << answer.status().to_string();
    if (!answer) return out;
    const Json& result = (*answer)["results"][0];
    if (!result.contains("series")) return out;
    for (const Json& series : result["series"]) {
      for (const Json& values : series["values"]) {
        Row row;
        for (size_t i = 0; i < series["columns"].size(); ++i) {
          row[series["columns"][i].get<std::string>()] = values[i];
        }
        out.push_back(std::move(row));
      }
    }
    return out;
  }

  // Whether SHOW DATABASES lists this query's database.
  bool database_exists() {
    auto answer = run("SHOW DATABASES");
    EXPECT_TRUE(answer.is_ok()) << answer.status().to_string();
    if (!answer || !(*answer)["results"][0].contains("series")) return false;
    for (const Json& row : (*answer)["results"][0]["series"][0]["values"]) {
      if (row[0] == database_) return true;
    }
    return false;
  }

  // The distinct values of a tag (or string field) in rows.
  static std::set<std::string> values_of(const std::vector<Row>& rows, const std::string& key) {
    std::set<std::string> out;
    for (const Row& row : rows) {
      const auto it = row.find(key);
      if (it != row.end() && it->second.is_string()) out.insert(it->second.get<std::string>());
    }
    return out;
  }

 private:
  std::string url_;
  std::string database_;
  std::string authorization_;
  std::unique_ptr<net::BeastHttpTransport> transport_;
};

double number(const Row& row, const std::string& column) {
  const auto it = row.find(column);
  return it != row.end() && it->second.is_number() ? it->second.get<double>() : std::nan("");
}

class PaperRunInfluxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/gfinflux-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    data_dir_ = dir_ / "data";

    auto options = test::paper_simulator_options();
    ASSERT_TRUE(options) << options.status().to_string();
    for (const auto& pair : options->pairs) pairs_.insert(pair.spec.id.str());
    auto sim = kraken_sim::KrakenSimulator::start(std::move(*options));
    ASSERT_TRUE(sim) << sim.status().to_string();
    sim_ = std::move(*sim);
  }
  void TearDown() override {
    if (sim_) sim_->stop();
    std::filesystem::remove_all(dir_);
  }

  // A paper config against the simulator with short feature windows (predictions from the
  // fourth bar on), plus `influxdb` (YAML lines indented by two spaces).
  std::filesystem::path write_config(const std::string& influxdb, const std::string& name) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << "data_dir: " << data_dir_.string() << "\n"
                        << "kraken:\n"
                        << "  ws_url: " << sim_->ws_url() << "\n"
                        << "features:\n"
                        << "  indicators: [ma_spread, returns]\n"
                        << "  fast_window: 2\n"
                        << "  slow_window: 3\n"
                        << "  return_horizons: [1]\n"
                        << "monitoring:\n"
                        << "  market_data:\n"
                        << "    stale_seconds: 600\n"
                        << "    startup_grace_seconds: 600\n"
                        << "influxdb:\n"
                        << influxdb;
    return path;
  }

  std::unique_ptr<RunProcess> start_run(const std::filesystem::path& config) {
    return std::make_unique<RunProcess>(
        std::vector<std::string>{"run", "--mode", "paper", "--config", config.string()},
        dir_ / "run.out");
  }

  CommandResult ctl(const std::string& args) {
    return run_command(std::string(GF_GALFRIDAY_BIN) + " ctl --data-dir " +
                       shell_quote(data_dir_.string()) + " " + args);
  }

  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::set<std::string> pairs_;
  std::unique_ptr<kraken_sim::KrakenSimulator> sim_;
};

TEST_F(PaperRunInfluxTest, MetricsReachInfluxDbWithPairTagsAndTheBufferIsSentAtShutdown) {
  const char* url = std::getenv("GALFRIDAY_TEST_INFLUX_URL");
  ASSERT_NE(url, nullptr) << "run through scripts/with-test-server.sh influx -- <binary>";
  const std::string database = "gf_run_" + std::to_string(::getpid());
  InfluxQuery influx(url, database);
  ASSERT_FALSE(influx.database_exists()) << "the run must create it";

  const auto config = write_config(std::string("  enabled: true\n") + "  url: " + url + "\n" +
                                       "  database: " + database + "\n" +
                                       "  flush_interval_ms: 100\n" + "  sample_interval_ms: 200\n",
                                   "config.yaml");
  auto run = start_run(config);

  // Until both pairs have predictions and the portfolio has been sampled.
  const auto deadline = SteadyClock::now() + kRunDeadline;
  bool flowing = false;
  while (!flowing && SteadyClock::now() < deadline && run->running()) {
    flowing = InfluxQuery::values_of(influx.rows("prediction"), "pair") == pairs_ &&
              !influx.rows("portfolio").empty();
    if (!flowing) std::this_thread::sleep_for(kRunPoll);
  }
  ASSERT_TRUE(flowing) << run->output();
  run->signal(SIGTERM);
  ASSERT_EQ(run->wait_exit(), 0) << run->output();
  EXPECT_THAT(run->output(), HasSubstr("metrics: InfluxDB writer stopped:"));
  EXPECT_TRUE(influx.database_exists());
  EXPECT_THAT(run->output(), Not(HasSubstr("CREATE DATABASE")));

  const auto books = influx.rows("market_book");
  EXPECT_EQ(InfluxQuery::values_of(books, "pair"), pairs_);
  for (const Row& row : books) {
    if (std::isnan(number(row, "best_bid")) || std::isnan(number(row, "best_ask"))) continue;
    EXPECT_GT(number(row, "best_bid"), 0.0);
    EXPECT_LT(number(row, "best_bid"), number(row, "best_ask")) << row.at("pair");
  }
  const auto trades = influx.rows("market_trade");
  EXPECT_EQ(InfluxQuery::values_of(trades, "pair"), pairs_);
  EXPECT_EQ(InfluxQuery::values_of(trades, "side").count("buy") +
                InfluxQuery::values_of(trades, "side").count("sell"),
            InfluxQuery::values_of(trades, "side").size());
  const auto bars = influx.rows("market_bar");
  EXPECT_EQ(InfluxQuery::values_of(bars, "pair"), pairs_);
  EXPECT_EQ(InfluxQuery::values_of(bars, "interval"), std::set<std::string>{"60s"});
  for (const Row& row : bars) {
    EXPECT_LE(number(row, "low"), number(row, "close"));
    EXPECT_LE(number(row, "close"), number(row, "high"));
    EXPECT_GT(number(row, "low"), 0.0);
  }
  const auto features = influx.rows("features");
  EXPECT_EQ(InfluxQuery::values_of(features, "pair"), pairs_);
  ASSERT_FALSE(features.empty());
  EXPECT_TRUE(features.front().contains("ma_spread_2_3")) << Json(features.front()).dump();

  const auto predictions = influx.rows("prediction");
  EXPECT_EQ(InfluxQuery::values_of(predictions, "model"), std::set<std::string>{"momentum_v1"});
  for (const Row& row : predictions) {
    EXPECT_GE(number(row, "value"), 0.0);
    EXPECT_LE(number(row, "value"), 1.0);
  }

  const auto latency = influx.rows("latency");
  EXPECT_EQ(InfluxQuery::values_of(latency, "pair"), pairs_);
  const auto events = InfluxQuery::values_of(latency, "event");
  EXPECT_TRUE(events.count("book") == 1 && events.count("bar") == 1 && events.count("prediction"))
      << ::testing::PrintToString(events);
  for (const Row& row : latency) {
    if (row.at("event") == "prediction") {
      EXPECT_GE(number(row, "inference_ns"), 0.0);
    }
  }

  // The default paper capital is USD 100000; nothing here trades enough to lose it all.
  const auto portfolio = influx.rows("portfolio");
  EXPECT_EQ(InfluxQuery::values_of(portfolio, "currency"), std::set<std::string>{"USD"});
  for (const Row& row : portfolio) {
    EXPECT_GT(number(row, "equity"), 0.0);
    EXPECT_GE(number(row, "drawdown_pct"), 0.0);
  }

  const auto queues = influx.rows("queue_depth");
  EXPECT_EQ(InfluxQuery::values_of(queues, "queue"),
            (std::set<std::string>{"db_writer", "engine", "influx"}));
  for (const Row& row : queues) {
    EXPECT_GE(number(row, "depth"), 0.0);
    if (row.at("queue") == "db_writer") {
      EXPECT_EQ(number(row, "capacity"), 65536.0);
    }
  }
  const auto counters = influx.rows("metrics_writer");
  ASSERT_FALSE(counters.empty());
  EXPECT_GT(number(counters.back(), "written"), 0.0);
  EXPECT_EQ(number(counters.back(), "dropped"), 0.0);

  // The log lines of the shutdown arrived: InfluxDB was written after the engine stopped and
  // the database writer drained.
  const auto log = influx.rows("log");
  std::set<std::string> messages = InfluxQuery::values_of(log, "message");
  bool shutting_down = false;
  bool drained = false;
  for (const std::string& message : messages) {
    shutting_down = shutting_down || message == "shutting down (SIGTERM)";
    drained = drained || message.starts_with("stopped: ");
  }
  EXPECT_TRUE(shutting_down) << log.size() << " log lines";
  EXPECT_TRUE(drained);

  // What the system wrote, as an operator reads it with the `influx` CLI.
  auto parsed = net::parse_http_url(url);
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  const CommandResult shown =
      run_command("influx -host " + parsed->host + " -port " + std::to_string(parsed->port) +
                  " -database " + database + " -format csv -execute 'SHOW MEASUREMENTS'");
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  for (const char* measurement :
       {"features", "latency", "log", "market_bar", "market_book", "market_trade", "metrics_writer",
        "portfolio", "prediction", "queue_depth"}) {
    EXPECT_THAT(shown.output, HasSubstr(std::string("measurements,") + measurement + "\n"));
  }
}

TEST_F(PaperRunInfluxTest, UnreachableInfluxDbDoesNotStopTradingAndBackPressureIsReported) {
  // A bound socket that does not listen: connecting to its port is refused for as long as the
  // test holds it, so the port cannot be taken by another process meanwhile.
  const int closed = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(closed, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(closed, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(closed, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  const auto config =
      write_config("  enabled: true\n  url: http://127.0.0.1:" + std::to_string(port) +
                       "\n  max_buffered_points: 50\n  flush_interval_ms: 50\n"
                       "  sample_interval_ms: 100\n  stop_timeout_ms: 200\n",
                   "config.yaml");
  auto run = start_run(config);

  // Back-pressure shows in the log, each kind in a warning of its own: the refused
  // connections, and the full buffer.
  const std::string refused = "metrics back-pressure, trading continues: metrics: retrying: ";
  const std::string full =
      "metrics back-pressure, trading continues: metrics: the InfluxDB buffer is full (50 points)";
  const auto deadline = SteadyClock::now() + kRunDeadline;
  std::string during;
  while (SteadyClock::now() < deadline && run->running()) {
    during = run->output();
    if (during.find(refused) != std::string::npos && during.find(full) != std::string::npos) break;
    std::this_thread::sleep_for(kRunPoll);
  }
  ASSERT_THAT(during, HasSubstr(full));
  ASSERT_THAT(during, HasSubstr(refused));
  EXPECT_THAT(during, HasSubstr("127.0.0.1:" + std::to_string(port)));

  // Meanwhile the instance trades on: it answers, RUNNING, and every pair's market data keeps
  // reaching the engine after the buffer filled up.
  const auto feed_times = [&]() -> std::map<std::string, Timestamp> {
    const CommandResult status = ctl("status --json");
    const Json json = Json::parse(status.output, nullptr, false);
    std::map<std::string, Timestamp> times;
    if (status.exit_code != 0 || !json.is_object()) return times;
    EXPECT_EQ(json["state"], "RUNNING") << status.output;
    for (const Json& feed : json["feeds"]) {
      if (!feed["last_data"].is_string()) continue;
      auto time = parse_iso8601(feed["last_data"].get<std::string>());
      if (time) times[feed["instrument"].get<std::string>()] = *time;
    }
    return times;
  };
  const auto before = feed_times();
  ASSERT_EQ(before.size(), pairs_.size()) << run->output();
  bool advanced = false;
  while (!advanced && SteadyClock::now() < deadline && run->running()) {
    const auto now = feed_times();
    advanced = now.size() == before.size();
    for (const auto& [pair, time] : now) advanced = advanced && time > before.at(pair);
    if (!advanced) std::this_thread::sleep_for(kRunPoll);
  }
  EXPECT_TRUE(advanced) << run->output();

  run->signal(SIGTERM);
  ASSERT_EQ(run->wait_exit(), 0) << run->output();
  ::close(closed);

  // The summary counts what was lost.
  const std::string output = run->output();
  std::smatch summary;
  ASSERT_TRUE(std::regex_search(output, summary,
                                std::regex("metrics: InfluxDB writer stopped: 0 point\\(s\\) "
                                           "written, 0 buffered, ([0-9]+) dropped")))
      << output;
  EXPECT_GT(std::stoll(summary[1].str()), 50);

  // The database writer (a different queue) was not held up by InfluxDB's.
  auto target =
      persistence::resolve_database(config::default_config().database, data_dir_, nullptr);
  ASSERT_TRUE(target) << target.status().to_string();
  auto db = persistence::open_database(*target);
  ASSERT_TRUE(db) << db.status().to_string();
  auto runs = persistence::SqlEventLogRepository(**db).runs();
  ASSERT_TRUE(runs) << runs.status().to_string();
  size_t book_events = 0;
  bool stopping_last_state = false;
  for (const auto& id : *runs) {
    if (id.find("/log") != std::string::npos) continue;
    auto events = persistence::read_event_log(**db, id);
    ASSERT_TRUE(events) << events.status().to_string();
    for (const Event& event : *events) {
      if (std::holds_alternative<MarketDataL2Event>(event)) ++book_events;
      if (const auto* state = std::get_if<SystemStateEvent>(&event)) {
        stopping_last_state = state->state == SystemState::kStopping;
      }
    }
  }
  EXPECT_GT(book_events, 0U);
  EXPECT_TRUE(stopping_last_state);
}

// Sets an environment variable for the children started in its lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST_F(PaperRunInfluxTest, UsernameAndPasswordAuthenticateAndThePasswordIsNeverLogged) {
  const char* url = std::getenv("GALFRIDAY_TEST_INFLUX_AUTH_URL");
  const char* user = std::getenv("GALFRIDAY_TEST_INFLUX_AUTH_USER");
  const char* password = std::getenv("GALFRIDAY_TEST_INFLUX_AUTH_PASSWORD");
  ASSERT_TRUE(url != nullptr && user != nullptr && password != nullptr)
      << "run through scripts/with-test-server.sh influx influx-auth -- <binary>";
  const std::string database = "gf_auth_" + std::to_string(::getpid());
  InfluxQuery influx(url, database, "Basic " + base64_encode(std::string(user) + ":" + password));
  ASSERT_FALSE(influx.database_exists());
  const std::filesystem::path log_file = data_dir_ / "logs" / "galfriday.log";
  const std::string influxdb = std::string("  enabled: true\n") + "  url: " + url + "\n" +
                               "  database: " + database + "\n" + "  username: " + user + "\n" +
                               "  flush_interval_ms: 100\n" + "  sample_interval_ms: 200\n";
  const ScopedEnv no_token(config::kInfluxTokenVariable, "");

  {  // A wrong password: warned with HTTP 401, points refused and counted, trading goes on.
    const std::string wrong = "wrong-password-" + std::to_string(::getpid());
    const ScopedEnv env(config::kInfluxPasswordVariable, wrong);
    auto run = start_run(write_config(influxdb, "wrong.yaml"));
    const std::string refused =
        "metrics back-pressure, trading continues: metrics: InfluxDB refused a batch of ";
    const auto deadline = SteadyClock::now() + kRunDeadline;
    while (SteadyClock::now() < deadline && run->running() &&
           run->output().find(refused) == std::string::npos) {
      std::this_thread::sleep_for(kRunPoll);
    }
    run->signal(SIGTERM);
    ASSERT_EQ(run->wait_exit(), 0) << run->output();
    const std::string output = run->output();
    EXPECT_THAT(output, HasSubstr(refused));
    EXPECT_THAT(output, HasSubstr("with HTTP 401: {\"error\":\"authorization failed\"}; check "
                                  "influxdb.username and its password"));
    EXPECT_THAT(output, HasSubstr("could not create the InfluxDB database"));
    std::smatch summary;
    ASSERT_TRUE(std::regex_search(output, summary,
                                  std::regex("metrics: InfluxDB writer stopped: 0 point\\(s\\) "
                                             "written, [0-9]+ buffered, [0-9]+ dropped, ([0-9]+) "
                                             "refused by InfluxDB")))
        << output;
    EXPECT_GT(std::stoll(summary[1].str()), 0);
    EXPECT_THAT(output, Not(HasSubstr(wrong)));
    const std::string logged = test::read_text_file(log_file);
    EXPECT_THAT(logged, HasSubstr("HTTP 401"));
    EXPECT_THAT(logged, Not(HasSubstr(wrong)));
    EXPECT_FALSE(influx.database_exists());
  }

  {  // The right password, from a mode-0600 file: the database is created and metrics arrive.
    const std::filesystem::path password_file = dir_ / "influx-password.yaml";
    std::ofstream(password_file) << "password: \"" << password << "\"\n";
    std::filesystem::permissions(
        password_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const ScopedEnv no_password(config::kInfluxPasswordVariable, "");
    auto run = start_run(
        write_config(influxdb + "  password_file: " + password_file.string() + "\n", "right.yaml"));
    const auto deadline = SteadyClock::now() + kRunDeadline;
    bool flowing = false;
    while (!flowing && SteadyClock::now() < deadline && run->running()) {
      flowing = influx.database_exists() && !influx.rows("portfolio").empty();
      if (!flowing) std::this_thread::sleep_for(kRunPoll);
    }
    ASSERT_TRUE(flowing) << run->output();
    run->signal(SIGTERM);
    ASSERT_EQ(run->wait_exit(), 0) << run->output();
    const std::string output = run->output();
    EXPECT_THAT(output, Not(HasSubstr("HTTP 401")));
    EXPECT_THAT(output, HasSubstr(" 0 refused by InfluxDB"));
    EXPECT_THAT(output, Not(HasSubstr(password)));
    EXPECT_THAT(test::read_text_file(log_file), Not(HasSubstr(password)));
    // The log lines went to InfluxDB through the redactor too.
    for (const std::string& message : InfluxQuery::values_of(influx.rows("log"), "message")) {
      EXPECT_THAT(message, Not(HasSubstr(password)));
    }
  }
}

TEST_F(PaperRunInfluxTest, BadInfluxSettingsAreRefusedNamingTheSetting) {
  const std::string bin = GF_GALFRIDAY_BIN;
  const auto refused = [&](const std::string& influxdb, const std::string& name,
                           const std::string& env) {
    const auto config = write_config(influxdb, name);
    return run_command(env + bin + " run --mode paper --config " + shell_quote(config.string()) +
                       " < /dev/null");
  };

  const CommandResult bad_url = refused("  enabled: true\n  url: influx:8086\n", "url.yaml", "");
  EXPECT_EQ(bad_url.exit_code, 2) << bad_url.output;
  EXPECT_THAT(bad_url.output, HasSubstr("influxdb.url"));

  const CommandResult no_bucket =
      refused("  enabled: true\n  api_version: 2\n  org: acme\n", "bucket.yaml", "");
  EXPECT_EQ(no_bucket.exit_code, 2) << no_bucket.output;
  EXPECT_THAT(no_bucket.output, HasSubstr("influxdb.bucket"));

  const CommandResult no_token =
      refused("  enabled: true\n  api_version: 2\n  org: acme\n  bucket: gf\n", "token.yaml",
              "env -u GALFRIDAY_INFLUX_TOKEN ");
  EXPECT_EQ(no_token.exit_code, 2) << no_token.output;
  EXPECT_THAT(no_token.output, HasSubstr("GALFRIDAY_INFLUX_TOKEN"));
  EXPECT_THAT(no_token.output, Not(HasSubstr("galfriday running")));

  const CommandResult both = refused("  enabled: true\n  username: metrics\n", "both.yaml",
                                     "GALFRIDAY_INFLUX_TOKEN=t0k3n-value "
                                     "GALFRIDAY_INFLUX_PASSWORD=pw-value-123 ");
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_THAT(both.output, HasSubstr("GALFRIDAY_INFLUX_TOKEN and influxdb.username are both set"));
  EXPECT_THAT(both.output, Not(HasSubstr("pw-value-123")));

  const CommandResult no_password = refused("  enabled: true\n  username: metrics\n", "nopw.yaml",
                                            "env -u GALFRIDAY_INFLUX_PASSWORD ");
  EXPECT_EQ(no_password.exit_code, 2) << no_password.output;
  EXPECT_THAT(no_password.output, HasSubstr("GALFRIDAY_INFLUX_PASSWORD"));
}

}  // namespace
}  // namespace galfriday
