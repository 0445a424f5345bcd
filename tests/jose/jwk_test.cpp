// Tests of JWK serialisation, parsing and RFC 7638 thumbprints.

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {
namespace {

// The public key of RFC 9449's examples (its Figure 2 proof header).
constexpr const char* kRfc9449Jwk =
    R"({"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",)"
    R"("y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"})";

TEST(JwkThumbprint, Rfc9449ExampleKey) {
  Result<P256PublicKey> key = ParsePublicJwk(kRfc9449Jwk);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(JwkThumbprint(*key), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
  EXPECT_EQ(JwkThumbprint(*key).size(), kJwkThumbprintSize);
}

TEST(JwkThumbprint, Rfc7638HashAndEncoding) {
  // RFC 7638 section 3.1's only vector is an RSA key, which dpopfleet does not support.
  // Its canonical JSON still checks the SHA-256 and base64url steps of the thumbprint.
  constexpr const char* kCanonicalRsa =
      R"({"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4)"
      R"(cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9)"
      R"(yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu)"
      R"(6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBni)"
      R"(Iqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"})";
  EXPECT_EQ(Base64UrlEncode(Sha256(kCanonicalRsa)), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(PublicJwkJson, CanonicalMemberOrder) {
  // RFC 7638 section 3.2: for EC keys exactly crv, kty, x, y in lexicographic order, no
  // whitespace, whatever order the input used.
  Result<P256PublicKey> key = ParsePublicJwk(kRfc9449Jwk);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(PublicJwkJson(*key),
            R"({"crv":"P-256","kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",)"
            R"("y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"})");
}

TEST(ParsePublicJwk, IgnoresExtraMembers) {
  Result<P256PublicKey> plain = ParsePublicJwk(kRfc9449Jwk);
  Result<P256PublicKey> extra = ParsePublicJwk(
      R"({"kid":"k1","use":"sig","alg":"ES256","kty":"EC","crv":"P-256",)"
      R"("x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",)"
      R"("y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"})");
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(extra.ok()) << extra.error().ToString();
  EXPECT_EQ(*plain, *extra);
}

TEST(ParsePublicJwk, RejectionTable) {
  const std::string x = R"("x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs")";
  const std::string y = R"("y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")";
  const std::string bad_y = R"("y":"9VE5jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")";
  const std::pair<std::string, std::string> kCases[] = {
      {"not json", "JSON"},
      {"[1]", "JSON"},
      {R"({"kty":"RSA","crv":"P-256",)" + x + "," + y + "}", "kty"},
      {R"({"crv":"P-256",)" + x + "," + y + "}", "kty"},
      {R"({"kty":"EC","crv":"P-384",)" + x + "," + y + "}", "crv"},
      {R"({"kty":"EC","crv":"P-256",)" + y + "}", "\"x\""},
      {R"({"kty":"EC","crv":"P-256","x":"AAAA",)" + y + "}", "\"x\""},
      {R"({"kty":"EC","crv":"P-256",)" + x + R"(,"y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA=")" + "}", "\"y\""},
      {R"({"kty":"EC","crv":"P-256",)" + x + "," + bad_y + "}", "curve"},
      // x = p, the field prime: 32 bytes, but not a coordinate.
      {R"({"kty":"EC","crv":"P-256","x":"_____wAAAAEAAAAAAAAAAAAAAAD_______________8",)" + y + "}", "prime p"},
      {R"({"kty":"EC","crv":"P-256",)" + x + "," + y + R"(,"d":"AAAA"})", "\"d\""},
      {R"({"kty":"EC","kty":"EC","crv":"P-256",)" + x + "," + y + "}", "JSON"},
  };
  for (const auto& [json, reason] : kCases) {
    Result<P256PublicKey> key = ParsePublicJwk(json);
    ASSERT_FALSE(key.ok()) << json;
    EXPECT_EQ(key.error().code(), ErrorCode::kInvalidJwk) << json;
    EXPECT_NE(key.error().message().find(reason), std::string::npos)
        << json << " -> " << key.error().message();
  }
}

TEST(PrivateJwk, RoundTrip) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  std::string json = PrivateJwkJson(*key);
  EXPECT_NE(json.find(R"("d":")"), std::string::npos);

  Result<P256Key> parsed = ParsePrivateJwk(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->public_key(), key->public_key());
  EXPECT_EQ(parsed->PrivateScalar(), key->PrivateScalar());

  // The private JWK is also a valid public JWK when private members are allowed.
  EXPECT_TRUE(ParsePublicJwk(json, true).ok());
  EXPECT_FALSE(ParsePublicJwk(json, false).ok());
}

TEST(PrivateJwk, RejectsMismatchedPublicPart) {
  Result<P256Key> first = P256Key::Generate();
  Result<P256Key> second = P256Key::Generate();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());

  // d from the first key with x and y of the second.
  std::string json = PrivateJwkJson(*first);
  std::string public_members = PublicJwkJson(second->public_key());
  std::size_t d_at = json.find(R"(,"d":)");
  std::string mixed = public_members.substr(0, public_members.size() - 1) + json.substr(d_at);

  Result<P256Key> parsed = ParsePrivateJwk(mixed);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidJwk);
  EXPECT_EQ(parsed.error().message().find(json.substr(d_at + 6, 43)), std::string::npos)
      << "the error message must not contain the private scalar";

  Result<P256Key> missing = ParsePrivateJwk(PublicJwkJson(first->public_key()));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kInvalidJwk);
}

}  // namespace
}  // namespace dpopfleet
