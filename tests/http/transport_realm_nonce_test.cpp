// Thousands of DPoP-bound token requests in flight against the reference realm while its
// nonce rotates every second with no grace period, over HTTP/1.1 and over HTTP/2 through
// nghttpx. Each proof must carry a nonce that is still current when the realm reads it, so
// only the requests on the wire at a rotation need one retry.

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/oauth_token.h"
#include "dpopfleet/realm.h"
#include "dpopfleet/transport.h"
#include "test_process.h"

namespace dpopfleet {
namespace {

constexpr int kRequests = 8'000;
constexpr const char* kClientId = "cli_lanes";
constexpr const char* kClientSecret = "sec_lanes_secret";

RealmOptions RotatingNonceRealm() {
  RealmOptions options;
  options.require_nonce = true;
  options.nonce_rotation_seconds = 1;
  options.nonce_grace_seconds = 0;
  options.static_clients.push_back({kClientId, kClientSecret, true, "agent"});
  return options;
}

// TransportLikeMint returns options as `dpopfleet mint --concurrency 8000` sets them:
// every request may be in flight, over four connections to the server.
TransportOptions TransportLikeMint(const std::string& ca_file) {
  TransportOptions options;
  options.ca_file = ca_file;
  options.max_in_flight = kRequests;
  options.max_host_connections = 4;
  options.max_concurrent_streams = kRequests / 4;
  return options;
}

// BurstOutcome is what kRequests token requests submitted at once ended with.
struct BurstOutcome {
  int tokens = 0;
  std::size_t max_attempts = 0;
  std::string first_error;
};

// RunTokenBurst submits kRequests token requests to |token_endpoint| at once and waits for
// all of them.
BurstOutcome RunTokenBurst(Transport& transport, const std::string& token_endpoint) {
  auto key = P256Key::Generate();
  EXPECT_TRUE(key.ok());
  if (!key.ok()) return {};
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  ProofBuilder builder;
  TokenRequestSpec spec;
  spec.token_endpoint = token_endpoint;
  spec.credentials = {kClientId, kClientSecret};
  spec.scope = "agent";
  spec.key = &proof_key;
  spec.builder = &builder;
  RequestOptions request_options;
  request_options.url_hint = token_endpoint;

  std::mutex mutex;
  std::condition_variable all_done;
  int finished = 0;
  BurstOutcome outcome;
  for (int i = 0; i < kRequests; ++i) {
    transport.Submit(MakeTokenRequestFactory(spec), request_options, [&](TransferResult result) {
      std::string error;
      if (result.response.has_value()) {
        auto token = ParseTokenResponse(*result.response, {proof_key.thumbprint()}, token_endpoint);
        if (!token.ok()) error = token.error().ToString();
      } else {
        error = result.error.has_value() ? result.error->ToString() : "no response and no error";
      }
      std::lock_guard lock(mutex);
      if (error.empty()) ++outcome.tokens;
      if (!error.empty() && outcome.first_error.empty()) outcome.first_error = error;
      outcome.max_attempts = std::max(outcome.max_attempts, result.attempts.size());
      if (++finished == kRequests) all_done.notify_all();
    });
  }

  std::unique_lock lock(mutex);
  bool done = all_done.wait_for(lock, std::chrono::seconds(300), [&] { return finished == kRequests; });
  EXPECT_TRUE(done) << finished << " of " << kRequests << " requests ended";
  return outcome;
}

TEST(TransportRealmNonce, Http1ThousandsInFlight) {
  auto realm = Realm::Start(RotatingNonceRealm());
  ASSERT_TRUE(realm.ok()) << realm.error().ToString();
  auto transport = Transport::Create(TransportLikeMint((*realm)->ca_file()));
  ASSERT_TRUE(transport.ok()) << transport.error().ToString();

  BurstOutcome outcome = RunTokenBurst(**transport, (*realm)->issuer() + "/token");

  EXPECT_EQ(outcome.tokens, kRequests) << outcome.first_error;
  EXPECT_LE(outcome.max_attempts, 3u);
  EXPECT_EQ((*realm)->counters().tokens_issued, static_cast<std::uint64_t>(kRequests));

  // Only the four attempts on the wire as the nonce rotates need a retry, where proofs
  // queued in libcurl once needed several retries each.
  TransportCounters counters = (*transport)->counters();
  RecordProperty("nonce_retries", static_cast<int>(counters.retries_nonce));
  EXPECT_LT(counters.retries_nonce, static_cast<std::uint64_t>(kRequests / 20));
  EXPECT_EQ(counters.attempts, kRequests + counters.retries_nonce);
}

TEST(TransportRealmNonce, Http2ThousandsInFlightThroughNghttpx) {
  std::string nghttpx = testing::FindProgram("nghttpx");
  if (nghttpx.empty()) {
    GTEST_SKIP() << "nghttpx is not installed; install Debian's nghttp2-proxy (tools/setup.sh)";
  }
  testing::TempDir dir;
  testing::TestPki pki;
  ASSERT_TRUE(testing::MakeTestPki(dir, &pki)) << testing::ReadFile(dir.File("openssl.log"));
  std::uint16_t front_port = testing::FreeLoopbackPort();
  ASSERT_NE(front_port, 0);

  // nghttpx terminates TLS and HTTP/2 and forwards HTTP/1.1 to the realm, which builds its
  // URLs from the front's address.
  RealmOptions realm_options = RotatingNonceRealm();
  realm_options.tls = false;
  realm_options.public_url = "https://127.0.0.1:" + std::to_string(front_port);
  auto realm = Realm::Start(realm_options);
  ASSERT_TRUE(realm.ok()) << realm.error().ToString();
  testing::ChildProcess proxy(testing::NghttpxCommand(nghttpx, front_port, (*realm)->port(), pki,
                                                      dir, {"--accesslog-file=/dev/null"}),
                              dir.File("nghttpx.out"));
  ASSERT_GT(proxy.pid(), 0);
  ASSERT_TRUE(testing::WaitForListener(front_port))
      << "nghttpx did not listen: " << testing::ReadFile(dir.File("error.log"));
  auto transport = Transport::Create(TransportLikeMint(pki.ca_file));
  ASSERT_TRUE(transport.ok()) << transport.error().ToString();

  BurstOutcome outcome = RunTokenBurst(**transport, (*realm)->issuer() + "/token");
  (*transport)->Shutdown();
  proxy.Stop();

  EXPECT_EQ(outcome.tokens, kRequests) << outcome.first_error;
  EXPECT_LE(outcome.max_attempts, 3u);

  // Up to 4 x 100 streams are on the wire as the nonce rotates, and each of them may need
  // one retry. How many rotations a run spans depends on the machine's speed.
  TransportCounters counters = (*transport)->counters();
  RecordProperty("nonce_retries", static_cast<int>(counters.retries_nonce));
  EXPECT_LT(counters.retries_nonce, static_cast<std::uint64_t>(kRequests / 2));
  EXPECT_EQ(counters.attempts, kRequests + counters.retries_nonce);
}

}  // namespace
}  // namespace dpopfleet
