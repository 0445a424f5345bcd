// Names for ErrorCode values and the Error formatting every layer prints.

#include "dpopfleet/status.h"

namespace dpopfleet {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kOutOfRange: return "out_of_range";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kIoError: return "io_error";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCryptoFailure: return "crypto_failure";
    case ErrorCode::kInvalidKey: return "invalid_key";
    case ErrorCode::kInvalidSignatureLength: return "invalid_signature_length";
    case ErrorCode::kSignatureMismatch: return "signature_mismatch";
    case ErrorCode::kInvalidBase64Url: return "invalid_base64url";
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kInvalidJwk: return "invalid_jwk";
    case ErrorCode::kInvalidUrl: return "invalid_url";
    case ErrorCode::kProofMalformed: return "proof_malformed";
    case ErrorCode::kProofBadTyp: return "proof_bad_typ";
    case ErrorCode::kProofBadAlg: return "proof_bad_alg";
    case ErrorCode::kProofMissingJwk: return "proof_missing_jwk";
    case ErrorCode::kProofPrivateJwk: return "proof_private_jwk";
    case ErrorCode::kProofBadSignature: return "proof_bad_signature";
    case ErrorCode::kProofMissingClaim: return "proof_missing_claim";
    case ErrorCode::kProofHtmMismatch: return "proof_htm_mismatch";
    case ErrorCode::kProofHtuMismatch: return "proof_htu_mismatch";
    case ErrorCode::kProofIatTooOld: return "proof_iat_too_old";
    case ErrorCode::kProofIatInFuture: return "proof_iat_in_future";
    case ErrorCode::kProofAthMissing: return "proof_ath_missing";
    case ErrorCode::kProofAthMismatch: return "proof_ath_mismatch";
    case ErrorCode::kProofNonceMissing: return "proof_nonce_missing";
    case ErrorCode::kProofNonceInvalid: return "proof_nonce_invalid";
    case ErrorCode::kProofReplayed: return "proof_replayed";
    case ErrorCode::kProofMultipleHeaders: return "proof_multiple_headers";
    case ErrorCode::kJwtMalformed: return "jwt_malformed";
    case ErrorCode::kJwtBadSignature: return "jwt_bad_signature";
    case ErrorCode::kJwtExpired: return "jwt_expired";
    case ErrorCode::kHttpStatus: return "http_status";
    case ErrorCode::kConnectFailed: return "connect_failed";
    case ErrorCode::kTimedOut: return "timed_out";
    case ErrorCode::kTlsFailure: return "tls_failure";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kProtocolError: return "protocol_error";
    case ErrorCode::kRetriesExhausted: return "retries_exhausted";
    case ErrorCode::kInsecureUrl: return "insecure_url";
  }
  return "unknown_error";
}

std::string Error::ToString() const {
  std::string text = ErrorCodeName(code_);
  text += ": ";
  text += message_;
  return text;
}

}  // namespace dpopfleet
