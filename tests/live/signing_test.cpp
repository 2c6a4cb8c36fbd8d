// Kraken REST signing against Kraken's documented worked example (the real sample file).

#include "galfriday/live/signing.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "galfriday/core/encoding.hpp"
#include "galfriday/log/logger.hpp"

namespace galfriday::live {
namespace {

// key=value lines of rest_auth_test_vector.txt ('#' lines are comments).
std::map<std::string, std::string> read_vector() {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/rest_auth_test_vector.txt");
  std::map<std::string, std::string> fields;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    fields[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return fields;
}

TEST(Signing, ReproducesKrakenDocumentedExample) {
  const auto vector = read_vector();
  ASSERT_EQ(vector.count("private_key"), 1u) << "sample file not found or changed";
  // post_data itself contains '=' after the first one; the split above keeps everything after
  // the first '=', so the body is intact.
  ASSERT_EQ(vector.at("post_data"),
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25");

  auto signer = RequestSigner::create(vector.at("private_key"));
  ASSERT_TRUE(signer) << signer.status().to_string();
  EXPECT_EQ(signer->sign(vector.at("uri_path"), vector.at("nonce"), vector.at("post_data")),
            vector.at("api_sign"));
  EXPECT_EQ(signer->sign(vector.at("uri_path"), vector.at("nonce"), vector.at("post_data")).size(),
            kApiSignLength);
}

TEST(Signing, IntermediateDigestMatchesProtocolNotes) {
  const auto vector = read_vector();
  EXPECT_EQ(sha256_hex(vector.at("nonce") + vector.at("post_data")),
            "23a1c1b34c6a11d641af0f24684896cb90f66fb991125c83dc357bdc3dc146f1");
}

TEST(Signing, SignIntoEqualsSign) {
  const auto vector = read_vector();
  auto signer = RequestSigner::create(vector.at("private_key"));
  ASSERT_TRUE(signer);
  std::array<char, kApiSignLength> out{};
  signer->sign_into(vector.at("uri_path"), vector.at("nonce"), vector.at("post_data"), out);
  EXPECT_EQ(std::string(out.data(), out.size()), vector.at("api_sign"));
}

TEST(Signing, AnyChangeToPathNonceOrBodyChangesTheSignature) {
  const auto vector = read_vector();
  auto signer = RequestSigner::create(vector.at("private_key"));
  ASSERT_TRUE(signer);
  const std::string expected = vector.at("api_sign");
  EXPECT_NE(signer->sign("/0/private/CancelOrder", vector.at("nonce"), vector.at("post_data")),
            expected);
  EXPECT_NE(signer->sign(vector.at("uri_path"), "1616492376595", vector.at("post_data")), expected);
  EXPECT_NE(signer->sign(vector.at("uri_path"), vector.at("nonce"),
                         "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&"
                         "volume=1.26"),
            expected);
  // A very long path takes the allocating branch and still signs consistently.
  const std::string long_path = "/0/private/" + std::string(400, 'X');
  EXPECT_EQ(signer->sign(long_path, "1", "nonce=1"), signer->sign(long_path, "1", "nonce=1"));
}

TEST(Base64, RoundTripsEveryPaddingLength) {
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = base64_decode(base64_encode(text));
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(*decoded, text);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("f"), "Zg==");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_EQ(base64_decode("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(base64_decode("ab!d").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(base64_decode("a=bc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(base64_decode("====").status().code(), StatusCode::kInvalidArgument);
}

TEST(Signing, BadSecretErrorNeverQuotesTheSecret) {
  const std::string secret = "not*base64*secret/value+with*stars==";
  auto signer = RequestSigner::create(secret);
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer.status().to_string().find(secret), std::string::npos);
  EXPECT_EQ(signer.status().to_string().find("not*base64"), std::string::npos);
}

TEST(Signing, SecretRegisteredWithRedactorNeverSurvivesInALogLine) {
  const auto vector = read_vector();
  logging::SecretRedactor redactor;
  redactor.add_secret(vector.at("private_key"));
  const std::string line = "signing with secret " + vector.at("private_key") +
                           " body=" + percent_encode(vector.at("private_key"));
  const std::string redacted = redactor.redact(line);
  EXPECT_EQ(redacted.find(vector.at("private_key")), std::string::npos);
  EXPECT_EQ(redacted.find(percent_encode(vector.at("private_key"))), std::string::npos);
  EXPECT_NE(redacted.find(logging::SecretRedactor::kPlaceholder), std::string::npos);
}

}  // namespace
}  // namespace galfriday::live
