// Signing and validating access tokens.

#include "token_service.h"

#include <array>

#include <simdjson.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/json_writer.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/jwt.h"

namespace dpopfleet::realm {
namespace {

Error Malformed(const std::string& problem) {
  return Error(ErrorCode::kJwtMalformed, "access token " + problem + "; request a new token");
}

}  // namespace

TokenService::TokenService(P256Key key, const Clock& clock, int lifetime_seconds)
    : key_(std::move(key)),
      clock_(clock),
      lifetime_seconds_(lifetime_seconds),
      kid_(JwkThumbprint(key_.public_key())) {}

std::string TokenService::JwksJson() const {
  std::string jwk = PublicJwkJson(key_.public_key());
  jwk.pop_back();  // reopen the object to append members
  jwk += ",\"kid\":" + JsonString(kid_) + ",\"use\":\"sig\",\"alg\":\"ES256\"}";
  return "{\"keys\":[" + jwk + "]}";
}

Result<std::string> TokenService::Issue(AccessTokenClaims* claims) const {
  std::array<std::uint8_t, 16> jti{};
  if (RandomBytes(jti) != ErrorCode::kOk) {
    return Error(ErrorCode::kCryptoFailure, "the random number generator failed; retry");
  }
  claims->jti = Base64UrlEncode(jti);
  claims->iat = clock_.NowUnixSeconds();
  claims->exp = claims->iat + lifetime_seconds_;

  JsonObjectWriter payload;
  payload.String("iss", claims->iss)
      .String("sub", claims->sub)
      .String("client_id", claims->client_id)
      .String("aud", claims->aud)
      .String("scope", claims->scope)
      .Int("iat", claims->iat)
      .Int("exp", claims->exp)
      .String("jti", claims->jti);
  if (!claims->jkt.empty()) {
    payload.Raw("cnf", JsonObjectWriter().String("jkt", claims->jkt).Finish());
  }
  return SignJwt(key_, "at+jwt", kid_, payload.Finish());
}

Result<AccessTokenClaims> TokenService::Validate(std::string_view token) const {
  Result<DecodedJwt> decoded = DecodeJwt(token);
  if (!decoded) return Malformed("is not a compact JWS");

  simdjson::dom::parser parser;
  simdjson::dom::element header;
  std::string_view typ, kid;
  if (parser.parse(decoded->header_json).get(header) || header["typ"].get(typ) ||
      header["kid"].get(kid)) {
    return Malformed("header lacks typ or kid");
  }
  if (typ != "at+jwt") return Malformed("has typ '" + std::string(typ) + "', expected at+jwt");
  if (kid != kid_) {
    return Error(ErrorCode::kJwtBadSignature,
                 "access token kid '" + std::string(kid) + "' is not this realm's signing key");
  }
  if (VerifyJwtSignature(*decoded, key_.public_key()) != ErrorCode::kOk) {
    return Error(ErrorCode::kJwtBadSignature, "access token signature does not verify");
  }

  simdjson::dom::element payload;
  AccessTokenClaims claims;
  std::string_view iss, sub, client_id, aud, scope, jti;
  if (parser.parse(decoded->payload_json).get(payload) || payload["iss"].get(iss) ||
      payload["sub"].get(sub) || payload["client_id"].get(client_id) ||
      payload["aud"].get(aud) || payload["scope"].get(scope) || payload["jti"].get(jti) ||
      payload["iat"].get(claims.iat) || payload["exp"].get(claims.exp)) {
    return Malformed("lacks a required claim");
  }
  std::string_view jkt;
  if (payload.at_pointer("/cnf/jkt").get(jkt) == simdjson::SUCCESS) claims.jkt = jkt;
  claims.iss = iss;
  claims.sub = sub;
  claims.client_id = client_id;
  claims.aud = aud;
  claims.scope = scope;
  claims.jti = jti;

  if (clock_.NowUnixSeconds() >= claims.exp) {
    return Error(ErrorCode::kJwtExpired, "access token expired at " + std::to_string(claims.exp) +
                                             "; request a new token");
  }
  if (IsRevoked(claims.jti)) {
    return Error(ErrorCode::kPermissionDenied,
                 "access token " + claims.jti + " was revoked; request a new token");
  }
  return claims;
}

void TokenService::Revoke(const std::string& jti, std::int64_t exp) {
  {
    std::lock_guard lock(mutex_);
    std::int64_t now = clock_.NowUnixSeconds();
    // Drop entries whose tokens expired anyway, so the set stays as small as the live tokens.
    for (auto it = revoked_until_.begin(); it != revoked_until_.end();) {
      it = it->second <= now ? revoked_until_.erase(it) : std::next(it);
    }
    revoked_until_[jti] = exp;
  }
  if (on_revoke_) on_revoke_();
}

std::vector<RevokedToken> TokenService::Revoked() const {
  std::lock_guard lock(mutex_);
  std::int64_t now = clock_.NowUnixSeconds();
  std::vector<RevokedToken> revoked;
  for (const auto& [jti, exp] : revoked_until_) {
    if (exp > now) revoked.push_back({jti, exp});
  }
  return revoked;
}

void TokenService::RestoreRevoked(const std::vector<RevokedToken>& revoked) {
  std::lock_guard lock(mutex_);
  std::int64_t now = clock_.NowUnixSeconds();
  for (const RevokedToken& token : revoked) {
    if (token.exp > now) revoked_until_[token.jti] = token.exp;
  }
}

bool TokenService::IsRevoked(const std::string& jti) const {
  std::lock_guard lock(mutex_);
  return revoked_until_.count(jti) != 0;
}

}  // namespace dpopfleet::realm
