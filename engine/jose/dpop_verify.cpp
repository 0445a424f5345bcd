// DPoP proof verification (RFC 9449 section 4.3).

#include "dpopfleet/dpop_verify.h"

#include <algorithm>
#include <vector>

#include "dpopfleet/base64url.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/url.h"
#include "compact_jws.h"
#include "json_reader.h"

namespace dpopfleet {
namespace {

Error Reject(ErrorCode code, std::string message) { return Error(code, std::move(message)); }

std::string Quote(std::string_view value) {
  // Claim values are attacker-controlled; cap what a log line can receive.
  constexpr std::size_t kMaxShown = 120;
  std::string quoted = "\"";
  quoted += value.substr(0, kMaxShown);
  if (value.size() > kMaxShown) quoted += "…";
  quoted += '"';
  return quoted;
}

bool DecodeJsonPart(std::string_view b64, internal::JsonObject* out) {
  std::string json;
  return Base64UrlDecode(b64, &json) == ErrorCode::kOk &&
         internal::JsonObject::Parse(json, out) == ErrorCode::kOk;
}

// CheckHeader validates typ, alg and jwk and returns the proof's public key.
Result<P256PublicKey> CheckHeader(const internal::JsonObject& header) {
  const std::string* typ = header.FindString("typ");
  if (!typ || *typ != "dpop+jwt") {
    return Reject(ErrorCode::kProofBadTyp, "proof header \"typ\" is " +
                                               (typ ? Quote(*typ) : std::string("missing")) +
                                               "; it must be \"dpop+jwt\"");
  }
  const std::string* alg = header.FindString("alg");
  if (!alg || *alg != "ES256") {
    return Reject(ErrorCode::kProofBadAlg, "proof header \"alg\" is " +
                                               (alg ? Quote(*alg) : std::string("missing")) +
                                               "; only \"ES256\" is accepted");
  }

  // RFC 7515 section 4.1.11: a recipient must reject a JWS whose "crit" lists an extension
  // it does not understand, and this verifier understands none.
  if (const internal::JsonMember* crit = header.Find("crit")) {
    return Reject(ErrorCode::kProofMalformed,
                  "proof header has \"crit\" " + Quote(crit->text) +
                      " but this server supports no critical JWS extensions; remove \"crit\"");
  }

  const internal::JsonMember* jwk = header.Find("jwk");
  if (!jwk || jwk->kind != internal::JsonKind::kObject) {
    return Reject(ErrorCode::kProofMissingJwk,
                  "proof header has no \"jwk\" object; put the public key in the header");
  }
  internal::JsonObject jwk_members;
  if (internal::JsonObject::Parse(jwk->text, &jwk_members) == ErrorCode::kOk &&
      jwk_members.Find("d") != nullptr) {
    return Reject(ErrorCode::kProofPrivateJwk,
                  "proof header \"jwk\" contains the private key \"d\"; send only the public key "
                  "and treat this key as compromised");
  }
  Result<P256PublicKey> key = ParsePublicJwk(jwk->text, true);
  if (!key.ok()) {
    return Reject(ErrorCode::kProofMissingJwk, "proof header \"jwk\" is unusable: " +
                                                   key.error().message());
  }
  return key;
}

// CheckClaims compares the payload's claims with |expected| and fills |*proof|.
Status CheckClaims(const internal::JsonObject& payload, const ProofExpectations& expected,
                   VerifiedProof* proof) {
  const std::string* jti = payload.FindString("jti");
  const std::string* htm = payload.FindString("htm");
  const std::string* htu = payload.FindString("htu");
  const internal::JsonMember* iat = payload.Find("iat");
  bool iat_ok = iat && (iat->kind == internal::JsonKind::kInteger ||
                        iat->kind == internal::JsonKind::kNumber);
  if (!jti || jti->empty() || !htm || !htu || !iat_ok) {
    const char* missing = "iat";
    if (!jti || jti->empty()) {
      missing = "jti";
    } else if (!htm) {
      missing = "htm";
    } else if (!htu) {
      missing = "htu";
    }
    return Reject(ErrorCode::kProofMissingClaim,
                  std::string("proof payload lacks a valid \"") + missing + "\" claim");
  }

  if (jti->size() > kMaxProofJtiBytes) {
    return Reject(ErrorCode::kProofMalformed,
                  "proof \"jti\" is " + std::to_string(jti->size()) + " bytes long, more than " +
                      std::to_string(kMaxProofJtiBytes) +
                      "; use a random identifier such as a UUID");
  }

  if (*htm != expected.htm) {
    return Reject(ErrorCode::kProofHtmMismatch, "proof \"htm\" is " + Quote(*htm) +
                                                    " but the request method is " +
                                                    Quote(expected.htm));
  }
  Result<std::string> claimed_htu = CanonicalHtu(*htu);
  Result<std::string> request_htu = CanonicalHtu(expected.htu);
  if (!claimed_htu.ok() || !request_htu.ok() || *claimed_htu != *request_htu) {
    return Reject(ErrorCode::kProofHtuMismatch, "proof \"htu\" is " + Quote(*htu) +
                                                    " but the request URL is " +
                                                    Quote(expected.htu));
  }

  std::int64_t age = expected.now_unix_seconds - iat->integer;
  if (age > expected.max_age_seconds) {
    return Reject(ErrorCode::kProofIatTooOld,
                  "proof \"iat\" " + std::to_string(iat->integer) + " is " + std::to_string(age) +
                      " s old, more than the allowed " + std::to_string(expected.max_age_seconds) +
                      " s; make a fresh proof and check the client clock");
  }
  if (-age > expected.max_future_seconds) {
    return Reject(ErrorCode::kProofIatInFuture,
                  "proof \"iat\" " + std::to_string(iat->integer) + " is " + std::to_string(-age) +
                      " s in the future, more than the allowed " +
                      std::to_string(expected.max_future_seconds) + " s; check the client clock");
  }

  const std::string* ath = payload.FindString("ath");
  if ((expected.require_ath || !expected.access_token.empty()) && !ath) {
    return Reject(ErrorCode::kProofAthMissing,
                  "proof has no \"ath\" claim but the request carries an access token; add "
                  "ath = base64url(SHA-256(access token))");
  }
  if (!expected.access_token.empty() && *ath != AccessTokenHash(expected.access_token)) {
    return Reject(ErrorCode::kProofAthMismatch, "proof \"ath\" " + Quote(*ath) +
                                                    " is not the hash of the presented access token");
  }

  const std::string* nonce = payload.FindString("nonce");
  if (!expected.accepted_nonces.empty()) {
    if (!nonce) {
      return Reject(ErrorCode::kProofNonceMissing,
                    "proof has no \"nonce\" claim; retry with the server's DPoP-Nonce");
    }
    auto& accepted = expected.accepted_nonces;
    if (std::find(accepted.begin(), accepted.end(), *nonce) == accepted.end()) {
      return Reject(ErrorCode::kProofNonceInvalid, "proof \"nonce\" " + Quote(*nonce) +
                                                       " is not current; retry with the server's "
                                                       "latest DPoP-Nonce");
    }
  }

  proof->jti = *jti;
  proof->htm = *htm;
  proof->htu = *htu;
  proof->iat = iat->integer;
  if (ath) proof->ath = *ath;
  if (nonce) proof->nonce = *nonce;
  return Status();
}

}  // namespace

Result<VerifiedProof> VerifyProof(std::string_view proof, const ProofExpectations& expected) {
  internal::CompactJwsParts parts;
  if (!internal::SplitCompactJws(proof, &parts)) {
    return Reject(ErrorCode::kProofMalformed,
                  "the DPoP header is not a compact JWS (three non-empty base64url parts "
                  "separated by '.')");
  }

  internal::JsonObject header;
  if (!DecodeJsonPart(parts.header_b64, &header)) {
    return Reject(ErrorCode::kProofMalformed,
                  "the proof header is not base64url of a JSON object with unique members");
  }
  Result<P256PublicKey> key = CheckHeader(header);
  if (!key.ok()) return key.error();

  std::vector<std::uint8_t> signature;
  if (Base64UrlDecode(parts.signature_b64, &signature) != ErrorCode::kOk) {
    return Reject(ErrorCode::kProofMalformed, "the proof signature is not strict base64url");
  }
  ErrorCode verified = VerifyEs256(*key, std::span(reinterpret_cast<const std::uint8_t*>(
                                                       parts.signing_input.data()),
                                                   parts.signing_input.size()),
                                   signature);
  if (verified != ErrorCode::kOk) {
    std::string reason = verified == ErrorCode::kInvalidSignatureLength
                             ? "is " + std::to_string(signature.size()) +
                                   " bytes, not the 64-byte raw R||S of ES256"
                             : "does not verify with the header's \"jwk\"";
    return Reject(ErrorCode::kProofBadSignature, "the proof signature " + reason);
  }

  internal::JsonObject payload;
  if (!DecodeJsonPart(parts.payload_b64, &payload)) {
    return Reject(ErrorCode::kProofMalformed,
                  "the proof payload is not base64url of a JSON object with unique members");
  }

  VerifiedProof result;
  Status claims = CheckClaims(payload, expected, &result);
  if (!claims.ok()) return claims.error();
  result.public_key = *key;
  result.thumbprint = JwkThumbprint(*key);
  return result;
}

}  // namespace dpopfleet
