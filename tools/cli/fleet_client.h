// Options and set-up shared by the commands that talk to an authorization server: where
// credentials live, which client to use, which CA to trust, and the Transport.

#ifndef DPOPFLEET_TOOLS_CLI_FLEET_CLIENT_H_
#define DPOPFLEET_TOOLS_CLI_FLEET_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "dpopfleet/credential_store.h"
#include "dpopfleet/oauth_discovery.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet::cli {

// ClientOptions are the flags every client command shares.
struct ClientOptions {
  std::string config_dir;
  std::string client_id;
  std::string ca_file;
  std::string issuer;
  std::string scope;
  bool allow_bearer = false;
  bool bearer = false;
  bool http1 = false;

  // issuer_override allows sending the stored client's secret to a server other than the
  // one it was registered at (an --issuer or a discovered token endpoint elsewhere).
  bool issuer_override = false;

  // connections caps connections per server; 0 picks 4 with HTTP/2 and 16 with HTTP/1.1.
  long connections = 0;

  // max_attempts caps the attempts of each token request and API call, retries included.
  int max_attempts = RequestOptions{}.max_attempts;
};

// Upper bounds of the fleet flags, stated in their help. A fleet keeps every agent's key
// and token in memory (about 1.5 KB per agent), so a million agents need about 1.5 GB.
inline constexpr std::size_t kMaxAgents = 1'000'000;
inline constexpr std::size_t kMaxConcurrency = 100'000;
inline constexpr std::size_t kMaxRepeat = 100'000;

// HttpUrl is a CLI11 validator accepting only an http or https URL with a host; its
// message names the value and the expected form.
CLI::Validator HttpUrl();

// AddClientOptions adds --config-dir, --client-id, --ca-file, --issuer, --scope,
// --allow-bearer, --bearer, --max-attempts, --http1 and --connections to |command|.
void AddClientOptions(CLI::App* command, ClientOptions* options);

// AddStoredClientOptions adds --config-dir, --client-id, --issuer, --issuer-override and
// the transport options, for commands that use a stored client but request no tokens.
void AddStoredClientOptions(CLI::App* command, ClientOptions* options);

// AddTransportOptions adds only --ca-file, --http1 and --connections, for commands without a stored client.
void AddTransportOptions(CLI::App* command, ClientOptions* options);

// MakeTransport creates a Transport trusting |options.ca_file| (the system store when
// empty) with room for |concurrency| requests at once. Failure throws UsageError for a
// missing CA file, and std::runtime_error otherwise.
std::unique_ptr<Transport> MakeTransport(const ClientOptions& options, std::size_t concurrency = 64);

// ResolvedClient is a stored client with the endpoints its issuer advertises.
struct ResolvedClient {
  StoredClient stored;
  ServerMetadata metadata;
};

// ResolveClient loads the client named by |options| (or the only stored one) and discovers
// its issuer's endpoints; --issuer replaces the stored issuer. Without an issuer it uses the
// stored token_endpoint and leaves the other endpoints empty. Unless
// |options.issuer_override|, it fails with kInvalidArgument, before any request carries the
// secret, when --issuer differs from the stored issuer or when the discovered token
// endpoint's origin differs from the stored token endpoint's origin.
Result<ResolvedClient> ResolveClient(Transport& transport, const ClientOptions& options);

// RequestOptionsFor returns the RequestOptions of a request to |url| with --max-attempts.
RequestOptions RequestOptionsFor(const ClientOptions& options, std::string url);

// CredentialsOf returns the id and secret of |client|.
ClientCredentials CredentialsOf(const ResolvedClient& client);

// ScopeFor returns --scope if given, else the scope stored with the client.
std::string ScopeFor(const ClientOptions& options, const ResolvedClient& client);

// RunGuarded runs |body| and stores its exit code in |*exit_code|. A std::exception other
// than UsageError is printed as an error and stored as kExitFailure; UsageError propagates
// to main, which exits with kExitUsage.
void RunGuarded(int* exit_code, const std::function<int()>& body);

// ReportError prints |error| on stderr as "error: <message>" and returns kExitUsage for a
// problem the user fixes in a flag or file (invalid argument, permission denied, not found,
// invalid or insecure URL), kExitFailure otherwise.
int ReportError(const Error& error);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_FLEET_CLIENT_H_
