// A table of proofs that VerifyProof must reject, one per check, each with its own code.

#include <gtest/gtest.h>

#include <functional>

#include "dpopfleet/base64url.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/dpop_verify.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kHtu = "https://rs.example/items";

// Signed builds a compact JWS over arbitrary header and payload JSON.
std::string Signed(const P256Key& key, std::string_view header, std::string_view payload) {
  std::string token = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  Es256Signature signature;
  EXPECT_EQ(key.Sign(token, &signature), ErrorCode::kOk);
  return token + "." + Base64UrlEncode(signature);
}

class VerifyRejection : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<P256Key> generated = P256Key::Generate();
    ASSERT_TRUE(generated.ok());
    key_ = std::make_unique<P256Key>(std::move(*generated));
    jwk_ = PublicJwkJson(key_->public_key());
  }

  std::string Header(std::string_view typ = "dpop+jwt", std::string_view alg = "ES256") const {
    return R"({"typ":")" + std::string(typ) + R"(","alg":")" + std::string(alg) +
           R"(","jwk":)" + jwk_ + "}";
  }

  static std::string Payload(std::string_view extra = "", std::int64_t iat = kNow,
                             std::string_view htm = "GET", std::string_view htu = kHtu) {
    return R"({"jti":"j-1","htm":")" + std::string(htm) + R"(","htu":")" + std::string(htu) +
           R"(","iat":)" + std::to_string(iat) + std::string(extra) + "}";
  }

  std::unique_ptr<P256Key> key_;
  std::string jwk_;
};

struct RejectionCase {
  const char* name;
  std::string proof;
  ErrorCode expected;
  std::function<void(ProofExpectations*)> adjust;
};

