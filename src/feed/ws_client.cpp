// WsClient on Boost.Beast. Each connection attempt is a Connection object templated on the
// stream type (plain TCP or TLS); the client owns at most one at a time and replaces it after
// a backoff when it ends.

#include "galfriday/feed/ws_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace galfriday::feed {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

Result<WsUrl> parse_ws_url(std::string_view url) {
  WsUrl out;
  std::string_view rest;
  if (url.starts_with("wss://")) {
    out.secure = true;
    rest = url.substr(6);
  } else if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else {
    return invalid_argument("websocket url '" + std::string(url) +
                            "' must start with ws:// or wss://");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  std::string_view host = authority;
  out.port = out.secure ? 443 : 80;
  if (colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view port_text = authority.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return invalid_argument("websocket url '" + std::string(url) + "' has a bad port '" +
                              std::string(port_text) + "'");
    }
    out.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return invalid_argument("websocket url '" + std::string(url) + "' has no host");
  out.host = std::string(host);
  return out;
}

Duration backoff_delay(const ReconnectPolicy& policy, int failures, double unit_random) {
  const double min_ns = static_cast<double>(policy.min_backoff.count());
  const double max_ns = static_cast<double>(policy.max_backoff.count());
  const int doublings = std::clamp(failures - 1, 0, 62);
  const double base = std::min(max_ns, min_ns * std::ldexp(1.0, doublings));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  return Duration(static_cast<int64_t>(base * (1.0 - jitter * std::clamp(unit_random, 0.0, 1.0))));
}

namespace {

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  virtual void send(std::string text) = 0;  // I/O thread
  virtual void close() = 0;                 // I/O thread
};

}  // namespace

struct WsClient::Impl {
  WsClientOptions options;
  WsUrl url;
  const Clock& clock;
  WsClientListener& listener;

  asio::io_context ioc{1};
  ssl::context tls{ssl::context::tls_client};
  asio::steady_timer retry_timer{ioc};
  // Keeps run() going between connections; stop() releases it.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_guard{
      asio::make_work_guard(ioc)};
  std::thread thread;
  // Set when the I/O thread's run() has returned, for stop()'s bounded wait.
  std::mutex run_mutex;
  std::condition_variable run_returned_changed;
  bool run_returned = false;
  std::mt19937_64 jitter_random;

  std::shared_ptr<ConnectionBase> connection;  // I/O thread
  int consecutive_failures = 0;                // I/O thread
  bool stopping = false;                       // I/O thread
  std::atomic<bool> connected{false};
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};

  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> disconnects{0};
  std::atomic<uint64_t> frames_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> oversized_frames{0};
  std::atomic<uint64_t> frames_sent{0};

  Impl(WsClientOptions opts, WsUrl parsed, const Clock& c, WsClientListener& l)
      : options(std::move(opts)),
        url(std::move(parsed)),
        clock(c),
        listener(l),
        jitter_random(options.jitter_seed) {}

  void connect();
  // A connection ended: `established` says whether its handshake had completed.
  void on_connection_ended(ConnectionBase* which, bool established, const Status& reason);
};

namespace {

template <typename Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <typename... StreamArgs>
  Connection(WsClient::Impl& client, StreamArgs&&... args)
      : client_(client), resolver_(client.ioc), ws_(std::forward<StreamArgs>(args)...) {}

  void start() override {
    resolver_.async_resolve(client_.url.host, std::to_string(client_.url.port),
                            [self = this->shared_from_this()](beast::error_code error,
                                                              tcp::resolver::results_type results) {
                              // close() between a step's completion and its handler: stop.
                              if (!error && self->closing_) error = asio::error::operation_aborted;
                              if (error)
                                return self->fail("resolve " + self->client_.url.host, error);
                              self->on_resolved(results);
                            });
  }

  void send(std::string text) override {
    if (!established_ || closing_) return;
    outbox_.push_back(std::move(text));
    if (!writing_) do_write();
  }

