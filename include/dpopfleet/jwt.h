// Compact JWTs signed with ES256 (RFC 7519, RFC 7515), used for the reference realm's
// access tokens and for decoding tokens a client receives.

#ifndef DPOPFLEET_JWT_H_
#define DPOPFLEET_JWT_H_

#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// DecodedJwt is a compact JWS split into its parts. Nothing in it is verified.
struct DecodedJwt {
  // header_json and payload_json are the decoded JSON texts.
  std::string header_json;
  std::string payload_json;

  // signing_input is base64url(header) "." base64url(payload), the bytes the signature
  // covers.
  std::string signing_input;

  std::vector<std::uint8_t> signature;
};

// DecodeJwt splits |token| into its three parts and base64url-decodes them. It checks the
// syntax only (three parts, strict base64url, header and payload are JSON objects) and
// fails with kJwtMalformed otherwise.
Result<DecodedJwt> DecodeJwt(std::string_view token);

// SignJwt returns a compact JWS with header {"alg":"ES256","typ":|typ|[,"kid":|kid|]} and
// |payload_json| as the payload, signed with |key|. |payload_json| must be a JSON object.
Result<std::string> SignJwt(const P256Key& key, std::string_view typ, std::string_view kid,
                            std::string_view payload_json);

// VerifyJwtSignature checks that |jwt|'s header has "alg":"ES256" and that its signature
// verifies with |key|. It returns kOk, kJwtMalformed or kJwtBadSignature. Claims such as
// "exp" are the caller's to check.
ErrorCode VerifyJwtSignature(const DecodedJwt& jwt, const P256PublicKey& key);

}  // namespace dpopfleet

#endif  // DPOPFLEET_JWT_H_
