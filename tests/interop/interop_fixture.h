// Shared steps of the interop tests: making dpopfleet proofs and sending token,
// introspection and revocation requests to a node-oidc-provider peer.

#ifndef DPOPFLEET_TESTS_INTEROP_INTEROP_FIXTURE_H_
#define DPOPFLEET_TESTS_INTEROP_INTEROP_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "dpopfleet/dpop_proof.h"
#include "peer_client.h"

namespace dpopfleet::interop {

// Scheme selects the peer's HTTP or HTTPS listener.
enum class Scheme { kHttp, kHttps };

// SchemeName returns "http" or "https", for parameterised test names.
std::string SchemeName(Scheme scheme);

// PrintTo lets GoogleTest print a Scheme parameter by name.
inline void PrintTo(Scheme scheme, std::ostream* out) { *out << SchemeName(scheme); }

// NewProofKey returns a fresh P-256 proof key. It aborts the test binary if the crypto
// backend cannot generate one, because no interop test can run without keys.
ProofKey NewProofKey();

// ProofOptions are the parts of a proof a test varies; the defaults make a valid token
// request proof.
struct ProofOptions {
  std::string_view htm = "POST";
  std::string_view nonce = {};
  std::int64_t clock_offset_seconds = 0;
};

// PeerTest loads one peer's fixture output before each test and offers the requests the
// tests send. Each test runs on a fresh fixture, so the class needs no thread safety.
class PeerTest : public ::testing::Test {
 protected:
  // peer_name is the state folder under DPOPFLEET_INTEROP_PEERS: "plain" or "nonce".
  explicit PeerTest(std::string peer_name = "plain") : peer_name_(std::move(peer_name)) {}

  void SetUp() override;

  const Peer& peer() const { return peer_; }
  const PeerClient& client(const std::string& id) const { return peer_.clients.at(id); }
  std::string Issuer(Scheme scheme) const;
  std::string TokenUrl(Scheme scheme) const;

  // BuildProof returns a dpopfleet proof for |htu| (normalised here) signed with |key|, or
  // an empty string after recording a test failure.
  std::string BuildProof(const ProofKey& key, std::string_view htu,
                         const ProofOptions& options = {}) const;

  // RequestToken sends a client_credentials request for |client| with |proof| in the DPoP
  // header (none when empty) and |extra_form| appended to the form body.
  HttpResponse RequestToken(Scheme scheme, const PeerClient& client, const std::string& proof,
                            const std::string& extra_form = "") const;

  // ObtainToken sends RequestToken and returns the access token, or an empty string after
  // recording a test failure unless the peer issued one with |token_type| ("DPoP", "Bearer").
  std::string ObtainToken(Scheme scheme, const PeerClient& client, const std::string& proof,
                          std::string_view token_type, const std::string& extra_form = "") const;

  // PostForm sends |form_body| to |path| under the issuer with client_secret_basic.
  HttpResponse PostForm(Scheme scheme, std::string_view path, const PeerClient& client,
                        const std::string& form_body) const;

  // Get fetches |url| with the peer's CA as trust anchor.
  HttpResponse Get(const std::string& url) const;

 private:
  HttpResponse SendOrFail(const HttpRequest& request) const;

  std::string peer_name_;
  Peer peer_;
  ProofBuilder builder_;
};

// NoncePeerTest runs against the peer that requires a DPoP nonce on every token request.
class NoncePeerTest : public PeerTest {
 protected:
  NoncePeerTest() : PeerTest("nonce") {}
};

}  // namespace dpopfleet::interop

#endif  // DPOPFLEET_TESTS_INTEROP_INTEROP_FIXTURE_H_
