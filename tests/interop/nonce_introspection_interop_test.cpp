// node-oidc-provider 8.8.1 with dpopfleet proofs: server-provided DPoP nonces (RFC 9449
// section 8) on the peer that requires them, and introspection (RFC 7662) and revocation
// (RFC 7009) of opaque DPoP-bound tokens.

#include <gtest/gtest.h>

#include <string>

#include "interop_fixture.h"

namespace dpopfleet::interop {
namespace {

std::string ParamName(const ::testing::TestParamInfo<Scheme>& info) {
  return SchemeName(info.param);
}

class NonceSchemeTest : public NoncePeerTest, public ::testing::WithParamInterface<Scheme> {};

// The first request of a client that knows no nonce gets use_dpop_nonce and a DPoP-Nonce
// header, the retry with that nonce succeeds, and later requests that reuse the cached
// nonce succeed at once. The peer rotates nonces every 60 s and accepts the two before and
// after the current one, so a nonce stays usable for at least two minutes.
TEST_P(NonceSchemeTest, RetryWithNonceSucceeds) {
  ProofKey key = NewProofKey();
  const std::string token_url = TokenUrl(GetParam());

  HttpResponse first = RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, token_url));
  ASSERT_EQ(first.status, 400) << first.body;
  EXPECT_EQ(JsonString(first.body, "/error"), "use_dpop_nonce");
  EXPECT_EQ(first.headers.count("www-authenticate"), 0u);
  ASSERT_EQ(first.headers.count("dpop-nonce"), 1u);
  const std::string nonce = first.headers["dpop-nonce"];
  ASSERT_FALSE(nonce.empty());

  HttpResponse retry =
      RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, token_url, {.nonce = nonce}));
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(JsonString(retry.body, "/token_type"), "DPoP");

  // Another agent (another key) reusing the cached nonce needs no extra round trip.
  ProofKey other = NewProofKey();
  HttpResponse reuse =
      RequestToken(GetParam(), client("dpop-jwt"), BuildProof(other, token_url, {.nonce = nonce}));
  EXPECT_EQ(reuse.status, 200) << reuse.body;
  EXPECT_EQ(JsonString(reuse.body, "/token_type"), "DPoP");
}

TEST_P(NonceSchemeTest, UnknownNonceRejected) {
  ProofKey key = NewProofKey();
  HttpResponse response = RequestToken(GetParam(), client("dpop-jwt"),
                                       BuildProof(key, TokenUrl(GetParam()), {.nonce = "bogus"}));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(JsonString(response.body, "/error"), "use_dpop_nonce");
  EXPECT_EQ(JsonString(response.body, "/error_description"), "invalid nonce in DPoP proof");
  EXPECT_EQ(response.headers.count("dpop-nonce"), 1u);
}

// Requiring nonces does not weaken the other checks: a proof with the right nonce but the
// wrong htu is still rejected.
TEST_P(NonceSchemeTest, WrongHtuRejectedWithNonce) {
  ProofKey key = NewProofKey();
  HttpResponse first =
      RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, TokenUrl(GetParam())));
  ASSERT_EQ(first.headers.count("dpop-nonce"), 1u) << first.body;

  const std::string wrong_htu = Issuer(GetParam()) + "/token/revocation";
  HttpResponse response =
      RequestToken(GetParam(), client("dpop-jwt"),
                   BuildProof(key, wrong_htu, {.nonce = first.headers["dpop-nonce"]}));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(JsonString(response.body, "/error"), "invalid_dpop_proof");
}

INSTANTIATE_TEST_SUITE_P(NoncePeer, NonceSchemeTest,
                         ::testing::Values(Scheme::kHttp, Scheme::kHttps), ParamName);

class IntrospectionTest : public PeerTest, public ::testing::WithParamInterface<Scheme> {
 protected:
  // Introspect returns the peer's introspection response for |token|, asked by |client|.
  HttpResponse Introspect(const PeerClient& client, const std::string& token) {
    return PostForm(GetParam(), "token/introspection", client, "token=" + FormEncode(token));
  }
};

