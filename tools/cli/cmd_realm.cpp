// dpopfleet realm serve: run the reference realm until SIGINT, SIGTERM or SIGHUP.
//
// On start it prints one "key=value" line each for base_url, issuer, ca_file, port and
// outbox, so scripts can read them. On stop it prints "stopped_by=SIGNAL" and a counters line.

#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "dpopfleet/realm.h"

namespace dpopfleet::cli {
namespace {

// ParseStaticClient reads "ID:SECRET[:dpop]".
RealmStaticClient ParseStaticClient(const std::string& text) {
  RealmStaticClient client;
  std::size_t first = text.find(':');
  if (first == std::string::npos || first == 0) {
    throw UsageError("--client '" + text + "' is invalid; use ID:SECRET or ID:SECRET:dpop");
  }
  client.client_id = text.substr(0, first);
  std::string rest = text.substr(first + 1);
  if (rest.ends_with(":dpop")) {
    client.require_dpop = true;
    rest.resize(rest.size() - 5);
  }
  if (rest.empty()) {
    throw UsageError("--client '" + client.client_id + ":…' has an empty secret; use ID:SECRET or ID:SECRET:dpop");
  }
  client.client_secret = rest;
  return client;
}

// WaitForSignal waits for one of |signals|, which every thread blocks.
int WaitForSignal(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

void Setup(CLI::App& root, int* exit_code) {
  auto* realm = root.add_subcommand("realm", "Run the reference realm (agent-identity server)");
  realm->require_subcommand(1);
  // Root options such as --log-level may follow the subcommand too.
  realm->fallthrough();
  auto* serve = realm->add_subcommand(
      "serve", "Serve registration, tokens, introspection, revocation and /v1/whoami until SIGINT, SIGTERM or SIGHUP");

  serve->fallthrough();
  serve->footer("Root options such as --log-level info may also be given here.");

  auto options = std::make_shared<RealmOptions>();
  auto clients = std::make_shared<std::vector<std::string>>();
  auto realms = std::make_shared<std::vector<std::string>>();
  auto no_tls = std::make_shared<bool>(false);
  auto scopes = std::make_shared<std::vector<std::string>>();

  serve->add_option("--public-url", options->public_url,
                    "Base URL clients use when a front such as nghttpx terminates TLS or HTTP/2, "
                    "for example https://127.0.0.1:8443; issuers and token claims are built from it");
  serve->add_option("--bind", options->bind_address, "Address to listen on (IPv4 or IPv6 literal)")
      ->capture_default_str();
  serve->add_option("--port", options->port, "TCP port; 0 picks a free port and prints it. A port already in use exits with 1, as a failure at run time")->capture_default_str();
  serve->add_flag("--no-tls", *no_tls, "Serve plain HTTP; accepted only with a loopback --bind");
  serve->add_option("--cert", options->cert_file, "PEM certificate chain; default: generate a loopback CA and certificate");
  serve->add_option("--key", options->key_file, "PEM private key matching --cert");
  serve->add_option("--ca-out", options->ca_out_file, "Where to write the generated CA certificate; default: a temporary file removed on exit");
  serve->add_option("--outbox", options->outbox_dir, "Directory receiving verification messages; default: a temporary directory removed on exit");
  serve->add_option("--state-file", options->state_file,
                    "File keeping registered clients, the private token-signing key, revoked tokens, pending "
                    "enrollments and registration limits across restarts (mode 0600; one realm per file, locked "
                    "through FILE.lock). The DPoP replay cache is not kept, so a proof used before a restart is "
                    "accepted once more if it arrives within its --iat-max-age window");
  serve->add_flag("--admin-outbox", options->admin_outbox,
                  "Serve GET /admin/outbox?email= with the latest verification code, for tests on this machine: "
                  "loopback callers only, never through a front or with --public-url");
  serve->add_option("--realm", *realms, "Realm name served under /realms/NAME (repeatable); default: default");
  serve->add_option("--client", *clients, "Pre-registered client ID:SECRET[:dpop] (repeatable); :dpop requires DPoP proofs");
  serve->add_flag("--require-nonce", options->require_nonce, "Require server-provided DPoP nonces");
  serve->add_option("--nonce-rotation", options->nonce_rotation_seconds, "Seconds between nonce rotations")->capture_default_str();
  serve->add_option("--nonce-grace", options->nonce_grace_seconds, "Seconds the previous nonce stays valid after a rotation")->capture_default_str();
  serve->add_option("--iat-max-age", options->iat_max_age_seconds, "Seconds a proof's iat may lie in the past")->capture_default_str();
  serve->add_option("--iat-max-future", options->iat_max_future_seconds, "Seconds a proof's iat may lie in the future")->capture_default_str();
  serve->add_option("--clock-skew", options->clock_skew_seconds, "Seconds added to both iat limits")->capture_default_str();
  serve->add_option("--token-lifetime", options->token_lifetime_seconds, "Access token lifetime in seconds")->capture_default_str();
  serve->add_option("--registrations-per-email", options->registrations_per_email_per_hour, "Registration requests per email address per hour (1 or more)")->capture_default_str();
  serve->add_option("--registrations-per-ip", options->registrations_per_ip_per_hour,
                    "Registration requests per client IP address per hour (1 or more); behind a front named by "
                    "--public-url the address is the last X-Forwarded-For entry")
      ->capture_default_str();
  serve->add_option("--enrollment-lifetime", options->enrollment_lifetime_seconds, "Seconds a registration request waits for its verification code")->capture_default_str();
  serve->add_option("--fault-429-rate", options->faults.rate_429, "Share of requests answered with an injected 429 (0 to 1; the 429, 503 and reset rates together at most 1)")->capture_default_str();
  serve->add_option("--fault-503-rate", options->faults.rate_503, "Share of requests answered with an injected 503 (0 to 1; the 429, 503 and reset rates together at most 1)")->capture_default_str();
  serve->add_option("--fault-reset-rate", options->faults.rate_reset, "Share of requests whose connection is closed without a response (0 to 1; counts toward the same total of at most 1)")->capture_default_str();
  serve->add_option("--latency-ms", options->faults.latency_ms, "Milliseconds added to every response (0 to 60000)")->capture_default_str();
  serve->add_option("--latency-jitter-ms", options->faults.latency_jitter_ms, "Extra uniform random delay up to this many milliseconds (0 to 60000)")->capture_default_str();
  serve->add_option("--retry-after", options->faults.retry_after, "Retry-After of injected 429/503: seconds, or http-date:SECONDS")->capture_default_str();
  serve->add_option("--seed", options->seed, "Seed of the fault generator")->capture_default_str();
  serve->add_option("--scopes", *scopes,
                    "Scope self-service registration may grant (repeatable); default: agent, agent:read, agent:write");
  serve->add_option("--threads", options->threads, "Server threads; 0 = one per CPU")->capture_default_str();
  serve->add_option("--connections-per-ip", options->connections_per_ip,
                    "Connections one client address may hold open; 0 = no cap. Raise it for load tests from one "
                    "machine that open more connections. Not applied with --public-url, where every connection "
                    "comes from the front")
      ->capture_default_str();
  serve->add_option("--request-timeout", options->request_timeout_seconds,
                    "Seconds a client may take to send a whole request, and a connection may stay idle; 0 = none")
      ->capture_default_str();

  serve->callback([=] {
    RealmOptions start_options = *options;
    start_options.tls = !*no_tls;
    if (!realms->empty()) start_options.realms = *realms;
    if (!scopes->empty()) start_options.registration_scopes = *scopes;
    for (const std::string& text : *clients) start_options.static_clients.push_back(ParseStaticClient(text));

    // Block the signals before any server thread exists, so only sigwait receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    // A closed terminal sends SIGHUP; stopping cleanly removes the temporary CA and outbox.
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto started = Realm::Start(std::move(start_options));
    if (!started.ok()) {
      std::fprintf(stderr, "error: %s\n", started.error().ToString().c_str());
      ErrorCode code = started.error().code();
      bool bad_flag = code == ErrorCode::kInvalidArgument || code == ErrorCode::kInsecureUrl ||
                      code == ErrorCode::kPermissionDenied || code == ErrorCode::kInvalidJson;
      *exit_code = bad_flag ? kExitUsage : kExitFailure;
      return;
    }
    Realm& server = **started;
    std::printf("base_url=%s\n", server.base_url().c_str());
    for (const std::string& name : realms->empty() ? std::vector<std::string>{"default"} : *realms) {
      std::printf("issuer=%s\n", server.issuer(name).c_str());
    }
    std::printf("ca_file=%s\n", server.ca_file().c_str());
    std::printf("port=%u\n", static_cast<unsigned>(server.port()));
    std::printf("outbox=%s\n", server.outbox_dir().c_str());
    std::fflush(stdout);

    int received = WaitForSignal(signals);
    server.Stop();
    const char* name = "SIGTERM";
    if (received == SIGINT) name = "SIGINT";
    if (received == SIGHUP) name = "SIGHUP";
    std::printf("stopped_by=%s\ncounters: %s\n", name,
                server.counters().ToString().c_str());
    std::fflush(stdout);
    *exit_code = kExitOk;
  });
}

const CommandRegistrar kRegistrar(90, Setup);

}  // namespace
}  // namespace dpopfleet::cli
