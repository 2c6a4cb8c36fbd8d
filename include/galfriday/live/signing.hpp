#pragma once
// Kraken REST request signing (docs.kraken.com/api/docs/guides/spot-rest-auth):
//
//   API-Sign = base64( HMAC-SHA512( key = base64_decode(api_secret),
//                                   msg = uri_path || SHA256( nonce || post_body ) ) )
//
// uri_path starts at "/0/private" (no host, no query); post_body is the exact bytes sent,
// including "nonce=..."; SHA256 is the raw 32-byte digest. The signer holds the decoded secret
// and nothing prints it: it has no accessor, and its error messages never quote it.
//
// Thread-safety: a RequestSigner is immutable after construction; sign() may be called from any
// thread concurrently.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "galfriday/core/encoding.hpp"  // base64, as Kraken issues secrets and expects API-Sign
#include "galfriday/core/status.hpp"

namespace galfriday::live {

// Lower-case hex of SHA-256(bytes); for tests and debugging the intermediate digest.
std::string sha256_hex(std::string_view bytes);

// Length of a signature: base64 of 64 bytes.
inline constexpr size_t kApiSignLength = 88;

class RequestSigner {
 public:
  // kInvalidArgument when the secret is not valid base64 or decodes to nothing.
  static Result<RequestSigner> create(std::string_view api_secret_base64);

  // The API-Sign header value for one request. `nonce_text` is the decimal nonce exactly as it
  // appears in the body.
  std::string sign(std::string_view uri_path, std::string_view nonce_text,
                   std::string_view post_body) const;

  // The same, writing the 88 characters into `out` without allocating (the order hot path).
  void sign_into(std::string_view uri_path, std::string_view nonce_text, std::string_view post_body,
                 std::array<char, kApiSignLength>& out) const;

 private:
  explicit RequestSigner(std::string key) : key_(std::move(key)) {}
  std::string key_;  // the decoded secret
};

}  // namespace galfriday::live
