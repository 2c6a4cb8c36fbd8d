#include "galfriday/live/request_verifier.hpp"

#include <gtest/gtest.h>

namespace galfriday::live {
namespace {

// Kraken's documented example (rest_auth_test_vector.txt).
constexpr std::string_view kSecret =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
constexpr std::string_view kPath = "/0/private/AddOrder";
constexpr std::string_view kBody =
    "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
constexpr std::string_view kSign =
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";

std::vector<net::HttpHeader> headers(std::string_view key, std::string_view sign) {
  return {{"API-Key", std::string(key)}, {"API-Sign", std::string(sign)}};
}

TEST(PrivateRequestVerifier, AcceptsKrakensDocumentedRequestOnceAndRefusesItsReplay) {
  auto verifier = PrivateRequestVerifier::create("key", kSecret).value();
  EXPECT_EQ(verifier.verify(kPath, headers("key", kSign), kBody), std::nullopt);
  EXPECT_EQ(verifier.last_nonce(), 1616492376594u);
  // The identical request again: the nonce is not above the last accepted one.
  EXPECT_EQ(verifier.verify(kPath, headers("key", kSign), kBody), "EAPI:Invalid nonce");
}

TEST(PrivateRequestVerifier, AnswersWithKrakensErrorStringsInKrakensOrder) {
  auto verifier = PrivateRequestVerifier::create("key", kSecret).value();
  EXPECT_EQ(verifier.verify(kPath, headers("other-key", kSign), kBody), "EAPI:Invalid key");
  std::string tampered(kBody);
  tampered.back() = '6';  // volume 1.26: the signature no longer matches
  EXPECT_EQ(verifier.verify(kPath, headers("key", kSign), tampered), "EAPI:Invalid signature");
  EXPECT_EQ(verifier.verify("/0/private/CancelOrder", headers("key", kSign), kBody),
            "EAPI:Invalid signature");
  EXPECT_EQ(verifier.verify(kPath, headers("key", kSign), "ordertype=limit"), "EAPI:Invalid nonce");
  EXPECT_EQ(verifier.last_nonce(), 0u) << "refused requests do not move the nonce";
  // Header names are case-insensitive in HTTP.
  EXPECT_EQ(verifier.verify(kPath, {{"api-key", "key"}, {"api-sign", std::string(kSign)}}, kBody),
            std::nullopt);
}

TEST(PrivateRequestVerifier, ALowerNonceWithAValidSignatureIsRefused) {
  const RequestSigner signer = RequestSigner::create(kSecret).value();
  auto verifier = PrivateRequestVerifier::create("key", kSecret).value();
  const std::string newer = "nonce=200&x=1";
  const std::string older = "nonce=100&x=1";
  EXPECT_EQ(verifier.verify(kPath, headers("key", signer.sign(kPath, "200", newer)), newer),
            std::nullopt);
  EXPECT_EQ(verifier.verify(kPath, headers("key", signer.sign(kPath, "100", older)), older),
            "EAPI:Invalid nonce");
}

}  // namespace
}  // namespace galfriday::live
