// Thousands of DPoP-bound token requests in flight against the reference realm while its
// nonce rotates every second with no grace period. Each proof must carry a nonce that is
// still current when the realm reads it, so nearly every request succeeds at once.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/oauth_token.h"
#include "dpopfleet/realm.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {
namespace {

constexpr int kRequests = 8'000;

TEST(TransportRealmNonce, ThousandsInFlightWithOneSecondRotation) {
  RealmOptions realm_options;
  realm_options.require_nonce = true;
  realm_options.nonce_rotation_seconds = 1;
  realm_options.nonce_grace_seconds = 0;
  realm_options.static_clients.push_back({"cli_lanes", "sec_lanes_secret", true, "agent"});
  auto realm = Realm::Start(realm_options);
  ASSERT_TRUE(realm.ok()) << realm.error().ToString();

  // As `dpopfleet mint --concurrency 5000` configures it: every request may be in flight,
  // over the four connections the HTTP/1.1 realm answers on.
  TransportOptions options;
  options.ca_file = (*realm)->ca_file();
  options.max_in_flight = kRequests;
  options.max_host_connections = 4;
  auto created = Transport::Create(options);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Transport& transport = **created;

  auto key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  ProofBuilder builder;
  TokenRequestSpec spec;
  spec.token_endpoint = (*realm)->issuer() + "/token";
  spec.credentials = {"cli_lanes", "sec_lanes_secret"};
  spec.scope = "agent";
  spec.key = &proof_key;
  spec.builder = &builder;
  RequestOptions request_options;
  request_options.url_hint = spec.token_endpoint;

  std::mutex mutex;
  std::condition_variable all_done;
  int finished = 0;
  int tokens = 0;
  std::string first_error;
  for (int i = 0; i < kRequests; ++i) {
    transport.Submit(MakeTokenRequestFactory(spec), request_options, [&](TransferResult result) {
      bool ok = false;
      std::string error;
      if (result.response.has_value()) {
        auto token = ParseTokenResponse(*result.response, {proof_key.thumbprint()}, spec.token_endpoint);
        ok = token.ok();
        if (!ok) error = token.error().ToString();
      } else if (result.error.has_value()) {
        error = result.error->ToString();
      }
      std::lock_guard lock(mutex);
      if (ok) ++tokens;
      if (!ok && first_error.empty()) first_error = error;
      if (++finished == kRequests) all_done.notify_all();
    });
  }

  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(300), [&] { return finished == kRequests; }));
  EXPECT_EQ(tokens, kRequests) << first_error;

  // Only attempts that were on the wire as the nonce rotated need a retry: a handful per
  // rotation, where queued proofs once needed several retries each.
  TransportCounters counters = transport.counters();
  RecordProperty("nonce_retries", static_cast<int>(counters.retries_nonce));
  EXPECT_LT(counters.retries_nonce, static_cast<std::uint64_t>(kRequests / 20));
  EXPECT_EQ(counters.attempts, kRequests + counters.retries_nonce);
  EXPECT_EQ((*realm)->counters().tokens_issued, static_cast<std::uint64_t>(kRequests));
}

}  // namespace
}  // namespace dpopfleet
