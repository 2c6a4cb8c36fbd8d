// HttpServer on Boost.Beast: one Asio I/O thread, one acceptor, HTTP/1.1 connections that
// either serve requests through the handler or upgrade to a WebSocket session. Connections and
// sessions are templates on the stream: a plain TCP socket, or a TLS stream over one (the TLS
// handshake runs first, then the same HTTP and WebSocket code).

#include "galfriday/net/http_server.hpp"

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>

namespace galfriday::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<tcp::socket>;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte; a malformed escape
// is kept as written.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string_view HttpServerRequest::path() const {
  const std::string_view view = target;
  return view.substr(0, view.find('?'));
}

std::optional<std::string> HttpServerRequest::query_param(std::string_view name) const {
  const std::string_view view = target;
  const size_t question = view.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = view.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t equals = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, equals));
    if (key == name) {
      return equals == std::string_view::npos ? std::string()
                                              : percent_decode(pair.substr(equals + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::string> HttpServerRequest::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

// What the server needs of a session of either stream type.
class WsSessionBase : public WebSocketSession {
 public:
  // Drops the connection at once; I/O thread only.
  virtual void abort_now() = 0;
};

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler http_handler;
  std::map<std::string, WebSocketHandler, std::less<>> websocket_paths;

  // Shared with the sessions so that a session a caller still holds after stop() never
  // outlives the io_context its socket belongs to.
  std::shared_ptr<asio::io_context> ioc = std::make_shared<asio::io_context>(1);
  tcp::acceptor acceptor{*ioc};
  std::unique_ptr<ssl::context> tls;  // null: plain HTTP
  uint16_t port = 0;
  std::thread thread;
  // Shared with the sessions, which may outlive the server in a caller's hands.
  std::shared_ptr<std::atomic<bool>> stopped = std::make_shared<std::atomic<bool>>(false);
  std::atomic<uint64_t> next_session_id{1};

  mutable std::mutex sessions_mutex;
  std::map<uint64_t, std::weak_ptr<WsSessionBase>> sessions;

  void do_accept();
  void register_session(const std::shared_ptr<WsSessionBase>& session);
  void unregister_session(uint64_t id);
};

// One WebSocket connection over `Stream` (tcp::socket or TlsStream). All socket work happens on
// the I/O thread; the public methods post there.
template <typename Stream>
class WsSessionImpl final : public WsSessionBase,
                            public std::enable_shared_from_this<WsSessionImpl<Stream>> {
  using std::enable_shared_from_this<WsSessionImpl<Stream>>::shared_from_this;

 public:
  WsSessionImpl(HttpServer::Impl& server, std::shared_ptr<asio::io_context> ioc, Stream stream,
                const WebSocketHandler& handler, std::string target, uint64_t id)
      : ioc_(std::move(ioc)),
        server_stopped_(server.stopped),
        server_(server),
        ws_(std::move(stream)),
        handler_(handler),
        target_(std::move(target)),
        id_(id) {}

  void run(http::request<http::string_body> request) {
    ws_.read_message_max(server_.options.max_websocket_message_bytes);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(http::field::server, "galfriday");
    }));
    auto self = shared_from_this();
    // Registered before the handshake completes so that stop() can abort it at any stage.
    server_.register_session(self);
    ws_.async_accept(request, [self](beast::error_code error) {
      if (error) {
        self->server_.unregister_session(self->id_);
        return;
      }
      self->open_ = true;
      if (self->handler_.on_open) self->handler_.on_open(self);
      self->do_read();
    });
  }

  // Frames are queued here, in the caller's thread, so their order is the order of the calls
  // whatever thread makes them (posting each frame would let frames posted from the I/O thread
  // overtake frames posted earlier from another thread).
  bool send_text(std::string text) override {
    if (!open_ || *server_stopped_) return false;
    std::lock_guard lock(outbox_mutex_);
    outbox_.push_back(std::move(text));
    kick_locked();
    return true;
  }

  void close() override {
    if (!open_ || *server_stopped_) return;
    std::lock_guard lock(outbox_mutex_);
    close_requested_ = true;
    kick_locked();
  }

  void abort() override {
    if (*server_stopped_) return;
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->abort_now(); });
  }

  bool is_open() const override { return open_; }
  uint64_t id() const override { return id_; }
  const std::string& target() const override { return target_; }

  void abort_now() override {
    beast::error_code ignored;
    tcp::socket& socket = beast::get_lowest_layer(ws_);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    finish();
  }

 private:
  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code error, size_t) {
      if (error) {
        self->finish();
        return;
      }
      if (self->ws_.got_text() && self->handler_.on_text) {
        const auto data = self->buffer_.cdata();
        self->handler_.on_text(
            self, std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      self->buffer_.consume(self->buffer_.size());
      if (self->open_) self->do_read();
    });
  }

  void kick_locked() {
    if (writer_active_) return;
    writer_active_ = true;
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->write_next(); });
  }

  // I/O thread: writes queued frames one at a time, then a requested close.
  void write_next() {
    {
      std::lock_guard lock(outbox_mutex_);
      if (!open_) {
        outbox_.clear();
        writer_active_ = false;
        return;
      }
      if (outbox_.empty()) {
        writer_active_ = false;
        if (close_requested_) {
          close_requested_ = false;
          do_close();
        }
        return;
      }
      current_ = std::move(outbox_.front());
      outbox_.pop_front();
    }
    ws_.text(true);
    ws_.async_write(asio::buffer(current_),
                    [self = shared_from_this()](beast::error_code error, size_t) {
                      if (error) {
                        {
                          std::lock_guard lock(self->outbox_mutex_);
                          self->writer_active_ = false;
                        }
                        self->finish();
                        return;
                      }
                      self->write_next();
                    });
  }

  void do_close() {
    if (!open_) return;
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }

  void finish() {
    if (!open_.exchange(false)) return;
    {
      std::lock_guard lock(outbox_mutex_);
      outbox_.clear();
    }
    server_.unregister_session(id_);
    if (handler_.on_close) handler_.on_close(shared_from_this());
  }

  std::shared_ptr<asio::io_context> ioc_;  // declared first: destroyed after the stream
  std::shared_ptr<std::atomic<bool>> server_stopped_;
  HttpServer::Impl& server_;  // used on the I/O thread only, which the server outlives
  websocket::stream<Stream> ws_;
  const WebSocketHandler& handler_;  // owned by the server, which outlives the I/O thread
  std::string target_;
  uint64_t id_;
  std::atomic<bool> open_{false};
  beast::flat_buffer buffer_;
  std::mutex outbox_mutex_;
  std::deque<std::string> outbox_;  // guarded by outbox_mutex_
  bool writer_active_ = false;      // guarded: a write_next() is posted or a write in flight
  bool close_requested_ = false;    // guarded
  std::string current_;             // I/O thread: the frame being written
};

