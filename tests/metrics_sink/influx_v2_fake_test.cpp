// InfluxDB 2.x writes over real HTTP on loopback. Debian ships only influxd 1.x (which the
// integration test runs), so 2.x is a fake: an HttpServer that checks every part of the request
// the way InfluxDB 2.x's POST /api/v2/write does (InfluxDB v2 API reference) and answers like
// it: 204 for a good write, 401 for a missing or wrong token, 404 for an unknown organization or
// bucket, 400 for a bad precision. The writer goes through BeastHttpTransport, so the URL
// encoding, the headers and the body are what would reach a real server.

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "galfriday/metrics_sink/influx_writer.hpp"
#include "galfriday/net/beast_http_transport.hpp"
#include "galfriday/net/http_server.hpp"

namespace galfriday::metrics_sink {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOrg = "acme org";
constexpr const char* kBucket = "gf/metrics";
constexpr const char* kToken = "s3cr3t-t0ken==";

class FakeInfluxV2 {
 public:
  FakeInfluxV2() {
    auto server = net::HttpServer::start(
        {}, [this](const net::HttpServerRequest& request) { return handle(request); });
    EXPECT_TRUE(server.is_ok()) << server.status().to_string();
    if (server) server_ = std::move(*server);
  }

  std::string url() const { return "http://" + server_->host_port(); }

  struct Received {
    std::string target;
    std::optional<std::string> content_type;
    std::string body;
    int answered = 0;
  };
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Bodies of the writes the fake accepted, in order.
  std::string stored() {
    std::lock_guard lock(mutex_);
    return stored_;
  }

 private:
  static net::HttpResponse error(int status, const std::string& code, const std::string& message) {
    return {status,
            {{"Content-Type", "application/json; charset=utf-8"}},
            R"({"code":")" + code + R"(","message":")" + message + R"("})"};
  }

  net::HttpResponse handle(const net::HttpServerRequest& request) {
    net::HttpResponse response = check(request);
    std::lock_guard lock(mutex_);
    received_.push_back(
        {request.target, request.header("Content-Type"), request.body, response.status});
    if (response.status == 204) stored_ += request.body;
    return response;
  }

  static net::HttpResponse check(const net::HttpServerRequest& request) {
    if (request.path() != "/api/v2/write") return error(404, "not found", "path not found");
    if (request.method != "POST") return error(405, "method not allowed", "method not allowed");
    // The token scheme is "Token"; InfluxDB 2.x also accepts "Bearer" for v2 tokens, but the
    // writer must send exactly one Authorization header with its token.
    int authorizations = 0;
    for (const auto& header : request.headers) {
      if (header.name == "Authorization" || header.name == "authorization") ++authorizations;
    }
    if (authorizations != 1 || request.header("Authorization") != std::string("Token ") + kToken) {
      return error(401, "unauthorized", "unauthorized access");
    }
    const auto org = request.query_param("org");
    if (!org) return error(400, "invalid", "failed to decode request: missing org");
    if (*org != kOrg)
      return error(404, "not found", "organization name \\\"" + *org + "\\\" not found");
    const auto bucket = request.query_param("bucket");
    if (!bucket) return error(400, "invalid", "failed to decode request: missing bucket");
    if (*bucket != kBucket)
      return error(404, "not found", "bucket \\\"" + *bucket + "\\\" not found");
    if (request.query_param("precision") != std::string("ns")) {
      return error(400, "invalid", "invalid precision; valid precision units are ns, us, ms, s");
    }
    const auto type = request.header("Content-Type");
    if (!type || type->rfind("text/plain", 0) != 0) {
      return error(415, "unsupported media type", "expected line protocol");
    }
    if (request.body.empty() || request.body.back() != '\n') {
      return error(400, "invalid", "line protocol must end each line with a newline");
    }
    return {204, {}, ""};
  }

  std::mutex mutex_;
  std::vector<Received> received_;
  std::string stored_;
  std::unique_ptr<net::HttpServer> server_;
};

struct Fixture {
  FakeInfluxV2 influx;
  std::unique_ptr<net::BeastHttpTransport> transport = net::BeastHttpTransport::create().value();
  std::mutex mutex;
  std::vector<Status> errors;

