// P-256 JWKs and RFC 7638 thumbprints.

#include "dpopfleet/jwk.h"

#include <vector>

#include "dpopfleet/base64url.h"
#include "json_reader.h"

namespace dpopfleet {
namespace {

// kCanonicalPrefix starts the RFC 7638 member order for EC keys: crv, kty, x, y.
constexpr std::string_view kCanonicalPrefix = R"({"crv":"P-256","kty":"EC","x":")";

void AppendPublicMembers(const P256PublicKey& key, std::string* out) {
  out->append(kCanonicalPrefix);
  Base64UrlAppend(key.x, out);
  out->append(R"(","y":")");
  Base64UrlAppend(key.y, out);
  out->push_back('"');
}

Error JwkError(std::string_view reason) {
  return Error(ErrorCode::kInvalidJwk, "invalid JWK: " + std::string(reason));
}

// DecodeCoordinate decodes the base64url member |name| of |jwk| into exactly 32 bytes.
bool DecodeCoordinate(const internal::JsonObject& jwk, std::string_view name,
                      std::vector<std::uint8_t>* out) {
  const std::string* text = jwk.FindString(name);
  return text && Base64UrlDecode(*text, out) == ErrorCode::kOk && out->size() == kP256ScalarSize;
}

}  // namespace

std::string PublicJwkJson(const P256PublicKey& key) {
  std::string json;
  json.reserve(kCanonicalPrefix.size() + 2 * 43 + 8);
  AppendPublicMembers(key, &json);
  json.push_back('}');
  return json;
}

std::string JwkThumbprint(const P256PublicKey& key) {
  return Base64UrlEncode(Sha256(PublicJwkJson(key)));
}

std::string PrivateJwkJson(const P256Key& key) {
  std::string json;
  AppendPublicMembers(key.public_key(), &json);
  json.append(R"(,"d":")");
  std::array<std::uint8_t, kP256ScalarSize> scalar = key.PrivateScalar();
  Base64UrlAppend(scalar, &json);
  SecureClear(scalar);
  json.append("\"}");
  return json;
}

Result<P256PublicKey> ParsePublicJwk(std::string_view json, bool allow_private) {
  internal::JsonObject jwk;
  if (internal::JsonObject::Parse(json, &jwk) != ErrorCode::kOk) {
    return JwkError("not a JSON object with unique member names");
  }

  const std::string* kty = jwk.FindString("kty");
  if (!kty || *kty != "EC") {
    return JwkError("\"kty\" is " + (kty ? "\"" + *kty + "\"" : std::string("missing")) +
                    "; only \"EC\" keys are supported");
  }
  const std::string* crv = jwk.FindString("crv");
  if (!crv || *crv != "P-256") {
    return JwkError("\"crv\" is " + (crv ? "\"" + *crv + "\"" : std::string("missing")) +
                    "; only \"P-256\" is supported");
  }
  if (!allow_private && jwk.Find("d") != nullptr) {
    return JwkError("it contains the private member \"d\"; send only the public key");
  }

  std::vector<std::uint8_t> bytes;
  P256PublicKey key;
  if (!DecodeCoordinate(jwk, "x", &bytes)) {
    return JwkError("\"x\" is missing or not the base64url of 32 bytes");
  }
  std::copy(bytes.begin(), bytes.end(), key.x.begin());
  if (!DecodeCoordinate(jwk, "y", &bytes)) {
    return JwkError("\"y\" is missing or not the base64url of 32 bytes");
  }
  std::copy(bytes.begin(), bytes.end(), key.y.begin());

  if (CheckP256PublicKey(key) != ErrorCode::kOk) {
    return JwkError("(x, y) is not a P-256 public key: a coordinate is not below the field "
                    "prime p, or the point is not on the curve");
  }
  return key;
}

Result<P256Key> ParsePrivateJwk(std::string_view json) {
  Result<P256PublicKey> public_key = ParsePublicJwk(json, true);
  if (!public_key.ok()) return public_key.error();

  internal::JsonObject jwk;
  (void)internal::JsonObject::Parse(json, &jwk);  // succeeded above
  std::vector<std::uint8_t> scalar;
  if (!DecodeCoordinate(jwk, "d", &scalar)) {
    return JwkError("\"d\" is missing or not the base64url of 32 bytes; supply a private JWK");
  }

  Result<P256Key> key = P256Key::FromPrivateScalar(scalar);
  SecureClear(scalar);
  if (!key.ok()) return JwkError("\"d\" is not a valid P-256 private scalar");
  if (key->public_key() != *public_key) {
    return JwkError("\"x\" and \"y\" do not match the public key derived from \"d\"");
  }
  return key;
}

}  // namespace dpopfleet
