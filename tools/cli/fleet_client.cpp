// Shared client flags, Transport creation and client resolution.

#include "fleet_client.h"

#include <unistd.h>

#include <cstdio>

#include "command.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/url.h"

namespace dpopfleet::cli {

void AddTransportOptions(CLI::App* command, ClientOptions* options) {
  command->add_option("--ca-file", options->ca_file, "PEM file of the CA that signed the server's certificate "
                                                      "(default: the system trust store)");
  command->add_flag("--http1", options->http1, "Use HTTP/1.1 only instead of negotiating HTTP/2");
  command->add_option("--connections", options->connections,
                      "Maximum connections per server (default 4 with HTTP/2, 16 with --http1). HTTP/2 "
                      "multiplexes every request over these; an HTTP/1.1 server gets one request per "
                      "connection at a time, so raise it for a distant HTTP/1.1 server")
      ->check(CLI::Range(1, 1024));
}

CLI::Validator HttpUrl() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        auto normalized = NormalizeHtu(value);
        if (normalized.ok()) return "";
        return value + " is not an http or https URL; pass one such as https://127.0.0.1:8443/realms/default";
      },
      "URL");
}

void AddStoredClientOptions(CLI::App* command, ClientOptions* options) {
  command->add_option("--config-dir", options->config_dir,
                      "Directory of stored clients (default: $XDG_CONFIG_HOME/strongdmid or ~/.config/strongdmid)");
  command->add_option("--client-id", options->client_id, "Stored client to use (default: the only stored client)");
  command->add_option("--issuer", options->issuer, "Issuer URL to discover endpoints from (default: the stored issuer)")
      ->check(HttpUrl());
  command->add_flag("--issuer-override", options->issuer_override,
                    "Send the stored client's secret even when --issuer, or the token endpoint its discovery "
                    "names, is not the server the client was registered at");
  AddTransportOptions(command, options);
}

void AddClientOptions(CLI::App* command, ClientOptions* options) {
  AddStoredClientOptions(command, options);
  command->add_option("--scope", options->scope, "Scope to request (default: the stored scope, else none)");
  command->add_flag("--allow-bearer", options->allow_bearer,
                    "Accept token_type Bearer although a DPoP proof was sent (the token is then not key-bound)");
  command->add_flag("--bearer", options->bearer, "Request plain Bearer tokens without DPoP proofs");
  command->add_option("--max-attempts", options->max_attempts,
                      "Attempts per request, retries included: after 429, 503, a DPoP nonce challenge or a "
                      "failed connection (1 to 100, default 8)")
      ->check(CLI::Range(1, 100));
}

RequestOptions RequestOptionsFor(const ClientOptions& options, std::string url) {
  RequestOptions request_options;
  request_options.max_attempts = options.max_attempts;
  request_options.url_hint = std::move(url);
  return request_options;
}

std::unique_ptr<Transport> MakeTransport(const ClientOptions& options, std::size_t concurrency) {
  if (!options.ca_file.empty() && access(options.ca_file.c_str(), R_OK) != 0) {
    throw UsageError("--ca-file " + options.ca_file + " cannot be read; pass the PEM file of the server's CA");
  }
  TransportOptions transport_options;
  transport_options.ca_file = options.ca_file;
  transport_options.http2 = !options.http1;
  transport_options.max_in_flight = static_cast<long>(std::max<std::size_t>(concurrency, 1));

  // libcurl 7.88 opens every allowed connection during a burst even when an HTTP/2
  // connection could carry the streams, so with HTTP/2 the connection cap is small and each
  // connection takes an equal share of the requests in flight.
  long connections = options.connections > 0 ? options.connections : (transport_options.http2 ? 4 : 16);
  transport_options.max_host_connections = connections;
  transport_options.max_total_connections = std::max(transport_options.max_total_connections, connections);
  if (transport_options.http2) {
    long streams_per_connection = (transport_options.max_in_flight + connections - 1) / connections;
    transport_options.max_concurrent_streams =
        std::max(transport_options.max_concurrent_streams, streams_per_connection);
  }
  auto transport = Transport::Create(std::move(transport_options));
  if (!transport.ok()) throw std::runtime_error(transport.error().ToString());
  return std::move(*transport);
}

