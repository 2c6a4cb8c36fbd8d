#pragma once
// WsClient: a WebSocket client for the Kraken feeds, on its own Asio I/O thread. ws:// and
// wss:// (OpenSSL: SNI, the peer verified against the system CAs, or only against
// WsClientOptions::ca_file, and against the host name), text frames
// up to a maximum size, WebSocket ping/pong keep-alive with an idle timeout, and reconnection
// with exponential backoff and jitter until stop().
//
// Threading: the listener's callbacks run on the client's I/O thread, one at a time, in
// order; a listener hands work to the engine thread itself (PubSubManager::post). send(),
// stats() and stop() may be called from any thread (stop() not from a callback).
//
// Beast, Asio and OpenSSL stay in src/feed/ws_client.cpp (pimpl).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/status.hpp"

namespace galfriday::feed {

// A parsed ws:// or wss:// URL.
struct WsUrl {
  bool secure = false;
  std::string host;
  uint16_t port = 0;         // 80 / 443 when the URL names none
  std::string target = "/";  // path and query
};

// kInvalidArgument for anything but ws://host[:port][/path] or wss://...
Result<WsUrl> parse_ws_url(std::string_view url);

// When to try again after a connection failed or dropped: the n-th consecutive failure waits
// min(max, min * 2^(n-1)), shortened by up to `jitter` of itself at random so that many
// clients do not reconnect in lockstep.
struct ReconnectPolicy {
  Duration min_backoff = std::chrono::milliseconds(500);
  Duration max_backoff = std::chrono::seconds(30);
  double jitter = 0.2;  // 0..1
};

// The delay before attempt `failures` (1 = first retry); `unit_random` in [0, 1) picks the
// jitter.
Duration backoff_delay(const ReconnectPolicy& policy, int failures, double unit_random);

struct WsClientOptions {
  std::string url;
  size_t max_frame_bytes = size_t{1} << 20;               // a larger message drops the connection
  Duration handshake_timeout = std::chrono::seconds(10);  // TCP + TLS + WebSocket handshakes
  // No frame (data, heartbeat or pong) for this long drops the connection; a WebSocket ping is
  // sent at half of it.
  Duration idle_timeout = std::chrono::seconds(10);
  ReconnectPolicy reconnect;
  uint64_t jitter_seed = 1;
  // wss:// only: PEM file of the CA certificates to trust instead of the system store (a
  // private endpoint, or a test server's self-signed certificate). Empty: the system store.
  std::string ca_file;
};

// Connection events, called on the client's I/O thread.
class WsClientListener {
 public:
  virtual ~WsClientListener() = default;
  // The WebSocket handshake completed; `connection` counts connections from 1.
  virtual void on_connected(uint64_t connection) = 0;
  // One complete text frame, with the time it was read (from the client's Clock).
  virtual void on_text(std::string_view frame, Timestamp received) = 0;
  // An established connection dropped (not called for stop()); a reconnect follows.
  virtual void on_disconnected(const Status& reason) = 0;
  // An attempt failed before the WebSocket handshake completed: name resolution, TCP connect,
  // the TLS handshake (an untrusted certificate or a host name it does not cover says so in
  // `reason`) or the upgrade. A retry follows after the backoff.
  virtual void on_connect_failed(const Status& reason) { (void)reason; }
};

// Counters, readable from any thread.
struct WsClientStats {
  uint64_t connects = 0;          // successful handshakes
  uint64_t connect_failures = 0;  // attempts that failed before the handshake completed
  uint64_t disconnects = 0;       // established connections that dropped
  uint64_t frames_received = 0;
  uint64_t bytes_received = 0;
  uint64_t oversized_frames = 0;  // messages over max_frame_bytes (each drops the connection)
  uint64_t frames_sent = 0;
};

class WsClient {
 public:
  // kInvalidArgument for a bad URL or option. Does not connect yet.
  static Result<std::unique_ptr<WsClient>> create(WsClientOptions options, const Clock& clock,
                                                  WsClientListener& listener);
  ~WsClient();  // stop()
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Starts the I/O thread and the first connection attempt. Once only.
  void start();
  // Queues a text frame on the current connection. False when not connected (the frame is
  // dropped: subscriptions are re-sent by the listener on the next on_connected).
  bool send(std::string text);
  // Closes the connection (close frame, bounded by the handshake timeout) and joins the I/O
  // thread. Idempotent.
  void stop();

  bool is_connected() const;
  WsClientStats stats() const;

  struct Impl;

 private:
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace galfriday::feed
