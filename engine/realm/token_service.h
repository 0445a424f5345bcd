// Access tokens: ES256 JWTs (typ "at+jwt", RFC 9068 claims plus cnf.jkt for DPoP binding)
// signed with the realm's key, and the set of revoked token ids.
//
// Thread safety: every method may be called from many threads at once.

#ifndef DPOPFLEET_ENGINE_REALM_TOKEN_SERVICE_H_
#define DPOPFLEET_ENGINE_REALM_TOKEN_SERVICE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet::realm {

struct AccessTokenClaims {
  std::string iss;
  std::string sub;
  std::string client_id;
  std::string aud;
  std::string scope;
  std::string jti;
  std::string jkt;  // cnf.jkt; empty for Bearer tokens
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

// RevokedToken is a revoked access token's id and expiry; after |exp| the token fails as
// expired anyway, so the entry is dropped.
struct RevokedToken {
  std::string jti;
  std::int64_t exp = 0;
};

class TokenService {
 public:
  TokenService(P256Key key, const Clock& clock, int lifetime_seconds);

  // kid returns the signing key's id: its RFC 7638 thumbprint.
  const std::string& kid() const { return kid_; }
  const P256Key& key() const { return key_; }
  int lifetime_seconds() const { return lifetime_seconds_; }

  // JwksJson returns {"keys":[{public JWK,"kid","use":"sig","alg":"ES256"}]}.
  std::string JwksJson() const;

  // Issue fills the time and id claims of |*claims| (iat now, exp after the lifetime, a
  // random jti) and returns the signed token.
  Result<std::string> Issue(AccessTokenClaims* claims) const;

  // Validate checks |token|'s syntax, header (typ "at+jwt", alg ES256, our kid), signature
  // and expiry, and that it was not revoked. It fails with kJwtMalformed,
  // kJwtBadSignature, kJwtExpired or kPermissionDenied (revoked).
  Result<AccessTokenClaims> Validate(std::string_view token) const;

  // Revoke marks the token |jti| revoked until |exp|, after which it fails as expired, then
  // calls the revocation listener, if any, outside the lock.
  void Revoke(const std::string& jti, std::int64_t exp);

  // SetRevocationListener makes every Revoke call |listener| afterwards, so the realm can
  // save the state file. Call it before the realm serves requests; it is not thread-safe.
  void SetRevocationListener(std::function<void()> listener) { on_revoke_ = std::move(listener); }

  // Revoked returns the revocations of tokens that have not expired yet.
  std::vector<RevokedToken> Revoked() const;

  // RestoreRevoked adds |revoked|, skipping tokens that have expired, for a restart.
  void RestoreRevoked(const std::vector<RevokedToken>& revoked);

 private:
  bool IsRevoked(const std::string& jti) const;

  P256Key key_;
  const Clock& clock_;
  const int lifetime_seconds_;
  std::string kid_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> revoked_until_;
  std::function<void()> on_revoke_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_TOKEN_SERVICE_H_
