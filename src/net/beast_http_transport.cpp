#include "galfriday/net/beast_http_transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

namespace galfriday::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

// ---- URL ----------------------------------------------------------------------------------

Result<HttpUrl> parse_http_url(std::string_view url) {
  const auto fail = [&](std::string_view why) {
    return invalid_argument("malformed URL '" + std::string(url) + "': " + std::string(why));
  };
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail("contains whitespace or a control character");
  }
  HttpUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    out.port = 443;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.port = 80;
    rest = url.substr(7);
  } else {
    return fail("the scheme must be http:// or https://");
  }
  if (rest.find('#') != std::string_view::npos) return fail("fragments (#) are not sent over HTTP");
  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return fail("user info (user@host) is not supported");
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return fail("empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return fail("empty port");
    }
  }
  if (out.host.empty()) return fail("empty host");
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return fail("port '" + std::string(port_text) + "' is not a number in 1..65535");
    out.port = static_cast<uint16_t>(value);
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

// ---- Connections --------------------------------------------------------------------------

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct HostKey {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  friend bool operator<(const HostKey& a, const HostKey& b) {
    return std::tie(a.tls, a.host, a.port) < std::tie(b.tls, b.host, b.port);
  }
};

std::string describe(const HostKey& key) {
  const bool ipv6 = key.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + key.host + "]" : key.host) + ":" + std::to_string(key.port);
}

// One TCP (and maybe TLS) connection with the I/O context that drives it. Used by one thread
// at a time: the pool hands it out exclusively.
struct Connection {
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since{};

  tcp::socket& socket() { return tls ? beast::get_lowest_layer(*tls).socket() : plain->socket(); }

  void close() {
    if (!tls && !plain) return;
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  // An idle keep-alive connection is usable only if nothing is readable on it: readable bytes
  // or EOF mean the server closed it (or sent something we did not ask for).
  bool looks_alive() {
    if (!socket().is_open() || buffer.size() != 0) return false;
    error_code ec;
    socket().non_blocking(true, ec);
    if (ec) return false;
    char byte = 0;
    socket().receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    const bool would_block = ec == asio::error::would_block || ec == asio::error::try_again;
    error_code restore;
    socket().non_blocking(false, restore);
    return would_block && !restore;
  }
};

// Runs the asynchronous operation `start` begins on the connection's I/O context until it
// completes or the deadline passes. On the deadline `abort` cancels the operation (closing the
// connection by default, which leaves it unusable) and nullopt is returned.
template <typename Start, typename Abort>
std::optional<error_code> run_until(Connection& connection, SteadyClock::time_point deadline,
                                    Start&& start, Abort&& abort) {
  std::optional<error_code> result;
  start([&result](error_code ec) { result = ec; });
  connection.ioc.restart();
  while (!result && SteadyClock::now() < deadline) {
    if (connection.ioc.run_one_until(deadline) == 0 && connection.ioc.stopped()) break;
  }
  if (result) return result;
  abort();
  connection.ioc.restart();
  connection.ioc.run();  // lets the aborted handlers finish before anything is destroyed
  return std::nullopt;
}

template <typename Start>
std::optional<error_code> run_until(Connection& connection, SteadyClock::time_point deadline,
                                    Start&& start) {
  return run_until(connection, deadline, std::forward<Start>(start),
                   [&connection] { connection.close(); });
}

bool is_body_limit(const error_code& ec) { return ec == http::error::body_limit; }

std::string ssl_error_text(const error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    char buffer[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buffer, sizeof buffer);
    text = buffer;
  }
  return text;
}

}  // namespace

struct BeastHttpTransport::Impl {
  BeastHttpTransportOptions options;
  ssl::context tls_context{ssl::context::tls_client};
  mutable std::mutex mutex;
  std::map<HostKey, std::deque<std::unique_ptr<Connection>>> idle;  // newest at the back
  std::atomic<size_t> opened{0};

  std::unique_ptr<Connection> take_idle(const HostKey& key) {
    std::lock_guard lock(mutex);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& queue = it->second;
    const auto now = SteadyClock::now();
    while (!queue.empty()) {
      auto connection = std::move(queue.back());
      queue.pop_back();
      if (now - connection->idle_since <= options.max_idle_time && connection->looks_alive())
        return connection;
      connection->close();
    }
    return nullptr;
  }

  void give_back(const HostKey& key, std::unique_ptr<Connection> connection) {
    if (options.max_idle_connections_per_host == 0) return;
    connection->idle_since = SteadyClock::now();
    std::lock_guard lock(mutex);
    auto& queue = idle[key];
    queue.push_back(std::move(connection));
    while (queue.size() > options.max_idle_connections_per_host) queue.pop_front();
  }