namespace {

// One HTTP connection over `Stream`: (for TLS, first the handshake) reads requests and answers
// them until the peer closes, or hands the stream to a WebSocket session on an upgrade.
template <typename Stream>
class HttpConnection : public std::enable_shared_from_this<HttpConnection<Stream>> {
  using std::enable_shared_from_this<HttpConnection<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  HttpConnection(HttpServer::Impl& server, Stream stream)
      : server_(server), stream_(std::move(stream)) {}

  void start() {
    if constexpr (kTls) {
      // A client that refuses the certificate aborts here; nothing else to do for it.
      stream_.async_handshake(ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code error) {
                                if (error) return self->close_now();
                                self->do_read();
                              });
    } else {
      do_read();
    }
  }

 private:
  void close_now() {
    beast::error_code ignored;
    tcp::socket& socket = beast::get_lowest_layer(stream_);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  // After the last response: TLS says close_notify first, plain TCP half-closes.
  void finish_sending() {
    if constexpr (kTls) {
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close_now(); });
    } else {
      beast::error_code ignored;
      stream_.shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_request_body_bytes);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, size_t) {
                       if (error) return self->close_now();
                       self->on_request(self->parser_->release());
                     });
  }

  void on_request(http::request<http::string_body> request) {
    const std::string target(request.target());
    if (websocket::is_upgrade(request)) {
      const std::string_view path = std::string_view(target).substr(0, target.find('?'));
      const auto it = server_.websocket_paths.find(path);
      if (it != server_.websocket_paths.end()) {
        auto session = std::make_shared<WsSessionImpl<Stream>>(
            server_, server_.ioc, std::move(stream_), it->second, target,
            server_.next_session_id.fetch_add(1));
        session->run(std::move(request));
        return;
      }
    }

    HttpServerRequest converted;
    converted.method = std::string(request.method_string());
    converted.target = target;
    for (const auto& field : request) {
      converted.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    converted.body = std::move(request.body());

    HttpResponse answer;
    if (server_.http_handler) {
      answer = server_.http_handler(converted);
    } else {
      answer.status = 404;
      answer.body = "not found\n";
    }
    if (answer.status == 0) {
      // The handler asked for no answer (a response lost on the way, for fault injection):
      // the connection closes without a byte.
      close_now();
      return;
    }

    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request.version());
    response->result(static_cast<unsigned>(answer.status));
    response->set(http::field::server, "galfriday");
    bool has_content_type = false;
    for (const HttpHeader& h : answer.headers) {
      if (iequals(h.name, "content-type")) has_content_type = true;
      response->set(h.name, h.value);
    }
    if (!has_content_type) response->set(http::field::content_type, "text/plain");
    response->body() = std::move(answer.body);
    response->keep_alive(request.keep_alive());
    response->prepare_payload();

    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code error, size_t) {
                        if (error) return self->close_now();
                        if (!response->keep_alive()) return self->finish_sending();
                        self->do_read();
                      });
  }

  HttpServer::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void HttpServer::Impl::do_accept() {
  acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error) {
      if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
    } else {
      // Small frames (book updates, acks) must not wait for Nagle's algorithm.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls) {
        std::make_shared<HttpConnection<TlsStream>>(*this, TlsStream(std::move(socket), *tls))
            ->start();
      } else {
        std::make_shared<HttpConnection<tcp::socket>>(*this, std::move(socket))->start();
      }
    }
    do_accept();
  });
}

