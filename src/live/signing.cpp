// Kraken API-Sign with OpenSSL's one-shot SHA256 and HMAC (no per-call context allocation).

#include "galfriday/live/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "galfriday/core/encoding.hpp"

namespace galfriday::live {
namespace {

constexpr size_t kHmacSha512Bytes = 64;
// Kraken's private paths are short ("/0/private/CancelAllOrdersAfter" is 30 bytes); longer ones
// take the allocating path.
constexpr size_t kStackMessageBytes = 256;

// SHA-256 of first || second without joining them. One digest context per thread, reused:
// EVP_MD_CTX_new per call would allocate on the order path.
void sha256_of_two(std::string_view first, std::string_view second,
                   unsigned char (&digest)[SHA256_DIGEST_LENGTH]) {
  struct ContextFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), first.data(), first.size());
  EVP_DigestUpdate(ctx.get(), second.data(), second.size());
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  sha256_of_two(bytes, {}, digest);
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (const unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

Result<RequestSigner> RequestSigner::create(std::string_view api_secret_base64) {
  auto key = base64_decode(api_secret_base64);
  if (!key)
    return invalid_argument("Kraken API secret is not valid base64: " + key.status().message());
  if (key->empty()) return invalid_argument("Kraken API secret is empty");
  return RequestSigner(std::move(*key));
}

void RequestSigner::sign_into(std::string_view uri_path, std::string_view nonce_text,
                              std::string_view post_body,
                              std::array<char, kApiSignLength>& out) const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  sha256_of_two(nonce_text, post_body, digest);

  unsigned char stack_message[kStackMessageBytes];
  std::vector<unsigned char> heap_message;
  unsigned char* message = stack_message;
  const size_t message_size = uri_path.size() + SHA256_DIGEST_LENGTH;
  if (message_size > kStackMessageBytes) {
    heap_message.resize(message_size);
    message = heap_message.data();
  }
  std::memcpy(message, uri_path.data(), uri_path.size());
  std::memcpy(message + uri_path.size(), digest, SHA256_DIGEST_LENGTH);

  unsigned char mac[kHmacSha512Bytes];
  unsigned int mac_size = 0;
  HMAC(EVP_sha512(), key_.data(), static_cast<int>(key_.size()), message, message_size, mac,
       &mac_size);
  base64_encode_to(mac, kHmacSha512Bytes, out.data());
}

std::string RequestSigner::sign(std::string_view uri_path, std::string_view nonce_text,
                                std::string_view post_body) const {
  std::array<char, kApiSignLength> out{};
  sign_into(uri_path, nonce_text, post_body, out);
  return std::string(out.data(), out.size());
}

}  // namespace galfriday::live
