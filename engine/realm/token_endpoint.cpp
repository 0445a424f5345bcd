// POST /token: client_credentials with client authentication, DPoP-bound or Bearer tokens.

#include <spdlog/spdlog.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/json_writer.h"
#include "realm_core.h"

namespace dpopfleet::realm {
namespace {

// ResolveScope returns the scope to grant: all of the client's scopes when none is
// requested, otherwise the requested ones if each is among the client's. Returns false on
// a scope the client does not have, naming it in |*bad|.
bool ResolveScope(std::string_view requested, const std::string& allowed, std::string* scope,
                  std::string* bad) {
  if (requested.empty()) {
    *scope = allowed;
    return true;
  }
  scope->clear();
  for (std::string_view word : SplitSpaces(requested)) {
    if (!ContainsWord(allowed, word)) {
      *bad = std::string(word);
      return false;
    }
    if (!scope->empty()) scope->push_back(' ');
    scope->append(word);
  }
  if (scope->empty()) *scope = allowed;
  return true;
}

}  // namespace

std::optional<ClientRecord> AuthenticateClient(RealmCore& core, const RealmRoute& route,
                                               const std::map<std::string, std::string>& form,
                                               HttpReply* rejection) {
  std::string client_id, secret;
  const std::string* authorization = route.exchange.Header("authorization");
  if (authorization != nullptr && HasAuthScheme(*authorization, "Basic")) {
    std::string decoded;
    std::string_view encoded = std::string_view(*authorization).substr(6);
    // Basic credentials use standard base64; translate to the URL alphabet and drop padding.
    std::string url_safe;
    for (char c : encoded) {
      if (c == '+') url_safe.push_back('-');
      else if (c == '/') url_safe.push_back('_');
      else if (c != '=') url_safe.push_back(c);
    }
    std::size_t colon = std::string::npos;
    if (Base64UrlDecode(url_safe, &decoded) == ErrorCode::kOk) colon = decoded.find(':');
    if (colon != std::string::npos) {
      client_id = PercentDecode(decoded.substr(0, colon), true);
      secret = PercentDecode(decoded.substr(colon + 1), true);
    }
  } else {
    auto id = form.find("client_id");
    auto sec = form.find("client_secret");
    if (id != form.end() && sec != form.end()) {
      client_id = id->second;
      secret = sec->second;
    }
  }

  std::optional<ClientRecord> client;
  if (!client_id.empty()) client = core.clients.Authenticate(route.realm, client_id, secret);
  if (!client) {
    *rejection = ErrorReply(401, "invalid_client",
                            client_id.empty()
                                ? "client authentication is missing; send HTTP Basic credentials"
                                : "client '" + client_id + "' is unknown in realm " + route.realm +
                                      " or its secret is wrong",
                            "invalid_client");
    rejection->AddHeader("WWW-Authenticate", "Basic realm=\"" + route.realm + "\"");
    AttachIds(rejection, client_id);
  }
  return client;
}

HttpReply HandleToken(RealmCore& core, const RealmRoute& route) {
  std::vector<std::string> duplicates;
  std::map<std::string, std::string> form = FormDecode(route.exchange.body, &duplicates);
  if (!duplicates.empty()) {
    return ErrorReply(400, "invalid_request",
                      "parameter '" + duplicates.front() + "' is repeated; send it once");
  }
  auto grant = form.find("grant_type");
  if (grant == form.end()) {
    return ErrorReply(400, "invalid_request", "grant_type is missing; send grant_type=client_credentials");
  }
  if (grant->second != "client_credentials") {
    return ErrorReply(400, "unsupported_grant_type",
                      "grant_type '" + grant->second + "' is not supported; use client_credentials");
  }

  HttpReply rejection;
  std::optional<ClientRecord> client = AuthenticateClient(core, route, form, &rejection);
  if (!client) return rejection;

  std::string scope, bad_scope;
  auto requested = form.find("scope");
  if (!ResolveScope(requested == form.end() ? "" : requested->second, client->scope, &scope, &bad_scope)) {
    return ErrorReply(400, "invalid_scope",
                      "scope '" + bad_scope + "' is not granted to " + client->client_id +
                          "; request a subset of '" + client->scope + "'");
  }

  AccessTokenClaims claims;
  bool has_dpop = route.exchange.HeaderCount("dpop") > 0;
  if (has_dpop) {
    VerifiedProof proof;
    if (!core.dpop.Check(route.exchange, DpopUse::kTokenEndpoint, {}, &proof, &rejection)) {
      AttachIds(&rejection, client->client_id);
      return rejection;
    }
    claims.jkt = proof.thumbprint;
  } else if (client->require_dpop) {
    HttpReply reply = ErrorReply(400, "invalid_dpop_proof",
                                 "client " + client->client_id +
                                     " must send a DPoP proof with every token request",
                                 "dpop_required");
    AttachIds(&reply, client->client_id);
    return reply;
  }

  claims.iss = core.Issuer(route.realm);
  claims.sub = client->client_id;
  claims.client_id = client->client_id;
  claims.aud = core.Audience();
  claims.scope = scope;
  Result<std::string> token = core.tokens.Issue(&claims);
  if (!token) return ErrorReply(500, "server_error", token.error().message(), "signing_failed");

  core.counters.tokens_issued.fetch_add(1, std::memory_order_relaxed);
  (has_dpop ? core.counters.dpop_tokens_issued : core.counters.bearer_tokens_issued)
      .fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("realm: issued token {} to {} (jkt {})", ShortenToken(claims.jti), claims.client_id,
                claims.jkt.empty() ? "none" : ShortenToken(claims.jkt));

  HttpReply reply = JsonReply(200, JsonObjectWriter()
                                       .String("access_token", *token)
                                       .String("token_type", has_dpop ? "DPoP" : "Bearer")
                                       .Int("expires_in", core.tokens.lifetime_seconds())
                                       .String("scope", scope)
                                       .Finish());
  reply.AddHeader("Pragma", "no-cache");
  if (has_dpop) core.dpop.AddNonce(DpopUse::kTokenEndpoint, &reply);
  return reply;
}

}  // namespace dpopfleet::realm
