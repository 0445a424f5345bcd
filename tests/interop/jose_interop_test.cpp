// node-oidc-provider 8.8.1 accepts the DPoP proofs dpopfleet's JOSE layer makes. It issues
// DPoP-bound tokens over HTTP and over HTTPS and binds JWT access tokens to our RFC 7638
// thumbprint. It rejects the proofs a correct client never sends: replayed, or with the wrong
// htu or htm. The peer runs as a CTest fixture (see CMakeLists.txt in this folder).

#include <gtest/gtest.h>

#include <string>

#include "dpopfleet/jwk.h"
#include "dpopfleet/jwt.h"
#include "interop_fixture.h"

namespace dpopfleet::interop {
namespace {

class SchemeTest : public PeerTest, public ::testing::WithParamInterface<Scheme> {};

std::string ParamName(const ::testing::TestParamInfo<Scheme>& info) {
  return SchemeName(info.param);
}

TEST_P(SchemeTest, DiscoveryAdvertisesDpopEs256) {
  HttpResponse response = Get(Issuer(GetParam()) + "/.well-known/openid-configuration");
  ASSERT_EQ(response.status, 200) << response.body;

  EXPECT_EQ(JsonString(response.body, "/issuer"), Issuer(GetParam()));
  EXPECT_EQ(JsonString(response.body, "/token_endpoint"), TokenUrl(GetParam()));
  std::optional<std::string> algs = JsonRaw(response.body, "/dpop_signing_alg_values_supported");
  ASSERT_TRUE(algs.has_value()) << response.body;
  EXPECT_NE(algs->find("\"ES256\""), std::string::npos) << *algs;
}

TEST_P(SchemeTest, JwtTokenBoundToThumbprint) {
  ProofKey key = NewProofKey();
  const std::string token =
      ObtainToken(GetParam(), client("dpop-jwt"), BuildProof(key, TokenUrl(GetParam())), "DPoP");
  ASSERT_FALSE(token.empty());

  Result<DecodedJwt> jwt = DecodeJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.error().ToString() << " for token " << ShortToken(token);
  EXPECT_EQ(JsonString(jwt->header_json, "/typ"), "at+jwt");
  EXPECT_EQ(JsonString(jwt->payload_json, "/cnf/jkt"), key.thumbprint());
  EXPECT_EQ(JsonString(jwt->payload_json, "/iss"), Issuer(GetParam()));
  EXPECT_EQ(JsonString(jwt->payload_json, "/client_id"), "dpop-jwt");
  EXPECT_EQ(JsonString(jwt->payload_json, "/aud"), peer().jwt_resource);

  // The peer signs with ES256; our verifier must accept its key and signature too.
  HttpResponse jwks = Get(Issuer(GetParam()) + "/jwks");
  ASSERT_EQ(jwks.status, 200) << jwks.body;
  std::optional<std::string> jwk = JsonRaw(jwks.body, "/keys/0");
  ASSERT_TRUE(jwk.has_value()) << jwks.body;
  Result<P256PublicKey> signer = ParsePublicJwk(*jwk);
  ASSERT_TRUE(signer.ok()) << signer.error().ToString();
  EXPECT_EQ(VerifyJwtSignature(*jwt, *signer), ErrorCode::kOk);
}

TEST_P(SchemeTest, OpaqueTokenIsDpopBound) {
  ProofKey key = NewProofKey();
  const std::string token = ObtainToken(GetParam(), client("dpop-opaque"),
                                        BuildProof(key, TokenUrl(GetParam())), "DPoP");
  ASSERT_FALSE(token.empty());
  EXPECT_FALSE(DecodeJwt(token).ok()) << "expected an opaque token, got " << ShortToken(token);
}

TEST_P(SchemeTest, ReplayedProofRejected) {
  ProofKey key = NewProofKey();
  std::string proof = BuildProof(key, TokenUrl(GetParam()));

  HttpResponse first = RequestToken(GetParam(), client("dpop-jwt"), proof);
  ASSERT_EQ(first.status, 200) << first.body;

  // The peer hides the reason behind invalid_grant ("DPoP proof JWT Replay detected" goes to
  // its log only), so a fresh proof from the same key must succeed to show that the jti
  // alone was the problem.
  HttpResponse replay = RequestToken(GetParam(), client("dpop-jwt"), proof);
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_EQ(JsonString(replay.body, "/error"), "invalid_grant");
  EXPECT_EQ(replay.headers.count("www-authenticate"), 0u);

  HttpResponse fresh =
      RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, TokenUrl(GetParam())));
  EXPECT_EQ(fresh.status, 200) << fresh.body;
}