namespace {

// SameUrl compares two issuer URLs after normalisation, ignoring one trailing '/'.
bool SameUrl(std::string_view a, std::string_view b) {
  auto comparable = [](std::string_view url) {
    auto normalized = NormalizeHtu(url);
    std::string text = normalized.ok() ? *normalized : std::string(url);
    if (text.size() > 1 && text.back() == '/') text.pop_back();
    return text;
  };
  return comparable(a) == comparable(b);
}

// CheckIssuerFlag fails when --issuer names another server than the one |stored| was
// registered at, because discovery there would receive the client's secret next.
Status CheckIssuerFlag(const StoredClient& stored, const ClientOptions& options) {
  if (options.issuer_override || options.issuer.empty() || stored.issuer.empty()) return Status();
  if (SameUrl(options.issuer, stored.issuer)) return Status();
  return Error(ErrorCode::kInvalidArgument,
               "client " + stored.client_id + " was registered at " + stored.issuer + ", but --issuer is " +
                   options.issuer + "; its secret is sent only to its own issuer. Pass --client-id for a client of " +
                   options.issuer + ", drop --issuer, or add --issuer-override to send the secret there anyway");
}

// CheckTokenEndpoint fails when discovery named a token endpoint on another origin than
// the one stored with the client: a changed or hostile discovery document must not
// redirect the secret.
Status CheckTokenEndpoint(const StoredClient& stored, const ServerMetadata& metadata, const ClientOptions& options) {
  if (options.issuer_override || stored.token_endpoint.empty()) return Status();
  auto stored_origin = UrlOrigin(stored.token_endpoint);
  auto found_origin = UrlOrigin(metadata.token_endpoint);
  if (stored_origin.ok() && found_origin.ok() && *stored_origin == *found_origin) return Status();
  return Error(ErrorCode::kInvalidArgument,
               "discovery names token endpoint " + metadata.token_endpoint + ", but client " + stored.client_id +
                   " is stored with token endpoint " + stored.token_endpoint +
                   " on another origin; its secret is sent only there. Register the client again if the server "
                   "moved, or add --issuer-override to send the secret to " + metadata.token_endpoint);
}

}  // namespace

Result<ResolvedClient> ResolveClient(Transport& transport, const ClientOptions& options) {
  auto root = CredentialStore::DefaultRoot(options.config_dir);
  if (!root.ok()) return root.error();
  auto stored = CredentialStore(*root).Load(options.client_id);
  if (!stored.ok()) return stored.error();
  Status issuer_flag = CheckIssuerFlag(*stored, options);
  if (!issuer_flag.ok()) return issuer_flag.error();

  ResolvedClient client{std::move(*stored), {}};
  std::string issuer = options.issuer.empty() ? client.stored.issuer : options.issuer;
  if (issuer.empty()) {
    client.metadata.token_endpoint = client.stored.token_endpoint;
    return client;
  }
  auto metadata = Discover(transport, issuer);
  if (!metadata.ok()) return metadata.error();
  Status endpoint = CheckTokenEndpoint(client.stored, *metadata, options);
  if (!endpoint.ok()) return endpoint.error();
  client.metadata = std::move(*metadata);
  return client;
}

ClientCredentials CredentialsOf(const ResolvedClient& client) {
  return ClientCredentials{client.stored.client_id, client.stored.client_secret};
}

std::string ScopeFor(const ClientOptions& options, const ResolvedClient& client) {
  return options.scope.empty() ? client.stored.scope : options.scope;
}

void RunGuarded(int* exit_code, const std::function<int()>& body) {
  try {
    *exit_code = body();
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    *exit_code = kExitFailure;
  }
}

int ReportError(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.message().c_str());
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNotFound:
    case ErrorCode::kInvalidUrl:
    case ErrorCode::kInsecureUrl:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

}  // namespace dpopfleet::cli
