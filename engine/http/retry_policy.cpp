#include "dpopfleet/retry_policy.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace dpopfleet {
namespace {

using std::chrono::milliseconds;

// FormatSeconds renders |duration| as "1.4s" for attempt records.
std::string FormatSeconds(milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

// RandomFraction returns a uniform value in [0, 1], or 1 when |random| fails so that the
// caller falls back to the upper bound of its range.
double RandomFraction(RandomSource& random) {
  std::array<std::uint8_t, 8> bytes{};
  if (random.Fill(bytes) != ErrorCode::kOk) return 1.0;

  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), bytes.size());

  // 53 bits fill a double's mantissa exactly.
  return static_cast<double>(value >> 11) / static_cast<double>((std::uint64_t{1} << 53) - 1);
}

bool IsRetryableTransportError(ErrorCode error) {
  return error == ErrorCode::kConnectFailed || error == ErrorCode::kTimedOut;
}

bool WasSent(const RetryState& state, const std::string& nonce) {
  return std::find(state.sent_nonces.begin(), state.sent_nonces.end(), nonce) !=
         state.sent_nonces.end();
}

RetryDecision Final(std::string reason) {
  RetryDecision decision;
  decision.reason = std::move(reason);
  return decision;
}

RetryDecision Retry(RetryKind kind, milliseconds wait, std::string reason) {
  RetryDecision decision;
  decision.retry = true;
  decision.kind = kind;
  decision.wait = wait;
  decision.reason = std::move(reason);
  return decision;
}

// DecideWithoutLimits applies the rules by status and error. DecideRetry checks the attempt
// cap and the deadline afterwards, in one place.
RetryDecision DecideWithoutLimits(const RetryPolicy& policy, const AttemptOutcome& outcome,
                                  RandomSource& random, RetryState* state) {
  std::string status_text = std::to_string(outcome.status);

  if (outcome.status == 0) {
    std::string detail = outcome.error_detail.empty() ? ErrorCodeName(outcome.error)
                                                      : outcome.error_detail;
    if (!IsRetryableTransportError(outcome.error)) {
      RetryDecision decision = Final(detail);
      decision.stop_error = Error(outcome.error, detail);
      return decision;
    }
    if (state->connection_retries >= policy.max_connection_retries) {
      RetryDecision decision = Final(detail);
      decision.stop_error =
          Error(outcome.error, detail + " (gave up after " +
                                   std::to_string(state->connection_retries) +
                                   " connection retries, the limit set by "
                                   "RetryPolicy.max_connection_retries)");
      return decision;
    }
    milliseconds wait = BackoffDelay(policy, state->connection_retries, random);
    ++state->connection_retries;
    return Retry(RetryKind::kConnection, wait, detail + ", backoff " + FormatSeconds(wait));
  }

  if (outcome.nonce_challenge) {
    if (outcome.available_nonce.empty()) {
      return Final(status_text + " use_dpop_nonce without a DPoP-Nonce header");
    }
    if (WasSent(*state, outcome.available_nonce)) {
      return Final(status_text + " use_dpop_nonce for a nonce already sent");
    }
    return Retry(RetryKind::kNonce, milliseconds(0), status_text + " use_dpop_nonce");
  }

  if (outcome.status == 429 && outcome.retry_after.has_value()) {
    milliseconds wait = std::max(milliseconds(0), milliseconds(*outcome.retry_after));
    return Retry(RetryKind::kRateLimited, wait,
                 "429 Retry-After " + std::to_string(outcome.retry_after->count()) + "s");
  }

  if (outcome.status == 429 || (outcome.status >= 500 && outcome.status <= 599)) {
    milliseconds wait = BackoffDelay(policy, state->backoff_retries, random);
    ++state->backoff_retries;
    RetryKind kind = outcome.status == 429 ? RetryKind::kRateLimited : RetryKind::kServerError;
    return Retry(kind, wait, status_text + " backoff " + FormatSeconds(wait));
  }

  return Final(status_text);
}

}  // namespace

milliseconds BackoffDelay(const RetryPolicy& policy, int retry_index, RandomSource& random) {
  // Doubling stops at max_backoff, so a large retry_index cannot overflow.
  milliseconds ceiling = std::max(policy.initial_backoff, milliseconds(0));
  for (int i = 0; i < retry_index && ceiling < policy.max_backoff; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_backoff);

  auto jittered = milliseconds(
      static_cast<milliseconds::rep>(RandomFraction(random) * static_cast<double>(ceiling.count())));
  return std::clamp(jittered, policy.min_backoff, std::max(policy.min_backoff, policy.max_backoff));
}

RetryDecision DecideRetry(const RetryPolicy& policy, const AttemptOutcome& outcome,
                          int max_attempts, std::int64_t now_unix_millis,
                          std::int64_t deadline_unix_millis, RandomSource& random,
                          RetryState* state) {
  ++state->attempts;
  RetryDecision decision = DecideWithoutLimits(policy, outcome, random, state);
  if (!decision.retry) return decision;

  std::string limit;
  if (state->attempts >= max_attempts) {
    limit = "reached the limit of " + std::to_string(max_attempts) +
            " attempts per request, set by the dpopfleet command's --max-attempts "
            "(RequestOptions.max_attempts in the library)";
  } else if (now_unix_millis + decision.wait.count() > deadline_unix_millis) {
    limit = "waiting " + FormatSeconds(decision.wait) +
            " would pass the request deadline (RequestOptions.deadline, " +
            FormatSeconds(milliseconds(std::max<std::int64_t>(
                0, deadline_unix_millis - now_unix_millis))) +
            " left)";
  }
  if (limit.empty()) return decision;

  RetryDecision stop = Final(decision.reason);
  ErrorCode code = outcome.status == 0 ? outcome.error : ErrorCode::kRetriesExhausted;
  stop.stop_error = Error(code, "gave up after " + decision.reason + ": " + limit +
                                    "; try again later, or raise the limit if the "
                                    "server needs longer");
  return stop;
}

}  // namespace dpopfleet
