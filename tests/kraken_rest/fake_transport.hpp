#pragma once
// An HttpTransport for tests: answers with a handler and records every request.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "galfriday/net/http.hpp"

namespace galfriday::kraken_rest::test_support {

class FakeTransport final : public net::HttpTransport {
 public:
  using Handler = std::function<Result<net::HttpResponse>(const net::HttpRequest&)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}

  Result<net::HttpResponse> send(const net::HttpRequest& request,
                                 std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return handler_(request);
  }

  std::vector<net::HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  Handler handler_;
  mutable std::mutex mutex_;
  std::vector<net::HttpRequest> requests_;
};

inline net::HttpResponse ok_response(std::string body) {
  net::HttpResponse response;
  response.status = 200;
  response.body = std::move(body);
  return response;
}

}  // namespace galfriday::kraken_rest::test_support
