// The lead request of a fleet run: it goes first so that a nonce challenge meets only it,
// but its retries and backoff must not hold back the other agents.

#include <mutex>

#include <gtest/gtest.h>

#include "dpopfleet/fleet_summary.h"
#include "realm_fixture.h"

namespace dpopfleet {
namespace {

// SubmitOrderTransport forwards to a real Transport and records, when the first submitted
// request finishes, how many requests had been submitted by then. Thread-safe.
class SubmitOrderTransport final : public Transport {
 public:
  explicit SubmitOrderTransport(Transport& inner) : inner_(inner) {}

  using Transport::Submit;
  void Submit(RequestFactory factory, RequestOptions options, Callback callback) override {
    std::size_t sequence = 0;
    {
      std::lock_guard lock(mutex_);
      sequence = submitted_++;
    }
    inner_.Submit(std::move(factory), std::move(options),
                  [this, sequence, callback = std::move(callback)](TransferResult result) {
                    if (sequence == 0) {
                      std::lock_guard lock(mutex_);
                      submitted_when_first_finished_ = submitted_;
                    }
                    callback(std::move(result));
                  });
  }

  void Shutdown() override { inner_.Shutdown(); }
  std::string CachedNonce(const std::string& origin, NonceScope scope) const override {
    return inner_.CachedNonce(origin, scope);
  }
  std::int64_t ClockOffsetSeconds(const std::string& origin) const override {
    return inner_.ClockOffsetSeconds(origin);
  }
  TransportCounters counters() const override { return inner_.counters(); }

  std::size_t submitted_when_first_finished() const {
    std::lock_guard lock(mutex_);
    return submitted_when_first_finished_;
  }

 private:
  Transport& inner_;
  mutable std::mutex mutex_;
  std::size_t submitted_ = 0;
  std::size_t submitted_when_first_finished_ = 0;
};

// With every token request rejected with 503, all agents must be submitted while the lead
// is still backing off after its first attempt, not after it has given up.
TEST(FleetLead, LeadRetriesDoNotDelayOthers) {
  RealmOptions options;
  options.faults.rate_503 = 1;
  auto realm = testing::StartRealm(options);
  ASSERT_NE(realm, nullptr);

  // Each of the lead's two backoff waits lasts at least min_backoff, far longer than
  // submitting four requests takes.
  RetryPolicy retry;
  retry.initial_backoff = std::chrono::milliseconds(300);
  retry.min_backoff = std::chrono::milliseconds(300);
  retry.max_backoff = std::chrono::milliseconds(600);
  auto transport = testing::MakeTransport(*realm, retry);
  ASSERT_NE(transport, nullptr);
  SubmitOrderTransport recorded(*transport);

  constexpr std::size_t kAgents = 5;
  KeyPool keys = testing::Keys(kAgents);
  MintConfig config = testing::MintConfigFor(*realm);
  config.request_options.max_attempts = 3;
  std::vector<MintResult> minted = MintTokens(recorded, keys, config);

  ASSERT_EQ(minted.size(), kAgents);
  for (const MintResult& result : minted) {
    EXPECT_FALSE(result.token) << "agent " << result.index;
    EXPECT_EQ(result.attempts.size(), 3u) << "agent " << result.index;
  }
  EXPECT_EQ(realm->counters().faults_503, 3 * kAgents);
  EXPECT_EQ(recorded.submitted_when_first_finished(), kAgents);
}

// The summary states what its latency measures, so that a run's wall time and its largest
// per-agent latency can be read together.
TEST(FleetLead, SummaryNamesWhatLatencyMeasures) {
  std::vector<MintResult> results(2);
  results[0].latency = std::chrono::milliseconds(5);
  results[1].latency = std::chrono::milliseconds(7);
  std::string text = FormatSummary(Summarize(results, std::chrono::seconds(1)), "mint");
  EXPECT_NE(text.find("submission to final response"), std::string::npos) << text;
}

}  // namespace
}  // namespace dpopfleet
