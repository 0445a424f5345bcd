// OAuth 2.0 authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0).

#ifndef DPOPFLEET_OAUTH_DISCOVERY_H_
#define DPOPFLEET_OAUTH_DISCOVERY_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// ServerMetadata is the part of a discovery document dpopfleet uses. Endpoints the server
// does not advertise are empty.
struct ServerMetadata {
  std::string issuer;
  std::string token_endpoint;
  std::string introspection_endpoint;
  std::string revocation_endpoint;
  std::string jwks_uri;
  std::string registration_endpoint;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> dpop_signing_alg_values_supported;
};

// DiscoveryUrls returns the URLs to try for |issuer|, in order: the OpenID form
// "<issuer>/.well-known/openid-configuration" and, for an issuer with a path, the RFC 8414
// form "<origin>/.well-known/oauth-authorization-server<path>".
std::vector<std::string> DiscoveryUrls(std::string_view issuer);

// ParseServerMetadata reads a discovery document. It fails with kInvalidJson for a body
// that is not a JSON object, kProtocolError when "issuer" differs from |expected_issuer|
// (RFC 8414 section 3.3, compared after removing one trailing '/'), and kProtocolError when
// "token_endpoint" is missing.
Result<ServerMetadata> ParseServerMetadata(std::string_view json, std::string_view expected_issuer);

// Discover fetches and parses |issuer|'s metadata through |transport|, trying each of
// DiscoveryUrls in turn while the server returns 404. It blocks until done, so it must not
// run on the transport's loop thread.
Result<ServerMetadata> Discover(Transport& transport, std::string_view issuer);

// DiscoveryCache keeps one metadata document per issuer for the life of a run. It is
// thread-safe; concurrent first requests for one issuer may each fetch it.
class DiscoveryCache {
 public:
  // Get returns the cached metadata for |issuer|, fetching it with Discover on first use.
  // Failures are not cached.
  Result<ServerMetadata> Get(Transport& transport, std::string_view issuer);

 private:
  std::mutex mutex_;
  std::map<std::string, ServerMetadata, std::less<>> by_issuer_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_OAUTH_DISCOVERY_H_
