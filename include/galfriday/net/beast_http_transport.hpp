#pragma once
// BeastHttpTransport: the HttpTransport over Boost.Beast, for plain HTTP and HTTPS (OpenSSL).
//
// - HTTPS verifies the server certificate against the system CA store (or only against
//   `ca_file` when one is given, which is how tests trust a self-signed loopback server),
//   sends SNI and checks the host name (DNS name or IP address) against the certificate.
// - The timeout passed to send() covers the whole exchange: resolve, connect, TLS handshake,
//   writing the request and reading the complete response.
// - Connections are kept alive and reused per (scheme, host, port). A pooled connection that
//   the server closed while idle is detected and dropped before use. When a reused connection
//   still fails before any response byte arrives, a GET is retried once on a new connection;
//   a POST is not (its side effect may have happened) and fails with kUnavailable.
// - Thread-safe: concurrent send() calls use different connections; the pool is guarded by a
//   mutex. Each connection runs its own I/O context on the calling thread, so no background
//   thread exists.
//
// Failure codes are those of HttpTransport::send (http.hpp); messages name the URL and the
// step that failed ("connecting to 127.0.0.1:8086: Connection refused").

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "galfriday/net/http.hpp"

namespace galfriday::net {

struct BeastHttpTransportOptions {
  // A response whose body is larger than this fails with kResourceExhausted.
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  // PEM file of the CA certificates to trust instead of the system store; empty = system store.
  std::string ca_file;
  // Idle connections kept per (scheme, host, port); 0 disables keep-alive reuse.
  std::size_t max_idle_connections_per_host = 4;
  // An idle connection older than this is closed instead of reused (servers drop idle
  // connections after some seconds; reusing one then costs a failed request).
  std::chrono::milliseconds max_idle_time{30'000};
  // Sent when the request carries no User-Agent of its own (Kraken asks for one).
  std::string user_agent = "galfriday/0.1";
};

class BeastHttpTransport final : public HttpTransport {
 public:
  // Fails with kInvalidArgument when ca_file cannot be loaded, kInternal when OpenSSL cannot
  // set up a TLS context.
  static Result<std::unique_ptr<BeastHttpTransport>> create(BeastHttpTransportOptions options = {});
  ~BeastHttpTransport() override;

  BeastHttpTransport(const BeastHttpTransport&) = delete;
  BeastHttpTransport& operator=(const BeastHttpTransport&) = delete;

  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request,
                                          std::chrono::milliseconds timeout) override;

  // Connections currently idle in the pool (all hosts). For tests of connection reuse.
  std::size_t idle_connections() const;
  // New connections opened since creation. For tests of connection reuse.
  std::size_t connections_opened() const;

 private:
  struct Impl;
  explicit BeastHttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The parts of an absolute http(s) URL. Exposed for tests and for callers that build URLs.
struct HttpUrl {
  bool tls = false;    // https
  std::string host;    // "api.kraken.com", "127.0.0.1", "::1" (without brackets)
  uint16_t port = 0;   // explicit or the scheme's default (80, 443)
  std::string target;  // path and query, "/0/public/Time?x=1"; "/" when the URL has none
};

// Parses "http[s]://host[:port][/path][?query]". kInvalidArgument naming the problem for an
// unknown scheme, an empty host, a bad port, user info, a fragment, or whitespace/control
// characters.
Result<HttpUrl> parse_http_url(std::string_view url);

}  // namespace galfriday::net
