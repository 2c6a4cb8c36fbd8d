#include "galfriday/net/beast_http_transport.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "test_http_server.hpp"

namespace galfriday::net {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

constexpr auto kTimeout = 10s;  // generous: only the stalling tests are meant to hit a timeout

std::unique_ptr<BeastHttpTransport> make_transport(BeastHttpTransportOptions options = {}) {
  auto transport = BeastHttpTransport::create(std::move(options));
  EXPECT_TRUE(transport.is_ok()) << transport.status().to_string();
  return std::move(transport).value();
}

TestReply echo(const bhttp::request<bhttp::string_body>& request) {
  TestReply reply;
  reply.body = std::string(request.method_string()) + " " + std::string(request.target()) + " [" +
               request.body() + "]";
  reply.headers.emplace_back("X-Echo-Agent", std::string(request[bhttp::field::user_agent]));
  reply.headers.emplace_back("X-Echo-Custom", std::string(request["X-Custom"]));
  reply.headers.emplace_back("X-Echo-Type", std::string(request[bhttp::field::content_type]));
  return reply;
}

// A port nobody listens on: bound by the OS, then released.
uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

TEST(BeastHttpTransport, GetRoundTripWithHeaders) {
  TestHttpServer server(echo);
  auto transport = make_transport();
  HttpRequest request{
      HttpMethod::kGet, server.url("/0/public/Time?pair=XBTUSD"), {{"X-Custom", "value 1"}}, ""};
  auto response = transport->send(request, kTimeout);
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /0/public/Time?pair=XBTUSD []");
  EXPECT_EQ(response->header("x-echo-custom"), "value 1");  // lookup is case-insensitive
  EXPECT_EQ(response->header("X-ECHO-AGENT"), "galfriday/0.1");
  EXPECT_EQ(response->header("X-Not-There"), "");
}

TEST(BeastHttpTransport, PostSendsBodyAndContentType) {
  TestHttpServer server(echo);
  auto transport = make_transport();
  HttpRequest request{
      HttpMethod::kPost,
      server.url("/0/private/AddOrder"),
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"User-Agent", "custom-agent"}},
      "nonce=1&pair=XBTUSD"};
  auto response = transport->send(request, kTimeout);
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  EXPECT_EQ(response->body, "POST /0/private/AddOrder [nonce=1&pair=XBTUSD]");
  EXPECT_EQ(response->header("X-Echo-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(response->header("X-Echo-Agent"), "custom-agent");  // the request's own wins
}

TEST(BeastHttpTransport, HttpErrorStatusIsASuccessfulSend) {
  TestHttpServer server([](const auto&) { return TestReply{503, "busy", {}, false, false}; });
  auto transport = make_transport();
  auto response = transport->send({HttpMethod::kGet, server.url("/x"), {}, ""}, kTimeout);
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "busy");
}

TEST(BeastHttpTransport, KeepAliveReusesOneConnection) {
  TestHttpServer server(echo);
  auto transport = make_transport();
  for (int i = 0; i < 5; ++i) {
    auto response = transport->send({HttpMethod::kGet, server.url("/a"), {}, ""}, kTimeout);
    ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  }
  EXPECT_EQ(transport->connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(transport->idle_connections(), 1u);
}

TEST(BeastHttpTransport, ConnectionClosedByServerWhileIdleIsReplaced) {
  TestHttpServer server([](const auto& request) {
    TestReply reply = echo(request);
    reply.close_after = true;  // answers "keep-alive" and then hangs up anyway
    return reply;
  });
  auto transport = make_transport();
  for (int i = 0; i < 3; ++i) {
    auto response = transport->send({HttpMethod::kGet, server.url("/a"), {}, ""}, kTimeout);
    ASSERT_TRUE(response.is_ok()) << i << ": " << response.status().to_string();
  }
  EXPECT_EQ(server.accepted(), 3);
}

TEST(BeastHttpTransport, DisabledKeepAliveOpensAConnectionPerRequest) {
  TestHttpServer server(echo);
  BeastHttpTransportOptions options;
  options.max_idle_connections_per_host = 0;
  auto transport = make_transport(options);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(transport->send({HttpMethod::kGet, server.url("/a"), {}, ""}, kTimeout).is_ok());
  EXPECT_EQ(server.accepted(), 3);
  EXPECT_EQ(transport->idle_connections(), 0u);
}

TEST(BeastHttpTransport, StallingServerGivesDeadlineExceeded) {
  TestHttpServer server([](const auto& request) {
    TestReply reply = echo(request);
    reply.stall = request.target() == "/stall";
    return reply;
  });
  auto transport = make_transport();
  auto response = transport->send({HttpMethod::kPost, server.url("/stall"), {}, "x"}, 200ms);
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(response.status().message().find("outcome is unknown"), std::string::npos)
      << response.status().message();
  // The transport stays usable after a timeout.
  auto next = transport->send({HttpMethod::kGet, server.url("/ok"), {}, ""}, kTimeout);
  ASSERT_TRUE(next.is_ok()) << next.status().to_string();
  EXPECT_EQ(next->body, "GET /ok []");
}

TEST(BeastHttpTransport, TlsHandshakeThatNeverCompletesGivesDeadlineExceeded) {
  // A listener that never accepts: the kernel completes the TCP connect, nobody speaks TLS.
  asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto transport = make_transport();
  const std::string url =
      "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  auto response = transport->send({HttpMethod::kGet, url, {}, ""}, 200ms);
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(response.status().message().find("TLS handshake"), std::string::npos)
      << response.status().message();
}

TEST(BeastHttpTransport, ConnectionRefusedGivesUnavailable) {
  auto transport = make_transport();
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  auto response = transport->send({HttpMethod::kGet, url, {}, ""}, kTimeout);
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("connecting to 127.0.0.1:"), std::string::npos)
      << response.status().message();
}

