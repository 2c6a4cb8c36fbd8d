// The InfluxWriter through BeastHttpTransport into a real influxd 1.x (started by
// scripts/with-test-server.sh influx, which sets GALFRIDAY_TEST_INFLUX_URL), read back with
// the HTTP /query API: escaping, exact decimals, tags, timestamps and batching survive the
// round trip; create_database makes the database on a fresh server. Against a second influxd
// that checks credentials (influx-auth: GALFRIDAY_TEST_INFLUX_AUTH_URL and its admin user):
// a wrong password is refused with HTTP 401 and counted, the right one writes, a non-admin
// user's CREATE DATABASE is refused with the server's message while its writes go on.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "galfriday/core/encoding.hpp"
#include "galfriday/metrics_sink/influx_writer.hpp"
#include "galfriday/metrics_sink/metrics_recorder.hpp"
#include "galfriday/net/beast_http_transport.hpp"

namespace galfriday::metrics_sink {
namespace {

using namespace std::chrono_literals;

class InfluxIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("GALFRIDAY_TEST_INFLUX_URL");
    ASSERT_NE(url, nullptr) << "run through scripts/with-test-server.sh influx -- <binary>";
    url_ = url;
    auto transport = net::BeastHttpTransport::create();
    ASSERT_TRUE(transport.is_ok()) << transport.status().to_string();
    transport_ = std::move(*transport);
    auto created = query("CREATE DATABASE galfriday", "");
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  }

  // POST /query (InfluxQL); the parsed JSON answer.
  Result<nlohmann::json> query(const std::string& influxql, const std::string& db) {
    net::HttpRequest request;
    request.method = net::HttpMethod::kPost;
    request.url = url_ + "/query?epoch=ns&q=" + percent_encode(influxql);
    if (!db.empty()) request.url += "&db=" + db;
    if (!authorization_.empty()) request.headers.push_back({"Authorization", authorization_});
    auto response = transport_->send(request, 10s);
    if (!response) return response.status();
    if (response->status != 200) {
      return internal_error("query answered " + std::to_string(response->status) + ": " +
                            response->body);
    }
    return nlohmann::json::parse(response->body);
  }

  // The rows of SELECT * FROM measurement: column name -> values, one map per row.
  std::vector<std::map<std::string, nlohmann::json>> rows(const std::string& measurement,
                                                          const std::string& db = "galfriday") {
    auto answer = query("SELECT * FROM \"" + measurement + "\"", db);
    EXPECT_TRUE(answer.is_ok()) << answer.status().to_string();
    std::vector<std::map<std::string, nlohmann::json>> out;
    if (!answer) return out;
    const auto& result = (*answer)["results"][0];
    if (!result.contains("series")) return out;
    const auto& series = result["series"][0];
    for (const auto& values : series["values"]) {
      std::map<std::string, nlohmann::json> row;
      for (size_t i = 0; i < series["columns"].size(); ++i) {
        row[series["columns"][i].get<std::string>()] = values[i];
      }
      out.push_back(std::move(row));
    }
    return out;
  }

  // The names SHOW DATABASES lists.
  std::set<std::string> databases() {
    std::set<std::string> names;
    auto answer = query("SHOW DATABASES", "");
    EXPECT_TRUE(answer.is_ok()) << answer.status().to_string();
    if (!answer || !(*answer)["results"][0].contains("series")) return names;
    for (const auto& row : (*answer)["results"][0]["series"][0]["values"]) {
      names.insert(row[0].get<std::string>());
    }
    return names;
  }

  std::string url_;
  std::string authorization_;  // for query(); empty: none
  std::unique_ptr<net::BeastHttpTransport> transport_;
};

// Collects what a writer reports to on_error.
struct Reports {
  std::mutex mutex;
  std::vector<Status> statuses;
  std::function<void(const Status&)> hook() {
    return [this](const Status& status) {
      std::lock_guard lock(mutex);
      statuses.push_back(status);
    };
  }
  std::vector<Status> take() {
    std::lock_guard lock(mutex);
    return std::move(statuses);
  }
};

Point numbered(int i) {
  Point point;
  point.measurement = "equity";
  point.time = timestamp_from_nanos(1700000000000000000 + i);
  point.tag("pair", "BTC/USD").field("n", int64_t{i});
  return point;
}

