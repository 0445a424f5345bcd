// Building DPoP proofs (RFC 9449 section 4.2).
//
// A proof is a compact JWS: base64url(header) "." base64url(payload) "." base64url(R||S).
// The header depends only on the key, so ProofKey encodes it from the key's point; the
// access-token hash "ath" depends only on the token, so callers compute it once per token
// with AccessTokenHash and pass it to every proof made with that token.

#ifndef DPOPFLEET_DPOP_PROOF_H_
#define DPOPFLEET_DPOP_PROOF_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "dpopfleet/clock.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// kAccessTokenHashSize is the length of an "ath" value: base64url of 32 bytes.
inline constexpr std::size_t kAccessTokenHashSize = 43;

// kJtiRandomBytes is how many random bits, in bytes, each "jti" carries (128 bits).
inline constexpr std::size_t kJtiRandomBytes = 16;

// AccessTokenHash returns the "ath" for |access_token|: base64url(SHA-256(ASCII token)).
std::string AccessTokenHash(std::string_view access_token);

// kProofHeaderB64Size is the length of every proof's first part, the base64url-encoded
// header {"typ":"dpop+jwt","alg":"ES256","jwk":{…}} of a P-256 key.
inline constexpr std::size_t kProofHeaderB64Size = 220;

// ProofKey is a signing key as proofs use it: the P256Key (about 100 bytes) and, once
// asked for, its RFC 7638 thumbprint. A fleet keeps hundreds of thousands of keys, so the
// JWS header is not stored but encoded into each proof, which costs about 0.1 µs, under
// 1 % of the signature. Its observable state never changes after Create, so many threads
// may sign with one ProofKey and read its thumbprint at once.
class ProofKey {
 public:
  // Create takes ownership of |key|.
  static ProofKey Create(P256Key key) { return ProofKey(std::move(key)); }

  ProofKey(ProofKey&& other) noexcept;
  ProofKey& operator=(ProofKey&& other) noexcept;
  ~ProofKey();

  const P256Key& key() const { return key_; }

  // AppendHeaderB64 appends the base64url-encoded JWS header, the first part of every
  // proof and kProofHeaderB64Size characters long, to |*out|. It allocates only if |*out|
  // lacks the capacity.
  void AppendHeaderB64(std::string* out) const;

  // header_b64 returns what AppendHeaderB64 appends.
  std::string header_b64() const;

  // thumbprint returns the key's RFC 7638 thumbprint, the value a bound token's "cnf.jkt"
  // carries. The first call computes it and the key keeps it, so the reference stays
  // valid as long as the ProofKey (a move carries it along).
  const std::string& thumbprint() const;

 private:
  explicit ProofKey(P256Key key) : key_(std::move(key)) {}

  P256Key key_;

  // thumbprint_ is null until the first thumbprint() call publishes the computed string.
  mutable std::atomic<const std::string*> thumbprint_{nullptr};
};

// ProofRequest is what one proof asserts. The views must stay valid during the Build call.
struct ProofRequest {
  // htm is the HTTP method, such as "POST".
  std::string_view htm;

  // htu is the target URI, already normalised with NormalizeHtu.
  std::string_view htu;

  // ath is the precomputed AccessTokenHash, or empty for proofs without an access token
  // (token requests).
  std::string_view ath;

  // nonce is the server-provided DPoP nonce, or empty when none is known.
  std::string_view nonce;

  // clock_offset_seconds is added to the clock's time to produce "iat", so that a client
  // whose clock differs from the server's still produces proofs the server accepts.
  std::int64_t clock_offset_seconds = 0;
};

// ProofBuilder makes proofs. It holds no per-proof state, so one builder may be shared by
// many threads; the clock and random source must outlive it.
class ProofBuilder {
 public:
  explicit ProofBuilder(const Clock& clock = SystemClock(),
                        RandomSource& random = SystemRandomSource())
      : clock_(clock), random_(random) {}

  // Build writes a compact DPoP proof for |request| signed with |key| to |*out|, replacing
  // its contents. It reuses |*out|'s capacity, so a caller that keeps one string per thread
  // builds proofs without heap allocation. The payload is
  // {"jti":…,"htm":…,"htu":…,"iat":…[,"ath":…][,"nonce":…]} with a jti of 128 random
  // bits. It returns kOk, or kCryptoFailure if randomness or signing failed.
  ErrorCode Build(const ProofKey& key, const ProofRequest& request, std::string* out) const;

  // MaxProofSize returns an upper bound on the length of the proof Build writes for |key|
  // and |request|, exceeding the actual length by at most the few bytes "iat" may need;
  // batch signers size their output slots with it.
  static std::size_t MaxProofSize(const ProofKey& key, const ProofRequest& request);

 private:
  const Clock& clock_;
  RandomSource& random_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_DPOP_PROOF_H_
