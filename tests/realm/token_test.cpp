// Token issuance, Bearer fallback, introspection, revocation and /v1/whoami.

#include <gtest/gtest.h>

#include "dpopfleet/jwk.h"
#include "dpopfleet/jwt.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class TokenTest : public RealmTest {
 protected:
  void SetUp() override { StartRealm(); }

  HttpResult PostForm(const std::string& endpoint, const std::string& body,
                      std::string_view client_id = kClientId, std::string_view secret = kSecret) {
    return Send({"POST", realm_->issuer() + endpoint,
                 {BasicAuthorization(client_id, secret), "Content-Type: application/x-www-form-urlencoded"},
                 body});
  }
};

TEST_F(TokenTest, IssuesDpopBoundJwt) {
  HttpResult result = Send(TokenCall(kClientId, Proof(key_, "POST", TokenUrl())));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(JsonStringMember(result.body, "token_type").value_or(""), "DPoP");
  EXPECT_EQ(JsonIntMember(result.body, "/expires_in").value_or(0), 3600);
  EXPECT_EQ(result.Header("cache-control"), "no-store");

  std::string token = JsonStringMember(result.body, "access_token").value_or("");
  Result<DecodedJwt> decoded = DecodeJwt(token);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(JsonStringMember(decoded->header_json, "typ").value_or(""), "at+jwt");
  EXPECT_EQ(JsonStringMember(decoded->header_json, "alg").value_or(""), "ES256");

  HttpResult jwks = Send({"GET", realm_->issuer() + "/jwks", {}, ""});
  ASSERT_EQ(jwks.status, 200);
  EXPECT_NE(jwks.body.find("\"kid\":\"" + JsonStringMember(decoded->header_json, "kid").value_or("?") + "\""),
            std::string::npos)
      << jwks.body;
  EXPECT_NE(jwks.body.find("\"use\":\"sig\""), std::string::npos);

  const std::string& payload = decoded->payload_json;
  std::int64_t now = clock_.NowUnixSeconds();
  EXPECT_EQ(JsonStringMember(payload, "iss").value_or(""), realm_->issuer());
  EXPECT_EQ(JsonStringMember(payload, "sub").value_or(""), kClientId);
  EXPECT_EQ(JsonStringMember(payload, "client_id").value_or(""), kClientId);
  EXPECT_EQ(JsonStringMember(payload, "aud").value_or(""), realm_->base_url() + "/v1");
  EXPECT_EQ(JsonStringMember(payload, "scope").value_or(""), "agent agent:read");
  EXPECT_EQ(JsonIntMember(payload, "/iat").value_or(0), now);
  EXPECT_EQ(JsonIntMember(payload, "/exp").value_or(0), now + 3600);
  EXPECT_FALSE(JsonStringMember(payload, "jti").value_or("").empty());
  EXPECT_NE(payload.find("\"cnf\":{\"jkt\":\"" + key_.thumbprint() + "\"}"), std::string::npos) << payload;
}

TEST_F(TokenTest, IssuesBearerWithoutProof) {
  HttpResult result = Send(TokenCall(kClientId, ""));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(JsonStringMember(result.body, "token_type").value_or(""), "Bearer");
  std::string token = JsonStringMember(result.body, "access_token").value_or("");
  EXPECT_EQ(DecodePayload(token).find("cnf"), std::string::npos);

  HttpResult whoami = Send({"GET", WhoamiUrl(), {"Authorization: Bearer " + token}, ""});
  EXPECT_EQ(whoami.status, 200) << whoami.body;
  EXPECT_EQ(JsonStringMember(whoami.body, "token_type").value_or(""), "Bearer");
}

TEST_F(TokenTest, DpopOnlyClientNeedsProof) {
  HttpResult without = Send(TokenCall(kDpopClientId, ""));
  EXPECT_EQ(without.status, 400);
  EXPECT_EQ(JsonStringMember(without.body, "error").value_or(""), "invalid_dpop_proof");
  HttpResult with = Send(TokenCall(kDpopClientId, Proof(key_, "POST", TokenUrl())));
  EXPECT_EQ(with.status, 200) << with.body;
}