TEST_F(InfluxIntegrationTest, WrittenPointsComeBackExactlyThroughTheQueryApi) {
  InfluxWriterOptions options;
  options.url = url_;
  options.batch_points = 7;  // several requests
  options.flush_interval = 50ms;
  auto writer = InfluxWriter::create(*transport_, options);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  for (int i = 0; i < 20; ++i) {
    Point point;
    point.measurement = "trade fills,odd";  // space and comma in the measurement
    point.time = timestamp_from_nanos(1700000000000000000 + i);
    point.tag("pair", "BTC/USD").tag("note key", "a,b=c d");
    point.field("price", Price::parse("37500.10").value());
    point.field("n", int64_t{i}).field("text", std::string("say \"hi\" \\ \n bye"));
    point.field("tiny", 1e-300).field("flag", i % 2 == 0);
    ASSERT_TRUE((*writer)->write(point).is_ok());
  }
  ASSERT_TRUE((*writer)->flush(30s));
  const InfluxWriterStats stats = (*writer)->stats();
  EXPECT_EQ(stats.written_points, 20U);
  EXPECT_EQ(stats.rejected_points, 0U);
  EXPECT_GE(stats.requests, 3U);

  const auto got = rows("trade fills,odd");
  ASSERT_EQ(got.size(), 20U);
  for (int i = 0; i < 20; ++i) {
    const auto& row = got[static_cast<size_t>(i)];
    EXPECT_EQ(row.at("time").get<int64_t>(), 1700000000000000000 + i);
    EXPECT_EQ(row.at("pair").get<std::string>(), "BTC/USD");
    EXPECT_EQ(row.at("note key").get<std::string>(), "a,b=c d");
    EXPECT_EQ(row.at("price").get<double>(), 37500.10);
    EXPECT_EQ(row.at("n").get<int64_t>(), i);
    EXPECT_EQ(row.at("text").get<std::string>(), "say \"hi\" \\ \n bye");
    EXPECT_EQ(row.at("tiny").get<double>(), 1e-300);
    EXPECT_EQ(row.at("flag").get<bool>(), i % 2 == 0);
  }
}

TEST_F(InfluxIntegrationTest, RecorderMeasurementsArriveWithPairTags) {
  InfluxWriterOptions options;
  options.url = url_;
  auto writer = InfluxWriter::create(*transport_, options);
  ASSERT_TRUE(writer.is_ok());
  SimulatedClock clock(timestamp_from_seconds(1700000060));
  PubSubManager bus(clock);
  MetricsRecorder recorder(bus, **writer);
  MarketDataOHLCVEvent bar;
  bar.meta.ts_event = timestamp_from_seconds(1700000060);
  bar.instrument = InstrumentId("ETH/USD");
  bar.bar_start = timestamp_from_seconds(1700000000);
  bar.interval = std::chrono::minutes(1);
  bar.open = Price::parse("2000.10").value();
  bar.high = Price::parse("2001.00").value();
  bar.low = Price::parse("1999.55").value();
  bar.close = Price::parse("2000.75").value();
  bar.volume = Quantity::parse("12.50000000").value();
  bar.trade_count = 42;
  bus.publish(bar);
  bus.run_until_idle();
  recorder.record_queue_depth(timestamp_from_seconds(1700000061), "db_writer", 3, 65536);
  ASSERT_TRUE((*writer)->flush(30s));

  const auto bars = rows("market_bar");
  ASSERT_EQ(bars.size(), 1U);
  EXPECT_EQ(bars[0].at("pair").get<std::string>(), "ETH/USD");
  EXPECT_EQ(bars[0].at("interval").get<std::string>(), "60s");
  EXPECT_EQ(bars[0].at("close").get<double>(), 2000.75);
  EXPECT_EQ(bars[0].at("trade_count").get<int64_t>(), 42);
  const auto latency = rows("latency");
  ASSERT_EQ(latency.size(), 1U);
  EXPECT_EQ(latency[0].at("ingest_ns").get<int64_t>(), 0);
  const auto queues = rows("queue_depth");
  ASSERT_EQ(queues.size(), 1U);
  EXPECT_EQ(queues[0].at("depth").get<int64_t>(), 3);
}

TEST_F(InfluxIntegrationTest, CreateDatabaseMakesTheDatabaseOnAFreshServer) {
  const std::string database = "gf_created_" + std::to_string(::getpid());
  ASSERT_FALSE(databases().contains(database));
  Reports reports;
  InfluxWriterOptions options;
  options.url = url_;
  options.database = database;
  options.create_database = true;
  options.on_error = reports.hook();
  auto writer = InfluxWriter::create(*transport_, options);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*writer)->write(numbered(i)).is_ok());
  ASSERT_TRUE((*writer)->flush(30s));
  EXPECT_TRUE(reports.take().empty());
  EXPECT_EQ((*writer)->stats().written_points, 5U);
  EXPECT_TRUE(databases().contains(database));
  EXPECT_EQ(rows("equity", database).size(), 5U);
}

