// Test-side access to the node-oidc-provider peers that the CTest fixtures start: their
// ready.json, a blocking libcurl POST/GET, and JSON field lookups for the responses.
//
// Everything here is test code. It talks only to the loopback URLs the peer printed.

#ifndef DPOPFLEET_TESTS_INTEROP_PEER_CLIENT_H_
#define DPOPFLEET_TESTS_INTEROP_PEER_CLIENT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet::interop {

// PeerClient is one client the peer has registered.
struct PeerClient {
  std::string id;
  std::string secret;
};

// Peer is what peer_start.sh recorded about one running peer.
struct Peer {
  std::string http_issuer;   // "http://127.0.0.1:<port>"
  std::string https_issuer;  // "https://127.0.0.1:<port>"
  std::string ca_path;       // PEM of the CA that signed the HTTPS certificate
  std::string jwt_resource;
  std::string opaque_resource;
  std::map<std::string, PeerClient> clients;  // by client id
};

// LoadPeer reads the state folder $DPOPFLEET_INTEROP_PEERS/<name> that the fixture wrote.
// It fails with kNotFound when the variable or a file is missing, or kInvalidJson.
Result<Peer> LoadPeer(std::string_view name);

// HttpResponse is one HTTP exchange's outcome. Header names are lower-cased; a repeated
// header keeps its last value.
struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

// HttpRequest describes one request. Plain http is used only for loopback URLs, and no
// proxy is ever used.
struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::string form_body;                   // application/x-www-form-urlencoded, POST only
  std::vector<std::string> headers;        // "Name: value"
  std::optional<PeerClient> basic_auth;    // client_secret_basic
  std::string ca_path;                     // trust anchor for https URLs
};

// Send performs |request| with libcurl's easy interface. It fails with kConnectFailed,
// kTlsFailure or kProtocolError naming the URL and curl's message; any HTTP status counts
// as success.
Result<HttpResponse> Send(const HttpRequest& request);

// FormEncode percent-encodes |value| for an application/x-www-form-urlencoded body.
std::string FormEncode(std::string_view value);

// JsonString returns the string at the JSON Pointer |pointer| (RFC 6901, such as "/cnf/jkt")
// in |json|, or nullopt if the JSON is invalid or the value is missing or not a string.
std::optional<std::string> JsonString(std::string_view json, std::string_view pointer);

// JsonBool returns the boolean at |pointer| in |json|, or nullopt.
std::optional<bool> JsonBool(std::string_view json, std::string_view pointer);

// JsonRaw returns the minified JSON text of the value at |pointer| (for example the first key
// of a JWKS, "/keys/0"), or nullopt.
std::optional<std::string> JsonRaw(std::string_view json, std::string_view pointer);

// ShortToken returns the first characters of |token| followed by "…", for messages that must
// not contain a whole access token.
std::string ShortToken(std::string_view token);

}  // namespace dpopfleet::interop

#endif  // DPOPFLEET_TESTS_INTEROP_PEER_CLIENT_H_
