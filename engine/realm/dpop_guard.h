// DPoP proof validation for the token endpoint and the protected resource (RFC 9449
// section 4.3), with the replay cache and server-provided nonces (sections 8 and 9).
//
// Thread safety: every method may be called from many threads at once.

#ifndef DPOPFLEET_ENGINE_REALM_DPOP_GUARD_H_
#define DPOPFLEET_ENGINE_REALM_DPOP_GUARD_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "counters.h"
#include "dpopfleet/clock.h"
#include "dpopfleet/dpop_verify.h"
#include "dpopfleet/realm.h"
#include "http_types.h"

namespace dpopfleet::realm {

// NonceSchedule hands out one nonce at a time and replaces it every |rotation_seconds|; the
// replaced nonce stays acceptable for |grace_seconds| so proofs built just before a rotation
// still pass.
class NonceSchedule {
 public:
  NonceSchedule(int rotation_seconds, int grace_seconds, const Clock& clock);

  // Current returns the nonce to send now, rotating first when the rotation is due.
  std::string Current();

  // Accepted returns the nonces a proof may carry now: the current one and, during the
  // grace period after a rotation, the previous one.
  std::vector<std::string> Accepted();

 private:
  void RotateIfDueLocked(std::int64_t now);

  const int rotation_seconds_;
  const int grace_seconds_;
  const Clock& clock_;
  std::mutex mutex_;
  std::string current_;
  std::string previous_;
  std::int64_t rotated_at_ = 0;
};

// DpopUse names the endpoint a proof is checked for, because the nonce, the "ath"
// requirement and the error format differ between them.
enum class DpopUse { kTokenEndpoint, kResource };

class DpopGuard {
 public:
  DpopGuard(const RealmOptions& options, LiveCounters& counters);

  // Check validates the single DPoP header of |exchange|: VerifyProof against the request's
  // method and URL (scheme and Host header plus path), the iat window widened by the clock
  // skew, "ath" for |access_token| on resource requests, the nonce in nonce mode, and the
  // replay cache. A non-empty |bound_thumbprint| (the token's cnf.jkt) must equal the
  // proof key's thumbprint, checked before the replay cache so proofs signed with other keys
  // never occupy it. It returns true and fills |*proof|, or false and fills |*rejection|
  // with the endpoint's error response: 400 at the token endpoint, 401 with
  // WWW-Authenticate at the resource, use_dpop_nonce plus a DPoP-Nonce header for a missing
  // or stale nonce, and 503 with Retry-After while the replay cache is full.
  bool Check(const HttpExchange& exchange, DpopUse use, std::string_view access_token,
             VerifiedProof* proof, HttpReply* rejection, std::string_view bound_thumbprint = {});

  // AddNonce adds the current DPoP-Nonce header to |*reply| in nonce mode, so successful
  // responses carry the newest nonce after a rotation.
  void AddNonce(DpopUse use, HttpReply* reply);

  // RequestUrl returns scheme "://" Host header path for |exchange|, the URL the client
  // used, or "" without a Host header.
  static std::string RequestUrl(const HttpExchange& exchange);

 private:
  HttpReply Reject(DpopUse use, ErrorCode code, const std::string& message);
  NonceSchedule& Nonces(DpopUse use) { return use == DpopUse::kTokenEndpoint ? token_nonces_ : resource_nonces_; }

  const RealmOptions& options_;
  LiveCounters& counters_;
  ReplayCache replay_cache_;
  NonceSchedule token_nonces_;
  NonceSchedule resource_nonces_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_DPOP_GUARD_H_
