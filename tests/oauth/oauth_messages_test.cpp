// Encoding of OAuth requests and checks on OAuth responses, without a server.

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/jwt.h"
#include "dpopfleet/oauth_discovery.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/oauth_registration.h"
#include "dpopfleet/oauth_token.h"

namespace dpopfleet {
namespace {

TEST(FormUrlEncode, EscapesReservedCharacters) {
  EXPECT_EQ(FormUrlEncode("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(FormUrlEncode("a b"), "a+b");
  EXPECT_EQ(FormUrlEncode("x:y/z?&=%"), "x%3Ay%2Fz%3F%26%3D%25");
  EXPECT_EQ(FormUrlEncode("\xc3\xa9"), "%C3%A9");
}

TEST(BasicAuthorization, EncodesIdAndSecretFirst) {
  // RFC 6749 section 2.3.1: "a:b c" and "s+/" are form-encoded before base64.
  std::string header = BasicAuthorization({"a:b c", "s+/"});
  ASSERT_EQ(header.rfind("Basic ", 0), 0u);
  std::string encoded = header.substr(6);
  for (char& c : encoded) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  std::string decoded;
  ASSERT_EQ(Base64UrlDecode(encoded, &decoded), ErrorCode::kOk);
  EXPECT_EQ(decoded, "a%3Ab+c:s%2B%2F");
}

TEST(BasicAuthorization, PadsStandardBase64) {
  EXPECT_EQ(BasicAuthorization({"a", "b"}), "Basic YTpi");
  EXPECT_EQ(BasicAuthorization({"ab", "c"}), "Basic YWI6Yw==");
}

TEST(ServerMetadata, ReadsEndpoints) {
  auto metadata = ParseServerMetadata(
      R"({"issuer":"https://h/realms/default","token_endpoint":"https://h/t","introspection_endpoint":"https://h/i",
          "revocation_endpoint":"https://h/r","dpop_signing_alg_values_supported":["ES256"]})",
      "https://h/realms/default/");
  ASSERT_TRUE(metadata.ok()) << metadata.error().ToString();
  EXPECT_EQ(metadata->token_endpoint, "https://h/t");
  EXPECT_EQ(metadata->introspection_endpoint, "https://h/i");
  EXPECT_EQ(metadata->revocation_endpoint, "https://h/r");
  ASSERT_EQ(metadata->dpop_signing_alg_values_supported.size(), 1u);
}

TEST(ServerMetadata, RejectsOtherIssuer) {
  auto metadata = ParseServerMetadata(R"({"issuer":"https://evil","token_endpoint":"https://evil/t"})", "https://h");
  ASSERT_FALSE(metadata.ok());
  EXPECT_EQ(metadata.error().code(), ErrorCode::kProtocolError);
  EXPECT_NE(metadata.error().message().find("https://evil"), std::string::npos);
}

TEST(ServerMetadata, RequiresTokenEndpoint) {
  auto metadata = ParseServerMetadata(R"({"issuer":"https://h"})", "https://h");
  ASSERT_FALSE(metadata.ok());
  EXPECT_EQ(metadata.error().code(), ErrorCode::kProtocolError);
}

TEST(DiscoveryUrls, AddsRfc8414FormForPathIssuer) {
  auto urls = DiscoveryUrls("https://h:8443/realms/default");
  ASSERT_EQ(urls.size(), 2u);
  EXPECT_EQ(urls[0], "https://h:8443/realms/default/.well-known/openid-configuration");
  EXPECT_EQ(urls[1], "https://h:8443/.well-known/oauth-authorization-server/realms/default");
  EXPECT_EQ(DiscoveryUrls("https://h/").size(), 1u);
}

HttpResponse JsonResponse(long status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string UnsignedJwt(const std::string& payload) {
  return Base64UrlEncode(std::string_view(R"({"alg":"ES256","typ":"at+jwt"})")) + "." +
         Base64UrlEncode(std::string_view(payload)) + ".c2ln";
}

TEST(TokenResponse, AcceptsBoundDpopToken) {
  std::string token = UnsignedJwt(R"({"sub":"cli_x","cnf":{"jkt":"THUMB"}})");
  auto parsed = ParseTokenResponse(
      JsonResponse(200, R"({"access_token":")" + token + R"(","token_type":"DPoP","expires_in":3600,"scope":"agent"})"),
      {"THUMB", false}, "https://h/token");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->cnf_jkt, "THUMB");
  EXPECT_EQ(parsed->expires_in, 3600);
  EXPECT_EQ(parsed->scope, "agent");
  EXPECT_NE(parsed->claims_json.find("cli_x"), std::string::npos);
}

TEST(TokenResponse, RejectsThumbprintMismatch) {
  std::string token = UnsignedJwt(R"({"cnf":{"jkt":"OTHER"}})");
  auto parsed = ParseTokenResponse(JsonResponse(200, R"({"access_token":")" + token + R"(","token_type":"DPoP"})"),
                                   {"THUMB", false}, "https://h/token");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kProtocolError);
  EXPECT_NE(parsed.error().message().find("OTHER"), std::string::npos);
}

TEST(TokenResponse, BearerNeedsAllowBearer) {
  HttpResponse response = JsonResponse(200, R"({"access_token":"opaque-token-value","token_type":"Bearer"})");
  auto strict = ParseTokenResponse(response, {"THUMB", false}, "https://h/token");
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.error().message().find("--allow-bearer"), std::string::npos);
  auto lenient = ParseTokenResponse(response, {"THUMB", true}, "https://h/token");
  ASSERT_TRUE(lenient.ok());
  EXPECT_TRUE(lenient->claims_json.empty());
  auto no_proof = ParseTokenResponse(response, {"", false}, "https://h/token");
  EXPECT_TRUE(no_proof.ok());
}

TEST(TokenResponse, TokenTypeIsCaseInsensitive) {
  auto parsed = ParseTokenResponse(JsonResponse(200, R"({"access_token":"opaque","token_type":"dpop"})"),
                                   {"THUMB", false}, "https://h/token");
  EXPECT_TRUE(parsed.ok());
}

TEST(TokenResponse, ReportsOAuthError) {
  auto parsed = ParseTokenResponse(
      JsonResponse(401, R"({"error":"invalid_client","error_description":"client authentication failed"})"),
      {"THUMB", false}, "https://h/token");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kHttpStatus);
  EXPECT_NE(parsed.error().message().find("invalid_client: client authentication failed"), std::string::npos);
  EXPECT_NE(parsed.error().message().find("401"), std::string::npos);
}

TEST(TokenResponse, RequiresAccessToken) {
  auto parsed = ParseTokenResponse(JsonResponse(200, R"({"token_type":"DPoP"})"), {"T", false}, "https://h/token");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kProtocolError);
}

