// Tests of DPoP proof building and the RFC 9449 example vectors.

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "dpopfleet/base64url.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/dpop_verify.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {
namespace {

// The token request proof of RFC 9449 section 4.2 (Figure 2); its iat is 1562262616.
constexpr const char* kRfc9449Proof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TV"
    "CIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8"
    "lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

// CountingRandom fills with a counter, so jti values are predictable in tests.
class CountingRandom : public RandomSource {
 public:
  ErrorCode Fill(std::span<std::uint8_t> out) override {
    for (auto& byte : out) byte = next_++;
    return ErrorCode::kOk;
  }

 private:
  std::uint8_t next_ = 0;
};

class FailingRandom : public RandomSource {
 public:
  ErrorCode Fill(std::span<std::uint8_t>) override { return ErrorCode::kCryptoFailure; }
};

std::string DecodePart(std::string_view proof, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = proof.find('.', start) + 1;
  std::size_t end = proof.find('.', start);
  std::string decoded;
  EXPECT_EQ(Base64UrlDecode(proof.substr(start, end - start), &decoded), ErrorCode::kOk);
  return decoded;
}

ProofKey NewProofKey() {
  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) throw std::runtime_error(key.error().ToString());
  return ProofKey::Create(std::move(*key));
}

ProofExpectations Expect(std::string_view htm, std::string_view htu, std::int64_t now) {
  ProofExpectations expected;
  expected.htm = htm;
  expected.htu = htu;
  expected.now_unix_seconds = now;
  return expected;
}

