// InfluxWriter against a scripted transport: URLs and headers for 1.x and 2.x, batching,
// retry of transient failures, dropping of refused batches, the bounded buffer and the
// recorder's measurements.

#include "galfriday/metrics_sink/influx_writer.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "galfriday/metrics_sink/log_sink.hpp"
#include "galfriday/metrics_sink/metrics_recorder.hpp"

namespace galfriday::metrics_sink {
namespace {

using namespace std::chrono_literals;

// Answers each request with the next scripted result (204 when the script is empty) and keeps
// every request.
class ScriptedTransport final : public net::HttpTransport {
 public:
  Result<net::HttpResponse> send(const net::HttpRequest& request,
                                 std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (script_.empty()) return net::HttpResponse{204, {}, ""};
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }
  void push(Result<net::HttpResponse> response) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(response));
  }
  std::vector<net::HttpRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::deque<Result<net::HttpResponse>> script_;
  std::vector<net::HttpRequest> requests_;
};

Point sample(int i) {
  Point point;
  point.measurement = "m";
  point.tag("pair", "BTC/USD").field("v", int64_t{i});
  point.time = timestamp_from_nanos(i);
  return point;
}

InfluxWriterOptions fast_options() {
  InfluxWriterOptions options;
  options.url = "http://127.0.0.1:8086/";
  options.database = "gal friday";
  options.flush_interval = 1h;  // only full batches and flush() send
  options.retry_backoff_initial = 1ms;
  options.retry_backoff_max = 4ms;
  options.stop_timeout = 200ms;
  return options;
}

