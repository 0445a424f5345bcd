// Fleet run statistics from hand-made outcomes.

#include <gtest/gtest.h>

#include "dpopfleet/fleet_summary.h"

namespace dpopfleet {
namespace {

AttemptRecord Attempt(long status, std::string reason = {}, ErrorCode error = ErrorCode::kOk) {
  AttemptRecord record;
  record.status = status;
  record.reason = std::move(reason);
  record.error = error;
  return record;
}

TEST(FleetSummary, CountsRetriesAndErrorsByCause) {
  std::vector<MintResult> results(4);
  results[0].attempts = {Attempt(429, "429 Retry-After 1s"), Attempt(200)};
  results[1].attempts = {Attempt(0, "connection reset", ErrorCode::kConnectFailed), Attempt(503, "503"), Attempt(200)};
  results[2].attempts = {Attempt(400, "use_dpop_nonce"), Attempt(200)};
  results[3].attempts = {Attempt(401)};
  results[3].error = Error(ErrorCode::kHttpStatus, "token request returned HTTP 401: invalid_client");
  for (std::size_t i = 0; i < results.size(); ++i) results[i].latency = std::chrono::milliseconds(10 * (i + 1));

  FleetSummary summary = Summarize(results, std::chrono::seconds(2));
  EXPECT_EQ(summary.agents, 4u);
  EXPECT_EQ(summary.succeeded, 3u);
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_DOUBLE_EQ(summary.per_second, 1.5);
  EXPECT_EQ(summary.attempts, 8u);
  EXPECT_EQ(summary.retries_by_cause["http_429"], 1u);
  EXPECT_EQ(summary.retries_by_cause["http_503"], 1u);
  EXPECT_EQ(summary.retries_by_cause["connect_failed"], 1u);
  EXPECT_EQ(summary.retries_by_cause["use_dpop_nonce"], 1u);
  EXPECT_EQ(summary.errors_by_cause["http_status_401"], 1u);
  EXPECT_DOUBLE_EQ(summary.latency_max_ms, 40);
  EXPECT_DOUBLE_EQ(summary.latency_p50_ms, 20);
}

TEST(FleetSummary, NearestRankPercentiles) {
  std::vector<CallResult> results(100);
  for (std::size_t i = 0; i < results.size(); ++i) {
    results[i].latency = std::chrono::milliseconds(i + 1);
    results[i].attempts = {Attempt(200)};
  }
  FleetSummary summary = Summarize(results, std::chrono::seconds(1));
  EXPECT_DOUBLE_EQ(summary.latency_p50_ms, 50);
  EXPECT_DOUBLE_EQ(summary.latency_p90_ms, 90);
  EXPECT_DOUBLE_EQ(summary.latency_p99_ms, 99);
  EXPECT_DOUBLE_EQ(summary.latency_max_ms, 100);
  EXPECT_TRUE(summary.retries_by_cause.empty());
}

TEST(FleetSummary, EmptyRun) {
  std::vector<MintResult> results;
  FleetSummary summary = Summarize(results, std::chrono::seconds(0));
  EXPECT_EQ(summary.agents, 0u);
  EXPECT_DOUBLE_EQ(summary.per_second, 0);
  std::string text = FormatSummary(summary, "mint");
  EXPECT_NE(text.find("retries     none"), std::string::npos);
}

}  // namespace
}  // namespace dpopfleet
