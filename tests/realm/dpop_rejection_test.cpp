// One case per DPoP check at the token endpoint (400 + error code) and at the resource
// (401 + WWW-Authenticate), plus the htu normalisations that must be accepted.

#include <gtest/gtest.h>

#include "dpopfleet/jwk.h"
#include "dpopfleet/json_writer.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

struct ProofCase {
  const char* name;
  int status;
  const char* error;   // expected "error", empty for success
  const char* reason;  // expected prefix of error_description, empty for success
};

class DpopRejectionTest : public RealmTest {
 protected:
  void SetUp() override { StartRealm(); }

  // Header returns a proof header with |typ|, |alg| and |jwk_json|; empty members are left out.
  static std::string Header(std::string_view typ, std::string_view alg, std::string_view jwk_json) {
    JsonObjectWriter writer;
    if (!typ.empty()) writer.String("typ", typ);
    if (!alg.empty()) writer.String("alg", alg);
    if (!jwk_json.empty()) writer.Raw("jwk", jwk_json);
    return writer.Finish();
  }

  std::string Payload(std::string_view htm, std::string_view htu, std::int64_t iat_offset,
                      bool with_jti = true) const {
    JsonObjectWriter writer;
    if (with_jti) writer.String("jti", "jti-" + std::to_string(++serial_));
    return writer.String("htm", htm).String("htu", htu).Int("iat", clock_.NowUnixSeconds() + iat_offset).Finish();
  }

  std::string PublicJwk() const { return PublicJwkJson(key_.key().public_key()); }

  HttpResult PostToken(const std::vector<std::string>& proofs, std::vector<std::string> extra = {}) {
    HttpCall call = TokenCall(kClientId, "");
    for (const std::string& proof : proofs) call.headers.push_back("DPoP: " + proof);
    for (std::string& header : extra) call.headers.push_back(std::move(header));
    return Send(call);
  }

  void ExpectOutcome(const ProofCase& expected, const HttpResult& result) {
    SCOPED_TRACE(expected.name);
    EXPECT_EQ(result.status, expected.status) << result.body << result.curl_error;
    if (expected.error[0] == '\0') return;
    EXPECT_EQ(JsonStringMember(result.body, "error").value_or(""), expected.error);
    EXPECT_TRUE(JsonStringMember(result.body, "error_description").value_or("").starts_with(expected.reason))
        << result.body;
  }

  mutable int serial_ = 0;
};