  void close() override {
    if (ended_) return;
    closing_ = true;
    if (!established_) {
      resolver_.cancel();
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](beast::error_code) {
                      beast::error_code ignored;
                      beast::get_lowest_layer(self->ws_).socket().close(ignored);
                    });
  }

 private:
  static constexpr bool kSecure = !std::is_same_v<Stream, websocket::stream<beast::tcp_stream>>;

  void on_resolved(const tcp::resolver::results_type& results) {
    auto& lowest = beast::get_lowest_layer(ws_);
    lowest.expires_after(client_.options.handshake_timeout);
    lowest.async_connect(
        results, [self = this->shared_from_this()](beast::error_code error, const tcp::endpoint&) {
          if (!error && self->closing_) error = asio::error::operation_aborted;
          if (error) return self->fail("connect to " + self->where(), error);
          // Subscriptions and pings are small: send them without waiting for Nagle's algorithm.
          beast::error_code ignored;
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ignored);
          if constexpr (kSecure) {
            self->tls_handshake();
          } else {
            self->ws_handshake();
          }
        });
  }

  void tls_handshake() {
    if constexpr (kSecure) {
      auto& tls_stream = ws_.next_layer();
      // SNI: Kraken's endpoints sit behind a CDN that needs the host name to pick a
      // certificate.
      if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), client_.url.host.c_str())) {
        return fail("TLS SNI for " + client_.url.host,
                    beast::error_code(static_cast<int>(::ERR_get_error()),
                                      asio::error::get_ssl_category()));
      }
      tls_stream.set_verify_mode(ssl::verify_peer);
      // Called once per certificate of the chain, during the handshake (this connection is
      // alive then: the handshake's handler holds it).
      tls_stream.set_verify_callback([this, check = ssl::host_name_verification(client_.url.host)](
                                         bool preverified, ssl::verify_context& context) mutable {
        return verify_certificate(check, preverified, context);
      });
      tls_stream.async_handshake(
          ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code error) {
            if (!error && self->closing_) error = asio::error::operation_aborted;
            if (error) {
              const std::string step = self->verify_failure_.empty()
                                           ? std::string("TLS handshake")
                                           : "TLS handshake (" + self->verify_failure_ + ")";
              return self->fail(step, error);
            }
            self->ws_handshake();
          });
    }
  }

  // OpenSSL's chain verification, then the host name check on the server's own certificate;
  // records which of them failed, as OpenSSL only reports "certificate verify failed".
  bool verify_certificate(ssl::host_name_verification& check, bool preverified,
                          ssl::verify_context& context) {
    X509_STORE_CTX* store = context.native_handle();
    if (!preverified) {
      const int error = X509_STORE_CTX_get_error(store);
      verify_failure_ = "the server certificate is not trusted: " +
                        std::string(X509_verify_cert_error_string(error)) + " at chain depth " +
                        std::to_string(X509_STORE_CTX_get_error_depth(store));
      return false;
    }
    if (!check(preverified, context)) {
      verify_failure_ =
          "the server certificate is not valid for the host name '" + client_.url.host + "'";
      return false;
    }
    return true;
  }

  void ws_handshake() {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = client_.options.handshake_timeout;
    timeout.idle_timeout = client_.options.idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(client_.options.max_frame_bytes);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, "galfriday");
    }));
    const bool default_port = client_.url.port == (kSecure ? 443 : 80);
    const std::string host =
        default_port ? client_.url.host : client_.url.host + ":" + std::to_string(client_.url.port);
    ws_.async_handshake(host, client_.url.target,
                        [self = this->shared_from_this()](beast::error_code error) {
                          // close() may have run after the handshake completed and before
                          // this handler: the connection is over, not established. (Each
                          // step of the set-up checks this the same way.)
                          if (!error && self->closing_) error = asio::error::operation_aborted;
                          if (error) return self->fail("websocket handshake", error);
                          self->established_ = true;
                          self->client_.connected = true;
                          self->client_.consecutive_failures = 0;
                          const uint64_t number = self->client_.connects.fetch_add(1) + 1;
                          self->client_.listener.on_connected(number);
                          self->do_read();
                        });
  }

  void do_read() {
    ws_.async_read(
        buffer_, [self = this->shared_from_this()](beast::error_code error, size_t bytes) {
          if (error) {
            if (error == websocket::error::message_too_big) self->client_.oversized_frames++;
            return self->fail("read", error);
          }
          const Timestamp received = self->client_.clock.now();
          if (self->ws_.got_text()) {
            self->client_.frames_received++;
            self->client_.bytes_received += bytes;
            const auto data = self->buffer_.cdata();
            self->client_.listener.on_text(
                std::string_view(static_cast<const char*>(data.data()), data.size()), received);
          }
          self->buffer_.consume(self->buffer_.size());
          if (!self->ended_) self->do_read();
        });
  }

  void do_write() {
    if (outbox_.empty() || closing_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = this->shared_from_this()](beast::error_code error, size_t) {
                      if (error) {
                        self->writing_ = false;
                        return self->fail("write", error);
                      }
                      self->client_.frames_sent++;
                      self->outbox_.pop_front();
                      self->do_write();
                    });
  }

  std::string where() const {
    return (kSecure ? "wss://" : "ws://") + client_.url.host + ":" +
           std::to_string(client_.url.port) + client_.url.target;
  }

  void fail(const std::string& step, const beast::error_code& error) {
    if (ended_) return;
    ended_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    client_.on_connection_ended(
        this, established_,
        unavailable("websocket " + where() + ": " + step + " failed: " + error.message()));
  }

  WsClient::Impl& client_;
  tcp::resolver resolver_;
  Stream ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool established_ = false;
  bool closing_ = false;
  bool ended_ = false;
  std::string verify_failure_;  // why certificate verification failed, when it did
};

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace

