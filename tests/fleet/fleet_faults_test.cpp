// Minting 2,000 agents through injected 429s, 503s and connection resets: every agent ends
// with a token, the client's attempt records match the realm's 429 and 503 counters exactly,
// and resets are accounted for exactly.

#include <set>

#include <gtest/gtest.h>

#include "dpopfleet/fleet_summary.h"
#include "dpopfleet/jwt.h"
#include "dpopfleet/oauth_json.h"
#include "realm_fixture.h"

namespace dpopfleet {
namespace {

// Attempts counts a run's attempts by the realm's response status.
struct Attempts {
  std::uint64_t total = 0;
  std::uint64_t ok = 0;
  std::uint64_t status_429 = 0;
  std::uint64_t status_503 = 0;
  std::uint64_t no_response = 0;
};

Attempts CountAttempts(const std::vector<MintResult>& results) {
  Attempts counts;
  for (const MintResult& result : results) {
    for (const AttemptRecord& attempt : result.attempts) {
      ++counts.total;
      if (attempt.status == 200) ++counts.ok;
      if (attempt.status == 429) ++counts.status_429;
      if (attempt.status == 503) ++counts.status_503;
      if (attempt.status == 0) ++counts.no_response;
    }
  }
  return counts;
}

// MintThroughFaults mints |agents| tokens from a realm injecting 10% 429s with
// |retry_after|, 5% 503s and 2% resets, and checks every agent and every counter.
void MintThroughFaults(std::size_t agents, const std::string& retry_after, std::uint64_t seed) {
  RealmOptions options;
  options.faults.rate_429 = 0.10;
  options.faults.rate_503 = 0.05;
  options.faults.rate_reset = 0.02;
  options.faults.retry_after = retry_after;
  options.seed = seed;
  auto realm = testing::StartRealm(options);
  ASSERT_NE(realm, nullptr);

  // Short backoff bounds keep the run quick; Retry-After (1 s) is still honoured as sent.
  RetryPolicy retry;
  retry.initial_backoff = std::chrono::milliseconds(20);
  retry.min_backoff = std::chrono::milliseconds(10);
  retry.max_backoff = std::chrono::milliseconds(200);
  retry.max_connection_retries = 6;
  auto transport = testing::MakeTransport(*realm, retry);
  KeyPool keys = testing::Keys(agents);
  MintConfig config = testing::MintConfigFor(*realm);
  config.concurrency = 256;
  config.request_options.max_attempts = 12;

  auto started = std::chrono::steady_clock::now();
  std::vector<MintResult> results = MintTokens(*transport, keys, config);
  FleetSummary summary = Summarize(results, std::chrono::steady_clock::now() - started);
  transport->Shutdown();
  RealmCounters counters = realm->counters();
  realm->Stop();

  // Every agent ends with its own bound token.
  std::set<std::string> tokens;
  std::set<std::string> jtis;
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].token) << "agent " << i << ": " << results[i].error->ToString();
    EXPECT_EQ(results[i].token->cnf_jkt, keys.key(i).thumbprint()) << "agent " << i;
    tokens.insert(results[i].token->access_token);
    auto claims = JsonFields::Parse(results[i].token->claims_json, "claims");
    ASSERT_TRUE(claims.ok());
    jtis.insert(claims->String("jti").value_or(""));
  }
  EXPECT_EQ(summary.succeeded, agents);
  EXPECT_EQ(tokens.size(), agents);
  EXPECT_EQ(jtis.size(), agents);

  // Attempts match the realm's own counts: one issued token per agent, nothing twice.
  Attempts attempts = CountAttempts(results);
  EXPECT_EQ(counters.tokens_issued, agents);
  EXPECT_EQ(attempts.ok, agents);
  EXPECT_EQ(attempts.status_429, counters.faults_429);
  EXPECT_EQ(attempts.status_503, counters.faults_503);
  EXPECT_EQ(counters.requests, agents + counters.faults_429 + counters.faults_503 + counters.faults_reset);

  // The realm's reset sends headers and then closes the connection, so libcurl reports
  // every injected reset instead of silently resending the request.
  EXPECT_EQ(attempts.no_response, counters.faults_reset);
  EXPECT_EQ(attempts.total, agents + counters.faults_429 + counters.faults_503 + counters.faults_reset);
  EXPECT_EQ(summary.attempts, attempts.total);
  EXPECT_EQ(summary.retries_by_cause["http_429"], counters.faults_429);
  EXPECT_EQ(summary.retries_by_cause["http_503"], counters.faults_503);
  EXPECT_GT(counters.faults_429, 0u);
  EXPECT_GT(counters.faults_503, 0u);
  EXPECT_GT(counters.faults_reset, 0u);
  // Each attempt after a 429 waited for the Retry-After value: exactly 1 s as delta-seconds.
  // An HTTP-date one second ahead gives at most 2 s, because the date has whole-second
  // precision and libcurl subtracts time(), a coarse clock that can still show the previous
  // second when the realm's precise clock has passed it.
  for (const MintResult& result : results) {
    for (std::size_t a = 1; a < result.attempts.size(); ++a) {
      if (result.attempts[a - 1].status != 429) continue;
      if (retry_after == "1") EXPECT_EQ(result.attempts[a].wait_before.count(), 1000);
      EXPECT_LE(result.attempts[a].wait_before.count(), 2000);
    }
  }
  std::printf("%s", FormatSummary(summary, "mint with Retry-After " + retry_after).c_str());
}

TEST(FleetFaults, RetryAfterSeconds) { MintThroughFaults(1000, "1", 7); }

TEST(FleetFaults, RetryAfterHttpDate) { MintThroughFaults(1000, "http-date:1", 11); }

}  // namespace
}  // namespace dpopfleet
