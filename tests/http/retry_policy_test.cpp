#include "dpopfleet/retry_policy.h"

#include <gtest/gtest.h>

#include "dpopfleet/clock.h"
#include "fixed_random.h"

namespace dpopfleet {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FixedRandom;

constexpr std::int64_t kNow = 1'700'000'000'000;
constexpr std::int64_t kFarDeadline = kNow + 600'000;

AttemptOutcome Response(long status) {
  AttemptOutcome outcome;
  outcome.status = status;
  return outcome;
}

AttemptOutcome TransportError(ErrorCode error, std::string detail) {
  AttemptOutcome outcome;
  outcome.error = error;
  outcome.error_detail = std::move(detail);
  return outcome;
}

RetryDecision Decide(const AttemptOutcome& outcome, RetryState* state, RandomSource& random,
                     int max_attempts = 8, std::int64_t deadline = kFarDeadline) {
  return DecideRetry(RetryPolicy{}, outcome, max_attempts, kNow, deadline, random, state);
}

TEST(BackoffDelay, DefaultsClampJitterToOneSecondMinimum) {
  RetryPolicy policy;
  FixedRandom low(0x00);

  // Full jitter can draw 0 ms; the default clamp raises it to 1 s.
  for (int retry = 0; retry < 10; ++retry) {
    EXPECT_EQ(BackoffDelay(policy, retry, low), milliseconds(1'000)) << "retry " << retry;
  }
}

TEST(BackoffDelay, DefaultsClampGrowthToThirtySeconds) {
  RetryPolicy policy;
  FixedRandom high(0xff);

  EXPECT_EQ(BackoffDelay(policy, 0, high), milliseconds(1'000));
  EXPECT_EQ(BackoffDelay(policy, 1, high), milliseconds(2'000));
  EXPECT_EQ(BackoffDelay(policy, 2, high), milliseconds(4'000));
  EXPECT_EQ(BackoffDelay(policy, 4, high), milliseconds(16'000));
  EXPECT_EQ(BackoffDelay(policy, 5, high), milliseconds(30'000));
  EXPECT_EQ(BackoffDelay(policy, 60, high), milliseconds(30'000));
}

TEST(BackoffDelay, JitterFallsInsideRange) {
  RetryPolicy policy;
  FixedRandom middle(0x80);

  // 0x80 repeated is just over half of the range.
  milliseconds delay = BackoffDelay(policy, 3, middle);
  EXPECT_GE(delay, milliseconds(4'000));
  EXPECT_LE(delay, milliseconds(4'100));
}

TEST(BackoffDelay, FailingRandomUsesUpperBound) {
  RetryPolicy policy;
  FixedRandom broken(0x00);
  broken.set_fail(true);

  EXPECT_EQ(BackoffDelay(policy, 2, broken), milliseconds(4'000));
}

TEST(BackoffDelay, ShrunkBoundsApply) {
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(10);
  policy.min_backoff = milliseconds(5);
  policy.max_backoff = milliseconds(40);
  FixedRandom high(0xff);

  EXPECT_EQ(BackoffDelay(policy, 0, high), milliseconds(10));
  EXPECT_EQ(BackoffDelay(policy, 3, high), milliseconds(40));
}

TEST(DecideRetry, RateLimitedWaitsRetryAfter) {
  RetryState state;
  FixedRandom random(0xff);
  AttemptOutcome outcome = Response(429);
  outcome.retry_after = seconds(7);

  RetryDecision decision = Decide(outcome, &state, random);

  EXPECT_TRUE(decision.retry);
  EXPECT_EQ(decision.kind, RetryKind::kRateLimited);
  EXPECT_EQ(decision.wait, milliseconds(7'000));
  EXPECT_EQ(decision.reason, "429 Retry-After 7s");
  EXPECT_EQ(state.backoff_retries, 0);
}

TEST(DecideRetry, RateLimitedWithoutHeaderBacksOff) {
  RetryState state;
  FixedRandom random(0xff);

  RetryDecision first = Decide(Response(429), &state, random);
  RetryDecision second = Decide(Response(429), &state, random);

  EXPECT_TRUE(first.retry);
  EXPECT_EQ(first.wait, milliseconds(1'000));
  EXPECT_EQ(second.wait, milliseconds(2'000));
  EXPECT_EQ(state.backoff_retries, 2);
}

TEST(DecideRetry, RetryAfterZeroRetriesAtOnce) {
  RetryState state;
  FixedRandom random(0xff);
  AttemptOutcome outcome = Response(429);
  outcome.retry_after = seconds(0);

  RetryDecision decision = Decide(outcome, &state, random);

  EXPECT_TRUE(decision.retry);
  EXPECT_EQ(decision.wait, milliseconds(0));
}

TEST(DecideRetry, ServerErrorsBackOffExponentially) {
  RetryState state;
  FixedRandom random(0xff);

  std::vector<milliseconds> waits;
  for (long status : {500L, 502L, 503L, 504L}) {
    RetryDecision decision = Decide(Response(status), &state, random);
    EXPECT_TRUE(decision.retry) << status;
    EXPECT_EQ(decision.kind, RetryKind::kServerError) << status;
    waits.push_back(decision.wait);
  }

  EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(1'000), milliseconds(2'000),
                                               milliseconds(4'000), milliseconds(8'000)}));
}

TEST(DecideRetry, OtherStatusesAreFinal) {
  FixedRandom random(0xff);
  for (long status : {200L, 201L, 204L, 301L, 400L, 401L, 403L, 404L, 409L}) {
    RetryState state;
    RetryDecision decision = Decide(Response(status), &state, random);

    EXPECT_FALSE(decision.retry) << status;
    EXPECT_FALSE(decision.stop_error.has_value()) << status;
    EXPECT_EQ(decision.reason, std::to_string(status));
  }
}

TEST(DecideRetry, ConnectionFailuresRetryThreeTimes) {
  RetryState state;
  FixedRandom random(0x00);
  AttemptOutcome reset = TransportError(ErrorCode::kConnectFailed, "connection reset");

  for (int retry = 0; retry < 3; ++retry) {
    RetryDecision decision = Decide(reset, &state, random);
    ASSERT_TRUE(decision.retry) << "retry " << retry;
    EXPECT_EQ(decision.kind, RetryKind::kConnection);
  }
  RetryDecision last = Decide(reset, &state, random);

  EXPECT_FALSE(last.retry);
  ASSERT_TRUE(last.stop_error.has_value());
  EXPECT_EQ(last.stop_error->code(), ErrorCode::kConnectFailed);
  EXPECT_NE(last.stop_error->message().find("max_connection_retries"), std::string::npos);
}

TEST(DecideRetry, TimeoutCountsAsConnectionFailure) {
  RetryState state;
  FixedRandom random(0x00);

  RetryDecision decision = Decide(TransportError(ErrorCode::kTimedOut, "timed out"), &state, random);

  EXPECT_TRUE(decision.retry);
  EXPECT_EQ(state.connection_retries, 1);
}

TEST(DecideRetry, TlsFailureIsFinal) {
  RetryState state;
  FixedRandom random(0x00);

  RetryDecision decision =
      Decide(TransportError(ErrorCode::kTlsFailure, "certificate rejected"), &state, random);

  EXPECT_FALSE(decision.retry);
  ASSERT_TRUE(decision.stop_error.has_value());
  EXPECT_EQ(decision.stop_error->code(), ErrorCode::kTlsFailure);
}

TEST(DecideRetry, NonceChallengeRetriesOncePerValue) {
  RetryState state;
  FixedRandom random(0x00);
  AttemptOutcome challenge = Response(400);
  challenge.nonce_challenge = true;
  challenge.available_nonce = "n1";

  RetryDecision first = Decide(challenge, &state, random);
  state.sent_nonces.push_back("n1");
  RetryDecision again = Decide(challenge, &state, random);

  EXPECT_TRUE(first.retry);
  EXPECT_EQ(first.kind, RetryKind::kNonce);
  EXPECT_EQ(first.wait, milliseconds(0));
  EXPECT_FALSE(again.retry);
  EXPECT_FALSE(again.stop_error.has_value());
  EXPECT_NE(again.reason.find("already sent"), std::string::npos);
}

TEST(DecideRetry, NonceChallengeWithNewValueRetriesAgain) {
  RetryState state;
  state.sent_nonces = {"n1"};
  FixedRandom random(0x00);
  AttemptOutcome challenge = Response(401);
  challenge.nonce_challenge = true;
  challenge.available_nonce = "n2";

  EXPECT_TRUE(Decide(challenge, &state, random).retry);
}

TEST(DecideRetry, NonceChallengeWithoutNonceIsFinal) {
  RetryState state;
  FixedRandom random(0x00);
  AttemptOutcome challenge = Response(401);
  challenge.nonce_challenge = true;

  EXPECT_FALSE(Decide(challenge, &state, random).retry);
}

TEST(DecideRetry, AttemptCapStopsRetries) {
  RetryState state;
  FixedRandom random(0x00);

  EXPECT_TRUE(Decide(Response(503), &state, random, /*max_attempts=*/2).retry);
  RetryDecision last = Decide(Response(503), &state, random, /*max_attempts=*/2);

  EXPECT_FALSE(last.retry);
  ASSERT_TRUE(last.stop_error.has_value());
  EXPECT_EQ(last.stop_error->code(), ErrorCode::kRetriesExhausted);
  EXPECT_NE(last.stop_error->message().find("max_attempts"), std::string::npos);
}

TEST(DecideRetry, DeadlineStopsLongWait) {
  RetryState state;
  FixedRandom random(0x00);
  AttemptOutcome outcome = Response(429);
  outcome.retry_after = seconds(60);

  RetryDecision decision = Decide(outcome, &state, random, 8, kNow + 30'000);

  EXPECT_FALSE(decision.retry);
  ASSERT_TRUE(decision.stop_error.has_value());
  EXPECT_EQ(decision.stop_error->code(), ErrorCode::kRetriesExhausted);
  EXPECT_NE(decision.stop_error->message().find("deadline"), std::string::npos);
}

TEST(DecideRetry, AttemptCapMessageStatesLimit) {
  RetryState state;
  FixedRandom random(0x00);

  EXPECT_TRUE(Decide(Response(503), &state, random, /*max_attempts=*/2).retry);
  RetryDecision last = Decide(Response(503), &state, random, /*max_attempts=*/2);

  ASSERT_TRUE(last.stop_error.has_value());
  const std::string& message = last.stop_error->message();
  EXPECT_NE(message.find("limit of 2 attempts per request"), std::string::npos) << message;
  EXPECT_NE(message.find("try again later"), std::string::npos) << message;
}

TEST(DecideRetry, InjectedClockDrivesDeadline) {
  FakeClock clock;
  FixedRandom random(0xff);
  std::int64_t deadline = clock.NowUnixMillis() + 5'000;
  RetryState state;

  // The same 2 s backoff fits at the start and no longer fits 4 s later.
  state.backoff_retries = 1;
  RetryDecision early = DecideRetry(RetryPolicy{}, Response(503), 8, clock.NowUnixMillis(),
                                    deadline, random, &state);
  clock.AdvanceMillis(4'000);
  state.backoff_retries = 1;
  RetryDecision late = DecideRetry(RetryPolicy{}, Response(503), 8, clock.NowUnixMillis(),
                                   deadline, random, &state);

  EXPECT_TRUE(early.retry);
  EXPECT_EQ(early.wait, milliseconds(2'000));
  EXPECT_FALSE(late.retry);
}

}  // namespace
}  // namespace dpopfleet
