// Fetching and checking authorization server metadata.

#include "dpopfleet/oauth_discovery.h"

#include "dpopfleet/oauth_json.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/url.h"

namespace dpopfleet {
namespace {

constexpr std::string_view kOpenIdSuffix = "/.well-known/openid-configuration";
constexpr std::string_view kOAuthWellKnown = "/.well-known/oauth-authorization-server";

std::string_view WithoutTrailingSlash(std::string_view url) {
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return url;
}

}  // namespace

std::vector<std::string> DiscoveryUrls(std::string_view issuer) {
  issuer = WithoutTrailingSlash(issuer);
  std::vector<std::string> urls{std::string(issuer) + std::string(kOpenIdSuffix)};

  auto origin = UrlOrigin(issuer);
  if (origin.ok() && issuer.size() > origin->size()) {
    std::string_view path = issuer.substr(issuer.find("://") + 3);
    path = path.substr(path.find('/') == std::string_view::npos ? path.size() : path.find('/'));
    if (!path.empty()) urls.push_back(*origin + std::string(kOAuthWellKnown) + std::string(path));
  }
  return urls;
}

Result<ServerMetadata> ParseServerMetadata(std::string_view json, std::string_view expected_issuer) {
  auto fields = JsonFields::Parse(json, "discovery document");
  if (!fields.ok()) return fields.error();

  ServerMetadata metadata;
  metadata.issuer = fields->String("issuer").value_or("");
  if (WithoutTrailingSlash(metadata.issuer) != WithoutTrailingSlash(expected_issuer)) {
    return Error(ErrorCode::kProtocolError,
                 "discovery document names issuer '" + metadata.issuer + "' but '" +
                     std::string(expected_issuer) +
                     "' was requested; use the issuer URL the server itself reports");
  }

  metadata.token_endpoint = fields->String("token_endpoint").value_or("");
  if (metadata.token_endpoint.empty()) {
    return Error(ErrorCode::kProtocolError, "discovery document of '" + metadata.issuer +
                                                "' has no token_endpoint; the server cannot "
                                                "issue client_credentials tokens");
  }
  metadata.introspection_endpoint = fields->String("introspection_endpoint").value_or("");
  metadata.revocation_endpoint = fields->String("revocation_endpoint").value_or("");
  metadata.jwks_uri = fields->String("jwks_uri").value_or("");
  metadata.registration_endpoint = fields->String("registration_endpoint").value_or("");
  metadata.grant_types_supported = fields->StringArray("grant_types_supported").value_or(std::vector<std::string>{});
  metadata.token_endpoint_auth_methods_supported =
      fields->StringArray("token_endpoint_auth_methods_supported").value_or(std::vector<std::string>{});
  metadata.dpop_signing_alg_values_supported =
      fields->StringArray("dpop_signing_alg_values_supported").value_or(std::vector<std::string>{});
  return metadata;
}

Result<ServerMetadata> Discover(Transport& transport, std::string_view issuer) {
  std::vector<std::string> urls = DiscoveryUrls(issuer);
  std::string tried;
  for (const std::string& url : urls) {
    auto response = FetchJson(transport, HttpRequest{"GET", url, {}, {}}, "discovery");
    if (response.ok()) return ParseServerMetadata(response->body, issuer);
    if (response.error().code() != ErrorCode::kNotFound) return response.error();
    tried += (tried.empty() ? "" : ", ") + url;
  }
  return Error(ErrorCode::kNotFound, "no discovery document at " + tried +
                                         "; check the issuer URL (for the reference realm it "
                                         "is <base>/realms/<realm>)");
}

Result<ServerMetadata> DiscoveryCache::Get(Transport& transport, std::string_view issuer) {
  {
    std::lock_guard lock(mutex_);
    auto it = by_issuer_.find(issuer);
    if (it != by_issuer_.end()) return it->second;
  }
  auto metadata = Discover(transport, issuer);
  if (metadata.ok()) {
    std::lock_guard lock(mutex_);
    by_issuer_.emplace(std::string(issuer), *metadata);
  }
  return metadata;
}

}  // namespace dpopfleet