TEST(InfluxWriteUrl, BuildsVersionOneAndTwoUrlsAndRefusesMissingSettings) {
  InfluxWriterOptions options = fast_options();
  EXPECT_EQ(influx_write_url(options).value(),
            "http://127.0.0.1:8086/write?db=gal%20friday&precision=ns");
  options.api_version = 2;
  EXPECT_EQ(influx_write_url(options).status().code(), StatusCode::kInvalidArgument);
  options.org = "my org";
  options.bucket = "metrics/raw";
  EXPECT_NE(influx_write_url(options).status().message().find("GALFRIDAY_INFLUX_TOKEN"),
            std::string::npos);
  options.token = "t0k3n-secret";
  EXPECT_EQ(influx_write_url(options).value(),
            "http://127.0.0.1:8086/api/v2/write?org=my%20org&bucket=metrics%2Fraw&precision=ns");
  options.url = "ftp://x";
  EXPECT_EQ(influx_write_url(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(InfluxWriteUrl, OptionsComeFromTheConfigSectionAndTheTokenFromTheEnvironment) {
  config::InfluxConfig config;
  config.api_version = 2;
  config.org = "acme";
  config.bucket = "gf";
  config.batch_points = 10;
  config.flush_interval_ms = 250;
  config.stop_timeout_ms = 1500;
  const InfluxWriterOptions options = influx_options(config, {.token = "t0k3n", .password = ""});
  EXPECT_EQ(options.token, "t0k3n");
  EXPECT_EQ(options.batch_points, 10U);
  EXPECT_EQ(options.flush_interval, 250ms);
  EXPECT_EQ(options.stop_timeout, 1500ms);
  EXPECT_EQ(influx_write_url(options).value(),
            "http://127.0.0.1:8086/api/v2/write?org=acme&bucket=gf&precision=ns");
  EXPECT_FALSE(influx_write_url(influx_options(config, {})).is_ok()) << "2.x needs a token";
}

TEST(InfluxWriter, SendsFullBatchesAndTheRestOnFlush) {
  ScriptedTransport transport;
  InfluxWriterOptions options = fast_options();
  options.batch_points = 3;
  auto writer = InfluxWriter::create(transport, options).value();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(writer->write(sample(i)).is_ok());
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].method, net::HttpMethod::kPost);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:8086/write?db=gal%20friday&precision=ns");
  EXPECT_EQ(requests[0].body,
            "m,pair=BTC/USD v=0i 0\nm,pair=BTC/USD v=1i 1\nm,pair=BTC/USD v=2i 2\n");
  EXPECT_EQ(requests[2].body, "m,pair=BTC/USD v=6i 6\n");
  for (const auto& header : requests[0].headers) EXPECT_NE(header.name, "Authorization");
  const InfluxWriterStats stats = writer->stats();
  EXPECT_EQ(stats.written_points, 7U);
  EXPECT_EQ(stats.requests, 3U);
}

TEST(InfluxWriter, SendsAPartialBatchAfterTheFlushIntervalWithoutBeingAsked) {
  ScriptedTransport transport;
  InfluxWriterOptions options = fast_options();
  options.batch_points = 1000;  // never full here
  options.flush_interval = 10ms;
  auto writer = InfluxWriter::create(transport, options).value();
  ASSERT_TRUE(writer->write(sample(1)).is_ok());
  // No flush(): the first line into an empty buffer must wake the writer thread. Polled up to a
  // generous deadline, never timed.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (transport.requests().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].body, "m,pair=BTC/USD v=1i 1\n");
}

TEST(InfluxWriter, VersionTwoSendsTheToken) {
  ScriptedTransport transport;
  InfluxWriterOptions options = fast_options();
  options.api_version = 2;
  options.org = "o";
  options.bucket = "b";
  options.token = "t0k3n-secret";
  auto writer = InfluxWriter::create(transport, options).value();
  ASSERT_TRUE(writer->write(sample(1)).is_ok());
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:8086/api/v2/write?org=o&bucket=b&precision=ns");
  bool has_token = false;
  for (const auto& header : requests[0].headers) {
    if (header.name == "Authorization") has_token = header.value == "Token t0k3n-secret";
  }
  EXPECT_TRUE(has_token);
}

// Collects what the writer reports to on_error.
struct ErrorLog {
  std::mutex mutex;
  std::vector<Status> errors;
  std::function<void(const Status&)> hook() {
    return [this](const Status& status) {
      std::lock_guard lock(mutex);
      errors.push_back(status);
    };
  }
  std::vector<Status> take() {
    std::lock_guard lock(mutex);
    return std::move(errors);
  }
};

// A writer over `transport` (reporting to `log` when given) that has written sample(1) and
// flushed: how the tests of a first write start.
std::unique_ptr<InfluxWriter> write_one_sample(ScriptedTransport& transport,
                                               InfluxWriterOptions options,
                                               ErrorLog* log = nullptr) {
  if (log != nullptr) options.on_error = log->hook();
  auto writer = InfluxWriter::create(transport, options).value();
  EXPECT_TRUE(writer->write(sample(1)).is_ok());
  EXPECT_TRUE(writer->flush(10s));
  return writer;
}

std::string header(const net::HttpRequest& request, std::string_view name) {
  for (const auto& h : request.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

constexpr const char* kPassword = "open sesame";
constexpr const char* kCreateBody = "q=CREATE%20DATABASE%20%22gal%20friday%22";

TEST(InfluxWriteUrl, RefusesCredentialsThatDoNotFitTheVersion) {
  InfluxWriterOptions options = fast_options();
  options.username = "metrics";
  EXPECT_NE(influx_write_url(options).status().message().find("GALFRIDAY_INFLUX_PASSWORD"),
            std::string::npos);
  options.password = kPassword;
  EXPECT_TRUE(influx_write_url(options).is_ok());
  options.token = "t0k3n-secret";
  EXPECT_EQ(influx_write_url(options).status().code(), StatusCode::kInvalidArgument);
  options.api_version = 2;
  options.org = "o";
  options.bucket = "b";
  options.token.clear();
  EXPECT_NE(influx_write_url(options).status().message().find("influxdb.username"),
            std::string::npos);
  config::InfluxConfig config;
  config.username = "metrics";
  config.create_database = false;
  const InfluxWriterOptions from_config =
      influx_options(config, {.token = "", .password = kPassword});
  EXPECT_EQ(from_config.username, "metrics");
  EXPECT_EQ(from_config.password, kPassword);
  EXPECT_FALSE(from_config.create_database);
  EXPECT_TRUE(influx_options(config::InfluxConfig{}, {}).create_database) << "config default";
}

TEST(InfluxWriter, VersionOneCreatesTheDatabaseOnceWithBasicAuthBeforeTheFirstWrite) {
  ScriptedTransport transport;
  InfluxWriterOptions options = fast_options();
  options.username = "metrics";
  options.password = kPassword;
  options.create_database = true;
  transport.push(net::HttpResponse{200, {}, R"({"results":[{"statement_id":0}]})"});
  auto writer = write_one_sample(transport, options);
  ASSERT_TRUE(writer->write(sample(2)).is_ok());
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3U) << "CREATE DATABASE once, then two writes";
  EXPECT_EQ(requests[0].method, net::HttpMethod::kPost);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:8086/query");
  EXPECT_EQ(requests[0].body, kCreateBody);
  EXPECT_EQ(header(requests[0], "Content-Type"), "application/x-www-form-urlencoded");
  // RFC 7617's encoding of "metrics:open sesame".
  for (const auto& request : requests) {
    EXPECT_EQ(header(request, "Authorization"), "Basic bWV0cmljczpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(request.url.find(kPassword), std::string::npos);
    EXPECT_EQ(request.url.find("open%20sesame"), std::string::npos);
  }
  EXPECT_EQ(requests[1].url, "http://127.0.0.1:8086/write?db=gal%20friday&precision=ns");
  EXPECT_EQ(writer->stats().written_points, 2U);
}

TEST(InfluxWriter, AnUnreachableServerLeavesTheDatabaseToCreateBeforeTheRetriedWrite) {
  ScriptedTransport transport;
  transport.push(unavailable("connecting to 127.0.0.1:8086: Connection refused"));
  transport.push(net::HttpResponse{503, {}, "starting"});
  transport.push(net::HttpResponse{200, {}, R"({"results":[{"statement_id":0}]})"});
  ErrorLog log;
  InfluxWriterOptions options = fast_options();
  options.create_database = true;
  auto writer = write_one_sample(transport, options, &log);
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 4U);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(requests[i].body, kCreateBody) << i;
  EXPECT_EQ(requests[3].body, "m,pair=BTC/USD v=1i 1\n");
  EXPECT_EQ(header(requests[0], "Authorization"), "") << "no username, no credentials";
  const InfluxWriterStats stats = writer->stats();
  EXPECT_EQ(stats.written_points, 1U);
  EXPECT_EQ(stats.retries, 2U);
  const auto errors = log.take();
  ASSERT_EQ(errors.size(), 1U) << "one report for the retry run";
  EXPECT_EQ(errors[0].code(), StatusCode::kUnavailable);
}

TEST(InfluxWriter, ARefusedCreateIsReportedWithTheServersMessageAndWritesGoOn) {
  ScriptedTransport transport;
  const std::string refusal =
      R"({"error":"error authorizing query: metrics not authorized to execute statement )"
      R"('CREATE DATABASE "gal friday"', requires admin privilege"})";
  transport.push(net::HttpResponse{403, {}, refusal});
  ErrorLog log;
  InfluxWriterOptions options = fast_options();
  options.username = "metrics";
  options.password = kPassword;
  options.create_database = true;
  auto writer = write_one_sample(transport, options, &log);
  EXPECT_EQ(transport.requests().size(), 2U);
  EXPECT_EQ(writer->stats().written_points, 1U);
  const auto errors = log.take();
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].code(), StatusCode::kPermissionDenied);
  EXPECT_NE(errors[0].message().find("HTTP 403"), std::string::npos) << errors[0].message();
  EXPECT_NE(errors[0].message().find("requires admin privilege"), std::string::npos);
  EXPECT_NE(errors[0].message().find("influxdb.create_database: false"), std::string::npos);
  EXPECT_EQ(errors[0].message().find(kPassword), std::string::npos);
}

