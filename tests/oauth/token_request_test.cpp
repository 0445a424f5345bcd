// The token request factory: what each attempt puts on the wire.

#include <gtest/gtest.h>

#include "dpopfleet/dpop_verify.h"
#include "dpopfleet/oauth_token.h"

namespace dpopfleet {
namespace {

constexpr const char* kEndpoint = "https://as.test.invalid:8443/realms/default/token";

const std::string* FindHeader(const HttpRequest& request, std::string_view name) {
  for (const HttpHeader& header : request.headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

class TokenRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = P256Key::Generate();
    ASSERT_TRUE(key.ok());
    key_.emplace(ProofKey::Create(std::move(*key)));
  }

  TokenRequestSpec Spec() {
    TokenRequestSpec spec;
    spec.token_endpoint = kEndpoint;
    spec.credentials = {"cli_a", "sec b"};
    spec.scope = "agent read";
    spec.key = &*key_;
    spec.builder = &builder_;
    spec.clock = &clock_;
    return spec;
  }

  // VerifyAttemptProof checks |request|'s DPoP header against the token request and returns
  // the verified proof.
  VerifiedProof VerifyAttemptProof(const HttpRequest& request, std::span<const std::string_view> nonces = {}) {
    const std::string* proof = FindHeader(request, "DPoP");
    EXPECT_NE(proof, nullptr);
    if (proof == nullptr) return {};
    ProofExpectations expected;
    expected.htm = "POST";
    expected.htu = kEndpoint;
    expected.now_unix_seconds = clock_.NowUnixSeconds();
    expected.accepted_nonces = nonces;
    auto verified = VerifyProof(*proof, expected);
    EXPECT_TRUE(verified.ok()) << verified.error().ToString();
    return verified.ok() ? *verified : VerifiedProof{};
  }

  FakeClock clock_;
  ProofBuilder builder_{clock_};
  std::optional<ProofKey> key_;
};

TEST_F(TokenRequestTest, FormBodyAndBasicAuth) {
  RequestFactory factory = MakeTokenRequestFactory(Spec());
  auto request = factory(AttemptContext{});
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, kEndpoint);
  EXPECT_EQ(request->body, "grant_type=client_credentials&scope=agent+read");
  ASSERT_NE(FindHeader(*request, "Authorization"), nullptr);
  EXPECT_EQ(*FindHeader(*request, "Authorization"), BasicAuthorization({"cli_a", "sec b"}));
  EXPECT_EQ(*FindHeader(*request, "Content-Type"), "application/x-www-form-urlencoded");
  VerifiedProof proof = VerifyAttemptProof(*request);
  EXPECT_EQ(proof.thumbprint, key_->thumbprint());
  EXPECT_TRUE(proof.ath.empty());
}

TEST_F(TokenRequestTest, EachAttemptSignsAfresh) {
  RequestFactory factory = MakeTokenRequestFactory(Spec());
  auto first = factory(AttemptContext{1, "", 0});
  auto second = factory(AttemptContext{2, "nonce-1", 0});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  std::string_view nonces[] = {"nonce-1"};
  VerifiedProof retried = VerifyAttemptProof(*second, nonces);
  EXPECT_EQ(retried.nonce, "nonce-1");
  EXPECT_NE(VerifyAttemptProof(*first).jti, retried.jti);
}

TEST_F(TokenRequestTest, PresignedProofOnlyForFirstAttempt) {
  TokenRequestSpec spec = Spec();
  spec.presigned_proof = "presigned.proof.value";
  spec.presigned_nonce = "n1";
  spec.presigned_at_millis = clock_.NowUnixMillis();
  RequestFactory factory = MakeTokenRequestFactory(spec);

  auto first = factory(AttemptContext{1, "n1", 0});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*FindHeader(*first, "DPoP"), "presigned.proof.value");

  // A different nonce, a later attempt or an old proof each get a freshly signed proof.
  auto other_nonce = factory(AttemptContext{1, "n2", 0});
  EXPECT_NE(*FindHeader(*other_nonce, "DPoP"), "presigned.proof.value");
  auto retry = factory(AttemptContext{2, "n1", 0});
  EXPECT_NE(*FindHeader(*retry, "DPoP"), "presigned.proof.value");
  clock_.AdvanceMillis(kPresignedProofMaxAgeMillis);
  auto aged = factory(AttemptContext{1, "n1", 0});
  EXPECT_NE(*FindHeader(*aged, "DPoP"), "presigned.proof.value");
}

TEST_F(TokenRequestTest, BearerRequestHasNoProof) {
  TokenRequestSpec spec = Spec();
  spec.key = nullptr;
  spec.scope.clear();
  auto request = MakeTokenRequestFactory(spec)(AttemptContext{});
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(FindHeader(*request, "DPoP"), nullptr);
  EXPECT_EQ(request->body, "grant_type=client_credentials");
}

TEST_F(TokenRequestTest, InvalidEndpointFailsAttempt) {
  TokenRequestSpec spec = Spec();
  spec.token_endpoint = "ftp://as.test.invalid/token";
  auto request = MakeTokenRequestFactory(spec)(AttemptContext{});
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code(), ErrorCode::kInvalidUrl);
}

}  // namespace
}  // namespace dpopfleet
