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

// ClientCredentials is a client id and secret as the request presented them.
struct ClientCredentials {
  std::string client_id;
  std::string secret;
};

// DecodeBasicCredentials parses "Basic <base64(id:secret)>" (RFC 7617, with the id and
// secret form-urlencoded as RFC 6749 section 2.3.1 requires). The base64 must be canonical:
// standard alphabet, length a multiple of four, and '=' only as final padding.
Result<ClientCredentials> DecodeBasicCredentials(std::string_view authorization) {
  std::string_view encoded = authorization.size() > 6 ? authorization.substr(6) : std::string_view();
  auto malformed = [](std::string_view problem) {
    return Error(ErrorCode::kInvalidArgument,
                 "the HTTP Basic credentials are malformed: " + std::string(problem) +
                     "; send base64(urlencoded id \":\" urlencoded secret)");
  };
  if (encoded.empty()) return malformed("nothing follows \"Basic \"");

  std::size_t padding = 0;
  while (padding < 2 && padding < encoded.size() && encoded[encoded.size() - 1 - padding] == '=') {
    ++padding;
  }
  std::string url_safe;
  for (char c : encoded.substr(0, encoded.size() - padding)) {
    if (c == '+') url_safe.push_back('-');
    else if (c == '/') url_safe.push_back('_');
    else if (c == '-' || c == '_' || c == '=') return malformed("the value is not standard base64");
    else url_safe.push_back(c);
  }
  std::string decoded;
  if (encoded.size() % 4 != 0 || Base64UrlDecode(url_safe, &decoded) != ErrorCode::kOk) {
    return malformed("the value is not standard base64");
  }
  std::size_t colon = decoded.find(':');
  if (colon == std::string::npos) return malformed("the decoded value has no ':' between id and secret");
  return ClientCredentials{PercentDecode(decoded.substr(0, colon), true),
                           PercentDecode(decoded.substr(colon + 1), true)};
}

// InvalidClient returns the 401 invalid_client reply with a Basic challenge for the realm.
HttpReply InvalidClient(const RealmRoute& route, const std::string& description) {
  HttpReply reply = ErrorReply(401, "invalid_client", description, "invalid_client");
  reply.AddHeader("WWW-Authenticate", "Basic realm=\"" + route.realm + "\"");
  return reply;
}

}  // namespace

std::optional<ClientRecord> AuthenticateClient(RealmCore& core, const RealmRoute& route,
                                               const std::map<std::string, std::string>& form,
                                               HttpReply* rejection) {
  const std::string* authorization = route.exchange.Header("authorization");
  // Whitespace around a field value is not part of it (RFC 9110 section 5.5), so "Basic "
  // with nothing after it may arrive as "Basic".
  bool basic = authorization != nullptr &&
               (HasAuthScheme(*authorization, "Basic") || HasAuthScheme(*authorization + " ", "Basic"));
  auto form_id = form.find("client_id");
  auto form_secret = form.find("client_secret");

  ClientCredentials credentials;
  if (basic) {
    Result<ClientCredentials> decoded = DecodeBasicCredentials(*authorization);
    if (!decoded) {
      *rejection = InvalidClient(route, decoded.error().message());
      return std::nullopt;
    }
    credentials = std::move(*decoded);

    // RFC 6749 section 2.3: a client must not use more than one authentication method. A
    // client_id parameter equal to the Basic user is tolerated, because it authenticates
    // nothing by itself.
    bool second_id = form_id != form.end() && form_id->second != credentials.client_id;
    if (form_secret != form.end() || second_id) {
      HttpReply reply = ErrorReply(400, "invalid_request",
                                   "the request authenticates the client twice, with HTTP Basic "
                                   "and with client_id/client_secret parameters; use only one",
                                   "multiple_client_auth");
      AttachIds(&reply, credentials.client_id);
      *rejection = std::move(reply);
      return std::nullopt;
    }
  } else if (form_id != form.end() && form_secret != form.end()) {
    credentials = {form_id->second, form_secret->second};
  }

  if (credentials.client_id.empty()) {
    *rejection = InvalidClient(route, "client authentication is missing; send HTTP Basic credentials");
    return std::nullopt;
  }
  std::optional<ClientRecord> client =
      core.clients.Authenticate(route.realm, credentials.client_id, credentials.secret);
  if (!client) {
    *rejection = InvalidClient(route, "client '" + credentials.client_id + "' is unknown in realm " +
                                          route.realm + " or its secret is wrong");
    AttachIds(rejection, credentials.client_id);
  }
  return client;
}

HttpReply HandleToken(RealmCore& core, const RealmRoute& route) {
  if (std::optional<HttpReply> wrong_type = CheckFormContentType(route.exchange)) return *wrong_type;

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
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("realm: issued token {} to {} (jkt {})", ShortenToken(claims.jti), claims.client_id,
                  claims.jkt.empty() ? "none" : ShortenToken(claims.jkt));
  }

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
