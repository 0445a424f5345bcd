// The reference realm: an embedded agent-identity server (OAuth 2.0 client credentials with
// DPoP, RFC 9449) that validates proofs strictly and can be configured to throttle, fail and
// delay.
//
// A Realm runs libmicrohttpd with its own thread pool, over HTTPS by default with a CA and
// server certificate it generates for loopback. It serves discovery, self-service
// registration (codes go to an outbox directory instead of mail), a token endpoint,
// introspection, revocation and a protected resource, /v1/whoami. Every realm name in
// RealmOptions::realms gets its endpoints under /realms/{name}/. The root paths serve
// "default", or the first realm when "default" is not configured.
//
// DPoP "htu" values are compared with the URL the client used: the listener's scheme, the
// Host header and the request path. Behind a TLS front on the same machine (nghttpx for
// HTTP/2, for example) the front must send "X-Forwarded-Proto: https". The realm honours
// that header only from loopback peers and ignores it from anyone else.
//
// Thread safety: every const method may be called from any thread while the server runs.
// Stop and the destructor must not race with each other.

#ifndef DPOPFLEET_REALM_H_
#define DPOPFLEET_REALM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// RealmStaticClient is a client registered at start instead of through the registration
// flow, for load tests and CI. Static clients are not written to the state file.
struct RealmStaticClient {
  std::string client_id, client_secret;
  bool require_dpop = false;
  std::string scope = "agent";
};

// RealmFaults makes the server misbehave on purpose. Rates are probabilities in [0, 1]
// drawn per request from a generator seeded with RealmOptions::seed, so a run with the same
// seed and the same request order injects the same faults. Admin endpoints are exempt.
struct RealmFaults {
  double rate_429 = 0, rate_503 = 0, rate_reset = 0;

  // latency_ms delays every response; latency_jitter_ms adds a uniform random extra delay
  // in [0, latency_jitter_ms]. Delayed connections are suspended, so they hold no thread.
  int latency_ms = 0, latency_jitter_ms = 0;

  // retry_after is the Retry-After value of injected 429 and 503 responses: delta-seconds
  // such as "1", or "http-date:<seconds>" for an HTTP-date that many seconds from now.
  std::string retry_after = "1";
};

// RealmOptions configures a Realm. Defaults give an HTTPS server on a free loopback port.
struct RealmOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port; Realm::port reports it
  bool tls = true;         // false is accepted only for a loopback bind_address

  // public_url is the base URL clients use when the realm sits behind a front such as a
  // TLS-terminating HTTP/2 proxy ("https://127.0.0.1:8443"). Issuers, endpoints in discovery
  // and token "iss"/"aud" claims are built from it. Empty = the realm's own listener.
  std::string public_url;

  std::string cert_file, key_file;  // PEM; empty = generate a CA + server cert at start
  // Temporary files and directories chosen here are removed when the Realm is destroyed.
  std::string ca_out_file;          // where the generated CA is written; empty = a temp file
  std::string outbox_dir;           // empty = a temp dir
  std::string state_file;           // empty = in memory only

  // admin_outbox serves GET /admin/outbox?email=, the latest message to an address with its
  // verification code, for tests on one machine. Even when on, it serves only loopback
  // peers, and never a request that came through a front (Forwarded or X-Forwarded-*
  // headers) or any request when public_url is set, since a local front connects from
  // loopback on behalf of anyone. Off by default; the outbox directory is always written.
  bool admin_outbox = false;

  std::vector<std::string> realms = {"default"};
  std::vector<RealmStaticClient> static_clients;

  bool require_nonce = false;
  int nonce_rotation_seconds = 300;
  int nonce_grace_seconds = 60;

  int iat_max_age_seconds = 60, iat_max_future_seconds = 5, clock_skew_seconds = 0;
  int token_lifetime_seconds = 3600;

  // registration_scopes are the scopes self-service registration may grant; a request for
  // any other scope fails with 400 invalid_scope naming these. Static clients are not bound
  // by the list. Token requests may ask only for scopes granted to the client.
  std::vector<std::string> registration_scopes = {"agent", "agent:read", "agent:write"};

  // Registration limits per sliding hour, and how long an enrollment waits for its code.
  int registrations_per_email_per_hour = 3;
  int registrations_per_ip_per_hour = 10;
  int enrollment_lifetime_seconds = 3600;

  RealmFaults faults;
  std::uint64_t seed = 1;
  unsigned threads = 0;  // 0 = std::thread::hardware_concurrency()

  // connections_per_ip caps the connections one client address may hold open, so one slow
  // or misbehaving client cannot take every connection (0 = no cap). A load test from one
  // machine that opens more connections than this needs a higher value. It does not apply
  // when public_url is set, because a front's connections all come from one address.
  unsigned connections_per_ip = 256;

  // request_timeout_seconds is how long a client may take to send one whole request,
  // headers and body, and how long a connection may stay idle (0 = unbounded).
  int request_timeout_seconds = 10;

  // clock drives proof iat checks, token times, nonce rotation, rate limits and enrollment
  // expiry. It must outlive the Realm.
  const Clock* clock = &SystemClock();
};

