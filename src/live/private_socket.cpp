// PrivateSocket: the ws-auth connection feeding KrakenExecutionHandler.

#include "galfriday/live/private_socket.hpp"

#include <spdlog/spdlog.h>

#include <variant>

namespace galfriday::live {
namespace {

constexpr std::string_view kSource = "kraken_private_ws";

// A token is a credential: it goes into the subscribe request and nowhere else (no log line).
std::string subscribe_request(std::string_view channel, const std::string& token,
                              bool snap_trades) {
  std::string request = R"({"method":"subscribe","params":{"channel":")";
  request += channel;
  request += R"(","token":")";
  request += token;
  request += '"';
  if (channel == "executions") {
    request += R"(,"snap_orders":true,"snap_trades":)";
    request += snap_trades ? "true" : "false";
  } else {
    request += R"(,"snapshot":true)";
  }
  request += "}}";
  return request;
}

}  // namespace

Result<std::unique_ptr<PrivateSocket>> PrivateSocket::create(
    PrivateSocketOptions options, const Clock& clock, KrakenPrivateClient& client,
    TaskExecutor& executor, KrakenExecutionHandler& handler, PubSubManager& bus) {
  std::unique_ptr<PrivateSocket> socket(new PrivateSocket(options, client, executor, handler, bus));
  feed::WsClientOptions ws_options;
  ws_options.url = options.url;
  ws_options.idle_timeout = options.idle_timeout;
  ws_options.reconnect = options.reconnect;
  auto ws = feed::WsClient::create(ws_options, clock, *socket);
  if (!ws) return ws.status().with_context("private WebSocket");
  socket->ws_ = std::move(*ws);
  return socket;
}

PrivateSocket::PrivateSocket(PrivateSocketOptions options, KrakenPrivateClient& client,
                             TaskExecutor& executor, KrakenExecutionHandler& handler,
                             PubSubManager& bus)
    : options_(std::move(options)),
      client_(client),
      executor_(executor),
      handler_(handler),
      bus_(bus) {}

PrivateSocket::~PrivateSocket() { stop(); }

void PrivateSocket::start() { ws_->start(); }

void PrivateSocket::stop() {
  if (stopped_.exchange(true)) return;
  ws_->stop();
  if (up_.exchange(false)) handler_.set_private_socket_up(false);
}

feed::WsClientStats PrivateSocket::stats() const { return ws_->stats(); }

void PrivateSocket::on_connected(uint64_t connection) {
  connection_.store(connection, std::memory_order_release);
  // A new connection needs a new token (Kraken: a token is for one connection's subscriptions).
  executor_.submit([this, connection] { subscribe(connection); });
}

void PrivateSocket::subscribe(uint64_t connection) {
  if (stopped_.load() || connection_.load(std::memory_order_acquire) != connection) return;
  // The connection stays open without a subscription, so a token refused for a transient
  // reason (our own REST counter full, Kraken busy: the client already retried those) is asked
  // for again a few times before giving up until the next connection.
  constexpr int kTokenAttempts = 3;
  Result<WebSocketsToken> token = client_.get_websockets_token();
  for (int attempt = 1; !token && attempt < kTokenAttempts; ++attempt) {
    const StatusCode code = token.status().code();
    if (code != StatusCode::kResourceExhausted && code != StatusCode::kUnavailable) break;
    if (stopped_.load() || connection_.load(std::memory_order_acquire) != connection) return;
    token = client_.get_websockets_token();
  }
  if (!token) {
    report("GetWebSocketsToken for the private WebSocket failed: " + token.status().message());
    return;
  }
  // A drop between the token and here makes send() return false; the next connection
  // subscribes again with its own token.
  if (connection_.load(std::memory_order_acquire) != connection) return;
  ws_->send(subscribe_request("executions", token->token, options_.snap_trades));
  ws_->send(subscribe_request("balances", token->token, false));
}

void PrivateSocket::on_text(std::string_view frame, Timestamp) {
  if (frame.find(R"("method")") != std::string_view::npos) {
    // Acks and pongs are few: decode them here to learn when executions flow.
    auto decoded = acks_.decode(frame);
    if (!decoded) {
      report("private WebSocket: " + decoded.status().message());
      return;
    }
    if (const auto* ack = std::get_if<ExecutionsSubscribed>(&*decoded)) {
      if (ack->success) {
        // Before any executions frame of this connection reaches the handler (same executor).
        up_.store(true, std::memory_order_release);
        handler_.set_private_socket_up(true);
      } else {
        report("Kraken refused the executions subscription: " + ack->error);
      }
    } else if (frame.find(R"("success":false)") != std::string_view::npos) {
      report("Kraken refused a private WebSocket request: " + std::string(frame));
    }
    return;
  }
  if (frame.find(R"("channel":"executions")") != std::string_view::npos) {
    handler_.on_private_frame(std::string(frame));
  }
}

void PrivateSocket::on_disconnected(const Status& reason) {
  connection_.store(0, std::memory_order_release);
  if (up_.exchange(false)) handler_.set_private_socket_up(false);
  report("private WebSocket down (REST polling takes over): " + reason.message());
}

void PrivateSocket::report(const std::string& detail) {
  spdlog::warn("[{}] {}", kSource, detail);
  HealthSignalEvent event;
  event.signal = HealthSignal::kApiError;
  event.source = std::string(kSource);
  event.detail = detail;
  bus_.post(std::move(event));
}

}  // namespace galfriday::live
