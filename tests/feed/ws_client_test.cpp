// WsClient against the loopback HttpServer's WebSocket endpoint, over ws:// and over wss://
// with a certificate made at test time.

#include "galfriday/feed/ws_client.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "../net/test_http_server.hpp"
#include "galfriday/net/http_server.hpp"

namespace galfriday::feed {
namespace {

using namespace std::chrono_literals;

TEST(WsUrl, ParsesSchemeHostPortAndTarget) {
  auto url = parse_ws_url("wss://ws.kraken.com/v2");
  ASSERT_TRUE(url.is_ok());
  EXPECT_TRUE(url->secure);
  EXPECT_EQ(url->host, "ws.kraken.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v2");
  url = parse_ws_url("ws://127.0.0.1:8765");
  ASSERT_TRUE(url.is_ok());
  EXPECT_FALSE(url->secure);
  EXPECT_EQ(url->port, 8765);
  EXPECT_EQ(url->target, "/");
  EXPECT_FALSE(parse_ws_url("http://x/v2").is_ok());
  EXPECT_FALSE(parse_ws_url("ws://:80/").is_ok());
  EXPECT_FALSE(parse_ws_url("ws://host:99999/").is_ok());
  EXPECT_FALSE(parse_ws_url("ws://host:12ab/").is_ok());
}

TEST(ReconnectBackoff, DoublesUpToTheCapAndJitterOnlyShortens) {
  ReconnectPolicy policy{100ms, 1000ms, 0.5};
  EXPECT_EQ(backoff_delay(policy, 1, 0.0), 100ms);
  EXPECT_EQ(backoff_delay(policy, 2, 0.0), 200ms);
  EXPECT_EQ(backoff_delay(policy, 4, 0.0), 800ms);
  EXPECT_EQ(backoff_delay(policy, 5, 0.0), 1000ms);
  EXPECT_EQ(backoff_delay(policy, 500, 0.0), 1000ms);
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), 150ms);
  EXPECT_GE(backoff_delay(policy, 2, 0.999), 100ms);
}

// Records the listener calls for the test thread.
class RecordingListener : public WsClientListener {
 public:
  void on_connected(uint64_t connection) override {
    std::lock_guard lock(mutex_);
    connections_ = connection;
    changed_.notify_all();
  }
  void on_text(std::string_view frame, Timestamp) override {
    std::lock_guard lock(mutex_);
    frames_.emplace_back(frame);
    changed_.notify_all();
  }
  void on_disconnected(const Status& reason) override {
    std::lock_guard lock(mutex_);
    ++disconnects_;
    last_reason_ = reason.to_string();
    changed_.notify_all();
  }
  void on_connect_failed(const Status& reason) override {
    std::lock_guard lock(mutex_);
    ++connect_failures_;
    last_failure_ = reason;
    changed_.notify_all();
  }

  template <typename Predicate>
  bool wait(Predicate predicate) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 20s, [&] { return predicate(*this); });
  }

  uint64_t connections_ = 0;
  int disconnects_ = 0;
  int connect_failures_ = 0;
  std::vector<std::string> frames_;
  std::string last_reason_;
  Status last_failure_;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

// A server that greets each connection, echoes, and can send a huge frame or drop the client.
struct EchoServer {
  std::unique_ptr<net::HttpServer> server;

  explicit EchoServer(net::HttpServerOptions options = {}) {
    net::WebSocketHandler handler;
    handler.on_open = [](const std::shared_ptr<net::WebSocketSession>& session) {
      session->send_text("hello " + std::to_string(session->id()));
    };
    handler.on_text = [](const std::shared_ptr<net::WebSocketSession>& session,
                         std::string_view text) {
      if (text == "drop") {
        session->abort();
      } else if (text == "huge") {
        session->send_text(std::string(200000, 'x'));
      } else {
        session->send_text("echo " + std::string(text));
      }
    };
    auto started = net::HttpServer::start(std::move(options), nullptr, {{"/v2", handler}});
    EXPECT_TRUE(started.is_ok()) << started.status().to_string();
    server = std::move(started).value();
  }

  std::string url(std::string_view host = "127.0.0.1") const {
    return std::string(server->tls() ? "wss://" : "ws://") + std::string(host) + ":" +
           std::to_string(server->port()) + "/v2";
  }
};

// A TCP server that accepts connections and never sends a byte: a WebSocket handshake to it
// stays pending until the client gives up or stops.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 128), 0);  // the kernel completes connections; nobody accepts them
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/v2"; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