TEST_F(TokenTest, RejectsBadClientAuthAndGrants) {
  HttpResult wrong_secret = PostForm("/token", "grant_type=client_credentials", kClientId, "nope");
  EXPECT_EQ(wrong_secret.status, 401);
  EXPECT_EQ(JsonStringMember(wrong_secret.body, "error").value_or(""), "invalid_client");
  EXPECT_EQ(PostForm("/token", "grant_type=client_credentials", "nobody", kSecret).status, 401);
  HttpResult no_auth = Send({"POST", TokenUrl(), {}, "grant_type=client_credentials"});
  EXPECT_EQ(no_auth.status, 401);

  HttpResult grant = PostForm("/token", "grant_type=password");
  EXPECT_EQ(grant.status, 400);
  EXPECT_EQ(JsonStringMember(grant.body, "error").value_or(""), "unsupported_grant_type");
  HttpResult scope = PostForm("/token", "grant_type=client_credentials&scope=admin");
  EXPECT_EQ(JsonStringMember(scope.body, "error").value_or(""), "invalid_scope");
  HttpResult narrowed = PostForm("/token", "grant_type=client_credentials&scope=agent:read");
  EXPECT_EQ(JsonStringMember(narrowed.body, "scope").value_or(""), "agent:read");

  HttpResult post_auth = Send({"POST", TokenUrl(), {},
                               "grant_type=client_credentials&client_id=agent-1&client_secret=s3cret"});
  EXPECT_EQ(post_auth.status, 200) << post_auth.body;
}

TEST_F(TokenTest, WhoamiReturnsIdentity) {
  std::string token = FetchDpopToken(key_);
  HttpResult result = Send(WhoamiCall(key_, token));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(JsonStringMember(result.body, "sub").value_or(""), kClientId);
  EXPECT_NE(result.body.find(key_.thumbprint()), std::string::npos);

  HttpResult post = Send({"POST", WhoamiUrl(),
                          {"Authorization: DPoP " + token, "DPoP: " + Proof(key_, "POST", WhoamiUrl(), token)},
                          ""});
  EXPECT_EQ(post.status, 200) << post.body;

  // Authentication schemes are case-insensitive (RFC 9110 section 11.1).
  HttpResult lower_case = Send({"GET", WhoamiUrl(),
                                {"Authorization: dpop " + token, "DPoP: " + Proof(key_, "GET", WhoamiUrl(), token)},
                                ""});
  EXPECT_EQ(lower_case.status, 200) << lower_case.body;
  EXPECT_EQ(realm_->counters().whoami_ok, 3U);
}

TEST_F(TokenTest, WhoamiRejectsExpiredAndForgedTokens) {
  std::string token = FetchDpopToken(key_);

  std::string forged = token;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  HttpResult bad_signature = Send(WhoamiCall(key_, forged));
  EXPECT_EQ(bad_signature.status, 401);
  EXPECT_EQ(JsonStringMember(bad_signature.body, "error").value_or(""), "invalid_token");
  EXPECT_TRUE(bad_signature.Header("www-authenticate").starts_with("DPoP error=\"invalid_token\""));

  // A token signed by another key with the realm's kid must not pass either.
  Result<DecodedJwt> decoded = DecodeJwt(token);
  ASSERT_TRUE(decoded.ok());
  std::string kid = JsonStringMember(decoded->header_json, "kid").value_or("");
  Result<std::string> other = SignJwt(key_.key(), "at+jwt", kid, decoded->payload_json);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Send(WhoamiCall(key_, *other)).status, 401);

  clock_.AdvanceMillis(3600 * 1000);
  HttpResult expired = Send(WhoamiCall(key_, token));
  EXPECT_EQ(expired.status, 401);
  EXPECT_TRUE(JsonStringMember(expired.body, "error_description").value_or("").find("expired") != std::string::npos)
      << expired.body;
}