TEST(InfluxWriter, DatabaseNotFoundNamesTheRemedy) {
  const net::HttpResponse not_found{404, {}, R"({"error":"database not found: \"gal friday\""})"};
  {  // auto-creation off: the user creates it or turns it on
    ScriptedTransport transport;
    transport.push(not_found);
    ErrorLog log;
    InfluxWriterOptions options = fast_options();
    auto writer = write_one_sample(transport, options, &log);
    EXPECT_EQ(writer->stats().rejected_points, 1U);
    const auto errors = log.take();
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_NE(errors[0].message().find("HTTP 404"), std::string::npos) << errors[0].message();
    EXPECT_NE(errors[0].message().find("CREATE DATABASE \"gal friday\""), std::string::npos);
    EXPECT_NE(errors[0].message().find("influxdb.create_database: true"), std::string::npos);
  }
  {  // created, then dropped while running: created again before the next batch
    ScriptedTransport transport;
    transport.push(net::HttpResponse{200, {}, R"({"results":[{"statement_id":0}]})"});
    transport.push(not_found);
    ErrorLog log;
    InfluxWriterOptions options = fast_options();
    options.create_database = true;
    auto writer = write_one_sample(transport, options, &log);
    ASSERT_TRUE(writer->write(sample(2)).is_ok());
    ASSERT_TRUE(writer->flush(10s));
    const auto requests = transport.requests();
    ASSERT_EQ(requests.size(), 4U);
    EXPECT_EQ(requests[2].body, kCreateBody);
    EXPECT_EQ(requests[3].body, "m,pair=BTC/USD v=2i 2\n");
    EXPECT_EQ(writer->stats().rejected_points, 1U);
    EXPECT_EQ(writer->stats().written_points, 1U);
    const auto errors = log.take();
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_NE(errors[0].message().find("created again"), std::string::npos);
  }
}

