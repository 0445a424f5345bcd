// Discovery documents: OpenID/OAuth metadata, JWKS, the agent endpoint list and the plain
// text quick start, plus the loopback-only outbox view for tests.

#include "dpopfleet/json_writer.h"
#include "realm_core.h"

namespace dpopfleet::realm {

HttpReply HandleDiscovery(RealmCore& core, const RealmRoute& route) {
  const std::string& realm = route.realm;
  return JsonReply(200, JsonObjectWriter()
                            .String("issuer", core.Issuer(realm))
                            .String("token_endpoint", core.Endpoint(realm, "/token"))
                            .String("introspection_endpoint", core.Endpoint(realm, "/introspect"))
                            .String("revocation_endpoint", core.Endpoint(realm, "/revoke"))
                            .String("jwks_uri", core.Endpoint(realm, "/jwks"))
                            .String("registration_endpoint", core.Endpoint(realm, "/register/request"))
                            .String("registration_confirm_endpoint", core.Endpoint(realm, "/register/confirm"))
                            .String("resource_endpoint", core.Endpoint(realm, "/v1/whoami"))
                            .Raw("grant_types_supported", "[\"client_credentials\"]")
                            .Raw("token_endpoint_auth_methods_supported",
                                 "[\"client_secret_basic\",\"client_secret_post\"]")
                            .Raw("introspection_endpoint_auth_methods_supported",
                                 "[\"client_secret_basic\",\"client_secret_post\"]")
                            .Raw("revocation_endpoint_auth_methods_supported",
                                 "[\"client_secret_basic\",\"client_secret_post\"]")
                            .Raw("dpop_signing_alg_values_supported", "[\"ES256\"]")
                            // The realm has no authorization endpoint, so it supports no
                            // response type; "token" would advertise the implicit grant.
                            .Raw("response_types_supported", "[]")
                            .Bool("dpop_nonce_required", core.options.require_nonce)
                            .Finish());
}

HttpReply HandleJwks(RealmCore& core, const RealmRoute&) {
  HttpReply reply = JsonReply(200, core.tokens.JwksJson());
  reply.content_type = "application/jwk-set+json";
  return reply;
}

HttpReply HandleAgentJson(RealmCore& core, const RealmRoute& route) {
  const std::string& realm = route.realm;
  std::string endpoints =
      JsonObjectWriter()
          .String("discovery", core.Endpoint(realm, "/.well-known/openid-configuration"))
          .String("jwks", core.Endpoint(realm, "/jwks"))
          .String("register_request", core.Endpoint(realm, "/register/request"))
          .String("register_confirm", core.Endpoint(realm, "/register/confirm"))
          .String("register_status", core.Endpoint(realm, "/register/status/{enrollment_id}"))
          .String("token", core.Endpoint(realm, "/token"))
          .String("introspect", core.Endpoint(realm, "/introspect"))
          .String("revoke", core.Endpoint(realm, "/revoke"))
          .String("whoami", core.Endpoint(realm, "/v1/whoami"))
          .Finish();
  return JsonReply(200, JsonObjectWriter()
                            .String("name", "dpopfleet reference realm")
                            .String("realm", realm)
                            .String("issuer", core.Issuer(realm))
                            .Raw("endpoints", endpoints)
                            .String("token_type", "DPoP")
                            .Raw("dpop_signing_alg_values_supported", "[\"ES256\"]")
                            .Bool("dpop_nonce_required", core.options.require_nonce)
                            .Finish());
}

HttpReply HandleAgentInstructions(RealmCore& core, const RealmRoute& route) {
  const std::string& realm = route.realm;
  HttpReply reply;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body =
      "dpopfleet reference realm '" + realm + "', issuer " + core.Issuer(realm) + "\n\n" +
      "1. POST " + core.Endpoint(realm, "/register/request") +
      " with JSON {\"email\", \"client_name\", \"client_description\", \"requested_scopes\"}.\n"
      "   Keep enrollment_id and poll_token; a verification code XXXX-XXXX is mailed to the email.\n" +
      "2. POST " + core.Endpoint(realm, "/register/confirm") +
      " with JSON {\"enrollment_id\", \"poll_token\", \"verification_code\"}.\n"
      "   The response carries client_id and client_secret; the secret is shown only once.\n" +
      "3. POST " + core.Endpoint(realm, "/token") +
      " with grant_type=client_credentials, HTTP Basic client authentication and a DPoP proof\n"
      "   (ES256, typ dpop+jwt, htm POST, htu the token URL). The token is bound to the proof's key.\n" +
      "4. Call " + core.Endpoint(realm, "/v1/whoami") +
      " with \"Authorization: DPoP <token>\" and a fresh proof carrying ath.\n" +
      (core.options.require_nonce
           ? "Nonces are required: retry with the DPoP-Nonce header value after use_dpop_nonce.\n"
           : "") +
      "Registration is limited to " + std::to_string(core.options.registrations_per_email_per_hour) +
      " requests per email and " + std::to_string(core.options.registrations_per_ip_per_hour) +
      " per IP address per hour.\n";
  return reply;
}

HttpReply HandleAdminOutbox(RealmCore& core, const HttpExchange& exchange) {
  if (!core.options.admin_outbox) {
    return ErrorReply(404, "not_found",
                      "the admin outbox endpoint is off; read the outbox directory, or start the realm with "
                      "--admin-outbox for tests on this machine",
                      "admin_disabled");
  }
  if (!exchange.peer_is_loopback) {
    return ErrorReply(403, "access_denied", "the admin endpoints accept loopback peers only; call them from 127.0.0.1 or ::1",
                      "admin_not_loopback");
  }
  // A front on this machine connects from loopback on behalf of anyone who can reach it, so
  // a forwarded request, or any request to a realm that names a public URL, is refused.
  bool forwarded = exchange.HeaderCount("forwarded") > 0;
  for (const auto& [name, value] : exchange.headers) forwarded = forwarded || name.starts_with("x-forwarded-");
  if (forwarded || !core.options.public_url.empty()) {
    return ErrorReply(403, "access_denied",
                      "the admin endpoints refuse requests through a front; call the realm's own listener "
                      "from this machine, on a realm started without --public-url",
                      "admin_forwarded");
  }
  std::string email = exchange.QueryParam("email");
  if (email.empty()) {
    return ErrorReply(400, "invalid_request", "send ?email=<address> to read its latest message");
  }
  std::optional<OutboxMessage> message = core.outbox.Latest(email);
  if (!message) {
    return ErrorReply(404, "not_found", "the outbox contains no message to '" + email + "'",
                      "outbox_empty");
  }
  return JsonReply(200, message->ToJson());
}

}  // namespace dpopfleet::realm
