#pragma once
// PrivateSocket: Kraken's private WebSocket v2 (wss://ws-auth.kraken.com/v2) for the execution
// handler, on feed::WsClient (reconnects with backoff, keep-alive, idle timeout).
//
// On every connection a fresh token is fetched (GetWebSocketsToken, on the handler's executor,
// so the private REST client is used from one thread), then `executions` (snap_orders, and
// snap_trades so fills made while the socket was down are replayed: the handler books each fill
// once) and `balances` are subscribed with it. Execution frames go to
// KrakenExecutionHandler::on_private_frame. The handler is told the socket is up when Kraken
// acknowledges the executions subscription (sequence numbers restart) and down when the
// connection drops (REST polling takes over); every drop, failed token request and refused
// subscription is reported as HealthSignalEvent{kApiError} for the monitoring service.
//
// Threading: frames arrive on the WsClient's I/O thread and are only handed on; start/stop on
// the engine thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/feed/ws_client.hpp"
#include "galfriday/live/execution_handler.hpp"
#include "galfriday/live/executions.hpp"
#include "galfriday/live/private_client.hpp"

namespace galfriday::live {

struct PrivateSocketOptions {
  std::string url = "wss://ws-auth.kraken.com/v2";  // kraken.ws_auth_url
  // Kraken sends heartbeats only while a subscription exists, and WebSocket pings keep an idle
  // connection alive; no frame at all for this long drops it.
  Duration idle_timeout = std::chrono::seconds(10);
  feed::ReconnectPolicy reconnect;
  bool snap_trades = true;
};

class PrivateSocket final : public feed::WsClientListener {
 public:
  // kInvalidArgument for a bad URL. Nothing connects before start().
  static Result<std::unique_ptr<PrivateSocket>> create(
      PrivateSocketOptions options, const Clock& clock, KrakenPrivateClient& client,
      TaskExecutor& executor, KrakenExecutionHandler& handler, PubSubManager& bus);
  ~PrivateSocket() override;  // stop()

  void start();
  // Closes the connection and joins the I/O thread; the handler is told the socket is down.
  // Tasks already queued on the executor may still run: stop the executor's user first or
  // drain it before destroying this object.
  void stop();

  // Subscribed to executions on the current connection.
  bool is_up() const { return up_.load(std::memory_order_acquire); }
  feed::WsClientStats stats() const;

  // feed::WsClientListener (I/O thread).
  void on_connected(uint64_t connection) override;
  void on_text(std::string_view frame, Timestamp received) override;
  void on_disconnected(const Status& reason) override;

 private:
  PrivateSocket(PrivateSocketOptions options, KrakenPrivateClient& client, TaskExecutor& executor,
                KrakenExecutionHandler& handler, PubSubManager& bus);
  void subscribe(uint64_t connection);
  void report(const std::string& detail);

  PrivateSocketOptions options_;
  KrakenPrivateClient& client_;
  TaskExecutor& executor_;
  KrakenExecutionHandler& handler_;
  PubSubManager& bus_;
  std::unique_ptr<feed::WsClient> ws_;
  ExecutionsDecoder acks_;  // I/O thread: decodes subscription acks
  std::atomic<uint64_t> connection_{0};
  std::atomic<bool> up_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace galfriday::live