void HttpServer::Impl::register_session(const std::shared_ptr<WsSessionBase>& session) {
  std::lock_guard lock(sessions_mutex);
  sessions[session->id()] = session;
}

void HttpServer::Impl::unregister_session(uint64_t id) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(id);
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(
    HttpServerOptions options, HttpHandler http_handler,
    std::vector<std::pair<std::string, WebSocketHandler>> websocket_paths) {
  auto impl = std::make_unique<Impl>();
  beast::error_code error;
  const auto address = asio::ip::make_address(options.bind_address, error);
  if (error) {
    return invalid_argument("http server: bind address '" + options.bind_address +
                            "' is not an IP address: " + error.message());
  }
  if (options.tls_certificate_file.empty() != options.tls_private_key_file.empty()) {
    return invalid_argument(
        "http server: TLS needs both a certificate file and a private key file");
  }
  if (!options.tls_certificate_file.empty()) {
    impl->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1);
    impl->tls->use_certificate_chain_file(options.tls_certificate_file, error);
    if (error) {
      return invalid_argument("http server: cannot load the TLS certificate chain '" +
                              options.tls_certificate_file + "': " + error.message());
    }
    impl->tls->use_private_key_file(options.tls_private_key_file, ssl::context::pem, error);
    if (error) {
      return invalid_argument("http server: cannot load the TLS private key '" +
                              options.tls_private_key_file + "': " + error.message());
    }
  }
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = options.bind_address + ":" + std::to_string(options.port);
  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return unavailable("http server: cannot listen on " + where + ": " + error.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->options = std::move(options);
  impl->http_handler = std::move(http_handler);
  for (auto& [path, handler] : websocket_paths) {
    impl->websocket_paths.emplace(std::move(path), std::move(handler));
  }
  impl->do_accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

bool HttpServer::tls() const { return impl_->tls != nullptr; }

std::string HttpServer::host_port() const {
  return impl_->options.bind_address + ":" + std::to_string(impl_->port);
}

void HttpServer::stop() {
  if (impl_->stopped->exchange(true)) return;
  Impl* impl = impl_.get();
  asio::post(*impl->ioc, [impl] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    std::vector<std::shared_ptr<WsSessionBase>> open;
    {
      std::lock_guard lock(impl->sessions_mutex);
      for (auto& [id, weak] : impl->sessions) {
        if (auto session = weak.lock()) open.push_back(std::move(session));
      }
    }
    for (auto& session : open) session->abort_now();
    impl->ioc->stop();
  });
  if (impl->thread.joinable()) impl->thread.join();
  // Sessions share ownership of the io_context, and the io_context's pending handlers own the
  // sessions: run the handlers the aborts completed so that cycle is released.
  impl->ioc->restart();
  impl->ioc->poll();
}

std::vector<std::shared_ptr<WebSocketSession>> HttpServer::websocket_sessions() const {
  std::vector<std::shared_ptr<WebSocketSession>> out;
  std::lock_guard lock(impl_->sessions_mutex);
  for (const auto& [id, weak] : impl_->sessions) {
    if (auto session = weak.lock(); session && session->is_open())
      out.push_back(std::move(session));
  }
  return out;
}

}  // namespace galfriday::net
