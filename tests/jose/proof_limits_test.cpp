// Limits on what a proof may make a verifier accept or remember: "crit" headers, the
// length of "jti" and the size of the replay cache.

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/dpop_verify.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kHtu = "https://rs.example/items";

class ProofLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<P256Key> generated = P256Key::Generate();
    ASSERT_TRUE(generated.ok());
    key_ = std::make_unique<P256Key>(std::move(*generated));
  }

  std::string Signed(std::string_view header_extra, std::string_view jti) const {
    std::string header = R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" +
                         PublicJwkJson(key_->public_key()) + std::string(header_extra) + "}";
    std::string payload = R"({"jti":")" + std::string(jti) + R"(","htm":"GET","htu":")" +
                          kHtu + R"(","iat":)" + std::to_string(kNow) + "}";
    std::string token = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
    Es256Signature signature;
    EXPECT_EQ(key_->Sign(token, &signature), ErrorCode::kOk);
    return token + "." + Base64UrlEncode(signature);
  }

  static Result<VerifiedProof> Verify(const std::string& proof) {
    ProofExpectations expected;
    expected.htm = "GET";
    expected.htu = kHtu;
    expected.now_unix_seconds = kNow;
    return VerifyProof(proof, expected);
  }

  std::unique_ptr<P256Key> key_;
};

TEST_F(ProofLimits, RejectsCritHeader) {
  for (const char* crit : {R"(,"crit":["foo"])", R"(,"crit":["exp"])", R"(,"crit":[])",
                           R"(,"crit":"foo")"}) {
    Result<VerifiedProof> result = Verify(Signed(crit, "j-1"));
    ASSERT_FALSE(result.ok()) << crit;
    EXPECT_EQ(result.error().code(), ErrorCode::kProofMalformed) << crit;
    EXPECT_NE(result.error().message().find("crit"), std::string::npos)
        << result.error().message();
  }
}

TEST_F(ProofLimits, BoundsJtiLength) {
  Result<VerifiedProof> longest = Verify(Signed("", std::string(kMaxProofJtiBytes, 'a')));
  EXPECT_TRUE(longest.ok()) << longest.error().ToString();

  for (std::size_t length : {kMaxProofJtiBytes + 1, std::size_t{15'000}}) {
    Result<VerifiedProof> result = Verify(Signed("", std::string(length, 'a')));
    ASSERT_FALSE(result.ok()) << length;
    EXPECT_EQ(result.error().code(), ErrorCode::kProofMalformed) << length;
    EXPECT_NE(result.error().message().find(std::to_string(kMaxProofJtiBytes)),
              std::string::npos)
        << result.error().message();
    EXPECT_LT(result.error().message().size(), 400u) << "the message must not echo the jti";
  }

  Result<VerifiedProof> empty = Verify(Signed("", ""));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kProofMissingClaim);
}

TEST(ReplayCacheLimit, FullCacheRejectsNewPairs) {
  ReplayCache cache(10, 3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(cache.CheckAndInsert("t", "jti-" + std::to_string(i), 1000), ErrorCode::kOk);
  }
  EXPECT_EQ(cache.CheckAndInsert("t", "jti-3", 1000), ErrorCode::kOutOfRange);
  EXPECT_EQ(cache.CheckAndInsert("other-key", "jti-4", 1005), ErrorCode::kOutOfRange);
  EXPECT_EQ(cache.size(), 3u);

  // A full cache still recognises replays of what it holds.
  EXPECT_EQ(cache.CheckAndInsert("t", "jti-0", 1005), ErrorCode::kProofReplayed);

  // Once the entries expire, the next insertion sweeps them and succeeds.
  EXPECT_EQ(cache.CheckAndInsert("t", "jti-3", 1010), ErrorCode::kOk);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ReplayCacheLimit, EntrySizeIgnoresJtiLength) {
  // Distinct long jtis that share a prefix must stay distinct after hashing.
  ReplayCache cache(60, 100);
  std::string base(10'000, 'x');
  EXPECT_EQ(cache.CheckAndInsert("t", base + "1", 1000), ErrorCode::kOk);
  EXPECT_EQ(cache.CheckAndInsert("t", base + "2", 1000), ErrorCode::kOk);
  EXPECT_EQ(cache.CheckAndInsert("t", base + "1", 1000), ErrorCode::kProofReplayed);
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace dpopfleet
