// Verifying DPoP proofs (RFC 9449 section 4.3), for servers and tests.
//
// VerifyProof performs every check that needs only the proof and the request. Replay
// detection needs state shared across requests, so servers add it with ReplayCache.

#ifndef DPOPFLEET_DPOP_VERIFY_H_
#define DPOPFLEET_DPOP_VERIFY_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// kMaxProofJtiBytes is the longest "jti" VerifyProof accepts. RFC 9449 recommends 96 bits of
// randomness (16 base64url characters, 36 for a UUID), so 256 bytes leaves room for any
// encoding while bounding what each proof adds to a replay cache.
inline constexpr std::size_t kMaxProofJtiBytes = 256;

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
// "dpop+jwt", "alg" exactly "ES256", no "crit" header, a public "jwk" (one with "d" is
// rejected), the signature, a "jti" of 1 to kMaxProofJtiBytes bytes, "htm", "htu", the
// "iat" window, "ath" and "nonce". A "crit" header or a longer "jti" is kProofMalformed,
// because this verifier understands no JWS extension. On failure the Error's code
// is one of the kProof* codes, one per check, and the message names the value that failed.
Result<VerifiedProof> VerifyProof(std::string_view proof, const ProofExpectations& expected);

// ReplayCache remembers (thumbprint, jti) pairs until they expire, so a proof cannot be
// used twice within the window in which its "iat" is accepted. Each entry stores a 128-bit
// SHA-256 prefix of the pair, so its size does not depend on the jti, and the number of
// entries is capped, so no sender can grow the cache without bound. It is thread-safe.
class ReplayCache {
 public:
  // kDefaultMaxEntries bounds the cache to an estimated 60 MB (about 56 bytes per entry with the
  // hash table's node and bucket), enough for 14,000 proofs a second over a 70 s lifetime.
  static constexpr std::size_t kDefaultMaxEntries = 1'000'000;

  // ReplayCache keeps each entry for |lifetime_seconds| after it was first seen and stores at
  // most |max_entries| entries.
  explicit ReplayCache(std::int64_t lifetime_seconds,
                       std::size_t max_entries = kDefaultMaxEntries)
      : lifetime_seconds_(lifetime_seconds), max_entries_(max_entries) {}

  // CheckAndInsert returns kOk and records the pair if it is new or expired,
  // kProofReplayed if it was seen within the lifetime, and kOutOfRange without recording it
  // when the cache contains max_entries unexpired entries. Callers must reject the proof on
  // kOutOfRange, because accepting it unrecorded would allow a replay.
  ErrorCode CheckAndInsert(std::string_view thumbprint, std::string_view jti,
                           std::int64_t now_unix_seconds);

  // size returns the number of entries currently stored, expired ones included until the
  // next sweep.
  std::size_t size() const;

  std::size_t max_entries() const { return max_entries_; }

 private:
  using Key = std::array<std::uint8_t, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };

  void SweepLocked(std::int64_t now_unix_seconds);

  const std::int64_t lifetime_seconds_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, std::int64_t, KeyHash> expiry_by_key_;
  std::int64_t next_sweep_ = 0;
  std::int64_t last_sweep_ = -1;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_DPOP_VERIFY_H_
