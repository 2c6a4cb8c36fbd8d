// The InfluxWriter through BeastHttpTransport into a real influxd 1.x (started by
// scripts/with-test-server.sh influx, which sets GALFRIDAY_TEST_INFLUX_URL), read back with
// the HTTP /query API: escaping, exact decimals, tags, timestamps and batching survive the
// round trip.

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

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
    auto response = transport_->send(request, 10s);
    if (!response) return response.status();
    if (response->status != 200) {
      return internal_error("query answered " + std::to_string(response->status) + ": " +
                            response->body);
    }
    return nlohmann::json::parse(response->body);
  }

  // The rows of SELECT * FROM measurement: column name -> values, one map per row.
  std::vector<std::map<std::string, nlohmann::json>> rows(const std::string& measurement) {
    auto answer = query("SELECT * FROM \"" + measurement + "\"", "galfriday");
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

  std::string url_;
  std::unique_ptr<net::BeastHttpTransport> transport_;
};

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

}  // namespace
}  // namespace galfriday::metrics_sink