WsClientOptions fast_options(std::string url) {
  WsClientOptions options;
  options.url = std::move(url);
  options.max_frame_bytes = 100000;
  options.reconnect = {10ms, 50ms, 0.5};
  return options;
}

TEST(WsClient, ReceivesSendsAndReconnectsAfterADrop) {
  EchoServer server;
  LiveClock clock;
  RecordingListener listener;
  auto client = WsClient::create(fast_options(server.url()), clock, listener);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  (*client)->start();
  ASSERT_TRUE(listener.wait([](auto& l) { return l.frames_.size() == 1; }));
  EXPECT_EQ(listener.frames_[0], "hello 1");
  EXPECT_TRUE((*client)->send("abc"));
  ASSERT_TRUE(listener.wait([](auto& l) { return l.frames_.size() == 2; }));
  EXPECT_EQ(listener.frames_[1], "echo abc");

  EXPECT_TRUE((*client)->send("drop"));
  ASSERT_TRUE(listener.wait([](auto& l) { return l.connections_ == 2 && l.frames_.size() == 3; }));
  EXPECT_EQ(listener.disconnects_, 1);
  EXPECT_EQ(listener.frames_[2], "hello 2");
  const WsClientStats stats = (*client)->stats();
  EXPECT_EQ(stats.connects, 2u);
  EXPECT_EQ(stats.disconnects, 1u);
  EXPECT_EQ(stats.frames_received, 3u);
  (*client)->stop();
  EXPECT_FALSE((*client)->is_connected());
  (*client)->stop();
}

TEST(WsClient, OversizedFrameDropsTheConnectionAndIsCounted) {
  EchoServer server;
  LiveClock clock;
  RecordingListener listener;
  auto client = WsClient::create(fast_options(server.url()), clock, listener);
  ASSERT_TRUE(client.is_ok());
  (*client)->start();
  ASSERT_TRUE(listener.wait([](auto& l) { return l.connections_ == 1; }));
  EXPECT_TRUE((*client)->send("huge"));
  ASSERT_TRUE(listener.wait([](auto& l) { return l.connections_ == 2; }));
  EXPECT_EQ((*client)->stats().oversized_frames, 1u);
  for (const auto& frame : listener.frames_) EXPECT_LT(frame.size(), 100000u);
}

TEST(WsClient, RetriesUntilTheServerIsThere) {
  // A port with nothing listening: take one from a server and stop it.
  auto probe = net::HttpServer::start({}, nullptr);
  ASSERT_TRUE(probe.is_ok());
  const uint16_t port = (*probe)->port();
  (*probe)->stop();
  LiveClock clock;
  RecordingListener listener;
  auto client = WsClient::create(fast_options("ws://127.0.0.1:" + std::to_string(port) + "/v2"),
                                 clock, listener);
  ASSERT_TRUE(client.is_ok());
  (*client)->start();
  // Failures accumulate while nobody listens; stop() ends the retry loop promptly.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((*client)->stats().connect_failures < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE((*client)->stats().connect_failures, 2u);
  EXPECT_FALSE((*client)->send("nobody"));
  (*client)->stop();
}

TEST(WsClient, StopsAtAnyPointOfTheConnectionSetUp) {
  // stop() right after start(), and after growing delays, lands in every step of the set-up
  // (resolve, TCP connect, WebSocket handshake, greeting) and must always return. Against a
  // server that never answers the handshake too, where the connection stays half set up. A
  // stop that hangs blocks this test until ctest's timeout.
  EchoServer server;
  SilentServer silent;
  LiveClock clock;
  for (const std::string& url : {server.url(), silent.url()}) {
    for (int attempt = 0; attempt < 60; ++attempt) {
      RecordingListener listener;
      auto client = WsClient::create(fast_options(url), clock, listener);
      ASSERT_TRUE(client.is_ok());
      (*client)->start();
      std::this_thread::sleep_for(std::chrono::microseconds(attempt * attempt * 10));
      (*client)->stop();
      EXPECT_FALSE((*client)->is_connected());
    }
  }
}

// wss:// against the loopback server with a self-signed certificate made for the test.
class WsClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gf_ws_client_tls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "loopback");
    std::filesystem::create_directories(dir_ / "other");
    loopback_cert_ = std::make_unique<net::test_support::SelfSignedCert>(dir_ / "loopback");
    other_host_cert_ =
        std::make_unique<net::test_support::SelfSignedCert>(dir_ / "other", "DNS:other.example");
  }
  void TearDown() override {
    loopback_cert_.reset();
    other_host_cert_.reset();
    std::filesystem::remove_all(dir_);
  }
  static net::HttpServerOptions serving(const net::test_support::SelfSignedCert& cert) {
    net::HttpServerOptions options;
    options.tls_certificate_file = cert.cert_path().string();
    options.tls_private_key_file = cert.key_path().string();
    return options;
  }

  std::filesystem::path dir_;
  std::unique_ptr<net::test_support::SelfSignedCert> loopback_cert_;    // 127.0.0.1, localhost
  std::unique_ptr<net::test_support::SelfSignedCert> other_host_cert_;  // other.example only
};

