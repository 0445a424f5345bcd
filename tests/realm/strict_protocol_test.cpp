// Strict protocol checks at the realm's endpoints: proof limits, token ownership at
// introspection, and the token endpoint's request format and client authentication.

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/json_writer.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class StrictProtocolTest : public RealmTest {
 protected:
  void SetUp() override { StartRealm(); }

  HttpResult PostForm(const std::string& endpoint, const std::string& body,
                      std::string_view client_id = kClientId) {
    return Send({"POST", realm_->issuer() + endpoint,
                 {BasicAuthorization(client_id, kSecret),
                  "Content-Type: application/x-www-form-urlencoded"},
                 body});
  }

  // TokenProof returns a token-endpoint proof by key_ with |header_extra| appended to the
  // header members and |jti| as its "jti".
  std::string TokenProof(std::string_view header_extra, std::string_view jti) const {
    std::string header = R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" +
                         PublicJwkJson(key_.key().public_key()) + std::string(header_extra) + "}";
    std::string payload = JsonObjectWriter()
                              .String("jti", jti)
                              .String("htm", "POST")
                              .String("htu", TokenUrl())
                              .Int("iat", clock_.NowUnixSeconds())
                              .Finish();
    return MakeJws(key_.key(), header, payload);
  }
};

std::string ErrorOf(const HttpResult& result) {
  return JsonStringMember(result.body, "error").value_or("");
}

std::string DescriptionOf(const HttpResult& result) {
  return JsonStringMember(result.body, "error_description").value_or("");
}

TEST_F(StrictProtocolTest, TokenEndpointRejectsCritProof) {
  HttpResult result = Send(TokenCall(kClientId, TokenProof(R"(,"crit":["foo"])", "jti-crit")));
  EXPECT_EQ(result.status, 400) << result.body;
  EXPECT_EQ(ErrorOf(result), "invalid_dpop_proof");
  EXPECT_TRUE(DescriptionOf(result).starts_with("proof_malformed")) << result.body;
  EXPECT_NE(DescriptionOf(result).find("crit"), std::string::npos) << result.body;
}

TEST_F(StrictProtocolTest, TokenEndpointBoundsJti) {
  HttpResult too_long = Send(TokenCall(kClientId, TokenProof("", std::string(15'000, 'j'))));
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_TRUE(DescriptionOf(too_long).starts_with("proof_malformed")) << too_long.body;
  EXPECT_NE(DescriptionOf(too_long).find("256"), std::string::npos) << too_long.body;

  HttpResult longest = Send(TokenCall(kClientId, TokenProof("", std::string(256, 'j'))));
  EXPECT_EQ(longest.status, 200) << longest.body;
}

TEST_F(StrictProtocolTest, IntrospectionHidesOtherClientsTokens) {
  std::string token = FetchDpopToken(key_);
  ASSERT_FALSE(token.empty());

  HttpResult owner = PostForm("/introspect", "token=" + token);
  EXPECT_EQ(owner.status, 200);
  EXPECT_NE(owner.body.find("\"active\":true"), std::string::npos) << owner.body;

  HttpResult other = PostForm("/introspect", "token=" + token, kDpopClientId);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "{\"active\":false}");
}

}  // namespace
}  // namespace dpopfleet::realm_test