void WsClient::Impl::connect() {
  if (stopping) return;
  if (url.secure) {
    auto next = std::make_shared<Connection<TlsWs>>(*this, ioc, tls);
    connection = next;
    next->start();
  } else {
    auto next = std::make_shared<Connection<PlainWs>>(*this, ioc);
    connection = next;
    next->start();
  }
}

void WsClient::Impl::on_connection_ended(ConnectionBase* which, bool established,
                                         const Status& reason) {
  if (which != connection.get()) return;
  connected = false;
  if (stopping) return;
  if (established) {
    disconnects++;
    listener.on_disconnected(reason);
  } else {
    connect_failures++;
    listener.on_connect_failed(reason);
  }
  ++consecutive_failures;
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_random);
  retry_timer.expires_after(backoff_delay(options.reconnect, consecutive_failures, unit));
  retry_timer.async_wait([this](beast::error_code error) {
    if (!error) connect();
  });
}

Result<std::unique_ptr<WsClient>> WsClient::create(WsClientOptions options, const Clock& clock,
                                                   WsClientListener& listener) {
  auto url = parse_ws_url(options.url);
  if (!url) return url.status();
  if (options.max_frame_bytes == 0) return invalid_argument("max_frame_bytes must be positive");
  if (options.reconnect.min_backoff <= Duration::zero() ||
      options.reconnect.max_backoff < options.reconnect.min_backoff) {
    return invalid_argument("reconnect backoff needs 0 < min <= max");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(*url), clock, listener);
  if (impl->url.secure) {
    beast::error_code error;
    if (impl->options.ca_file.empty()) {
      impl->tls.set_default_verify_paths(error);
      if (error)
        return unavailable("TLS: cannot load the system CA certificates: " + error.message());
    } else {
      impl->tls.load_verify_file(impl->options.ca_file, error);
      if (error) {
        return invalid_argument("TLS: cannot load the CA file '" + impl->options.ca_file +
                                "': " + error.message());
      }
    }
    impl->tls.set_verify_mode(ssl::verify_peer);
  }
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WsClient::~WsClient() { stop(); }

void WsClient::start() {
  if (impl_->started.exchange(true)) return;
  Impl* impl = impl_.get();
  asio::post(impl->ioc, [impl] { impl->connect(); });
  impl->thread = std::thread([impl] {
    impl->ioc.run();
    std::lock_guard lock(impl->run_mutex);
    impl->run_returned = true;
    impl->run_returned_changed.notify_all();
  });
}

bool WsClient::send(std::string text) {
  if (!impl_->connected) return false;
  Impl* impl = impl_.get();
  asio::post(impl->ioc, [impl, text = std::move(text)]() mutable {
    if (impl->connection) impl->connection->send(std::move(text));
  });
  return true;
}

namespace {
// How long stop() lets the connection close gracefully: Kraken answers a close frame within
// milliseconds, so this only bounds a peer that does not.
constexpr auto kStopGrace = std::chrono::seconds(2);
}  // namespace

void WsClient::stop() {
  if (!impl_->started || impl_->stopped.exchange(true)) return;
  Impl* impl = impl_.get();
  // Ends every pending operation: the retry timer is cancelled and the connection closes
  // (its close handshake bounded by the stream's handshake timeout). run() returns once the
  // last handler has run, because the work guard goes too. The client lets go of the
  // connection here, so that it is destroyed when its last operation ends: a WebSocket stream
  // closed during its handshake keeps its own timeout timer waiting for as long as the stream
  // lives, which kept run() (and so stop()) from ever returning.
  asio::post(impl->ioc, [impl] {
    impl->stopping = true;
    impl->connected = false;
    impl->retry_timer.cancel();
    if (impl->connection) impl->connection->close();
    impl->connection.reset();
    impl->work_guard.reset();
  });
  // A peer that never completes the close handshake (or an operation that never ends) must
  // not hold the caller: after kStopGrace the I/O loop is stopped and what is left of the
  // connection is abandoned (destroyed with the client).
  {
    std::unique_lock lock(impl->run_mutex);
    if (!impl->run_returned_changed.wait_for(lock, kStopGrace,
                                             [impl] { return impl->run_returned; })) {
      impl->ioc.stop();
    }
  }
  if (impl->thread.joinable()) impl->thread.join();
  impl->connected = false;
}

bool WsClient::is_connected() const { return impl_->connected; }

WsClientStats WsClient::stats() const {
  WsClientStats out;
  out.connects = impl_->connects;
  out.connect_failures = impl_->connect_failures;
  out.disconnects = impl_->disconnects;
  out.frames_received = impl_->frames_received;
  out.bytes_received = impl_->bytes_received;
  out.oversized_frames = impl_->oversized_frames;
  out.frames_sent = impl_->frames_sent;
  return out;
}

}  // namespace galfriday::feed
