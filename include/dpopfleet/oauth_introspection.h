// Token introspection (RFC 7662) and revocation (RFC 7009) clients.

#ifndef DPOPFLEET_OAUTH_INTROSPECTION_H_
#define DPOPFLEET_OAUTH_INTROSPECTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "dpopfleet/oauth_http.h"
#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// Introspection is an introspection response. Members the server omitted are empty or 0.
struct Introspection {
  bool active = false;
  std::string sub;
  std::string client_id;
  std::string scope;
  std::string iss;
  std::string token_type;
  std::int64_t exp = 0;
  std::int64_t iat = 0;
  std::string cnf_jkt;

  // json is the whole response body, minified.
  std::string json;
};

// Introspect requests the state of |token| from |endpoint|, authenticating as |credentials| with HTTP
// Basic. It blocks, so it must not run on the transport's loop thread. It fails with
// kHttpStatus when the server rejects the request and kProtocolError for a body without
// "active".
Result<Introspection> Introspect(Transport& transport, std::string_view endpoint,
                                 const ClientCredentials& credentials, std::string_view token);

// Revoke requests that |endpoint| revoke |token| (token_type_hint access_token). RFC 7009 has
// servers return 200 for unknown tokens too, so success means only that the request was
// accepted. It blocks like Introspect.
Status Revoke(Transport& transport, std::string_view endpoint, const ClientCredentials& credentials,
              std::string_view token);

}  // namespace dpopfleet

#endif  // DPOPFLEET_OAUTH_INTROSPECTION_H_