TEST_F(DpopRejectionTest, TokenEndpointRejectsEachBadProof) {
  const std::string url = TokenUrl();
  const P256Key& key = key_.key();
  auto private_jwk = PrivateJwkJson(key);

  struct Row {
    ProofCase expected;
    std::vector<std::string> proofs;
  };
  std::string valid = MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", url, 0));
  std::string bad_signature = valid;
  bad_signature[bad_signature.size() - 5] = bad_signature[bad_signature.size() - 5] == 'A' ? 'B' : 'A';

  std::vector<Row> rows = {
      {{"valid proof", 200, "", ""}, {valid}},
      {{"two DPoP headers", 400, "invalid_dpop_proof", "proof_multiple_headers"},
       {Proof(key_, "POST", url), Proof(key_, "POST", url)}},
      {{"not a JWS", 400, "invalid_dpop_proof", "proof_malformed"}, {"not-a-jws"}},
      {{"typ JWT", 400, "invalid_dpop_proof", "proof_bad_typ"},
       {MakeJws(key, Header("JWT", "ES256", PublicJwk()), Payload("POST", url, 0))}},
      {{"alg RS256", 400, "invalid_dpop_proof", "proof_bad_alg"},
       {MakeJws(key, Header("dpop+jwt", "RS256", PublicJwk()), Payload("POST", url, 0))}},
      {{"alg none", 400, "invalid_dpop_proof", "proof_bad_alg"},
       {MakeJws(key, Header("dpop+jwt", "none", PublicJwk()), Payload("POST", url, 0))}},
      {{"missing jwk", 400, "invalid_dpop_proof", "proof_missing_jwk"},
       {MakeJws(key, Header("dpop+jwt", "ES256", ""), Payload("POST", url, 0))}},
      {{"private jwk", 400, "invalid_dpop_proof", "proof_private_jwk"},
       {MakeJws(key, Header("dpop+jwt", "ES256", private_jwk), Payload("POST", url, 0))}},
      {{"bad signature", 400, "invalid_dpop_proof", "proof_bad_signature"}, {bad_signature}},
      {{"htm GET", 400, "invalid_dpop_proof", "proof_htm_mismatch"},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("GET", url, 0))}},
      {{"htu other path", 400, "invalid_dpop_proof", "proof_htu_mismatch"},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", realm_->issuer() + "/introspect", 0))}},
      {{"htu http scheme", 400, "invalid_dpop_proof", "proof_htu_mismatch"},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()),
                Payload("POST", "http" + url.substr(5), 0))}},
      {{"iat 61 s old", 400, "invalid_dpop_proof", "proof_iat_too_old"},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", url, -61))}},
      {{"iat 6 s ahead", 400, "invalid_dpop_proof", "proof_iat_in_future"},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", url, 6))}},
      {{"missing jti", 400, "invalid_dpop_proof", "proof_missing_claim"},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", url, 0, false))}},
      {{"replayed proof", 400, "invalid_dpop_proof", "proof_replayed"}, {valid}},
      {{"iat 60 s old accepted", 200, "", ""},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", url, -60))}},
      {{"iat 5 s ahead accepted", 200, "", ""},
       {MakeJws(key, Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", url, 5))}},
  };
  for (const Row& row : rows) ExpectOutcome(row.expected, PostToken(row.proofs));

  RealmCounters counters = realm_->counters();
  EXPECT_EQ(counters.rejections_by_reason["proof_replayed"], 1U);
  EXPECT_EQ(counters.rejections_by_reason["proof_bad_alg"], 2U);
  EXPECT_EQ(counters.dpop_tokens_issued, 3U);
}

TEST_F(DpopRejectionTest, EquivalentHtuFormsAccepted) {
  std::string port = std::to_string(realm_->port());
  std::vector<std::string> equivalents = {
      "HTTPS://127.0.0.1:" + port + "/realms/default/token",
      "https://127.0.0.1:" + port + "/realms/default/./token",
      "https://127.0.0.1:" + port + "/realms/x/../default/token",
      "https://127.0.0.1:" + port + "/realms/default/%74oken",
      "https://127.0.0.1:" + port + "/realms/default/token?query=ignored#fragment",
  };
  for (const std::string& htu : equivalents) {
    SCOPED_TRACE(htu);
    std::string proof = MakeJws(key_.key(), Header("dpop+jwt", "ES256", PublicJwk()), Payload("POST", htu, 0));
    HttpResult result = PostToken({proof});
    EXPECT_EQ(result.status, 200) << result.body;
  }
}

TEST_F(DpopRejectionTest, HtuFollowsHostHeader) {
  std::string localhost_url = "https://localhost:" + std::to_string(realm_->port()) + "/realms/default/token";
  std::string proof = Proof(key_, "POST", localhost_url);
  HttpResult accepted = PostToken({proof}, {"Host: localhost:" + std::to_string(realm_->port())});
  EXPECT_EQ(accepted.status, 200) << accepted.body;

  HttpResult rejected = PostToken({Proof(key_, "POST", localhost_url)});
  EXPECT_EQ(rejected.status, 400);
  EXPECT_EQ(JsonStringMember(rejected.body, "error").value_or(""), "invalid_dpop_proof");
}

TEST_F(DpopRejectionTest, ForwardedProtoFromLoopbackChangesScheme) {
  std::string http_url = "http" + TokenUrl().substr(5);
  HttpResult result = PostToken({Proof(key_, "POST", http_url)}, {"X-Forwarded-Proto: http"});
  EXPECT_EQ(result.status, 200) << result.body;
}

TEST_F(DpopRejectionTest, ResourceRejectsEachBadProof) {
  std::string token = FetchDpopToken(key_);
  ASSERT_FALSE(token.empty());
  ProofKey other_key = NewProofKey();
  std::string url = WhoamiUrl();

  struct Row {
    ProofCase expected;
    std::string proof;
  };
  std::vector<Row> rows = {
      {{"valid proof", 200, "", ""}, Proof(key_, "GET", url, token)},
      {{"missing ath", 401, "invalid_dpop_proof", "proof_ath_missing"}, Proof(key_, "GET", url)},
      {{"wrong ath", 401, "invalid_dpop_proof", "proof_ath_mismatch"}, Proof(key_, "GET", url, token + "x")},
      {{"other key", 401, "invalid_dpop_proof", "the proof's key"}, Proof(other_key, "GET", url, token)},
      {{"htm POST", 401, "invalid_dpop_proof", "proof_htm_mismatch"}, Proof(key_, "POST", url, token)},
      {{"htu token endpoint", 401, "invalid_dpop_proof", "proof_htu_mismatch"}, Proof(key_, "GET", TokenUrl(), token)},
  };
  for (const Row& row : rows) {
    HttpResult result = Send({"GET", url, {"Authorization: DPoP " + token, "DPoP: " + row.proof}, ""});
    ExpectOutcome(row.expected, result);
    if (row.expected.status == 401) {
      EXPECT_TRUE(result.Header("www-authenticate").starts_with("DPoP error=\"invalid_dpop_proof\""))
          << row.expected.name << ": " << result.Header("www-authenticate");
    }
  }

  HttpResult no_proof = Send({"GET", url, {"Authorization: DPoP " + token}, ""});
  EXPECT_EQ(no_proof.status, 401);
  HttpResult as_bearer = Send({"GET", url, {"Authorization: Bearer " + token}, ""});
  EXPECT_EQ(as_bearer.status, 401);
  EXPECT_EQ(JsonStringMember(as_bearer.body, "error").value_or(""), "invalid_token");
  EXPECT_EQ(realm_->counters().rejections_by_reason["bound_token_as_bearer"], 1U);
}

}  // namespace
}  // namespace dpopfleet::realm_test
