// RealmCore is everything a request handler needs: options, stores, the DPoP guard, the
// token service and the counters. Handlers are free functions over it, one file per
// endpoint group.
//
// Thread safety: handlers run on many server threads at once; every member is either
// immutable after construction or thread-safe itself.

#ifndef DPOPFLEET_ENGINE_REALM_REALM_CORE_H_
#define DPOPFLEET_ENGINE_REALM_REALM_CORE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "client_store.h"
#include "counters.h"
#include "dpop_guard.h"
#include "dpopfleet/realm.h"
#include "faults.h"
#include "http_types.h"
#include "outbox.h"
#include "registration.h"
#include "token_service.h"

namespace dpopfleet::realm {

// RealmRoute is a request resolved to a realm: "/realms/{realm}/{endpoint}", or the root
// paths, which belong to "default".
struct RealmRoute {
  const HttpExchange& exchange;
  std::string realm;
  std::string endpoint;  // the path inside the realm, starting with '/'
};

class RealmCore {
 public:
  RealmCore(RealmOptions options, std::string base_url, std::string outbox_dir, P256Key signing_key);

  // Handle routes one request, after fault injection, and records it in the counters.
  HttpReply Handle(const HttpExchange& exchange);

  // Issuer returns base_url + "/realms/" + |realm|.
  std::string Issuer(std::string_view realm) const;

  // Endpoint returns the issuer of |realm| joined with |endpoint|.
  std::string Endpoint(std::string_view realm, std::string_view endpoint) const {
    return Issuer(realm) + std::string(endpoint);
  }

  // Audience returns the "aud" of every access token: the protected resource's base URL.
  std::string Audience() const { return base_url_ + "/v1"; }

  // Persist writes the state file when one is configured; failures are logged.
  void Persist();

  const RealmOptions options;
  const std::string base_url_;
  LiveCounters counters;
  ClientStore clients;
  Outbox outbox;
  DpopGuard dpop;
  FaultInjector faults;
  TokenService tokens;
  Registrar registrar;

 private:
  std::optional<RealmRoute> Resolve(const HttpExchange& exchange) const;
  HttpReply Dispatch(const RealmRoute& route);

  std::mutex persist_mutex_;
};

// Endpoint handlers. Each returns the complete reply, rejections included.
HttpReply HandleDiscovery(RealmCore& core, const RealmRoute& route);
HttpReply HandleJwks(RealmCore& core, const RealmRoute& route);
HttpReply HandleAgentJson(RealmCore& core, const RealmRoute& route);
HttpReply HandleAgentInstructions(RealmCore& core, const RealmRoute& route);
HttpReply HandleToken(RealmCore& core, const RealmRoute& route);
HttpReply HandleIntrospect(RealmCore& core, const RealmRoute& route);
HttpReply HandleRevoke(RealmCore& core, const RealmRoute& route);
HttpReply HandleWhoami(RealmCore& core, const RealmRoute& route);
HttpReply HandleRegisterRequest(RealmCore& core, const RealmRoute& route);
HttpReply HandleRegisterConfirm(RealmCore& core, const RealmRoute& route);
HttpReply HandleRegisterStatus(RealmCore& core, const RealmRoute& route);
HttpReply HandleAdminOutbox(RealmCore& core, const HttpExchange& exchange);

// AttachIds records the ids a rejection concerns for its log line: the client id, the
// proof or token jti (both passed through EscapeForLog) and a thumbprint prefix. Secrets,
// proofs and tokens are never logged.
void AttachIds(HttpReply* reply, std::string_view client_id, std::string_view jti = {},
               std::string_view thumbprint = {});

// AuthenticateClient checks HTTP Basic client authentication (RFC 6749 section 2.3.1, with
// form-urlencoded id and secret) or, failing that header, client_id and client_secret form
// fields. It returns the client, or nullopt with |*rejection| set: 401 invalid_client for
// missing, malformed or wrong credentials, 400 invalid_request when Basic is combined with
// client_secret or a different client_id in the form (RFC 6749 section 2.3).
std::optional<ClientRecord> AuthenticateClient(RealmCore& core, const RealmRoute& route,
                                               const std::map<std::string, std::string>& form,
                                               HttpReply* rejection);

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_REALM_CORE_H_
