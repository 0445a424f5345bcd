// Verifying DPoP proofs (RFC 9449 section 4.3), for servers and tests.
//
// VerifyProof performs every check that needs only the proof and the request. Replay
// detection needs state shared across requests, so servers add it with ReplayCache.

#ifndef DPOPFLEET_DPOP_VERIFY_H_
#define DPOPFLEET_DPOP_VERIFY_H_

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// ProofExpectations describes the request a proof must match. Views must stay valid during
// the VerifyProof call.
struct ProofExpectations {
  // htm is the request's method, compared exactly.
  std::string_view htm;

  // htu is the URL the client used (scheme and Host header plus path). Both sides are
  // compared after CanonicalHtu.
  std::string_view htu;

  // now_unix_seconds is the server's current time.
  std::int64_t now_unix_seconds = 0;

  // max_age_seconds is how far "iat" may lie in the past; max_future_seconds how far in
  // the future.
  std::int64_t max_age_seconds = 60;
  std::int64_t max_future_seconds = 5;

  // access_token, when not empty, requires an "ath" claim equal to its AccessTokenHash.
  std::string_view access_token;

  // require_ath makes a missing "ath" an error even if access_token is empty.
  bool require_ath = false;

  // accepted_nonces, when not empty, requires a "nonce" claim equal to one of them.
  std::span<const std::string_view> accepted_nonces;
};

// VerifiedProof is what a valid proof asserts.
struct VerifiedProof {
  P256PublicKey public_key;
  std::string thumbprint;
  std::string jti;
  std::string htm;
  std::string htu;
  std::int64_t iat = 0;
  std::string ath;
  std::string nonce;
};

// VerifyProof checks |proof| against |expected|: compact JWS syntax, "typ" exactly
// "dpop+jwt", "alg" exactly "ES256", a public "jwk" (one with "d" is rejected), the
// signature, "htm", "htu", the "iat" window, "ath" and "nonce". On failure the Error's code
// is one of the kProof* codes, one per check, and the message names the value that failed.
Result<VerifiedProof> VerifyProof(std::string_view proof, const ProofExpectations& expected);

// ReplayCache remembers (thumbprint, jti) pairs until they expire, so a proof cannot be
// used twice within the window in which its "iat" is accepted. It is thread-safe.
class ReplayCache {
 public:
  // ReplayCache keeps each entry for |lifetime_seconds| after it was first seen.
  explicit ReplayCache(std::int64_t lifetime_seconds) : lifetime_seconds_(lifetime_seconds) {}

  // CheckAndInsert returns kOk and records the pair if it is new or expired, and
  // kProofReplayed if it was seen within the lifetime.
  ErrorCode CheckAndInsert(std::string_view thumbprint, std::string_view jti,
                           std::int64_t now_unix_seconds);

  // size returns the number of entries currently stored, expired ones included until the
  // next sweep.
  std::size_t size() const;

 private:
  void SweepLocked(std::int64_t now_unix_seconds);

  const std::int64_t lifetime_seconds_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> expiry_by_key_;
  std::int64_t next_sweep_ = 0;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_DPOP_VERIFY_H_
