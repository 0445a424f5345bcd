// Routing, fault injection, request accounting and state persistence.

#include "realm_core.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "dpopfleet/jwk.h"
#include "state_file.h"

namespace dpopfleet::realm {
namespace {

using Handler = HttpReply (*)(RealmCore&, const RealmRoute&);

struct RouteEntry {
  std::string_view path;
  bool is_prefix;
  std::string_view methods;  // space-separated, as the Allow header lists them
  Handler handler;
};

constexpr RouteEntry kRoutes[] = {
    {"/.well-known/openid-configuration", false, "GET", HandleDiscovery},
    {"/.well-known/oauth-authorization-server", false, "GET", HandleDiscovery},
    {"/jwks", false, "GET", HandleJwks},
    {"/agent.json", false, "GET", HandleAgentJson},
    {"/.well-known/agent-instructions", false, "GET", HandleAgentInstructions},
    {"/register/request", false, "POST", HandleRegisterRequest},
    {"/register/confirm", false, "POST", HandleRegisterConfirm},
    {"/register/status/", true, "GET", HandleRegisterStatus},
    {"/token", false, "POST", HandleToken},
    {"/introspect", false, "POST", HandleIntrospect},
    {"/revoke", false, "POST", HandleRevoke},
    {"/v1/whoami", false, "GET POST", HandleWhoami},
};

// AllowList returns the Allow header value for a route's space-separated |methods|, with
// HEAD added where GET is listed.
std::string AllowList(std::string_view methods) {
  std::string out(methods);
  std::replace(out.begin(), out.end(), ' ', ',');
  if (ContainsWord(methods, "GET")) out += ",HEAD";
  return out;
}

}  // namespace

void AttachIds(HttpReply* reply, std::string_view client_id, std::string_view jti,
               std::string_view thumbprint) {
  // The client id and jti may come from the request, so they are escaped. The thumbprint is
  // computed by the realm and is always base64url.
  if (!client_id.empty()) reply->log_ids += " client_id=" + EscapeForLog(client_id);
  if (!jti.empty()) reply->log_ids += " jti=" + EscapeForLog(jti.substr(0, 24));
  if (!thumbprint.empty()) reply->log_ids += " jkt=" + ShortenToken(thumbprint);
}

RealmCore::RealmCore(RealmOptions options_in, std::string base_url, std::string outbox_dir,
                     P256Key signing_key)
    : options(std::move(options_in)),
      base_url_(std::move(base_url)),
      outbox(std::move(outbox_dir)),
      dpop(options, counters),
      faults(options.faults, options.seed, *options.clock, counters),
      tokens(std::move(signing_key), *options.clock, options.token_lifetime_seconds) {}

std::string RealmCore::Issuer(std::string_view realm) const {
  return base_url_ + "/realms/" + std::string(realm);
}

void RealmCore::Persist() {
  if (options.state_file.empty()) return;
  std::lock_guard lock(persist_mutex_);
  PersistedState state;
  state.signing_key_jwk = PrivateJwkJson(tokens.key());
  state.clients = clients.Registered();
  Status saved = SaveState(options.state_file, state);
  if (!saved) spdlog::error("realm: {}", saved.error().message());
}

std::optional<RealmRoute> RealmCore::Resolve(const HttpExchange& exchange) const {
  constexpr std::string_view kPrefix = "/realms/";
  std::string_view path = exchange.path;

  // RFC 8414 section 3.1 puts the well-known segment between the host and the issuer's
  // path: /.well-known/oauth-authorization-server/realms/{realm}.
  constexpr std::string_view kMetadata = "/.well-known/oauth-authorization-server";
  if (path.starts_with(kMetadata) && path.substr(kMetadata.size()).starts_with(kPrefix)) {
    std::string realm(path.substr(kMetadata.size() + kPrefix.size()));
    if (std::find(options.realms.begin(), options.realms.end(), realm) == options.realms.end()) {
      return std::nullopt;
    }
    return RealmRoute{exchange, realm, std::string(kMetadata)};
  }

  if (!path.starts_with(kPrefix)) {
    bool has_default = std::find(options.realms.begin(), options.realms.end(), "default") != options.realms.end();
    return RealmRoute{exchange, has_default ? "default" : options.realms.front(), std::string(path)};
  }
  path.remove_prefix(kPrefix.size());
  std::size_t slash = path.find('/');
  std::string realm(path.substr(0, slash));
  std::string endpoint = slash == std::string_view::npos ? "/" : std::string(path.substr(slash));
  if (std::find(options.realms.begin(), options.realms.end(), realm) == options.realms.end()) {
    return std::nullopt;
  }
  return RealmRoute{exchange, realm, endpoint};
}

HttpReply RealmCore::Dispatch(const RealmRoute& route) {
  for (const RouteEntry& entry : kRoutes) {
    bool matches = entry.is_prefix ? route.endpoint.starts_with(entry.path) && route.endpoint.size() > entry.path.size()
                                   : route.endpoint == entry.path;
    if (!matches) continue;
    // RFC 9110 sections 9.1 and 9.3.2 expect HEAD wherever GET works. The handler runs as
    // for GET and libmicrohttpd sends the headers without the body.
    bool allowed = ContainsWord(entry.methods, route.exchange.method) ||
                   (route.exchange.method == "HEAD" && ContainsWord(entry.methods, "GET"));
    if (!allowed) {
      std::string allow = AllowList(entry.methods);
      HttpReply reply = ErrorReply(405, "invalid_request",
                                   EscapeForLog(route.exchange.method) + " is not allowed on " +
                                       route.endpoint + "; use " + allow,
                                   "method_not_allowed");
      reply.AddHeader("Allow", allow);
      return reply;
    }
    return entry.handler(*this, route);
  }
  return ErrorReply(404, "not_found",
                    "no endpoint at " + route.exchange.path + "; see " +
                        Endpoint(route.realm, "/.well-known/openid-configuration"),
                    "unknown_path");
}

HttpReply RealmCore::Handle(const HttpExchange& exchange) {
  counters.requests.fetch_add(1, std::memory_order_relaxed);
  // The method and path come from the request line, so they are escaped like every other
  // request-derived value that reaches the log. The level is checked first because the
  // arguments are built even when spdlog then drops the line.
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("realm: {} {} from {}", EscapeForLog(exchange.method), EscapeForLog(exchange.path),
                  exchange.peer_address);
  }

  HttpReply reply;
  if (exchange.path.starts_with("/admin/")) {
    reply = exchange.path == "/admin/outbox" ? HandleAdminOutbox(*this, exchange)
                                             : ErrorReply(404, "not_found", "unknown admin endpoint " + exchange.path + "; use /admin/outbox?email=", "unknown_path");
  } else if (std::optional<HttpReply> fault = faults.Inject()) {
    // Debug, not info: fault runs inject thousands of these, and the counters total them.
    spdlog::debug("realm: injected {} on {} {}", fault->reason, EscapeForLog(exchange.method),
                  EscapeForLog(exchange.path));
    return *fault;
  } else if (std::optional<RealmRoute> route = Resolve(exchange)) {
    reply = Dispatch(*route);
  } else {
    reply = ErrorReply(404, "not_found", "unknown realm in " + exchange.path + "; configured realms are listed by --realm", "unknown_realm");
  }

  if (reply.status >= 400) {
    counters.RecordRejection(reply.reason);
    spdlog::info("realm: rejected {} {} with {} reason={}{} peer={}", EscapeForLog(exchange.method),
                 EscapeForLog(exchange.path), reply.status, reply.reason, reply.log_ids,
                 exchange.peer_address);
  }
  return reply;
}

}  // namespace dpopfleet::realm
