// WsClient against the loopback HttpServer's WebSocket endpoint.

#include "galfriday/feed/ws_client.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

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

  template <typename Predicate>
  bool wait(Predicate predicate) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 20s, [&] { return predicate(*this); });
  }

  uint64_t connections_ = 0;
  int disconnects_ = 0;
  std::vector<std::string> frames_;
  std::string last_reason_;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

// A server that greets each connection, echoes, and can send a huge frame or drop the client.
struct EchoServer {
  std::unique_ptr<net::HttpServer> server;

  EchoServer() {
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
    auto started = net::HttpServer::start({}, nullptr, {{"/v2", handler}});
    EXPECT_TRUE(started.is_ok());
    server = std::move(started).value();
  }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server->port()) + "/v2"; }
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