  InfluxWriterOptions options() {
    InfluxWriterOptions o;
    o.url = influx.url();
    o.api_version = 2;
    o.org = kOrg;
    o.bucket = kBucket;
    o.token = kToken;
    o.flush_interval = 1h;  // only flush() sends
    o.retry_backoff_initial = 1ms;
    o.retry_backoff_max = 2ms;
    o.stop_timeout = 500ms;
    o.on_error = [this](const Status& status) {
      std::lock_guard lock(mutex);
      errors.push_back(status);
    };
    return o;
  }
};

Point trade_point(int64_t nanos) {
  Point point;
  point.measurement = "market trade";
  point.tag("pair", "BTC/USD").tag("side", "buy");
  point.field("price", Price::parse("37500.10").value())
      .field("qty", Quantity::parse("0.5").value());
  point.time = timestamp_from_nanos(nanos);
  return point;
}

TEST(InfluxV2Fake, WritesWithOrgBucketPrecisionTokenAndLineProtocolBody) {
  Fixture f;
  auto writer = InfluxWriter::create(*f.transport, f.options()).value();
  ASSERT_TRUE(writer->write(trade_point(1700000000123456789)).is_ok());
  ASSERT_TRUE(writer->write(trade_point(1700000000123456790)).is_ok());
  ASSERT_TRUE(writer->flush(10s));

  const auto received = f.influx.received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].target, "/api/v2/write?org=acme%20org&bucket=gf%2Fmetrics&precision=ns");
  EXPECT_EQ(received[0].content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(received[0].answered, 204);
  EXPECT_EQ(f.influx.stored(),
            "market\\ trade,pair=BTC/USD,side=buy price=37500.10,qty=0.5 1700000000123456789\n"
            "market\\ trade,pair=BTC/USD,side=buy price=37500.10,qty=0.5 1700000000123456790\n");
  const InfluxWriterStats stats = writer->stats();
  EXPECT_EQ(stats.written_points, 2U);
  EXPECT_EQ(stats.rejected_points, 0U);
  std::lock_guard lock(f.mutex);
  EXPECT_TRUE(f.errors.empty());
}

TEST(InfluxV2Fake, AWrongTokenIsRefusedAndNeverAppearsInTheError) {
  Fixture f;
  InfluxWriterOptions options = f.options();
  options.token = "not-the-token";
  auto writer = InfluxWriter::create(*f.transport, options).value();
  ASSERT_TRUE(writer->write(trade_point(1)).is_ok());
  ASSERT_TRUE(writer->flush(10s));
  const auto received = f.influx.received();
  ASSERT_EQ(received.size(), 1U) << "a 401 is not retried";
  EXPECT_EQ(received[0].answered, 401);
  EXPECT_TRUE(f.influx.stored().empty());
  EXPECT_EQ(writer->stats().rejected_points, 1U);
  std::lock_guard lock(f.mutex);
  ASSERT_EQ(f.errors.size(), 1U);
  EXPECT_NE(f.errors[0].message().find("HTTP 401"), std::string::npos) << f.errors[0].message();
  EXPECT_EQ(f.errors[0].message().find("not-the-token"), std::string::npos);
}

TEST(InfluxV2Fake, AnUnknownBucketIsRefusedWithInfluxsMessage) {
  Fixture f;
  InfluxWriterOptions options = f.options();
  options.bucket = "other";
  auto writer = InfluxWriter::create(*f.transport, options).value();
  ASSERT_TRUE(writer->write(trade_point(1)).is_ok());
  ASSERT_TRUE(writer->flush(10s));
  EXPECT_EQ(writer->stats().rejected_points, 1U);
  EXPECT_TRUE(f.influx.stored().empty());
  std::lock_guard lock(f.mutex);
  ASSERT_EQ(f.errors.size(), 1U);
  EXPECT_NE(f.errors[0].message().find("HTTP 404"), std::string::npos) << f.errors[0].message();
  EXPECT_NE(f.errors[0].message().find("bucket"), std::string::npos) << f.errors[0].message();
}

}  // namespace
}  // namespace galfriday::metrics_sink
