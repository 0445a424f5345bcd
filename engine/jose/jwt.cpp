// ES256 compact JWTs: decoding, signing and signature verification.

#include "dpopfleet/jwt.h"

#include "compact_jws.h"
#include "dpopfleet/base64url.h"
#include "dpopfleet/json_writer.h"
#include "json_reader.h"

namespace dpopfleet {
namespace {

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Result<DecodedJwt> DecodeJwt(std::string_view token) {
  internal::CompactJwsParts parts;
  if (!internal::SplitCompactJws(token, &parts)) {
    return Error(ErrorCode::kJwtMalformed,
                 "the token is not a compact JWS (three non-empty parts separated by '.')");
  }

  DecodedJwt jwt;
  internal::JsonObject object;
  if (Base64UrlDecode(parts.header_b64, &jwt.header_json) != ErrorCode::kOk ||
      internal::JsonObject::Parse(jwt.header_json, &object) != ErrorCode::kOk) {
    return Error(ErrorCode::kJwtMalformed, "the token header is not base64url of a JSON object");
  }
  if (Base64UrlDecode(parts.payload_b64, &jwt.payload_json) != ErrorCode::kOk ||
      internal::JsonObject::Parse(jwt.payload_json, &object) != ErrorCode::kOk) {
    return Error(ErrorCode::kJwtMalformed, "the token payload is not base64url of a JSON object");
  }
  if (Base64UrlDecode(parts.signature_b64, &jwt.signature) != ErrorCode::kOk) {
    return Error(ErrorCode::kJwtMalformed, "the token signature is not strict base64url");
  }
  jwt.signing_input = std::string(parts.signing_input);
  return jwt;
}

Result<std::string> SignJwt(const P256Key& key, std::string_view typ, std::string_view kid,
                            std::string_view payload_json) {
  internal::JsonObject payload;
  if (internal::JsonObject::Parse(payload_json, &payload) != ErrorCode::kOk) {
    return Error(ErrorCode::kInvalidArgument,
                 "the JWT payload is not a JSON object with unique member names");
  }

  std::string header = R"({"alg":"ES256","typ":)";
  AppendJsonString(typ, &header);
  if (!kid.empty()) {
    header += R"(,"kid":)";
    AppendJsonString(kid, &header);
  }
  header += '}';

  // Sized once for header, payload and the 86-character signature, so appending never
  // reallocates.
  std::string token;
  token.reserve(Base64UrlEncodedSize(header.size()) + Base64UrlEncodedSize(payload_json.size()) + 88);
  Base64UrlAppend(header, &token);
  token += '.';
  Base64UrlAppend(payload_json, &token);

  Es256Signature signature;
  if (key.Sign(token, &signature) != ErrorCode::kOk) {
    return Error(ErrorCode::kCryptoFailure, "ES256 signing of the JWT failed");
  }
  token += '.';
  Base64UrlAppend(signature, &token);
  return token;
}

ErrorCode VerifyJwtSignature(const DecodedJwt& jwt, const P256PublicKey& key) {
  internal::JsonObject header;
  if (internal::JsonObject::Parse(jwt.header_json, &header) != ErrorCode::kOk) {
    return ErrorCode::kJwtMalformed;
  }
  const std::string* alg = header.FindString("alg");
  if (!alg || *alg != "ES256") return ErrorCode::kJwtMalformed;

  ErrorCode verified = VerifyEs256(key, AsBytes(jwt.signing_input), jwt.signature);
  return verified == ErrorCode::kOk ? ErrorCode::kOk : ErrorCode::kJwtBadSignature;
}

}  // namespace dpopfleet