TEST_F(VerifyRejection, Table) {
  Result<P256Key> other = P256Key::Generate();
  ASSERT_TRUE(other.ok());
  const P256Key& key = *key_;
  std::string good = Signed(key, Header(), Payload());
  std::string good_signature = good.substr(good.rfind('.'));
  std::string bad_point_jwk = jwk_;
  bad_point_jwk[bad_point_jwk.size() - 10] = bad_point_jwk[bad_point_jwk.size() - 10] == 'A' ? 'B' : 'A';
  std::string ath = AccessTokenHash("token-1");
  const std::string_view nonces[] = {"n-1", "n-2"};
  auto with_token = [](ProofExpectations* e) { e->access_token = "token-1"; };
  auto with_nonces = [&nonces](ProofExpectations* e) { e->accepted_nonces = nonces; };

  std::vector<RejectionCase> cases = {
      {"one part", "abc", ErrorCode::kProofMalformed, nullptr},
      {"two parts", "abc.def", ErrorCode::kProofMalformed, nullptr},
      {"four parts", good + ".x", ErrorCode::kProofMalformed, nullptr},
      {"empty signature", good.substr(0, good.rfind('.') + 1), ErrorCode::kProofMalformed, nullptr},
      {"header not base64url", "a+b." + good.substr(good.find('.') + 1),
       ErrorCode::kProofMalformed, nullptr},
      {"header not json", Signed(key, "{\"typ\":", Payload()), ErrorCode::kProofMalformed, nullptr},
      {"header duplicate member",
       Signed(key, R"({"typ":"dpop+jwt","typ":"dpop+jwt","alg":"ES256","jwk":)" + jwk_ + "}",
              Payload()),
       ErrorCode::kProofMalformed, nullptr},
      {"payload not json", Signed(key, Header(), "[]"), ErrorCode::kProofMalformed, nullptr},
      {"signature padded", good + "=", ErrorCode::kProofMalformed, nullptr},
      {"typ jwt", Signed(key, Header("jwt"), Payload()), ErrorCode::kProofBadTyp, nullptr},
      {"typ case", Signed(key, Header("DPoP+jwt"), Payload()), ErrorCode::kProofBadTyp, nullptr},
      {"typ missing", Signed(key, R"({"alg":"ES256","jwk":)" + jwk_ + "}", Payload()),
       ErrorCode::kProofBadTyp, nullptr},
      {"alg none", Base64UrlEncode(Header("dpop+jwt", "none")) + "." +
                       Base64UrlEncode(Payload()) + good_signature,
       ErrorCode::kProofBadAlg, nullptr},
      {"alg HS256", Signed(key, Header("dpop+jwt", "HS256"), Payload()), ErrorCode::kProofBadAlg,
       nullptr},
      {"alg ES384", Signed(key, Header("dpop+jwt", "ES384"), Payload()), ErrorCode::kProofBadAlg,
       nullptr},
      {"alg RS256", Signed(key, Header("dpop+jwt", "RS256"), Payload()), ErrorCode::kProofBadAlg,
       nullptr},
      {"jwk missing", Signed(key, R"({"typ":"dpop+jwt","alg":"ES256"})", Payload()),
       ErrorCode::kProofMissingJwk, nullptr},
      {"jwk string", Signed(key, R"({"typ":"dpop+jwt","alg":"ES256","jwk":"x"})", Payload()),
       ErrorCode::kProofMissingJwk, nullptr},
      {"jwk off curve",
       Signed(key, R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + bad_point_jwk + "}", Payload()),
       ErrorCode::kProofMissingJwk, nullptr},
      {"jwk private",
       Signed(key, R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + PrivateJwkJson(key) + "}",
              Payload()),
       ErrorCode::kProofPrivateJwk, nullptr},
      {"signed by other key",
       Signed(*other, Header(), Payload()), ErrorCode::kProofBadSignature, nullptr},
      {"payload swapped",
       good.substr(0, good.find('.') + 1) + Base64UrlEncode(Payload("", kNow, "POST")) +
           good_signature,
       ErrorCode::kProofBadSignature, nullptr},
      {"signature 63 bytes",
       good.substr(0, good.rfind('.') + 1) + Base64UrlEncode(std::string(63, 'x')),
       ErrorCode::kProofBadSignature, nullptr},
      {"jti missing", Signed(key, Header(), R"({"htm":"GET","htu":"https://rs.example/items","iat":1700000000})"),
       ErrorCode::kProofMissingClaim, nullptr},
      {"htm missing", Signed(key, Header(), R"({"jti":"j","htu":"https://rs.example/items","iat":1700000000})"),
       ErrorCode::kProofMissingClaim, nullptr},
      {"htu missing", Signed(key, Header(), R"({"jti":"j","htm":"GET","iat":1700000000})"),
       ErrorCode::kProofMissingClaim, nullptr},
      {"iat missing", Signed(key, Header(), R"({"jti":"j","htm":"GET","htu":"https://rs.example/items"})"),
       ErrorCode::kProofMissingClaim, nullptr},
      {"iat string", Signed(key, Header(), R"({"jti":"j","htm":"GET","htu":"https://rs.example/items","iat":"1700000000"})"),
       ErrorCode::kProofMissingClaim, nullptr},
      {"htm other", Signed(key, Header(), Payload("", kNow, "POST")), ErrorCode::kProofHtmMismatch,
       nullptr},
      {"htm lower case", Signed(key, Header(), Payload("", kNow, "get")),
       ErrorCode::kProofHtmMismatch, nullptr},
      {"htu other path", Signed(key, Header(), Payload("", kNow, "GET", "https://rs.example/other")),
       ErrorCode::kProofHtuMismatch, nullptr},
      {"htu other host", Signed(key, Header(), Payload("", kNow, "GET", "https://evil.example/items")),
       ErrorCode::kProofHtuMismatch, nullptr},
      {"htu http", Signed(key, Header(), Payload("", kNow, "GET", "http://rs.example/items")),
       ErrorCode::kProofHtuMismatch, nullptr},
      {"htu not a url", Signed(key, Header(), Payload("", kNow, "GET", "/items")),
       ErrorCode::kProofHtuMismatch, nullptr},
      {"iat too old", Signed(key, Header(), Payload("", kNow - 61)), ErrorCode::kProofIatTooOld,
       nullptr},
      {"iat in future", Signed(key, Header(), Payload("", kNow + 6)), ErrorCode::kProofIatInFuture,
       nullptr},
      {"ath missing", Signed(key, Header(), Payload()), ErrorCode::kProofAthMissing, with_token},
      {"ath required without token", Signed(key, Header(), Payload()), ErrorCode::kProofAthMissing,
       [](ProofExpectations* e) { e->require_ath = true; }},
      {"ath of other token",
       Signed(key, Header(), Payload(R"(,"ath":")" + AccessTokenHash("token-2") + "\"")),
       ErrorCode::kProofAthMismatch, with_token},
      {"nonce missing", Signed(key, Header(), Payload()), ErrorCode::kProofNonceMissing,
       with_nonces},
      {"nonce stale", Signed(key, Header(), Payload(R"(,"nonce":"n-0")")),
       ErrorCode::kProofNonceInvalid, with_nonces},
  };

  for (const RejectionCase& test : cases) {
    ProofExpectations expected;
    expected.htm = "GET";
    expected.htu = kHtu;
    expected.now_unix_seconds = kNow;
    if (test.adjust) test.adjust(&expected);

    Result<VerifiedProof> result = VerifyProof(test.proof, expected);
    ASSERT_FALSE(result.ok()) << test.name;
    EXPECT_EQ(result.error().code(), test.expected)
        << test.name << ": got " << result.error().ToString();
    EXPECT_FALSE(result.error().message().empty()) << test.name;
  }
}

TEST_F(VerifyRejection, AcceptsEquivalentUrlsAndWindowEdges) {
  std::string ath = AccessTokenHash("token-1");
  const std::string_view nonces[] = {"n-1", "n-2"};
  struct AcceptCase {
    const char* name;
    std::string payload;
  };
  const AcceptCase kCases[] = {
      {"equivalent htu", Payload(R"(,"ath":")" + ath + R"(","nonce":"n-2")", kNow, "GET",
                                 "HTTPS://RS.example:443/./items")},
      {"oldest iat", Payload(R"(,"ath":")" + ath + R"(","nonce":"n-1")", kNow - 60)},
      {"latest iat", Payload(R"(,"ath":")" + ath + R"(","nonce":"n-1")", kNow + 5)},
  };
  for (const AcceptCase& test : kCases) {
    ProofExpectations expected;
    expected.htm = "GET";
    expected.htu = "https://rs.example/%69tems?query=ignored";
    expected.now_unix_seconds = kNow;
    expected.access_token = "token-1";
    expected.accepted_nonces = nonces;
    Result<VerifiedProof> result = VerifyProof(Signed(*key_, Header(), test.payload), expected);
    EXPECT_TRUE(result.ok()) << test.name << ": " << result.error().ToString();
  }
}

}  // namespace
}  // namespace dpopfleet
