// Fault injection: each fault kind, its counter, Retry-After formats, delays and
// determinism for a seed.

#include <gtest/gtest.h>

#include <ctime>

#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class FaultsTest : public RealmTest {
 protected:
  HttpResult Discover() { return Send({"GET", Url("/.well-known/openid-configuration"), {}, ""}); }
};

TEST_F(FaultsTest, Injects429WithRetryAfter) {
  RealmOptions options;
  options.faults.rate_429 = 1.0;
  options.faults.retry_after = "7";
  StartRealm(options);
  HttpResult result = Discover();
  EXPECT_EQ(result.status, 429);
  EXPECT_EQ(result.Header("retry-after"), "7");
  EXPECT_EQ(Send(TokenCall(kClientId, "")).status, 429);
  // Admin endpoints stay usable so tests can read the outbox.
  EXPECT_EQ(Send({"GET", Url("/admin/outbox?email=x%40y.z"), {}, ""}).status, 404);
  EXPECT_EQ(realm_->counters().faults_429, 2U);
}

TEST_F(FaultsTest, Injects503WithHttpDate) {
  RealmOptions options;
  options.faults.rate_503 = 1.0;
  options.faults.retry_after = "http-date:120";
  StartRealm(options);
  HttpResult result = Discover();
  EXPECT_EQ(result.status, 503);

  std::time_t when = static_cast<std::time_t>(clock_.NowUnixSeconds() + 120);
  std::tm parts{};
  gmtime_r(&when, &parts);
  char expected[40];
  std::strftime(expected, sizeof(expected), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  EXPECT_EQ(result.Header("retry-after"), expected);
  EXPECT_EQ(realm_->counters().faults_503, 1U);
}

TEST_F(FaultsTest, ResetClosesConnection) {
  RealmOptions options;
  options.faults.rate_reset = 1.0;
  StartRealm(options);
  HttpResult result = Discover();
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.curl_error.empty());
  EXPECT_EQ(realm_->counters().faults_reset, 1U);
}

TEST_F(FaultsTest, LatencyDelaysReplies) {
  RealmOptions options;
  options.faults.latency_ms = 20;
  options.faults.latency_jitter_ms = 10;
  StartRealm(options);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Discover().status, 200);
  EXPECT_EQ(realm_->counters().faults_delayed, 3U);
}

TEST_F(FaultsTest, SameSeedSameFaults) {
  auto run = [this](std::uint64_t seed) {
    RealmOptions options;
    options.faults.rate_429 = 0.3;
    options.faults.rate_503 = 0.3;
    options.seed = seed;
    StartRealm(options);
    std::vector<long> statuses;
    for (int i = 0; i < 30; ++i) statuses.push_back(Discover().status);
    RealmCounters counters = realm_->counters();
    long count_429 = std::count(statuses.begin(), statuses.end(), 429);
    long count_503 = std::count(statuses.begin(), statuses.end(), 503);
    EXPECT_EQ(counters.faults_429, static_cast<std::uint64_t>(count_429));
    EXPECT_EQ(counters.faults_503, static_cast<std::uint64_t>(count_503));
    EXPECT_EQ(count_429 + count_503 + std::count(statuses.begin(), statuses.end(), 200), 30);
    realm_.reset();
    return statuses;
  };
  std::vector<long> first = run(42);
  std::vector<long> again = run(42);
  std::vector<long> other = run(43);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  EXPECT_GT(std::count(first.begin(), first.end(), 200), 0);
  EXPECT_GT(std::count(first.begin(), first.end(), 429) + std::count(first.begin(), first.end(), 503), 0);
}

TEST(FaultOptionsTest, RejectsInvalidValues) {
  RealmOptions options;
  options.faults.rate_429 = 1.5;
  EXPECT_FALSE(Realm::Start(options).ok());
  options.faults.rate_429 = 0;
  options.faults.retry_after = "soon";
  auto started = Realm::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message().find("soon"), std::string::npos);
  RealmOptions plain;
  plain.tls = false;
  plain.bind_address = "0.0.0.0";
  EXPECT_FALSE(Realm::Start(plain).ok());
}

}  // namespace
}  // namespace dpopfleet::realm_test
