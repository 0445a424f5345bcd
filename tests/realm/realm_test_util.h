// Helpers for the realm's tests: a libcurl easy-interface HTTP client that trusts the
// realm's generated CA, hand-made JWS values for malformed proofs, and a fixture that
// starts a realm on a fake clock.

#ifndef DPOPFLEET_TESTS_REALM_REALM_TEST_UTIL_H_
#define DPOPFLEET_TESTS_REALM_REALM_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/realm.h"

namespace dpopfleet::realm_test {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value" lines
  std::string body;
};

struct HttpResult {
  long status = 0;  // 0 when no response arrived
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string curl_error;

  // Header returns the first header named |lower_case_name|, or "".
  std::string Header(std::string_view lower_case_name) const;
};

// Send performs |call| with libcurl, verifying TLS against |ca_file| when it is not empty.
HttpResult Send(const HttpCall& call, const std::string& ca_file);

// BasicAuthorization returns "Authorization: Basic base64(id:secret)".
std::string BasicAuthorization(std::string_view client_id, std::string_view secret);

// MakeJws signs base64url(|header_json|) "." base64url(|payload_json|) with |key|.
std::string MakeJws(const P256Key& key, std::string_view header_json, std::string_view payload_json);

// JsonString and JsonInt read a top-level member of |json|, or nullopt.
std::optional<std::string> JsonStringMember(const std::string& json, const char* name);
std::optional<std::int64_t> JsonIntMember(const std::string& json, const char* pointer);

// DecodePayload returns the decoded JSON payload of compact JWS |jwt|.
std::string DecodePayload(const std::string& jwt);

// RealmTest starts a realm on |clock| with a static DPoP-optional client "agent-1" and a
// DPoP-only client "agent-dpop", both with secret "s3cret".
class RealmTest : public ::testing::Test {
 protected:
  static constexpr const char* kClientId = "agent-1";
  static constexpr const char* kDpopClientId = "agent-dpop";
  static constexpr const char* kSecret = "s3cret";

  RealmTest();

  // StartRealm starts the realm with |options| plus the static clients and the fake clock.
  void StartRealm(RealmOptions options = {});

  std::string Url(std::string_view path) const { return realm_->base_url() + std::string(path); }
  std::string TokenUrl() const { return realm_->issuer() + "/token"; }
  std::string WhoamiUrl() const { return realm_->issuer() + "/v1/whoami"; }

  // Proof builds a proof with |key| for |method| and |url| (normalised), carrying |ath|
  // and |nonce| when not empty.
  std::string Proof(const ProofKey& key, std::string_view method, std::string_view url,
                    std::string_view access_token = {}, std::string_view nonce = {}) const;

  // TokenCall returns a token request for |client_id| with |proof| (none when empty).
  HttpCall TokenCall(std::string_view client_id, const std::string& proof) const;

  // FetchDpopToken requests a DPoP token bound to |key| and returns the access token.
  std::string FetchDpopToken(const ProofKey& key);

  // WhoamiCall returns a DPoP-authenticated GET /v1/whoami with a fresh proof by |key|.
  HttpCall WhoamiCall(const ProofKey& key, const std::string& token) const;

  HttpResult Send(const HttpCall& call) const { return realm_test::Send(call, realm_->ca_file()); }

  FakeClock clock_;
  ProofKey key_;
  std::unique_ptr<Realm> realm_;
};

// NewProofKey returns a fresh ProofKey.
ProofKey NewProofKey();

}  // namespace dpopfleet::realm_test

#endif  // DPOPFLEET_TESTS_REALM_REALM_TEST_UTIL_H_
