// Fault injection: deterministic 429, 503, connection resets and delays.
//
// Thread safety: every method may be called from many threads at once. Draws are serialised,
// so a given seed yields the same sequence of decisions in request order.

#ifndef DPOPFLEET_ENGINE_REALM_FAULTS_H_
#define DPOPFLEET_ENGINE_REALM_FAULTS_H_

#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "counters.h"
#include "dpopfleet/clock.h"
#include "dpopfleet/realm.h"
#include "dpopfleet/status.h"
#include "http_types.h"

namespace dpopfleet::realm {

// ValidateFaults checks rates are in [0, 1] and sum to at most 1, delays are non-negative
// and retry_after is delta-seconds or "http-date:<seconds>". It fails with
// kInvalidArgument naming the value.
Status ValidateFaults(const RealmFaults& faults);

// FormatHttpDate returns |unix_seconds| as an IMF-fixdate (RFC 9110 section 5.6.7), such as
// "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(std::int64_t unix_seconds);

class FaultInjector {
 public:
  FaultInjector(RealmFaults faults, std::uint64_t seed, const Clock& clock, LiveCounters& counters);

  // DelayMs returns how long to hold the next reply back: latency_ms plus a uniform draw in
  // [0, latency_jitter_ms]. Zero when no latency is configured.
  int DelayMs();

  // Inject draws once for a request and returns the reply that replaces the real one, or
  // nullopt to serve the request normally. The reset, 429 and 503 rates are disjoint
  // shares of requests: each fault happens with exactly its rate as probability, and at
  // most one happens per request.
  std::optional<HttpReply> Inject();

  // RetryAfterValue returns the configured Retry-After header value for now.
  std::string RetryAfterValue() const;

 private:
  const RealmFaults faults_;
  const Clock& clock_;
  LiveCounters& counters_;
  std::mutex mutex_;
  std::mt19937_64 generator_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_FAULTS_H_