  // Resolves, connects and (for https) does the TLS handshake.
  Result<std::unique_ptr<Connection>> open(const HostKey& key, const std::string& url,
                                           SteadyClock::time_point deadline) {
    auto connection = std::make_unique<Connection>();
    const std::string where = describe(key);
    tcp::resolver resolver(connection->ioc);
    tcp::resolver::results_type endpoints;
    auto resolved = run_until(
        *connection, deadline,
        [&](auto done) {
          resolver.async_resolve(key.host, std::to_string(key.port),
                                 [&endpoints, done](error_code ec, tcp::resolver::results_type r) {
                                   endpoints = std::move(r);
                                   done(ec);
                                 });
        },
        [&resolver] { resolver.cancel(); });
    if (!resolved) {
      return Status(StatusCode::kDeadlineExceeded,
                    "resolving " + key.host + " for " + url + ": timed out");
    }
    if (*resolved)
      return unavailable("resolving " + key.host + " for " + url + ": " + resolved->message());

    if (key.tls) {
      connection->tls = std::make_unique<TlsStream>(connection->ioc, tls_context);
    } else {
      connection->plain = std::make_unique<beast::tcp_stream>(connection->ioc);
    }
    beast::tcp_stream& lowest =
        key.tls ? beast::get_lowest_layer(*connection->tls) : *connection->plain;
    auto connected = run_until(*connection, deadline, [&](auto done) {
      lowest.async_connect(endpoints, [done](error_code ec, const tcp::endpoint&) { done(ec); });
    });
    if (!connected)
      return Status(StatusCode::kDeadlineExceeded,
                    "connecting to " + where + " for " + url + ": timed out");
    if (*connected)
      return unavailable("connecting to " + where + " for " + url + ": " + connected->message());
    opened.fetch_add(1, std::memory_order_relaxed);

    if (key.tls) {
      TlsStream& stream = *connection->tls;
      // SNI, so servers hosting several names present the right certificate.
      if (!SSL_set_tlsext_host_name(stream.native_handle(), key.host.c_str()))
        return unavailable("TLS with " + where + ": cannot set SNI host name");
      stream.set_verify_mode(ssl::verify_peer);
      stream.set_verify_callback(ssl::host_name_verification(key.host));
      auto handshake = run_until(*connection, deadline, [&](auto done) {
        stream.async_handshake(ssl::stream_base::client, done);
      });
      if (!handshake)
        return Status(StatusCode::kDeadlineExceeded,
                      "TLS handshake with " + where + " for " + url + ": timed out");
      if (*handshake)
        return unavailable("TLS handshake with " + where + " for " + url + ": " +
                           ssl_error_text(*handshake));
    }
    return connection;
  }

  // What one attempt on one connection produced.
  struct Attempt {
    Result<HttpResponse> response = Status(StatusCode::kInternal, "not attempted");
    bool nothing_received = false;  // failed before any response byte (a retry candidate)
    bool keep_alive = false;
  };

