#pragma once
// HttpServer: a small loopback HTTP/1.1 server with optional WebSocket endpoints, for the
// local Kraken simulator and the operator dashboard. Not an internet-facing server: it binds
// to one address (127.0.0.1 by default) and serves requests one at a time per connection.
// With a certificate and key (HttpServerOptions) it speaks only TLS: https:// and wss://, so
// clients' TLS paths (certificate and host name verification) can be tested on loopback.
//
// Threading: the server runs its own Asio I/O thread. Handlers (the HTTP handler and the
// WebSocket callbacks) run on that thread, one at a time, so they must not block for long;
// they may touch shared state only under their own locks. WebSocketSession methods are
// thread-safe and may be called from any thread, also after the peer has gone (they become
// no-ops).
//
// Beast, Asio and OpenSSL stay in src/net/http_server.cpp (pimpl).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::net {

// A request as the server received it.
struct HttpServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent: "/0/public/OHLC?pair=XBTUSD&since=0"
  std::vector<HttpHeader> headers;
  std::string body;

  // The path part of target (before '?').
  std::string_view path() const;
  // The value of query parameter `name` (percent-decoded), nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // Case-insensitive lookup; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

// One accepted WebSocket connection.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // Queues a text frame; frames go out in the order queued. False when the session is closed.
  virtual bool send_text(std::string text) = 0;
  // Sends a close frame (normal closure) after the queued frames, then closes.
  virtual void close() = 0;
  // Drops the TCP connection at once, without a close frame (a network failure, for tests).
  virtual void abort() = 0;
  virtual bool is_open() const = 0;
  // Unique per server, starting at 1.
  virtual uint64_t id() const = 0;
  // The request target of the upgrade ("/v2").
  virtual const std::string& target() const = 0;
};

// Callbacks of one WebSocket endpoint; unset callbacks are skipped. on_close is called once
// per session that saw on_open, whoever closed it.
struct WebSocketHandler {
  std::function<void(const std::shared_ptr<WebSocketSession>&)> on_open;
  std::function<void(const std::shared_ptr<WebSocketSession>&, std::string_view text)> on_text;
  std::function<void(const std::shared_ptr<WebSocketSession>&)> on_close;
};

// A response with status 0 closes the connection without answering (a lost response, for the
// simulator's fault injection).
using HttpHandler = std::function<HttpResponse(const HttpServerRequest&)>;

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS chooses; see HttpServer::port()
  size_t max_request_body_bytes = size_t{1} << 20;
  size_t max_websocket_message_bytes = size_t{1} << 20;
  // TLS: PEM files of the certificate chain (the server's certificate first) and its private
  // key. Both set: every connection must complete a TLS handshake first. Both empty: plain
  // HTTP and ws://.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
};

class HttpServer {
 public:
  // Binds and starts serving. HTTP requests to paths that are not WebSocket endpoints go to
  // `http_handler` (a missing handler answers 404). kUnavailable when the address cannot be
  // bound; kInvalidArgument for an unparsable bind address, only one of the two TLS files, or
  // a certificate or key file that cannot be loaded (the message names the file).
  static Result<std::unique_ptr<HttpServer>> start(
      HttpServerOptions options, HttpHandler http_handler,
      std::vector<std::pair<std::string, WebSocketHandler>> websocket_paths = {});

  // Stops the server (see stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the OS-chosen one when options.port was 0).
  uint16_t port() const;
  // "127.0.0.1:PORT".
  std::string host_port() const;
  // Whether connections speak TLS (https://, wss://).
  bool tls() const;

  // Closes the listener and every connection, then joins the I/O thread. Idempotent; must not
  // be called from a handler.
  void stop();

  // Sessions currently open on all WebSocket endpoints.
  std::vector<std::shared_ptr<WebSocketSession>> websocket_sessions() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace galfriday::net