TEST(BeastHttpTransport, BodyOverTheLimitGivesResourceExhausted) {
  TestHttpServer server([](const auto& request) {
    TestReply reply;
    reply.body = std::string(request.target() == "/big" ? 5000 : 10, 'x');
    return reply;
  });
  BeastHttpTransportOptions options;
  options.max_body_bytes = 1000;
  auto transport = make_transport(options);
  auto response = transport->send({HttpMethod::kGet, server.url("/big"), {}, ""}, kTimeout);
  ASSERT_FALSE(response.is_ok()) << response->body.size();
  EXPECT_EQ(response.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(response.status().message().find("1000 bytes"), std::string::npos);
  auto small = transport->send({HttpMethod::kGet, server.url("/small"), {}, ""}, kTimeout);
  ASSERT_TRUE(small.is_ok()) << small.status().to_string();
  EXPECT_EQ(small->body.size(), 10u);
}

TEST(BeastHttpTransport, MalformedUrlsAreInvalidArguments) {
  auto transport = make_transport();
  for (const char* url :
       {"", "ftp://host/x", "http://", "http://:80/x", "http://host:0/", "http://host:99999/",
        "http://host:12ab/", "http://host:/x", "http://user@host/", "http://host/a b",
        "http://host/x#frag", "https://[::1/x", "127.0.0.1:80/x"}) {
    auto response = transport->send({HttpMethod::kGet, url, {}, ""}, kTimeout);
    ASSERT_FALSE(response.is_ok()) << url;
    EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(response.status().message().find("malformed URL"), std::string::npos) << url;
  }
}

TEST(BeastHttpTransport, HeaderInjectionIsRejected) {
  auto transport = make_transport();
  auto response = transport->send(
      {HttpMethod::kGet, "http://127.0.0.1:1/", {{"X-A", "v\r\nX-B: injected"}}, ""}, kTimeout);
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpUrl, ParsesTheParts) {
  auto url = parse_http_url("https://api.kraken.com/0/public/Time");
  ASSERT_TRUE(url.is_ok());
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "api.kraken.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/0/public/Time");

  url = parse_http_url("http://127.0.0.1:8086?db=x");
  ASSERT_TRUE(url.is_ok());
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, 8086);
  EXPECT_EQ(url->target, "/?db=x");

  url = parse_http_url("http://[::1]:9000");
  ASSERT_TRUE(url.is_ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->target, "/");
}

TEST(HttpResponse, HeaderLookupIgnoresCase) {
  HttpResponse response;
  response.headers = {{"Content-Type", "application/json"}, {"Retry-After", "5"}};
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("RETRY-AFTER"), "5");
  EXPECT_EQ(response.header("Content-Length"), "");
}

class BeastHttpTransportTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gf_net_tls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    cert_ = std::make_unique<SelfSignedCert>(dir_);
  }
  void TearDown() override {
    cert_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<SelfSignedCert> cert_;
};

TEST_F(BeastHttpTransportTls, HttpsRoundTripWithTrustedCaFile) {
  TestHttpServer server(echo, cert_.get());
  BeastHttpTransportOptions options;
  options.ca_file = cert_->cert_path().string();
  auto transport = make_transport(options);
  for (int i = 0; i < 2; ++i) {
    auto response = transport->send(
        {HttpMethod::kPost, server.url("/0/private/Balance"), {}, "nonce=1"}, kTimeout);
    ASSERT_TRUE(response.is_ok()) << response.status().to_string();
    EXPECT_EQ(response->body, "POST /0/private/Balance [nonce=1]");
  }
  EXPECT_EQ(server.accepted(), 1);  // the TLS connection was kept alive
}

TEST_F(BeastHttpTransportTls, UntrustedCertificateIsRejected) {
  TestHttpServer server(echo, cert_.get());
  auto transport = make_transport();  // system CA store: does not know our self-signed cert
  auto response = transport->send({HttpMethod::kGet, server.url("/"), {}, ""}, kTimeout);
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("TLS handshake"), std::string::npos)
      << response.status().message();
}

TEST_F(BeastHttpTransportTls, MissingCaFileFailsAtCreate) {
  BeastHttpTransportOptions options;
  options.ca_file = (dir_ / "no-such-ca.pem").string();
  auto transport = BeastHttpTransport::create(options);
  ASSERT_FALSE(transport.is_ok());
  EXPECT_EQ(transport.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(transport.status().message().find("no-such-ca.pem"), std::string::npos);
}

TEST(BeastHttpTransport, ConcurrentSendsFromManyThreads) {
  TestHttpServer server(echo);
  auto transport = make_transport();
  constexpr int kThreads = 4;
  constexpr int kRequestsPerThread = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequestsPerThread; ++i) {
        const std::string target = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto response = transport->send({HttpMethod::kGet, server.url(target), {}, ""}, kTimeout);
        if (response.is_ok() && response->body == "GET " + target + " []") ok.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kRequestsPerThread);
  EXPECT_LE(transport->connections_opened(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace galfriday::net
