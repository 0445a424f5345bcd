// Retry decisions for the transport: one pure function that looks at what an attempt
// produced and decides whether to try again and after how long. It reads no clock and starts
// no timer, so tests drive it with fixed times and an injected random source.
//
// Rules (RFC 9110 section 10.2.3, RFC 9449 sections 8 and 9):
// - 429 waits for the Retry-After value; without the header it backs off as for 5xx.
// - 5xx backs off exponentially with full jitter, clamped to [min_backoff, max_backoff].
// - A failed connection (DNS lookup failed, refused, reset) or a timed-out attempt is retried
//   up to max_connection_retries times, with the same backoff.
// - A DPoP nonce challenge is retried at once, but only with a nonce not sent before.
// - Every other status is final. The attempt cap and the deadline bound all of the above.

#ifndef DPOPFLEET_RETRY_POLICY_H_
#define DPOPFLEET_RETRY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// RetryKind classifies a retry for counters and attempt records.
enum class RetryKind : std::uint8_t { kNone, kRateLimited, kServerError, kConnection, kNonce };

// AttemptOutcome is what one finished attempt produced, as far as retrying is concerned.
struct AttemptOutcome {
  // status is the HTTP status, or 0 when no response arrived.
  long status = 0;

  // error is kOk when a response arrived, else the transport error (kConnectFailed for a
  // refused or reset connection, kTimedOut, kTlsFailure, ...).
  ErrorCode error = ErrorCode::kOk;

  // error_detail names the transport failure for people, such as "connection reset".
  std::string error_detail;

  // retry_after is the response's Retry-After converted to a delay, when the header was
  // present. A date in the past is a zero delay.
  std::optional<std::chrono::seconds> retry_after;

  // nonce_challenge is true when the response demanded a DPoP nonce in either form: 400
  // with "error":"use_dpop_nonce" or 401 with a DPoP error="use_dpop_nonce" challenge.
  bool nonce_challenge = false;

  // available_nonce is the nonce a retry would send: the response's DPoP-Nonce, or else the
  // latest one cached for the server. Empty when none is known.
  std::string available_nonce;
};

// RetryState carries what one request has done so far. DecideRetry updates it.
struct RetryState {
  // attempts counts finished attempts, this one included.
  int attempts = 0;

  int connection_retries = 0;

  // backoff_retries counts backoff waits taken (429 and 5xx); it is the backoff exponent.
  int backoff_retries = 0;

  // sent_nonces lists every nonce an attempt carried. A challenge whose nonce is in this
  // list ends the request instead of looping.
  std::vector<std::string> sent_nonces;
};

// RetryDecision is the action to take after an attempt.
struct RetryDecision {
  bool retry = false;
  RetryKind kind = RetryKind::kNone;

  // wait is how long to wait before the next attempt; zero when retry is false.
  std::chrono::milliseconds wait{0};

  // reason describes the attempt's result for its AttemptRecord, such as "429 Retry-After
  // 2s", "503 backoff 1.4s", "connection reset", "use_dpop_nonce" or "200".
  std::string reason;

  // stop_error is set when the request ends without a usable final response: a transport
  // error that may not be retried (its own code), or a retry that the attempt cap or the
  // deadline forbade (kRetriesExhausted). It is empty for a final response.
  std::optional<Error> stop_error;
};

// BackoffDelay returns the wait before backoff retry number |retry_index| (0 for the
// first): a uniformly random duration in [0, initial_backoff * 2^retry_index] ("full
// jitter"), clamped to [min_backoff, max_backoff]. If |random| fails, the upper bound of the
// jitter range is used.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry_index,
                                       RandomSource& random);

// DecideRetry records |outcome| in |*state| and returns whether and when to retry. The
// request may make |max_attempts| attempts in total and must finish by
// |deadline_unix_millis|; |now_unix_millis| is the current time on the same clock.
RetryDecision DecideRetry(const RetryPolicy& policy, const AttemptOutcome& outcome,
                          int max_attempts, std::int64_t now_unix_millis,
                          std::int64_t deadline_unix_millis, RandomSource& random,
                          RetryState* state);

}  // namespace dpopfleet

#endif  // DPOPFLEET_RETRY_POLICY_H_
