#include "dpopfleet/json_error.h"

#include <gtest/gtest.h>

namespace dpopfleet {
namespace {

TEST(ParseOAuthError, ReadsAllMembers) {
  auto parsed = ParseOAuthError(
      "https://as.test/token", 400,
      R"({"error_description":"need a nonce","error":"use_dpop_nonce","error_uri":"https://x"})");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->error, "use_dpop_nonce");
  EXPECT_EQ(parsed->error_description, "need a nonce");
  EXPECT_EQ(parsed->error_uri, "https://x");
}

TEST(ParseOAuthError, OptionalMembersMayBeMissing) {
  auto parsed = ParseOAuthError("https://as.test/token", 400, R"({"error":"invalid_grant"})");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->error, "invalid_grant");
  EXPECT_TRUE(parsed->error_description.empty());
}

TEST(ParseOAuthError, MalformedBodyNamesEndpointStatusAndPrefix) {
  auto parsed = ParseOAuthError("https://as.test/token", 502, "<html>Bad gateway</html>");

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidJson);
  const std::string& message = parsed.error().message();
  EXPECT_NE(message.find("https://as.test/token"), std::string::npos) << message;
  EXPECT_NE(message.find("502"), std::string::npos) << message;
  EXPECT_NE(message.find("<html>Bad gateway"), std::string::npos) << message;
}

TEST(ParseOAuthError, WrongMemberTypeFails) {
  EXPECT_FALSE(ParseOAuthError("e", 400, R"({"error":42})").ok());
  EXPECT_FALSE(ParseOAuthError("e", 400, R"({"error":"x","error_description":7})").ok());
  EXPECT_FALSE(ParseOAuthError("e", 400, R"(["error"])").ok());
  EXPECT_FALSE(ParseOAuthError("e", 400, "").ok());
}

TEST(BodyExcerpt, ShortensLongBodies) {
  std::string token = "eyJhbGciOiJFUzI1NiJ9." + std::string(200, 'A');
  std::string excerpt = BodyExcerpt(R"({"access_token":")" + token + "\"}");

  EXPECT_LT(excerpt.size(), kBodyExcerptBytes + 8);
  EXPECT_EQ(excerpt.find(token), std::string::npos);
  EXPECT_EQ(excerpt.substr(excerpt.size() - 3), "…");
}

TEST(BodyExcerpt, EscapesControlBytes) {
  EXPECT_EQ(BodyExcerpt(std::string("a\nb\x01", 4)), "a\\x0ab\\x01");
}

TEST(IsUseDpopNonceError, RecognisesOnlyThatError) {
  EXPECT_TRUE(IsUseDpopNonceError(R"({"error":"use_dpop_nonce"})"));
  EXPECT_FALSE(IsUseDpopNonceError(R"({"error":"invalid_dpop_proof"})"));
  EXPECT_FALSE(IsUseDpopNonceError(R"({"error_description":"use_dpop_nonce"})"));
  EXPECT_FALSE(IsUseDpopNonceError("use_dpop_nonce"));
}

}  // namespace
}  // namespace dpopfleet