TEST(InfluxWriter, UnauthorizedWritesAreRefusedWithAdviceAndNoPassword) {
  ScriptedTransport transport;
  transport.push(net::HttpResponse{401, {}, R"({"error":"authorization failed"})"});
  ErrorLog log;
  InfluxWriterOptions options = fast_options();
  options.username = "metrics";
  options.password = kPassword;
  auto writer = write_one_sample(transport, options, &log);
  EXPECT_EQ(writer->stats().rejected_points, 1U);
  const auto errors = log.take();
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].message(),
            "metrics: InfluxDB refused a batch of 1 point(s) with HTTP 401: "
            "{\"error\":\"authorization failed\"}; check influxdb.username and its password "
            "(GALFRIDAY_INFLUX_PASSWORD or influxdb.password_file) and that the user may write to "
            "the database");
}

TEST(InfluxWriter, RetriesTransientFailuresInOrderAndDropsRefusedBatches) {
  ScriptedTransport transport;
  transport.push(unavailable("connecting to 127.0.0.1:8086: Connection refused"));
  transport.push(net::HttpResponse{503, {}, "busy"});
  transport.push(net::HttpResponse{429, {}, "slow down"});
  transport.push(net::HttpResponse{204, {}, ""});                          // first batch
  transport.push(net::HttpResponse{400, {}, "{\"error\":\"bad line\"}"});  // second batch
  std::mutex mutex;
  std::vector<Status> errors;
  InfluxWriterOptions options = fast_options();
  options.batch_points = 2;
  options.on_error = [&](const Status& s) {
    std::lock_guard lock(mutex);
    errors.push_back(s);
  };
  auto writer = InfluxWriter::create(transport, options).value();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->write(sample(i)).is_ok());
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 5U);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(requests[i].body, requests[0].body) << "same batch";
  EXPECT_NE(requests[4].body, requests[0].body);
  const InfluxWriterStats stats = writer->stats();
  EXPECT_EQ(stats.written_points, 2U);
  EXPECT_EQ(stats.rejected_points, 2U);
  EXPECT_EQ(stats.retries, 3U);
  std::lock_guard lock(mutex);
  ASSERT_EQ(errors.size(), 2U) << "one report for the retry run, one for the refusal";
  EXPECT_EQ(errors[0].code(), StatusCode::kUnavailable);
  EXPECT_EQ(errors[1].code(), StatusCode::kInvalidArgument);
  EXPECT_NE(errors[1].message().find("HTTP 400"), std::string::npos) << errors[1].message();
}