TEST_F(TokenTest, IntrospectionAndRevocation) {
  std::string token = FetchDpopToken(key_);
  HttpResult active = PostForm("/introspect", "token=" + token);
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_NE(active.body.find("\"active\":true"), std::string::npos);
  EXPECT_EQ(JsonStringMember(active.body, "sub").value_or(""), kClientId);
  EXPECT_EQ(JsonStringMember(active.body, "iss").value_or(""), realm_->issuer());
  EXPECT_NE(active.body.find("\"cnf\":{\"jkt\":\"" + key_.thumbprint() + "\"}"), std::string::npos);
  EXPECT_EQ(PostForm("/introspect", "token=" + token, kClientId, "wrong").status, 401);

  HttpResult foreign = PostForm("/revoke", "token=" + token, kDpopClientId);
  EXPECT_EQ(foreign.status, 403);
  HttpResult revoked = PostForm("/revoke", "token=" + token);
  EXPECT_EQ(revoked.status, 200);
  EXPECT_EQ(PostForm("/revoke", "token=garbage").status, 200);

  HttpResult inactive = PostForm("/introspect", "token=" + token);
  EXPECT_EQ(inactive.body, "{\"active\":false}");
  HttpResult refused = Send(WhoamiCall(key_, token));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(realm_->counters().rejections_by_reason["token_revoked"], 1U);
  EXPECT_EQ(realm_->counters().revocations, 1U);
}

TEST_F(TokenTest, DiscoveryListsEndpoints) {
  for (const std::string& url : {Url("/.well-known/openid-configuration"),
                                 realm_->issuer() + "/.well-known/openid-configuration"}) {
    HttpResult result = Send({"GET", url, {}, ""});
    ASSERT_EQ(result.status, 200) << url;
    EXPECT_EQ(JsonStringMember(result.body, "issuer").value_or(""), realm_->issuer());
    EXPECT_EQ(JsonStringMember(result.body, "token_endpoint").value_or(""), TokenUrl());
    EXPECT_NE(result.body.find("\"dpop_signing_alg_values_supported\":[\"ES256\"]"), std::string::npos);
    EXPECT_NE(result.body.find("client_credentials"), std::string::npos);
  }
  EXPECT_EQ(Send({"GET", Url("/agent.json"), {}, ""}).status, 200);
  HttpResult instructions = Send({"GET", Url("/.well-known/agent-instructions"), {}, ""});
  EXPECT_EQ(instructions.status, 200);
  EXPECT_TRUE(instructions.Header("content-type").starts_with("text/plain"));
  EXPECT_EQ(Send({"DELETE", TokenUrl(), {}, ""}).status, 405);
}

}  // namespace
}  // namespace dpopfleet::realm_test

namespace dpopfleet::realm_test {
namespace {

class MultiRealmTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmOptions options;
    options.realms = {"default", "lab"};
    StartRealm(options);
  }
};

TEST_F(MultiRealmTest, TokensStayInTheirRealm) {
  std::string lab_token_url = realm_->issuer("lab") + "/token";
  HttpCall call{"POST", lab_token_url,
                {BasicAuthorization(kClientId, kSecret), "DPoP: " + Proof(key_, "POST", lab_token_url)},
                "grant_type=client_credentials"};
  HttpResult issued = Send(call);
  ASSERT_EQ(issued.status, 200) << issued.body;
  std::string token = JsonStringMember(issued.body, "access_token").value_or("");
  EXPECT_NE(DecodePayload(token).find("\"iss\":\"" + realm_->issuer("lab") + "\""), std::string::npos);

  std::string lab_whoami = realm_->issuer("lab") + "/v1/whoami";
  HttpResult in_lab = Send({"GET", lab_whoami,
                            {"Authorization: DPoP " + token, "DPoP: " + Proof(key_, "GET", lab_whoami, token)},
                            ""});
  EXPECT_EQ(in_lab.status, 200) << in_lab.body;
  EXPECT_EQ(JsonStringMember(in_lab.body, "realm").value_or(""), "lab");

  HttpResult in_default = Send(WhoamiCall(key_, token));
  EXPECT_EQ(in_default.status, 401);
  EXPECT_EQ(realm_->counters().rejections_by_reason["wrong_issuer"], 1U);

  HttpResult discovery = Send({"GET", realm_->issuer("lab") + "/.well-known/openid-configuration", {}, ""});
  EXPECT_EQ(JsonStringMember(discovery.body, "issuer").value_or(""), realm_->issuer("lab"));
}

}  // namespace
}  // namespace dpopfleet::realm_test
