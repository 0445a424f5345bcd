// DPoP proof construction (RFC 9449 section 4.2).

#include "dpopfleet/dpop_proof.h"

#include <array>
#include <charconv>

#include "dpopfleet/base64url.h"
#include "dpopfleet/json_writer.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {

std::string AccessTokenHash(std::string_view access_token) {
  return Base64UrlEncode(Sha256(access_token));
}

ProofKey::ProofKey(P256Key key, std::string header_b64, std::string thumbprint)
    : key_(std::move(key)), header_b64_(std::move(header_b64)), thumbprint_(std::move(thumbprint)) {}

ProofKey ProofKey::Create(P256Key key) {
  std::string header = R"({"typ":"dpop+jwt","alg":"ES256","jwk":)";
  header += PublicJwkJson(key.public_key());
  header.push_back('}');

  std::string header_b64 = Base64UrlEncode(header);
  std::string thumbprint = JwkThumbprint(key.public_key());
  return ProofKey(std::move(key), std::move(header_b64), std::move(thumbprint));
}

std::size_t ProofBuilder::MaxProofSize(const ProofKey& key, const ProofRequest& request) {
  // {"jti":"<22>","htm":…,"htu":…,"iat":<at most 20 characters>[,"ath":…][,"nonce":…]}
  constexpr std::size_t kMaxIatDigits = 20;
  std::size_t payload = 8 + Base64UrlEncodedSize(kJtiRandomBytes) + 8 + JsonStringSize(request.htm) +
                        7 + JsonStringSize(request.htu) + 7 + kMaxIatDigits + 1;
  if (!request.ath.empty()) payload += 7 + JsonStringSize(request.ath);
  if (!request.nonce.empty()) payload += 9 + JsonStringSize(request.nonce);
  return key.header_b64().size() + 1 + Base64UrlEncodedSize(payload) + 1 +
         Base64UrlEncodedSize(kEs256SignatureSize);
}

ErrorCode ProofBuilder::Build(const ProofKey& key, const ProofRequest& request,
                              std::string* out) const {
  std::array<std::uint8_t, kJtiRandomBytes> jti_bytes;
  if (random_.Fill(jti_bytes) != ErrorCode::kOk) return ErrorCode::kCryptoFailure;
  std::int64_t iat = clock_.NowUnixSeconds() + request.clock_offset_seconds;

  // The payload JSON is assembled in a per-thread buffer whose capacity survives between
  // calls, so steady-state proof building does not allocate.
  thread_local std::string payload;
  payload.clear();
  payload.append(R"({"jti":")");
  char jti[Base64UrlEncodedSize(kJtiRandomBytes)];
  payload.append(jti, Base64UrlEncode(jti_bytes, jti));
  payload.append(R"(","htm":)");
  AppendJsonString(request.htm, &payload);
  payload.append(R"(,"htu":)");
  AppendJsonString(request.htu, &payload);
  payload.append(R"(,"iat":)");
  char digits[24];
  payload.append(digits, std::to_chars(digits, digits + sizeof(digits), iat).ptr);
  if (!request.ath.empty()) {
    payload.append(R"(,"ath":)");
    AppendJsonString(request.ath, &payload);
  }
  if (!request.nonce.empty()) {
    payload.append(R"(,"nonce":)");
    AppendJsonString(request.nonce, &payload);
  }
  payload.push_back('}');

  out->clear();
  out->append(key.header_b64());
  out->push_back('.');
  Base64UrlAppend(payload, out);

  Es256Signature signature;
  if (key.key().Sign(*out, &signature) != ErrorCode::kOk) return ErrorCode::kCryptoFailure;
  out->push_back('.');
  Base64UrlAppend(signature, out);
  return ErrorCode::kOk;
}

}  // namespace dpopfleet