TEST(InfluxWriter, AFullBufferDropsVisiblyAndStopGivesUpOnAnAbsentServer) {
  ScriptedTransport transport;
  for (int i = 0; i < 1000; ++i) transport.push(unavailable("connection refused"));
  std::mutex mutex;
  std::vector<Status> errors;
  InfluxWriterOptions options = fast_options();
  options.batch_points = 100;
  options.max_buffered_points = 5;
  options.on_error = [&](const Status& s) {
    std::lock_guard lock(mutex);
    errors.push_back(s);
  };
  auto writer = InfluxWriter::create(transport, options).value();
  int accepted = 0;
  int full = 0;
  for (int i = 0; i < 8; ++i) {
    const Status status = writer->write(sample(i));
    if (status.is_ok()) ++accepted;
    if (status.code() == StatusCode::kResourceExhausted) ++full;
  }
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(full, 3);
  writer->stop();
  const InfluxWriterStats stats = writer->stats();
  EXPECT_EQ(stats.written_points, 0U);
  EXPECT_EQ(stats.dropped_points, 8U) << "3 refused by the full buffer, 5 abandoned at stop";
  EXPECT_EQ(writer->write(sample(9)).code(), StatusCode::kFailedPrecondition);
  std::lock_guard lock(mutex);
  ASSERT_GE(errors.size(), 2U);
  EXPECT_EQ(errors.front().code(), StatusCode::kResourceExhausted) << "first drop reported once";
  EXPECT_NE(errors.back().message().find("dropped"), std::string::npos);
}

TEST(MetricsRecorder, TurnsBusEventsIntoTaggedPoints) {
  ScriptedTransport transport;
  auto writer = InfluxWriter::create(transport, fast_options()).value();
  SimulatedClock clock(timestamp_from_seconds(1700000000));
  PubSubManager bus(clock);
  MetricsRecorder recorder(bus, *writer);

  MarketDataTradeEvent trade;
  trade.meta.ts_event = timestamp_from_seconds(1699999999);
  trade.instrument = InstrumentId("BTC/USD");
  trade.price = Price::parse("37500.1").value();
  trade.qty = Quantity::parse("0.25000000").value();
  trade.aggressor = Side::kSell;
  bus.publish(trade);
  PredictionEvent prediction;
  prediction.meta.ts_event = timestamp_from_seconds(1700000000);
  prediction.instrument = InstrumentId("ETH/USD");
  prediction.model_id = "xgb-1";
  prediction.target = "prob_price_up";
  prediction.value = 0.625;
  bus.publish(prediction);
  bus.run_until_idle();
  recorder.record_equity(timestamp_from_seconds(1700000001), "USD",
                         Money::parse("10012.50").value(), Money::parse("5000.00").value(), 1.25);
  recorder.record_queue_depth(timestamp_from_seconds(1700000001), "db_writer", 12, 65536);
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].body,
            "market_trade,pair=BTC/USD,side=sell price=37500.1,qty=0.25000000 "
            "1699999999000000000\n"
            "latency,pair=BTC/USD,event=trade ingest_ns=1000000000i 1699999999000000000\n"
            "prediction,pair=ETH/USD,model=xgb-1,target=prob_price_up value=0.625 "
            "1700000000000000000\n"
            "portfolio,currency=USD equity=10012.50,cash=5000.00,drawdown_pct=1.25 "
            "1700000001000000000\n"
            "queue_depth,queue=db_writer depth=12i,capacity=65536i 1700000001000000000\n");
  EXPECT_EQ(recorder.recorded(), 5U);
  EXPECT_EQ(recorder.failed(), 0U);
}

