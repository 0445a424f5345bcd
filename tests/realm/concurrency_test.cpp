// 200 concurrent token requests over HTTPS, each on its own connection with its own key.

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class ConcurrencyTest : public RealmTest {};

TEST_F(ConcurrencyTest, Serves200ConcurrentTokenRequests) {
  constexpr int kRequests = 200;
  RealmOptions options;
  options.threads = 0;  // sized from the machine, as in production
  StartRealm(options);

  std::vector<ProofKey> keys;
  std::vector<std::string> proofs;
  for (int i = 0; i < kRequests; ++i) {
    keys.push_back(NewProofKey());
    proofs.push_back(Proof(keys.back(), "POST", TokenUrl()));
  }

  std::latch start(kRequests);
  std::vector<HttpResult> results(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      HttpCall call = TokenCall(kClientId, proofs[i]);
      start.arrive_and_wait();
      results[i] = Send(call);
    });
  }
  for (std::thread& thread : threads) thread.join();

  int ok = 0;
  for (int i = 0; i < kRequests; ++i) {
    if (results[i].status == 200) {
      ++ok;
      EXPECT_NE(DecodePayload(JsonStringMember(results[i].body, "access_token").value_or(""))
                    .find(keys[i].thumbprint()),
                std::string::npos);
    } else {
      ADD_FAILURE() << "request " << i << ": " << results[i].status << " " << results[i].body << results[i].curl_error;
    }
  }
  EXPECT_EQ(ok, kRequests);
  RealmCounters counters = realm_->counters();
  EXPECT_EQ(counters.dpop_tokens_issued, static_cast<std::uint64_t>(kRequests));
  EXPECT_GE(counters.connections_accepted, static_cast<std::uint64_t>(kRequests));
}

}  // namespace
}  // namespace dpopfleet::realm_test