// RealmCounters are totals since Start.
struct RealmCounters {
  std::uint64_t requests = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t tokens_issued = 0;
  std::uint64_t dpop_tokens_issued = 0;
  std::uint64_t bearer_tokens_issued = 0;
  std::uint64_t enrollments = 0;    // accepted register/request calls
  std::uint64_t registrations = 0;  // confirmed enrollments, i.e. new clients
  std::uint64_t introspections = 0;
  std::uint64_t revocations = 0;
  std::uint64_t whoami_ok = 0;
  std::uint64_t nonce_challenges = 0;  // use_dpop_nonce responses
  std::uint64_t faults_429 = 0;
  std::uint64_t faults_503 = 0;
  std::uint64_t faults_reset = 0;
  std::uint64_t faults_delayed = 0;
  std::uint64_t rejections = 0;

  // rejections_by_reason counts rejected requests by a stable reason name such as
  // "proof_htu_mismatch", "invalid_client" or "rate_limited_email".
  std::map<std::string, std::uint64_t> rejections_by_reason;

  // ToString returns the counters as one line of "name=value" pairs.
  std::string ToString() const;
};

class Realm {
 public:
  // Start binds the port, prepares TLS material and the signing key, loads the state file if
  // there is one and starts serving. It fails with a message naming the bad option.
  static Result<std::unique_ptr<Realm>> Start(RealmOptions options);

  // ~Realm stops the server as Stop does.
  ~Realm();

  Realm(const Realm&) = delete;
  Realm& operator=(const Realm&) = delete;

  // base_url returns RealmOptions::public_url when set, else "https://127.0.0.1:PORT"
  // ("http://…" without TLS; IPv6 binds in brackets).
  std::string base_url() const;

  // issuer returns base_url + "/realms/" + |realm|.
  std::string issuer(std::string_view realm = "default") const;

  // port returns the bound port.
  std::uint16_t port() const;

  // ca_file returns the path of the PEM CA that clients must trust. That is the generated CA,
  // or cert_file when one was given, and "" without TLS.
  const std::string& ca_file() const;

  // outbox_dir returns the directory where verification messages are written.
  const std::string& outbox_dir() const;

  // LatestVerificationCode returns the code most recently mailed to |email|, read from the
  // outbox, or nullopt if no message to |email| is there.
  std::optional<std::string> LatestVerificationCode(std::string_view email) const;

  // counters returns a snapshot of the counters.
  RealmCounters counters() const;

  // Stop stops accepting connections, finishes the server threads and logs a counter
  // summary. It is idempotent.
  void Stop();

  // Implementation state; defined in engine/realm.
  class Impl;

 private:
  explicit Realm(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_REALM_H_