TEST_P(IntrospectionTest, ActiveWithJktThenRevoked) {
  ProofKey key = NewProofKey();
  const PeerClient& owner = client("dpop-opaque");
  const std::string token =
      ObtainToken(GetParam(), owner, BuildProof(key, TokenUrl(GetParam())), "DPoP");
  ASSERT_FALSE(token.empty());

  HttpResponse active = Introspect(owner, token);
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(JsonBool(active.body, "/active"), true);
  EXPECT_EQ(JsonString(active.body, "/token_type"), "DPoP");
  EXPECT_EQ(JsonString(active.body, "/cnf/jkt"), key.thumbprint());
  EXPECT_EQ(JsonString(active.body, "/client_id"), "dpop-opaque");
  EXPECT_EQ(JsonString(active.body, "/iss"), Issuer(GetParam()));

  HttpResponse revoked = PostForm(GetParam(), "token/revocation", owner,
                                  "token=" + FormEncode(token) + "&token_type_hint=access_token");
  EXPECT_EQ(revoked.status, 200) << revoked.body;

  HttpResponse inactive = Introspect(owner, token);
  ASSERT_EQ(inactive.status, 200) << inactive.body;
  EXPECT_EQ(JsonBool(inactive.body, "/active"), false);
  EXPECT_FALSE(JsonString(inactive.body, "/cnf/jkt").has_value()) << inactive.body;
}

TEST_P(IntrospectionTest, OpaqueResourceTokenHasAudience) {
  ProofKey key = NewProofKey();
  const PeerClient& owner = client("dpop-jwt");
  const std::string token = ObtainToken(GetParam(), owner, BuildProof(key, TokenUrl(GetParam())),
                                        "DPoP", "&resource=" + FormEncode(peer().opaque_resource));
  ASSERT_FALSE(token.empty());

  HttpResponse active = Introspect(owner, token);
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(JsonBool(active.body, "/active"), true);
  EXPECT_EQ(JsonString(active.body, "/aud"), peer().opaque_resource);
  EXPECT_EQ(JsonString(active.body, "/cnf/jkt"), key.thumbprint());
}

TEST_P(IntrospectionTest, BearerTokenHasNoJkt) {
  const PeerClient& owner = client("bearer");
  const std::string token = ObtainToken(GetParam(), owner, "", "Bearer");
  ASSERT_FALSE(token.empty());

  HttpResponse active = Introspect(owner, token);
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(JsonBool(active.body, "/active"), true);
  EXPECT_EQ(JsonString(active.body, "/token_type"), "Bearer");
  EXPECT_FALSE(JsonString(active.body, "/cnf/jkt").has_value()) << active.body;
}

// A token issued on one listener introspects on the other, because both providers of a peer
// share one store. The response's "iss" is the issuer of the listener that introspected it.
TEST_P(IntrospectionTest, TokenIntrospectsOnOtherListener) {
  const Scheme other = GetParam() == Scheme::kHttp ? Scheme::kHttps : Scheme::kHttp;
  ProofKey key = NewProofKey();
  const PeerClient& owner = client("dpop-opaque");
  const std::string token = ObtainToken(other, owner, BuildProof(key, TokenUrl(other)), "DPoP");
  ASSERT_FALSE(token.empty());

  HttpResponse active = Introspect(owner, token);
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(JsonBool(active.body, "/active"), true);
  EXPECT_EQ(JsonString(active.body, "/cnf/jkt"), key.thumbprint());
  EXPECT_EQ(JsonString(active.body, "/iss"), Issuer(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Peer, IntrospectionTest, ::testing::Values(Scheme::kHttp, Scheme::kHttps),
                         ParamName);

}  // namespace
}  // namespace dpopfleet::interop
