// HTTP building blocks shared by the OAuth clients: form encoding, HTTP Basic client
// authentication and a blocking request helper over the Transport.

#ifndef DPOPFLEET_OAUTH_HTTP_H_
#define DPOPFLEET_OAUTH_HTTP_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// ClientCredentials identify a confidential OAuth client. The secret never appears in an
// Error message or log line.
struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
};

// FormUrlEncode returns |value| encoded as application/x-www-form-urlencoded: unreserved
// characters (ALPHA, DIGIT, '-', '.', '_', '~') as they are, space as '+', everything else
// as %XX with upper-case hex.
std::string FormUrlEncode(std::string_view value);

// FormBody returns "name=value&…" with every name and value form-urlencoded.
std::string FormBody(const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// BasicAuthorization returns the Authorization header value for |credentials| as RFC 6749
// section 2.3.1 requires: "Basic " + base64(urlencode(client_id) ":" urlencode(secret)).
std::string BasicAuthorization(const ClientCredentials& credentials);

// FetchJson sends |request| (one static request, retried by the transport as usual) and
// blocks until it ends. It returns the response for a 2xx status. It fails with kNotFound
// for 404 and with kHttpStatus for other statuses, whose message has the OAuth error and
// description. A transport failure returns the transport's error. |what| names the request in messages, such as "discovery".
// It must not run on the transport's loop thread.
Result<HttpResponse> FetchJson(Transport& transport, HttpRequest request, std::string_view what,
                               RequestOptions options = {});

// StatusError returns the error FetchJson reports for a non-2xx |response| to |what|.
Error StatusError(const HttpResponse& response, std::string_view what, std::string_view url);

}  // namespace dpopfleet

#endif  // DPOPFLEET_OAUTH_HTTP_H_
