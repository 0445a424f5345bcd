// The token endpoint client: client_credentials grants (RFC 6749 section 4.4) with DPoP
// proofs (RFC 9449 section 5) or, on request, as plain Bearer grants.

#ifndef DPOPFLEET_OAUTH_TOKEN_H_
#define DPOPFLEET_OAUTH_TOKEN_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "dpopfleet/clock.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// TokenRequestSpec describes one agent's token request. The pointers must outlive every
// factory made from the spec.
struct TokenRequestSpec {
  std::string token_endpoint;
  ClientCredentials credentials;

  // scope is sent as the "scope" parameter unless empty.
  std::string scope;

  // key signs the DPoP proof; nullptr sends a Bearer request without a proof.
  const ProofKey* key = nullptr;
  const ProofBuilder* builder = nullptr;

  // presigned_proof, when not empty, is a proof for this request signed ahead of time at
  // presigned_at_millis with presigned_nonce (empty for none). The first attempt uses it if
  // the transport's nonce is still presigned_nonce and the proof is younger than
  // kPresignedProofMaxAgeMillis; every other attempt signs afresh.
  std::string presigned_proof;
  std::string presigned_nonce;
  std::int64_t presigned_at_millis = 0;
  const Clock* clock = &SystemClock();
};

// kPresignedProofMaxAgeMillis bounds the age of a presigned proof so its "iat" stays well
// inside the 60 s window servers commonly accept.
inline constexpr std::int64_t kPresignedProofMaxAgeMillis = 10'000;

// MakeTokenRequestFactory returns a factory that builds each attempt of |spec|'s request:
// POST with grant_type=client_credentials, HTTP Basic client authentication and, with a
// key, a DPoP header carrying a fresh proof with the attempt's nonce and clock offset. An
// attempt fails with the proof builder's error if signing fails.
RequestFactory MakeTokenRequestFactory(TokenRequestSpec spec);

// TokenResponse is a successful token response.
struct TokenResponse {
  std::string access_token;
  std::string token_type;
  std::string scope;

  // expires_in is the lifetime in seconds the server reported (negative values read as 0,
  // values above ten years as ten years), or 0 if it sent none.
  std::int64_t expires_in = 0;

  // claims_json is the access token's JWT payload, decoded but not verified; empty for an
  // opaque token.
  std::string claims_json;

  // cnf_jkt is the token's "cnf"."jkt" claim, or empty.
  std::string cnf_jkt;
};

// TokenExpectations are the checks ParseTokenResponse applies.
struct TokenExpectations {
  // thumbprint is the proof key's thumbprint, or empty when no proof was sent.
  std::string_view thumbprint;

  // allow_bearer accepts token_type "Bearer" although a proof was sent.
  bool allow_bearer = false;
};

// ParseTokenResponse reads |response| from |token_endpoint|. It fails with kHttpStatus for
// a non-2xx status (the message carries the OAuth error), kInvalidJson or kProtocolError for
// a body without "access_token" or "token_type", and kProtocolError when a proof was sent
// but token_type is not "DPoP" (unless |expected.allow_bearer|) or when the token's
// cnf.jkt differs from |expected.thumbprint|. Opaque tokens skip the cnf.jkt check.
Result<TokenResponse> ParseTokenResponse(const HttpResponse& response, const TokenExpectations& expected,
                                         std::string_view token_endpoint);

// RequestToken runs one token request through |transport| and blocks for the result. It
// must not run on the transport's loop thread.
Result<TokenResponse> RequestToken(Transport& transport, const TokenRequestSpec& spec, bool allow_bearer,
                                   RequestOptions options = {});

// DecodeTokenClaims returns the JSON payload of a JWT access token without verifying it, or
// an empty string for an opaque token.
std::string DecodeTokenClaims(std::string_view access_token);

// ShortenToken returns the first 16 characters of |token| followed by "…", the only form
// in which tokens are printed or logged.
std::string ShortenToken(std::string_view token);

}  // namespace dpopfleet

#endif  // DPOPFLEET_OAUTH_TOKEN_H_
