// Introspection and revocation requests.

#include "dpopfleet/oauth_introspection.h"

#include "dpopfleet/oauth_json.h"

namespace dpopfleet {
namespace {

HttpRequest TokenFormRequest(std::string_view endpoint, const ClientCredentials& credentials,
                             std::string_view token) {
  HttpRequest request;
  request.method = "POST";
  request.url = std::string(endpoint);
  request.headers = {{"Authorization", BasicAuthorization(credentials)},
                     {"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = FormBody({{"token", token}, {"token_type_hint", "access_token"}});
  return request;
}

}  // namespace

Result<Introspection> Introspect(Transport& transport, std::string_view endpoint,
                                 const ClientCredentials& credentials, std::string_view token) {
  auto response = FetchJson(transport, TokenFormRequest(endpoint, credentials, token), "introspection");
  if (!response.ok()) return response.error();

  auto fields = JsonFields::Parse(response->body, "introspection response");
  if (!fields.ok()) return fields.error();
  auto active = fields->Bool("active");
  if (!active) {
    return Error(ErrorCode::kProtocolError, "introspection response from " + std::string(endpoint) +
                                                " has no boolean 'active' member (RFC 7662 section 2.2)");
  }

  Introspection result;
  result.active = *active;
  result.sub = fields->String("sub").value_or("");
  result.client_id = fields->String("client_id").value_or("");
  result.scope = fields->String("scope").value_or("");
  result.iss = fields->String("iss").value_or("");
  result.token_type = fields->String("token_type").value_or("");
  result.exp = fields->Int("exp").value_or(0);
  result.iat = fields->Int("iat").value_or(0);
  if (auto cnf = fields->Object("cnf")) result.cnf_jkt = cnf->String("jkt").value_or("");
  result.json = fields->Text();
  return result;
}

Status Revoke(Transport& transport, std::string_view endpoint, const ClientCredentials& credentials,
              std::string_view token) {
  auto response = FetchJson(transport, TokenFormRequest(endpoint, credentials, token), "revocation");
  if (!response.ok()) return response.error();
  return Status();
}

}  // namespace dpopfleet
