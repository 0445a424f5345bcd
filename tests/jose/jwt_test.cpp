// Tests of ES256 JWT signing, decoding and signature verification.

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/jwt.h"

namespace dpopfleet {
namespace {

TEST(Jwt, SignDecodeVerify) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Result<std::string> token = SignJwt(*key, "at+jwt", "k1", R"({"sub":"agent-1","exp":2000000000})");
  ASSERT_TRUE(token.ok()) << token.error().ToString();

  Result<DecodedJwt> decoded = DecodeJwt(*token);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(decoded->header_json, R"({"alg":"ES256","typ":"at+jwt","kid":"k1"})");
  EXPECT_EQ(decoded->payload_json, R"({"sub":"agent-1","exp":2000000000})");
  EXPECT_EQ(decoded->signature.size(), kEs256SignatureSize);
  EXPECT_EQ(decoded->signing_input, token->substr(0, token->rfind('.')));
  EXPECT_EQ(VerifyJwtSignature(*decoded, key->public_key()), ErrorCode::kOk);

  Result<P256Key> other = P256Key::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifyJwtSignature(*decoded, other->public_key()), ErrorCode::kJwtBadSignature);
}

TEST(Jwt, KidIsOptional) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Result<std::string> token = SignJwt(*key, "JWT", "", "{}");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(DecodeJwt(*token)->header_json, R"({"alg":"ES256","typ":"JWT"})");
}

TEST(Jwt, SignRejectsNonObjectPayload) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Result<std::string> token = SignJwt(*key, "JWT", "", "[1,2]");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Jwt, DecodeRejectsMalformedTokens) {
  const std::string header = Base64UrlEncode(std::string_view(R"({"alg":"ES256"})"));
  const std::string payload = Base64UrlEncode(std::string_view("{}"));
  const std::string kCases[] = {
      "",
      "a.b",
      header + "." + payload,
      header + "." + payload + ".",
      header + "." + payload + ".sig.extra",
      header + "." + Base64UrlEncode(std::string_view("[]")) + ".c2ln",
      Base64UrlEncode(std::string_view("nope")) + "." + payload + ".c2ln",
      header + "." + payload + ".c2ln=",
  };
  for (const std::string& token : kCases) {
    Result<DecodedJwt> decoded = DecodeJwt(token);
    ASSERT_FALSE(decoded.ok()) << token;
    EXPECT_EQ(decoded.error().code(), ErrorCode::kJwtMalformed) << token;
  }
}

TEST(Jwt, VerifyRejectsOtherAlgorithms) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Result<std::string> token = SignJwt(*key, "JWT", "", "{}");
  ASSERT_TRUE(token.ok());
  Result<DecodedJwt> decoded = DecodeJwt(*token);
  ASSERT_TRUE(decoded.ok());
  decoded->header_json = R"({"alg":"none"})";
  EXPECT_EQ(VerifyJwtSignature(*decoded, key->public_key()), ErrorCode::kJwtMalformed);
  decoded->header_json = R"({"alg":"HS256"})";
  EXPECT_EQ(VerifyJwtSignature(*decoded, key->public_key()), ErrorCode::kJwtMalformed);
}

}  // namespace
}  // namespace dpopfleet