TEST_F(WsClientTls, ConnectsOverWssTrustingTheCaFileAndExchangesFrames) {
  EchoServer server(serving(*loopback_cert_));
  for (const char* host : {"127.0.0.1", "localhost"}) {  // an IP address and a DNS name
    LiveClock clock;
    RecordingListener listener;
    auto options = fast_options(server.url(host));
    options.ca_file = loopback_cert_->cert_path().string();
    auto client = WsClient::create(options, clock, listener);
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    (*client)->start();
    ASSERT_TRUE(listener.wait([](auto& l) { return l.frames_.size() == 1; })) << host;
    EXPECT_THAT(listener.frames_[0], ::testing::StartsWith("hello "));
    EXPECT_TRUE((*client)->send("over tls"));
    ASSERT_TRUE(listener.wait([](auto& l) { return l.frames_.size() == 2; }));
    EXPECT_EQ(listener.frames_[1], "echo over tls");
    // A drop over TLS reconnects like one over TCP.
    EXPECT_TRUE((*client)->send("drop"));
    ASSERT_TRUE(listener.wait([](auto& l) { return l.connections_ == 2; }));
    EXPECT_EQ(listener.connect_failures_, 0);
    (*client)->stop();
  }
}

TEST_F(WsClientTls, AnUntrustedCertificateFailsTheConnectionWithAClearError) {
  EchoServer server(serving(*loopback_cert_));
  LiveClock clock;
  RecordingListener listener;
  // No ca_file: the system CAs, which do not know the test's self-signed certificate.
  auto client = WsClient::create(fast_options(server.url()), clock, listener);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  (*client)->start();
  ASSERT_TRUE(listener.wait([](auto& l) { return l.connect_failures_ >= 1; }));
  (*client)->stop();
  EXPECT_EQ(listener.connections_, 0u);
  EXPECT_TRUE(listener.frames_.empty());
  EXPECT_EQ(listener.last_failure_.code(), StatusCode::kUnavailable);
  EXPECT_THAT(listener.last_failure_.message(),
              ::testing::AllOf(::testing::HasSubstr("TLS handshake"),
                               ::testing::HasSubstr("the server certificate is not trusted"),
                               ::testing::HasSubstr("self-signed")));
  EXPECT_GE((*client)->stats().connect_failures, 1u);
}

TEST_F(WsClientTls, ACertificateForAnotherHostFailsTheConnectionWithAClearError) {
  EchoServer server(serving(*other_host_cert_));
  LiveClock clock;
  RecordingListener listener;
  auto options = fast_options(server.url());
  options.ca_file = other_host_cert_->cert_path().string();  // trusted, but not for 127.0.0.1
  auto client = WsClient::create(options, clock, listener);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  (*client)->start();
  ASSERT_TRUE(listener.wait([](auto& l) { return l.connect_failures_ >= 1; }));
  (*client)->stop();
  EXPECT_EQ(listener.connections_, 0u);
  EXPECT_THAT(
      listener.last_failure_.message(),
      ::testing::HasSubstr("the server certificate is not valid for the host name '127.0.0.1'"));
}

TEST_F(WsClientTls, AnUnreadableCaFileIsRefusedAtCreation) {
  LiveClock clock;
  RecordingListener listener;
  auto options = fast_options("wss://127.0.0.1:1/v2");
  options.ca_file = (dir_ / "missing.pem").string();
  auto client = WsClient::create(options, clock, listener);
  ASSERT_FALSE(client.is_ok());
  EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(client.status().message(), ::testing::HasSubstr("missing.pem"));
}

TEST(WsClient, RefusesBadOptions) {
  LiveClock clock;
  RecordingListener listener;
  EXPECT_FALSE(WsClient::create(fast_options("tcp://x"), clock, listener).is_ok());
  auto options = fast_options("ws://127.0.0.1:1/");
  options.reconnect.max_backoff = 1ms;
  EXPECT_FALSE(WsClient::create(options, clock, listener).is_ok());
}

}  // namespace
}  // namespace galfriday::feed