TEST(MetricsRecorder, RecordsFillsInferenceLatencyPositionsQueuesAndWriterCounters) {
  ScriptedTransport transport;
  auto writer = InfluxWriter::create(transport, fast_options()).value();
  SimulatedClock clock(timestamp_from_seconds(1700000000));
  PubSubManager bus(clock);
  MetricsRecorder recorder(bus, *writer);
  uint64_t feature_sequence = 0;
  bus.subscribe<FeatureEvent>([&](const FeatureEvent& e) { feature_sequence = e.meta.sequence; });

  FeatureEvent features;
  features.meta.ts_event = timestamp_from_seconds(1700000000);
  features.instrument = InstrumentId("BTC/USD");
  features.features.names =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"rsi_14"});
  features.features.values = {55.5};
  bus.publish(features);
  bus.run_until_idle();
  ASSERT_NE(feature_sequence, 0U);

  // The prediction comes back 3 ms later, together with two execution reports: while the first
  // of the three is dispatched, two wait behind it in the engine queue.
  clock.advance_to(timestamp_from_nanos(1700000000003000000));
  PredictionEvent prediction;
  prediction.meta.ts_event = timestamp_from_seconds(1700000000);
  prediction.instrument = InstrumentId("BTC/USD");
  prediction.model_id = "momentum_v1";
  prediction.target = "prob_price_up";
  prediction.value = 0.5;
  prediction.feature_event_sequence = feature_sequence;
  bus.publish(prediction);
  ExecutionReportEvent accepted;
  accepted.meta.ts_event = timestamp_from_seconds(1700000001);
  accepted.instrument = InstrumentId("BTC/USD");
  accepted.status = OrderStatus::kNew;
  bus.publish(accepted);  // no fill: no point
  ExecutionReportEvent filled = accepted;
  filled.status = OrderStatus::kFilled;
  filled.last_fill = Fill{TradeId("T-1"),
                          Price::parse("37500.1").value(),
                          Quantity::parse("0.01000000").value(),
                          Money::parse("0.9750").value(),
                          "USD",
                          Liquidity::kTaker};
  bus.publish(filled);
  bus.run_until_idle();

  const Timestamp sampled = timestamp_from_seconds(1700000002);
  recorder.record_position(sampled, "BTC/USD", Quantity::parse("0.01000000").value(),
                           Money::parse("375.00").value(), Money::parse("-0.98").value());
  recorder.record_engine_queue(sampled);
  recorder.record_engine_queue(sampled);  // the peak starts again after each sample
  recorder.record_queue_depth(sampled, "influx", 7, std::nullopt);
  InfluxWriterStats stats;
  stats.accepted_points = 10;
  stats.written_points = 6;
  stats.dropped_points = 3;
  stats.retries = 2;
  stats.buffered_points = 1;
  recorder.record_writer_stats(sampled, stats);
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].body,
            "features,pair=BTC/USD rsi_14=55.5 1700000000000000000\n"
            "prediction,pair=BTC/USD,model=momentum_v1,target=prob_price_up value=0.5 "
            "1700000000000000000\n"
            "latency,pair=BTC/USD,event=prediction inference_ns=3000000i 1700000000000000000\n"
            "fill,pair=BTC/USD,side=buy,purpose=entry,fee_currency=USD price=37500.1,"
            "qty=0.01000000,fee=0.9750 1700000001000000000\n"
            "position,pair=BTC/USD qty=0.01000000,market_value=375.00,unrealized_pnl=-0.98 "
            "1700000002000000000\n"
            "queue_depth,queue=engine depth=2i 1700000002000000000\n"
            "queue_depth,queue=engine depth=0i 1700000002000000000\n"
            "queue_depth,queue=influx depth=7i 1700000002000000000\n"
            "metrics_writer accepted=10i,written=6i,dropped=3i,rejected=0i,invalid=0i,retries=2i,"
            "buffered=1i 1700000002000000000\n");
}

TEST(InfluxLogSink, WritesLogLinesAsPointsWithLevelAndSource) {
  ScriptedTransport transport;
  auto writer = InfluxWriter::create(transport, fast_options()).value();
  auto sink = std::make_shared<InfluxLogSink>(*writer);
  spdlog::logger logger("risk manager", sink);
  logger.warn("drawdown at {}%, \"close\" to the limit", 1.5);
  ASSERT_TRUE(writer->flush(10s));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1U);
  const std::string& body = requests[0].body;
  EXPECT_TRUE(
      body.starts_with("log,level=warning,source=risk\\ manager "
                       "message=\"drawdown at 1.5%, \\\"close\\\" to the limit\" "))
      << body;
}

}  // namespace
}  // namespace galfriday::metrics_sink
