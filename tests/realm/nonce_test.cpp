// Nonce mode: challenges, rotation on schedule, the grace period for the previous nonce and
// new nonces on successful responses.

#include <gtest/gtest.h>

#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class NonceTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmOptions options;
    options.require_nonce = true;
    options.nonce_rotation_seconds = 300;
    options.nonce_grace_seconds = 60;
    StartRealm(options);
  }

  HttpResult TokenWithNonce(const std::string& nonce) {
    return Send(TokenCall(kClientId, Proof(key_, "POST", TokenUrl(), {}, nonce)));
  }
};

TEST_F(NonceTest, TokenEndpointRotatesWithGrace) {
  HttpResult challenge = TokenWithNonce("");
  EXPECT_EQ(challenge.status, 400);
  EXPECT_EQ(JsonStringMember(challenge.body, "error").value_or(""), "use_dpop_nonce");
  std::string first = challenge.Header("dpop-nonce");
  ASSERT_FALSE(first.empty());

  HttpResult accepted = TokenWithNonce(first);
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.Header("dpop-nonce"), first);

  HttpResult made_up = TokenWithNonce("made-up-nonce");
  EXPECT_EQ(made_up.status, 400);
  EXPECT_EQ(JsonStringMember(made_up.body, "error").value_or(""), "use_dpop_nonce");

  clock_.AdvanceMillis(300 * 1000);
  HttpResult in_grace = TokenWithNonce(first);
  EXPECT_EQ(in_grace.status, 200) << in_grace.body;
  std::string second = in_grace.Header("dpop-nonce");
  EXPECT_FALSE(second.empty());
  EXPECT_NE(second, first);

  clock_.AdvanceMillis(60 * 1000);
  HttpResult stale = TokenWithNonce(first);
  EXPECT_EQ(stale.status, 400);
  EXPECT_EQ(stale.Header("dpop-nonce"), second);
  EXPECT_EQ(TokenWithNonce(second).status, 200);
  EXPECT_EQ(realm_->counters().nonce_challenges, 3U);
}

TEST_F(NonceTest, ResourceChallengesWith401) {
  HttpResult challenge = TokenWithNonce("");
  std::string token_nonce = challenge.Header("dpop-nonce");
  HttpResult issued = TokenWithNonce(token_nonce);
  std::string token = JsonStringMember(issued.body, "access_token").value_or("");
  ASSERT_FALSE(token.empty()) << issued.body;

  HttpResult resource_challenge = Send(WhoamiCall(key_, token));
  EXPECT_EQ(resource_challenge.status, 401);
  EXPECT_TRUE(resource_challenge.Header("www-authenticate").starts_with("DPoP error=\"use_dpop_nonce\""))
      << resource_challenge.Header("www-authenticate");
  std::string resource_nonce = resource_challenge.Header("dpop-nonce");
  ASSERT_FALSE(resource_nonce.empty());

  HttpCall call{"GET", WhoamiUrl(),
                {"Authorization: DPoP " + token, "DPoP: " + Proof(key_, "GET", WhoamiUrl(), token, resource_nonce)},
                ""};
  HttpResult ok = Send(call);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Header("dpop-nonce"), resource_nonce);
}

}  // namespace
}  // namespace dpopfleet::realm_test
