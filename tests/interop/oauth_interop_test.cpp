// dpopfleet's token client (oauth_token.h) and Transport against node-oidc-provider 8.8.1.
// The tests send presigned proofs that a faulty or hostile client would send: a replayed
// proof, or one for another htu. The token client must report the peer's rejection as an
// error that names the OAuth error.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dpopfleet/oauth_token.h"
#include "dpopfleet/transport.h"
#include "interop_fixture.h"

namespace dpopfleet::interop {
namespace {

class TokenClientTest : public PeerTest, public ::testing::WithParamInterface<Scheme> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PeerTest::SetUp());
    transport_ = NewTransport();
    ASSERT_NE(transport_, nullptr);
  }

  // NewTransport returns a Transport that trusts the peer's CA and has no cached nonce.
  std::unique_ptr<Transport> NewTransport() const {
    TransportOptions options;
    options.ca_file = peer().ca_path;
    Result<std::unique_ptr<Transport>> created = Transport::Create(std::move(options));
    if (!created.ok()) {
      ADD_FAILURE() << created.error().ToString();
      return nullptr;
    }
    return std::move(created).value();
  }

  void TearDown() override {
    if (transport_) transport_->Shutdown();
  }

  // Spec returns a DPoP token request of client dpop-jwt signed with |key|, whose first
  // attempt sends |presigned_proof| when it is not empty.
  TokenRequestSpec Spec(const ProofKey& key, const std::string& presigned_proof = "") const {
    TokenRequestSpec spec;
    spec.token_endpoint = TokenUrl(GetParam());
    spec.credentials = {"dpop-jwt", client("dpop-jwt").secret};
    spec.key = &key;
    spec.builder = &token_builder_;
    spec.presigned_proof = presigned_proof;
    spec.presigned_at_millis = SystemClock().NowUnixMillis();
    return spec;
  }

  Transport& transport() { return *transport_; }

 private:
  ProofBuilder token_builder_;
  std::unique_ptr<Transport> transport_;
};

std::string ParamName(const ::testing::TestParamInfo<Scheme>& info) {
  return SchemeName(info.param);
}

TEST_P(TokenClientTest, TokenBoundToKey) {
  ProofKey key = NewProofKey();
  Result<TokenResponse> token = dpopfleet::RequestToken(transport(), Spec(key), /*allow_bearer=*/false);
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(token->cnf_jkt, key.thumbprint());
}

TEST_P(TokenClientTest, ReplayedProofReported) {
  ProofKey key = NewProofKey();
  const std::string proof = BuildProof(key, TokenUrl(GetParam()));

  Result<TokenResponse> first = dpopfleet::RequestToken(transport(), Spec(key, proof), false);
  ASSERT_TRUE(first.ok()) << first.error().ToString();

  // The peer sends a DPoP-Nonce header with every token response, and a transport that has
  // cached a nonce signs afresh instead of sending a presigned proof without it. A second
  // transport, with no nonce cached, sends the presigned proof again as it is.
  std::unique_ptr<Transport> second = NewTransport();
  ASSERT_NE(second, nullptr);
  Result<TokenResponse> replay = dpopfleet::RequestToken(*second, Spec(key, proof), false);
  second->Shutdown();
  ASSERT_FALSE(replay.ok()) << "the peer accepted a replayed proof";
  EXPECT_EQ(replay.error().code(), ErrorCode::kHttpStatus) << replay.error().ToString();
  EXPECT_NE(replay.error().message().find("invalid_grant"), std::string::npos)
      << replay.error().ToString();
}

TEST_P(TokenClientTest, WrongHtuReported) {
  ProofKey key = NewProofKey();
  const std::string proof = BuildProof(key, Issuer(GetParam()) + "/token/introspection");

  Result<TokenResponse> token = dpopfleet::RequestToken(transport(), Spec(key, proof), false);
  ASSERT_FALSE(token.ok()) << "the peer accepted a proof for another htu";
  EXPECT_EQ(token.error().code(), ErrorCode::kHttpStatus) << token.error().ToString();
  EXPECT_NE(token.error().message().find("invalid_dpop_proof"), std::string::npos)
      << token.error().ToString();
  EXPECT_NE(token.error().message().find("htu mismatch"), std::string::npos)
      << token.error().ToString();
}

TEST_P(TokenClientTest, BearerRequestRejectedForDpopClient) {
  TokenRequestSpec spec;
  spec.token_endpoint = TokenUrl(GetParam());
  spec.credentials = {"dpop-jwt", client("dpop-jwt").secret};

  Result<TokenResponse> token = dpopfleet::RequestToken(transport(), spec, /*allow_bearer=*/true);
  ASSERT_FALSE(token.ok()) << "the peer issued a token without a proof to a DPoP-only client";
  EXPECT_EQ(token.error().code(), ErrorCode::kHttpStatus) << token.error().ToString();
  EXPECT_NE(token.error().message().find("invalid_grant"), std::string::npos)
      << token.error().ToString();
}

TEST_P(TokenClientTest, BearerRequestAcceptedForBearerClient) {
  TokenRequestSpec spec;
  spec.token_endpoint = TokenUrl(GetParam());
  spec.credentials = {"bearer", client("bearer").secret};

  Result<TokenResponse> token = dpopfleet::RequestToken(transport(), spec, /*allow_bearer=*/true);
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(token->token_type, "Bearer");
  EXPECT_TRUE(token->cnf_jkt.empty());
}

INSTANTIATE_TEST_SUITE_P(Peer, TokenClientTest, ::testing::Values(Scheme::kHttp, Scheme::kHttps),
                         ParamName);

}  // namespace
}  // namespace dpopfleet::interop