TEST(AccessTokenHash, Rfc9449Vector) {
  EXPECT_EQ(AccessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
  EXPECT_EQ(AccessTokenHash("x").size(), kAccessTokenHashSize);
}

TEST(VerifyProof, Rfc9449ExampleProof) {
  Result<VerifiedProof> proof =
      VerifyProof(kRfc9449Proof, Expect("POST", "https://server.example.com/token", 1562262616));
  ASSERT_TRUE(proof.ok()) << proof.error().ToString();
  EXPECT_EQ(proof->thumbprint, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
  EXPECT_EQ(proof->jti, "-BwC3ESc6acc2lTc");
  EXPECT_EQ(proof->htm, "POST");
  EXPECT_EQ(proof->htu, "https://server.example.com/token");
  EXPECT_EQ(proof->iat, 1562262616);
  EXPECT_TRUE(proof->ath.empty());

  // The example is years old: with today's clock and the default window it is stale.
  Result<VerifiedProof> stale = VerifyProof(
      kRfc9449Proof, Expect("POST", "https://server.example.com/token", 1'700'000'000));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ErrorCode::kProofIatTooOld);
}

TEST(ProofKey, HeaderAndThumbprintMatchJwk) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  P256PublicKey public_key = key->public_key();
  ProofKey proof_key = ProofKey::Create(std::move(*key));

  std::string header;
  ASSERT_EQ(Base64UrlDecode(proof_key.header_b64(), &header), ErrorCode::kOk);
  EXPECT_EQ(header, R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + PublicJwkJson(public_key) + "}");
  EXPECT_EQ(proof_key.header_b64().size(), kProofHeaderB64Size);
  EXPECT_EQ(proof_key.thumbprint(), JwkThumbprint(public_key));
}

TEST(ProofKey, ThumbprintReferenceOutlivesMoves) {
  ProofKey proof_key = NewProofKey();
  const std::string& thumbprint = proof_key.thumbprint();
  EXPECT_EQ(&proof_key.thumbprint(), &thumbprint);

  ProofKey moved = std::move(proof_key);
  EXPECT_EQ(&moved.thumbprint(), &thumbprint);
  EXPECT_EQ(thumbprint, JwkThumbprint(moved.key().public_key()));

  ProofKey assigned = NewProofKey();
  std::string replaced = assigned.thumbprint();
  assigned = std::move(moved);
  EXPECT_EQ(&assigned.thumbprint(), &thumbprint);
  EXPECT_NE(assigned.thumbprint(), replaced);
}

TEST(ProofBuilder, PayloadLayout) {
  ProofKey proof_key = NewProofKey();
  FakeClock clock(1'700'000'000'500);
  CountingRandom random;
  ProofBuilder builder(clock, random);

  ProofRequest request;
  request.htm = "POST";
  request.htu = "https://as.example/token";
  std::string proof;
  ASSERT_EQ(builder.Build(proof_key, request, &proof), ErrorCode::kOk);

  EXPECT_EQ(proof.substr(0, proof.find('.')), proof_key.header_b64());
  // jti is base64url of the 16 counter bytes 00 01 ... 0f.
  EXPECT_EQ(DecodePart(proof, 1),
            R"({"jti":"AAECAwQFBgcICQoLDA0ODw","htm":"POST","htu":"https://as.example/token",)"
            R"("iat":1700000000})");
  EXPECT_EQ(DecodePart(proof, 2).size(), kEs256SignatureSize);
}

TEST(ProofBuilder, AthNonceOffsetAndEscaping) {
  ProofKey proof_key = NewProofKey();
  FakeClock clock(1'700'000'000'000);
  CountingRandom random;
  ProofBuilder builder(clock, random);

  std::string ath = AccessTokenHash("token-1");
  ProofRequest request;
  request.htm = "GET";
  request.htu = "https://rs.example/a\"b";
  request.ath = ath;
  request.nonce = "n\\1";
  request.clock_offset_seconds = -30;
  std::string proof;
  ASSERT_EQ(builder.Build(proof_key, request, &proof), ErrorCode::kOk);

  EXPECT_EQ(DecodePart(proof, 1),
            R"({"jti":"AAECAwQFBgcICQoLDA0ODw","htm":"GET","htu":"https://rs.example/a\"b",)"
            R"("iat":1699999970,"ath":")" + ath + R"(","nonce":"n\\1"})");
}

TEST(ProofBuilder, ProofsVerifyAndJtisDiffer) {
  ProofKey proof_key = NewProofKey();
  FakeClock clock(1'700'000'000'000);
  ProofBuilder builder(clock);

  std::string ath = AccessTokenHash("access-token");
  const std::string_view nonces[] = {"nonce-1"};
  std::set<std::string> jtis;
  std::string proof;
  for (int i = 0; i < 50; ++i) {
    ProofRequest request{"GET", "https://rs.example/items", ath, "nonce-1"};
    ASSERT_EQ(builder.Build(proof_key, request, &proof), ErrorCode::kOk);

    ProofExpectations expected = Expect("GET", "https://rs.example/items", 1'700'000'000);
    expected.access_token = "access-token";
    expected.accepted_nonces = nonces;
    Result<VerifiedProof> verified = VerifyProof(proof, expected);
    ASSERT_TRUE(verified.ok()) << verified.error().ToString();
    EXPECT_EQ(verified->thumbprint, proof_key.thumbprint());
    EXPECT_EQ(verified->ath, ath);
    EXPECT_EQ(verified->nonce, "nonce-1");
    std::string jti_bytes;
    ASSERT_EQ(Base64UrlDecode(verified->jti, &jti_bytes), ErrorCode::kOk);
    EXPECT_EQ(jti_bytes.size(), kJtiRandomBytes);
    jtis.insert(verified->jti);
  }
  EXPECT_EQ(jtis.size(), 50u);
}

TEST(ProofBuilder, MaxProofSizeBoundsOutput) {
  ProofKey proof_key = NewProofKey();
  FakeClock clock(1'700'000'000'000);
  ProofBuilder builder(clock);
  std::string ath = AccessTokenHash("t");
  const ProofRequest kRequests[] = {
      {"GET", "https://rs.example/", "", "", 0},
      {"POST", "https://rs.example/a\"\n\x01", ath, "", 0},
      {"DELETE", "https://rs.example/items/42", ath, "nonce-\xe2\x80\xa8", 0},
      {"GET", "https://rs.example/", "", "n", -1'700'000'000},
  };
  std::string proof;
  for (const ProofRequest& request : kRequests) {
    ASSERT_EQ(builder.Build(proof_key, request, &proof), ErrorCode::kOk);
    std::size_t bound = ProofBuilder::MaxProofSize(proof_key, request);
    EXPECT_LE(proof.size(), bound) << request.htu;
    EXPECT_GE(proof.size() + 30, bound) << request.htu;
  }
}

TEST(ProofBuilder, ReportsRandomFailure) {
  ProofKey proof_key = NewProofKey();
  FailingRandom random;
  ProofBuilder builder(SystemClock(), random);
  std::string proof;
  EXPECT_EQ(builder.Build(proof_key, ProofRequest{"GET", "https://rs.example/", "", "", 0}, &proof),
            ErrorCode::kCryptoFailure);
}

}  // namespace
}  // namespace dpopfleet