// The influx-auth server: every request needs the admin's (or another user's) credentials.
class InfluxAuthTest : public InfluxIntegrationTest {
 protected:
  void SetUp() override {
    const char* url = std::getenv("GALFRIDAY_TEST_INFLUX_AUTH_URL");
    const char* user = std::getenv("GALFRIDAY_TEST_INFLUX_AUTH_USER");
    const char* password = std::getenv("GALFRIDAY_TEST_INFLUX_AUTH_PASSWORD");
    ASSERT_TRUE(url != nullptr && user != nullptr && password != nullptr)
        << "run through scripts/with-test-server.sh influx-auth -- <binary>";
    url_ = url;
    admin_ = user;
    admin_password_ = password;
    authorization_ = "Basic " + base64_encode(admin_ + ":" + admin_password_);
    auto transport = net::BeastHttpTransport::create();
    ASSERT_TRUE(transport.is_ok()) << transport.status().to_string();
    transport_ = std::move(*transport);
  }

  InfluxWriterOptions options_for(const std::string& database, const std::string& user,
                                  const std::string& password, Reports& reports) {
    InfluxWriterOptions options;
    options.url = url_;
    options.database = database;
    options.username = user;
    options.password = password;
    options.create_database = true;
    options.on_error = reports.hook();
    return options;
  }

  std::string admin_;
  std::string admin_password_;
};

TEST_F(InfluxAuthTest, AWrongPasswordIsRefusedWith401AndItsPointsAreCounted) {
  const std::string database = "gf_wrong_" + std::to_string(::getpid());
  const std::string wrong = "not-the-password-" + std::to_string(::getpid());
  Reports reports;
  auto writer = InfluxWriter::create(*transport_, options_for(database, admin_, wrong, reports));
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*writer)->write(numbered(i)).is_ok());
  ASSERT_TRUE((*writer)->flush(30s));
  const InfluxWriterStats stats = (*writer)->stats();
  EXPECT_EQ(stats.written_points, 0U);
  EXPECT_EQ(stats.rejected_points, 3U);
  EXPECT_FALSE(databases().contains(database)) << "CREATE DATABASE was refused too";

  const auto statuses = reports.take();
  ASSERT_EQ(statuses.size(), 2U);
  EXPECT_EQ(statuses[0].code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(statuses[0].message(), ::testing::HasSubstr("CREATE DATABASE"));
  EXPECT_THAT(statuses[0].message(), ::testing::HasSubstr("HTTP 401"));
  EXPECT_THAT(statuses[1].message(),
              ::testing::HasSubstr("refused a batch of 3 point(s) with HTTP 401: "
                                   "{\"error\":\"authorization failed\"}; check "
                                   "influxdb.username and its password"));
  for (const Status& status : statuses) {
    EXPECT_THAT(status.to_string(), ::testing::Not(::testing::HasSubstr(wrong)));
  }
}

TEST_F(InfluxAuthTest, TheRightPasswordCreatesTheDatabaseAndWrites) {
  const std::string database = "gf_right_" + std::to_string(::getpid());
  ASSERT_FALSE(databases().contains(database));
  Reports reports;
  auto writer =
      InfluxWriter::create(*transport_, options_for(database, admin_, admin_password_, reports));
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*writer)->write(numbered(i)).is_ok());
  ASSERT_TRUE((*writer)->flush(30s));
  EXPECT_TRUE(reports.take().empty());
  EXPECT_EQ((*writer)->stats().written_points, 4U);
  EXPECT_TRUE(databases().contains(database));
  const auto got = rows("equity", database);
  ASSERT_EQ(got.size(), 4U);
  EXPECT_EQ(got[3].at("n").get<int64_t>(), 3);
}

TEST_F(InfluxAuthTest, ANonAdminUsersCreateIsRefusedWithTheServersMessageAndWritesGoOn) {
  const std::string database = "gf_granted_" + std::to_string(::getpid());
  const std::string user = "writer_" + std::to_string(::getpid());
  const std::string password = "writer-pw-" + std::to_string(::getpid());
  for (const std::string& statement :
       {"CREATE DATABASE \"" + database + "\"",
        "CREATE USER \"" + user + "\" WITH PASSWORD '" + password + "'",
        "GRANT WRITE ON \"" + database + "\" TO \"" + user + "\""}) {
    auto done = query(statement, "");
    ASSERT_TRUE(done.is_ok()) << done.status().to_string();
  }
  Reports reports;
  auto writer = InfluxWriter::create(*transport_, options_for(database, user, password, reports));
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*writer)->write(numbered(i)).is_ok());
  ASSERT_TRUE((*writer)->flush(30s));
  EXPECT_EQ((*writer)->stats().written_points, 2U);
  const auto statuses = reports.take();
  ASSERT_EQ(statuses.size(), 1U);
  EXPECT_EQ(statuses[0].code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(statuses[0].message(), ::testing::HasSubstr("HTTP 403"));
  EXPECT_THAT(statuses[0].message(), ::testing::HasSubstr("requires admin privilege"));
  EXPECT_EQ(rows("equity", database).size(), 2U);
}

}  // namespace
}  // namespace galfriday::metrics_sink
