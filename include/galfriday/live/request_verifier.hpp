#pragma once
// PrivateRequestVerifier: the server side of Kraken's private REST authentication, for the
// local Kraken simulator and for tests. It checks a request the way Kraken documents it, in
// Kraken's order, and answers with Kraken's own error strings:
//   - API-Key header equal to the key                    else "EAPI:Invalid key"
//   - API-Sign equal to the signature of the exact body  else "EAPI:Invalid signature"
//   - body's first-class nonce above the last accepted   else "EAPI:Invalid nonce"
// Only an accepted request moves the last nonce. Thread-safe.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/live/signing.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::live {

class PrivateRequestVerifier {
 public:
  // kInvalidArgument when the secret is not base64.
  static Result<PrivateRequestVerifier> create(std::string api_key,
                                               std::string_view api_secret_base64);

  PrivateRequestVerifier(PrivateRequestVerifier&& other) noexcept;

  // nullopt when Kraken would accept the request; otherwise its error string. `uri_path` is the
  // request's path ("/0/private/AddOrder"); `body` the form-encoded body as received.
  std::optional<std::string> verify(std::string_view uri_path,
                                    const std::vector<net::HttpHeader>& headers,
                                    std::string_view body);

  uint64_t last_nonce() const;

 private:
  PrivateRequestVerifier(std::string api_key, RequestSigner signer)
      : api_key_(std::move(api_key)), signer_(std::move(signer)) {}

  std::string api_key_;
  RequestSigner signer_;
  mutable std::mutex mutex_;
  uint64_t last_nonce_ = 0;
};

}  // namespace galfriday::live
