#pragma once
// HttpTransport: the one interface every HTTP user in the system goes through (Kraken REST
// public and private, InfluxDB writes, the historical data service). The Beast implementation
// (BeastHttpTransport, src/net) does plain HTTP and HTTPS with OpenSSL; tests use fakes or the
// loopback Kraken simulator. Beast headers never appear here, so including this is cheap.
//
// Failure codes of send():
//   kInvalidArgument    the URL or request is malformed
//   kUnavailable        connect/resolve/TLS failure, connection reset: the request was not
//                       delivered, or it is unknown whether it was (see below)
//   kDeadlineExceeded   no complete response within the timeout: the outcome is unknown
//   kResourceExhausted  the response exceeded the body limit
// Any HTTP status (including 4xx/5xx) is a successful send(): the caller interprets it.
// A caller that must not repeat a side effect (AddOrder) treats kUnavailable after the request
// was written and kDeadlineExceeded as "outcome unknown" and queries before retrying.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday::net {

enum class HttpMethod { kGet, kPost };

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  // Absolute URL: "https://api.kraken.com/0/public/Time?pair=XBTUSD",
  // "http://127.0.0.1:8086/write?db=x".
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;  // 200, 404, ...
  std::vector<HttpHeader> headers;
  std::string body;

  // Case-insensitive lookup; empty when absent.
  std::string header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Blocking; thread-safe unless an implementation says otherwise. Never throws.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request,
                                                  std::chrono::milliseconds timeout) = 0;
};

}  // namespace galfriday::net