TEST_P(SchemeTest, WrongHtuRejected) {
  const std::string issuer = Issuer(GetParam());
  const std::string scheme = SchemeName(GetParam());
  const std::string other_scheme = GetParam() == Scheme::kHttp ? "https" : "http";
  const std::string port = issuer.substr(issuer.rfind(':') + 1);
  const std::string wrong_port = port == "1" ? "2" : "1";

  struct Case {
    const char* what;
    std::string htu;
  };
  const Case cases[] = {
      {"path", issuer + "/token/introspection"},
      {"trailing slash", issuer + "/token/"},
      {"scheme", other_scheme + "://127.0.0.1:" + port + "/token"},
      {"port", scheme + "://127.0.0.1:" + wrong_port + "/token"},
      {"host", scheme + "://localhost:" + port + "/token"},
  };

  ProofKey key = NewProofKey();
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.what) + ": htu " + c.htu);
    HttpResponse response = RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, c.htu));
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(JsonString(response.body, "/error"), "invalid_dpop_proof");
    EXPECT_EQ(JsonString(response.body, "/error_description"), "DPoP proof htu mismatch");
  }
}

TEST_P(SchemeTest, WrongHtmRejected) {
  ProofKey key = NewProofKey();
  HttpResponse response = RequestToken(GetParam(), client("dpop-jwt"),
                                       BuildProof(key, TokenUrl(GetParam()), {.htm = "GET"}));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(JsonString(response.body, "/error"), "invalid_dpop_proof");
  EXPECT_EQ(JsonString(response.body, "/error_description"), "DPoP proof htm mismatch");
}

// The peer rejects a proof whose iat is outside its 300 s window with use_dpop_nonce and a
// nonce. It accepts a proof carrying that nonce whatever its iat, so a client with a skewed
// clock recovers by retrying once with the nonce.
TEST_P(SchemeTest, StaleIatGetsNonce) {
  ProofKey key = NewProofKey();
  const ProofOptions stale{.clock_offset_seconds = -600};
  HttpResponse first =
      RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, TokenUrl(GetParam()), stale));
  ASSERT_EQ(first.status, 400) << first.body;
  EXPECT_EQ(JsonString(first.body, "/error"), "use_dpop_nonce");
  ASSERT_EQ(first.headers.count("dpop-nonce"), 1u);

  ProofOptions retry = stale;
  retry.nonce = first.headers["dpop-nonce"];
  HttpResponse second =
      RequestToken(GetParam(), client("dpop-jwt"), BuildProof(key, TokenUrl(GetParam()), retry));
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(JsonString(second.body, "/token_type"), "DPoP");
}

TEST_P(SchemeTest, BearerClientNeedsNoProof) {
  const std::string token = ObtainToken(GetParam(), client("bearer"), "", "Bearer");
  EXPECT_FALSE(token.empty());
}

TEST_P(SchemeTest, BearerClientWithProofGetsDpop) {
  ProofKey key = NewProofKey();
  const std::string token =
      ObtainToken(GetParam(), client("bearer"), BuildProof(key, TokenUrl(GetParam())), "DPoP",
                  "&resource=" + FormEncode(peer().jwt_resource));
  ASSERT_FALSE(token.empty());

  Result<DecodedJwt> jwt = DecodeJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.error().ToString();
  EXPECT_EQ(JsonString(jwt->payload_json, "/cnf/jkt"), key.thumbprint());
}

TEST_P(SchemeTest, DpopClientWithoutProofRejected) {
  for (const char* id : {"dpop-jwt", "dpop-opaque"}) {
    SCOPED_TRACE(id);
    HttpResponse response = RequestToken(GetParam(), client(id), "");
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(JsonString(response.body, "/error"), "invalid_grant");
    EXPECT_EQ(response.headers.count("www-authenticate"), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Peer, SchemeTest, ::testing::Values(Scheme::kHttp, Scheme::kHttps),
                         ParamName);

}  // namespace
}  // namespace dpopfleet::interop
