#include "dpopfleet/www_authenticate.h"

#include <gtest/gtest.h>

namespace dpopfleet {
namespace {

TEST(ParseWwwAuthenticate, SingleChallengeWithParams) {
  auto parsed = ParseWwwAuthenticate(R"(DPoP error="use_dpop_nonce", algs="ES256 PS256")");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].scheme, "DPoP");
  ASSERT_NE((*parsed)[0].Param("error"), nullptr);
  EXPECT_EQ(*(*parsed)[0].Param("error"), "use_dpop_nonce");
  ASSERT_NE((*parsed)[0].Param("algs"), nullptr);
  EXPECT_EQ(*(*parsed)[0].Param("algs"), "ES256 PS256");
}

TEST(ParseWwwAuthenticate, SeveralChallengesInOneValue) {
  auto parsed = ParseWwwAuthenticate(
      R"(Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\"", DPoP error=use_dpop_nonce)");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0].scheme, "Basic");
  EXPECT_EQ((*parsed)[1].scheme, "Newauth");
  ASSERT_NE((*parsed)[1].Param("title"), nullptr);
  EXPECT_EQ(*(*parsed)[1].Param("title"), "Login to \"apps\"");
  ASSERT_NE((*parsed)[1].Param("type"), nullptr);
  EXPECT_EQ(*(*parsed)[1].Param("type"), "1");
  EXPECT_EQ((*parsed)[2].scheme, "DPoP");
  ASSERT_NE((*parsed)[2].Param("error"), nullptr);
  EXPECT_EQ(*(*parsed)[2].Param("error"), "use_dpop_nonce");
}

TEST(ParseWwwAuthenticate, Token68AndBareScheme) {
  auto parsed = ParseWwwAuthenticate("Negotiate abc+/def==, Bearer");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].token68, "abc+/def==");
  EXPECT_TRUE((*parsed)[0].params.empty());
  EXPECT_EQ((*parsed)[1].scheme, "Bearer");
}

TEST(ParseWwwAuthenticate, ParamNamesAreCaseInsensitive) {
  auto parsed = ParseWwwAuthenticate(R"(DPoP ERROR = "use_dpop_nonce")");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_NE((*parsed)[0].Param("error"), nullptr);
}

TEST(ParseWwwAuthenticate, CommaInsideQuotedStringStaysInValue) {
  auto parsed = ParseWwwAuthenticate(R"(DPoP error_description="a, b", error="invalid_token")");

  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(*(*parsed)[0].Param("error_description"), "a, b");
  EXPECT_EQ(*(*parsed)[0].Param("error"), "invalid_token");
}

TEST(ParseWwwAuthenticate, RejectsUnterminatedQuote) {
  auto parsed = ParseWwwAuthenticate(R"(DPoP error="use_dpop_nonce)");

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kProtocolError);
  EXPECT_NE(parsed.error().message().find("offset"), std::string::npos);
}

TEST(ParseWwwAuthenticate, RejectsMissingValue) {
  EXPECT_FALSE(ParseWwwAuthenticate("DPoP error=, realm=x").ok());
  EXPECT_FALSE(ParseWwwAuthenticate("=DPoP").ok());
}

TEST(IsDpopNonceChallenge, MatchesErrorParameter) {
  EXPECT_TRUE(IsDpopNonceChallenge(R"(DPoP error="use_dpop_nonce")"));
  EXPECT_TRUE(IsDpopNonceChallenge(R"(dpop algs="ES256", error="use_dpop_nonce")"));
  EXPECT_TRUE(IsDpopNonceChallenge(R"(Bearer realm="x", DPoP error="use_dpop_nonce")"));
}

TEST(IsDpopNonceChallenge, IgnoresBlocklistRealm) {
  EXPECT_FALSE(IsDpopNonceChallenge(R"(DPoP realm="use_dpop_nonce_blocklist")"));
  EXPECT_FALSE(IsDpopNonceChallenge(
      R"(DPoP realm="use_dpop_nonce_blocklist", error="invalid_token")"));
  EXPECT_FALSE(IsDpopNonceChallenge(R"(DPoP error_description="use_dpop_nonce")"));
}

TEST(IsDpopNonceChallenge, IgnoresOtherSchemes) {
  EXPECT_FALSE(IsDpopNonceChallenge(R"(Bearer error="use_dpop_nonce")"));
  EXPECT_FALSE(IsDpopNonceChallenge(R"(DPoP error="use_dpop_nonce_later")"));
  EXPECT_FALSE(IsDpopNonceChallenge(R"(DPoP error="use_dpop_nonce)"));
}

}  // namespace
}  // namespace dpopfleet