TEST(JsonFields, ReadsTypedMembers) {
  auto fields = JsonFields::Parse(R"({"a":"x","n":3600,"f":7.0,"big":1e300,"half":1.5,"b":true,"o":{"k":"v"}})", "test");
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(fields->String("a").value_or(""), "x");
  EXPECT_FALSE(fields->String("n").has_value());
  EXPECT_EQ(fields->Int("n").value_or(0), 3600);
  EXPECT_EQ(fields->Int("f").value_or(0), 7);
  EXPECT_FALSE(fields->Int("big").has_value());
  EXPECT_FALSE(fields->Int("half").has_value());
  EXPECT_TRUE(fields->Bool("b").value_or(false));
  EXPECT_EQ(fields->Object("o")->String("k").value_or(""), "v");
  EXPECT_FALSE(JsonFields::Parse("[1]", "test").ok());
  EXPECT_FALSE(JsonFields::Parse("{", "test").ok());
}

TEST(ShortenToken, KeepsOnlyPrefix) {
  std::string token(200, 'a');
  std::string shortened = ShortenToken(token);
  EXPECT_EQ(shortened, std::string(16, 'a') + "…");
  EXPECT_EQ(ShortenToken("abcd"), "ab…");
}

TEST(RetryAfter, ParsesSecondsAndDates) {
  EXPECT_EQ(ParseRetryAfter("7", 0).count(), 7);
  EXPECT_EQ(ParseRetryAfter("", 0).count(), 0);
  EXPECT_EQ(ParseRetryAfter("soon", 0).count(), 0);
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 (RFC 9110's example date).
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770).count(), 7);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111800).count(), 0);
}

}  // namespace
}  // namespace dpopfleet
