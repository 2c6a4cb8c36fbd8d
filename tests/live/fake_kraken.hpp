#pragma once
// FakeKrakenTransport: an HttpTransport that answers private REST calls from a script, and
// checks every request the way Kraken does first (PrivateRequestVerifier: API-Key, API-Sign
// over the exact body, a nonce above the last accepted one). A request failing a check gets
// Kraken's own error ("EAPI:Invalid signature", "EAPI:Invalid nonce"), so a signing or nonce
// bug fails the test that made the call.

#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "galfriday/live/request_verifier.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::live::test_support {

inline std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      out.push_back(static_cast<char>(value));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

inline std::vector<std::pair<std::string, std::string>> form_decode(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const size_t eq = pair.find('=');
    params.emplace_back(percent_decode(pair.substr(0, eq)),
                        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return params;
}

struct RecordedRequest {
  std::string method;  // "AddOrder"
  std::vector<std::pair<std::string, std::string>> params;
  std::string body;
  bool authenticated = false;

  std::string param(const std::string& name) const {
    for (const auto& [key, value] : params) {
      if (key == name) return value;
    }
    return {};
  }
};

class FakeKrakenTransport final : public net::HttpTransport {
 public:
  FakeKrakenTransport(std::string api_key, const std::string& secret)
      : verifier_(PrivateRequestVerifier::create(std::move(api_key), secret).value()) {}

  // The next call of `method` gets this body with HTTP 200.
  void answer(const std::string& method, std::string body) {
    std::lock_guard lock(mutex_);
    script_[method].push_back(Scripted{net::HttpResponse{200, {}, std::move(body)}});
  }
  // The next call of `method` gets this transport failure (after passing the checks, so a
  // timeout here models "Kraken got it, the answer was lost").
  void fail(const std::string& method, Status status) {
    std::lock_guard lock(mutex_);
    script_[method].push_back(Scripted{std::move(status)});
  }
  void answer_http(const std::string& method, int http_status, std::string body) {
    std::lock_guard lock(mutex_);
    script_[method].push_back(Scripted{net::HttpResponse{http_status, {}, std::move(body)}});
  }

  Result<net::HttpResponse> send(const net::HttpRequest& request,
                                 std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    RecordedRequest recorded;
    const size_t slash = request.url.rfind('/');
    recorded.method = request.url.substr(slash + 1);
    recorded.body = request.body;
    recorded.params = form_decode(request.body);
    const std::string path = "/0/private/" + recorded.method;
    if (request.url.find(path) == std::string::npos) {
      return net::HttpResponse{404, {}, "not a private path"};
    }
    if (auto error = verifier_.verify(path, request.headers, request.body)) {
      requests.push_back(recorded);
      return net::HttpResponse{200, {}, R"({"error":[")" + *error + R"("]})"};
    }
    recorded.authenticated = true;
    requests.push_back(recorded);
    auto& queue = script_[recorded.method];
    if (queue.empty()) {
      return net::HttpResponse{200, {}, R"({"error":["EGeneral:Invalid arguments:unscripted"]})"};
    }
    Scripted next = std::move(queue.front());
    queue.pop_front();
    return std::move(next.response);
  }

  int count(const std::string& method) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& request : requests) n += request.method == method ? 1 : 0;
    return n;
  }
  size_t pending(const std::string& method) const {
    std::lock_guard lock(mutex_);
    auto it = script_.find(method);
    return it == script_.end() ? 0 : it->second.size();
  }

  std::vector<RecordedRequest> requests;

 private:
  struct Scripted {
    Result<net::HttpResponse> response;
  };
  mutable std::mutex mutex_;
  PrivateRequestVerifier verifier_;
  std::map<std::string, std::deque<Scripted>> script_;
};

}  // namespace galfriday::live::test_support