  Attempt exchange(Connection& connection, const HostKey& key, const HttpUrl& url,
                   const HttpRequest& request, SteadyClock::time_point deadline) {
    Attempt attempt;
    const std::string where = describe(key);
    http::request<http::string_body> message;
    message.method(request.method == HttpMethod::kPost ? http::verb::post : http::verb::get);
    message.target(url.target);
    message.version(11);
    const bool default_port = url.port == (url.tls ? 443 : 80);
    const bool ipv6 = url.host.find(':') != std::string::npos;
    const std::string host_header = (ipv6 ? "[" + url.host + "]" : url.host) +
                                    (default_port ? "" : ":" + std::to_string(url.port));
    message.set(http::field::host, host_header);
    message.set(http::field::user_agent, options.user_agent);
    for (const auto& header : request.headers) message.set(header.name, header.value);
    message.keep_alive(options.max_idle_connections_per_host > 0);
    message.body() = request.body;
    if (request.method == HttpMethod::kPost || !request.body.empty()) message.prepare_payload();

    auto write_done = run_until(connection, deadline, [&](auto done) {
      const auto handler = [done](error_code ec, size_t) { done(ec); };
      if (connection.tls) {
        http::async_write(*connection.tls, message, handler);
      } else {
        http::async_write(*connection.plain, message, handler);
      }
    });
    if (!write_done) {
      attempt.response =
          Status(StatusCode::kDeadlineExceeded, "sending " + request.url +
                                                    ": timed out while writing the "
                                                    "request; it may have been delivered");
      return attempt;
    }
    if (*write_done) {
      attempt.nothing_received = true;
      attempt.response = unavailable("sending " + request.url + " to " + where + ": " +
                                     write_done->message() + " (request not fully written)");
      return attempt;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    // The header first: Beast 1.74 does not apply body_limit to a Content-Length body, so the
    // announced length is checked here before any of the body is read.
    bool header_only = true;
    const auto read_some = [&](auto done) {
      const auto handler = [done](error_code ec, size_t) { done(ec); };
      if (connection.tls) {
        if (header_only) {
          http::async_read_header(*connection.tls, connection.buffer, parser, handler);
        } else {
          http::async_read(*connection.tls, connection.buffer, parser, handler);
        }
      } else if (header_only) {
        http::async_read_header(*connection.plain, connection.buffer, parser, handler);
      } else {
        http::async_read(*connection.plain, connection.buffer, parser, handler);
      }
    };
    auto read_done = run_until(connection, deadline, read_some);
    if (read_done && !*read_done) {
      if (parser.content_length() && *parser.content_length() > options.max_body_bytes)
        read_done = http::make_error_code(http::error::body_limit);
    }
    if (read_done && !*read_done && !parser.is_done()) {
      header_only = false;
      read_done = run_until(connection, deadline, read_some);
    }
    if (read_done && !*read_done && parser.get().body().size() > options.max_body_bytes)
      read_done = http::make_error_code(http::error::body_limit);
    if (!read_done) {
      attempt.response =
          Status(StatusCode::kDeadlineExceeded, "waiting for the response to " + request.url +
                                                    ": timed out after the request "
                                                    "was sent; the outcome is unknown");
      return attempt;
    }
    if (*read_done) {
      if (is_body_limit(*read_done)) {
        attempt.response = Status(StatusCode::kResourceExhausted,
                                  "response to " + request.url + " exceeds the body limit of " +
                                      std::to_string(options.max_body_bytes) + " bytes");
        return attempt;
      }
      attempt.nothing_received = !parser.got_some();
      attempt.response = unavailable("reading the response to " + request.url + " from " + where +
                                     ": " + ssl_error_text(*read_done) +
                                     "; the request was sent, the outcome is unknown");
      return attempt;
    }
    auto& parsed = parser.get();
    HttpResponse response;
    response.status = static_cast<int>(parsed.result_int());
    for (const auto& field : parsed)
      response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    response.body = std::move(parsed.body());
    attempt.keep_alive = parsed.keep_alive() && !parser.need_eof();
    attempt.response = std::move(response);
    return attempt;
  }
};

BeastHttpTransport::BeastHttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BeastHttpTransport::~BeastHttpTransport() = default;

Result<std::unique_ptr<BeastHttpTransport>> BeastHttpTransport::create(
    BeastHttpTransportOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  error_code ec;
  impl->tls_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                    ssl::context::no_tlsv1_1,
                                ec);
  if (ec) return internal_error("TLS context options: " + ec.message());
  if (impl->options.ca_file.empty()) {
    impl->tls_context.set_default_verify_paths(ec);
    if (ec) return internal_error("loading the system CA store: " + ec.message());
  } else {
    impl->tls_context.load_verify_file(impl->options.ca_file, ec);
    if (ec)
      return invalid_argument("loading CA file '" + impl->options.ca_file +
                              "': " + ssl_error_text(ec));
  }
  impl->tls_context.set_verify_mode(ssl::verify_peer, ec);
  if (ec) return internal_error("TLS verify mode: " + ec.message());
  return std::unique_ptr<BeastHttpTransport>(new BeastHttpTransport(std::move(impl)));
}

Result<HttpResponse> BeastHttpTransport::send(const HttpRequest& request,
                                              std::chrono::milliseconds timeout) {
  auto url = parse_http_url(request.url);
  if (!url) return url.status();
  for (const auto& header : request.headers) {
    if (header.name.empty() || header.name.find_first_of(":\r\n") != std::string::npos ||
        header.value.find_first_of("\r\n") != std::string::npos)
      return invalid_argument("request to " + request.url + ": malformed header '" + header.name +
                              "'");
  }
  const auto deadline = SteadyClock::now() + timeout;
  const HostKey key{url->tls, url->host, url->port};

  // A pooled connection may still die under us (the server closed it as we wrote); a GET is
  // then repeated once on a fresh connection.
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Connection> connection = round == 0 ? impl_->take_idle(key) : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) {
      auto opened = impl_->open(key, request.url, deadline);
      if (!opened) return opened.status();
      connection = std::move(opened).value();
    }
    auto attempt = impl_->exchange(*connection, key, *url, request, deadline);
    if (attempt.response.is_ok()) {
      if (attempt.keep_alive) {
        impl_->give_back(key, std::move(connection));
      } else {
        connection->close();
      }
      return std::move(attempt.response);
    }
    connection->close();
    const bool retry = reused && attempt.nothing_received && request.method == HttpMethod::kGet &&
                       attempt.response.status().code() == StatusCode::kUnavailable;
    if (!retry) return std::move(attempt.response);
  }
  return internal_error("unreachable: retry loop of BeastHttpTransport::send");
}

std::size_t BeastHttpTransport::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  size_t total = 0;
  for (const auto& [key, queue] : impl_->idle) total += queue.size();
  return total;
}

std::size_t BeastHttpTransport::connections_opened() const {
  return impl_->opened.load(std::memory_order_relaxed);
}

}  // namespace galfriday::net
