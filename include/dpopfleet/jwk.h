// JSON Web Keys for P-256 (RFC 7517, RFC 7518 section 6.2) and their RFC 7638 thumbprints.

#ifndef DPOPFLEET_JWK_H_
#define DPOPFLEET_JWK_H_

#include <string>
#include <string_view>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// kJwkThumbprintSize is the length of a base64url SHA-256 thumbprint.
inline constexpr std::size_t kJwkThumbprintSize = 43;

// PublicJwkJson returns the canonical public JWK of |key|:
// {"crv":"P-256","kty":"EC","x":"…","y":"…"} with members in that order and no whitespace.
// The same bytes serve the DPoP header's "jwk" and the thumbprint input.
std::string PublicJwkJson(const P256PublicKey& key);

// JwkThumbprint returns the RFC 7638 thumbprint of |key|: base64url(SHA-256(PublicJwkJson)).
std::string JwkThumbprint(const P256PublicKey& key);

// PrivateJwkJson returns |key| as a private JWK, the public members plus "d". The result is
// secret material: callers write it only to files created with mode 0600.
std::string PrivateJwkJson(const P256Key& key);

// ParsePublicJwk reads an EC P-256 JWK object. It requires "kty":"EC", "crv":"P-256" and
// 32-byte "x" and "y", and rejects a "d" member with kInvalidJwk when |allow_private| is
// false. Other members are ignored. The point is checked to be on the curve.
Result<P256PublicKey> ParsePublicJwk(std::string_view json, bool allow_private = false);

// ParsePrivateJwk reads an EC P-256 private JWK and checks that "x" and "y" match "d".
Result<P256Key> ParsePrivateJwk(std::string_view json);

}  // namespace dpopfleet

#endif  // DPOPFLEET_JWK_H_
