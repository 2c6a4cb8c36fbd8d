#include "galfriday/live/request_verifier.hpp"

#include <strings.h>

#include <charconv>

namespace galfriday::live {
namespace {

constexpr std::string_view kInvalidKey = "EAPI:Invalid key";
constexpr std::string_view kInvalidSignature = "EAPI:Invalid signature";
constexpr std::string_view kInvalidNonce = "EAPI:Invalid nonce";

std::string_view header_value(const std::vector<net::HttpHeader>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (header.name.size() == name.size() &&
        ::strncasecmp(header.name.data(), name.data(), name.size()) == 0) {
      return header.value;
    }
  }
  return {};
}

// The value of the form field `nonce` (digits only, so no percent-decoding is needed).
std::optional<std::string_view> nonce_field(std::string_view body) {
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    if (pair.substr(0, 6) == "nonce=") return pair.substr(6);
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace

Result<PrivateRequestVerifier> PrivateRequestVerifier::create(std::string api_key,
                                                              std::string_view api_secret_base64) {
  auto signer = RequestSigner::create(api_secret_base64);
  if (!signer) return signer.status();
  return PrivateRequestVerifier(std::move(api_key), std::move(*signer));
}

PrivateRequestVerifier::PrivateRequestVerifier(PrivateRequestVerifier&& other) noexcept
    : api_key_(std::move(other.api_key_)),
      signer_(std::move(other.signer_)),
      last_nonce_(other.last_nonce_) {}

std::optional<std::string> PrivateRequestVerifier::verify(
    std::string_view uri_path, const std::vector<net::HttpHeader>& headers, std::string_view body) {
  if (header_value(headers, "API-Key") != api_key_) return std::string(kInvalidKey);
  const auto nonce_text = nonce_field(body);
  if (!nonce_text) return std::string(kInvalidNonce);
  if (signer_.sign(uri_path, *nonce_text, body) != header_value(headers, "API-Sign")) {
    return std::string(kInvalidSignature);
  }
  uint64_t nonce = 0;
  const auto [end, error] =
      std::from_chars(nonce_text->data(), nonce_text->data() + nonce_text->size(), nonce);
  if (error != std::errc() || end != nonce_text->data() + nonce_text->size()) {
    return std::string(kInvalidNonce);
  }
  std::lock_guard lock(mutex_);
  if (nonce <= last_nonce_) return std::string(kInvalidNonce);
  last_nonce_ = nonce;
  return std::nullopt;
}

uint64_t PrivateRequestVerifier::last_nonce() const {
  std::lock_guard lock(mutex_);
  return last_nonce_;
}

}  // namespace galfriday::live
