// POST /introspect (RFC 7662), POST /revoke (RFC 7009) and the protected resource
// GET|POST /v1/whoami.

#include <spdlog/spdlog.h>

#include "dpopfleet/json_writer.h"
#include "realm_core.h"

namespace dpopfleet::realm {
namespace {

// ClaimsJson writes the token's identity members into |*writer|.
void WriteClaims(const AccessTokenClaims& claims, JsonObjectWriter* writer) {
  writer->String("sub", claims.sub)
      .String("client_id", claims.client_id)
      .String("scope", claims.scope)
      .String("iss", claims.iss)
      .String("aud", claims.aud)
      .Int("iat", claims.iat)
      .Int("exp", claims.exp)
      .String("jti", claims.jti)
      .String("token_type", claims.jkt.empty() ? "Bearer" : "DPoP");
  if (!claims.jkt.empty()) writer->Raw("cnf", JsonObjectWriter().String("jkt", claims.jkt).Finish());
}

// TokenRequest is an authenticated introspection or revocation request.
struct TokenRequest {
  ClientRecord client;
  std::string token;
};

// ReadTokenRequest authenticates the client and reads the "token" form parameter, or sets
// |*rejection|.
std::optional<TokenRequest> ReadTokenRequest(RealmCore& core, const RealmRoute& route,
                                             HttpReply* rejection) {
  if (std::optional<HttpReply> wrong_type = CheckFormContentType(route.exchange)) {
    *rejection = std::move(*wrong_type);
    return std::nullopt;
  }

  std::vector<std::string> duplicates;
  std::map<std::string, std::string> form = FormDecode(route.exchange.body, &duplicates);
  std::optional<ClientRecord> client = AuthenticateClient(core, route, form, rejection);
  if (!client) return std::nullopt;

  auto token = form.find("token");
  if (!duplicates.empty() || token == form.end() || token->second.empty()) {
    *rejection = ErrorReply(400, "invalid_request", "send exactly one non-empty \"token\" form parameter");
    return std::nullopt;
  }
  return TokenRequest{std::move(*client), token->second};
}

HttpReply ResourceError(std::string_view error, const std::string& description, std::string_view reason) {
  HttpReply reply = ErrorReply(401, error, description, reason);
  std::string challenge = "DPoP error=\"" + std::string(error) + "\", algs=\"ES256\"";
  reply.AddHeader("WWW-Authenticate", challenge);
  return reply;
}

}  // namespace

HttpReply HandleIntrospect(RealmCore& core, const RealmRoute& route) {
  HttpReply rejection;
  std::optional<TokenRequest> request = ReadTokenRequest(core, route, &rejection);
  if (!request) return rejection;
  core.counters.introspections.fetch_add(1, std::memory_order_relaxed);

  // RFC 7662 section 4 lets the server hide a token from clients other than its owner. The
  // realm does, so introspection follows the same ownership rule as revocation and cannot
  // be used to probe other clients' tokens.
  Result<AccessTokenClaims> claims = core.tokens.Validate(request->token);
  if (!claims || claims->iss != core.Issuer(route.realm) ||
      claims->client_id != request->client.client_id) {
    return JsonReply(200, "{\"active\":false}");
  }
  JsonObjectWriter writer;
  writer.Bool("active", true);
  WriteClaims(*claims, &writer);
  return JsonReply(200, writer.Finish());
}

HttpReply HandleRevoke(RealmCore& core, const RealmRoute& route) {
  HttpReply rejection;
  std::optional<TokenRequest> request = ReadTokenRequest(core, route, &rejection);
  if (!request) return rejection;

  // RFC 7009 section 2.2: invalid, expired and already revoked tokens also get 200.
  Result<AccessTokenClaims> claims = core.tokens.Validate(request->token);
  if (!claims) return JsonReply(200, "{}");
  if (claims->client_id != request->client.client_id) {
    HttpReply reply = ErrorReply(403, "unauthorized_client",
                                 "the token was issued to another client; only its owner may revoke it");
    AttachIds(&reply, request->client.client_id, claims->jti);
    return reply;
  }
  core.tokens.Revoke(claims->jti, claims->exp);
  core.counters.revocations.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("realm: client {} revoked token {}", request->client.client_id, ShortenToken(claims->jti));
  return JsonReply(200, "{}");
}

HttpReply HandleWhoami(RealmCore& core, const RealmRoute& route) {
  const std::string* authorization = route.exchange.Header("authorization");
  bool dpop_scheme = authorization != nullptr && HasAuthScheme(*authorization, "DPoP");
  bool bearer_scheme = authorization != nullptr && HasAuthScheme(*authorization, "Bearer");
  if (!dpop_scheme && !bearer_scheme) {
    HttpReply reply = ResourceError("invalid_token", "send \"Authorization: DPoP <access token>\" with a DPoP proof", "missing_token");
        return reply;
  }
  std::string token = authorization->substr(dpop_scheme ? 5 : 7);

  Result<AccessTokenClaims> claims = core.tokens.Validate(token);
  if (!claims) {
    HttpReply reply = ResourceError("invalid_token", claims.error().message(), ErrorCodeName(claims.error().code()));
    if (claims.error().code() == ErrorCode::kPermissionDenied) reply.reason = "token_revoked";
        return reply;
  }
  if (claims->iss != core.Issuer(route.realm) || claims->aud != core.Audience()) {
    HttpReply reply = ResourceError("invalid_token", "the token was issued by " + claims->iss + " for " + claims->aud + ", not for realm " + route.realm, "wrong_issuer");
    AttachIds(&reply, claims->client_id, claims->jti);
    return reply;
  }

  if (bearer_scheme) {
    // RFC 9449 section 7.2: a DPoP-bound token must not be accepted as a Bearer token.
    if (!claims->jkt.empty()) {
      HttpReply reply = ResourceError("invalid_token", "the token is DPoP-bound; send it as \"Authorization: DPoP …\" with a proof", "bound_token_as_bearer");
      AttachIds(&reply, claims->client_id, claims->jti);
      return reply;
    }
  } else {
    if (claims->jkt.empty()) {
      HttpReply reply = ResourceError("invalid_token", "the token is a Bearer token without cnf.jkt; send it as \"Authorization: Bearer …\"", "bearer_token_as_dpop");
      AttachIds(&reply, claims->client_id, claims->jti);
      return reply;
    }
    VerifiedProof proof;
    HttpReply rejection;
    if (!core.dpop.Check(route.exchange, DpopUse::kResource, token, &proof, &rejection,
                         claims->jkt)) {
      AttachIds(&rejection, claims->client_id, claims->jti);
      return rejection;
    }
  }

  core.counters.whoami_ok.fetch_add(1, std::memory_order_relaxed);
  JsonObjectWriter writer;
  WriteClaims(*claims, &writer);
  HttpReply reply = JsonReply(200, writer.String("realm", route.realm).Finish());
  if (dpop_scheme) core.dpop.AddNonce(DpopUse::kResource, &reply);
  return reply;
}

}  // namespace dpopfleet::realm
