// Summary statistics over a fleet run: throughput, latency percentiles, retries and errors
// by cause.

#ifndef DPOPFLEET_FLEET_SUMMARY_H_
#define DPOPFLEET_FLEET_SUMMARY_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "dpopfleet/fleet.h"

namespace dpopfleet {

// FleetSummary describes one run of MintTokens or CallAsAgents.
struct FleetSummary {
  std::size_t agents = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  double wall_seconds = 0;

  // per_second is successes divided by wall_seconds.
  double per_second = 0;

  // Latency percentiles (nearest rank) over every agent, failed ones included, in ms.
  double latency_p50_ms = 0;
  double latency_p90_ms = 0;
  double latency_p99_ms = 0;
  double latency_max_ms = 0;

  std::uint64_t attempts = 0;

  // retries_by_cause counts attempts that were followed by another attempt, keyed by
  // RetryCause; errors_by_cause counts failed agents keyed by ErrorCause.
  std::map<std::string, std::uint64_t> retries_by_cause;
  std::map<std::string, std::uint64_t> errors_by_cause;
};

// RetryCause names why |attempt| was retried: "use_dpop_nonce", "http_429", "http_503" and
// other "http_<status>", or the transport error's name (such as "connect_failed").
std::string RetryCause(const AttemptRecord& attempt);

// ErrorCause names why |outcome| failed: its error's ErrorCodeName, followed by the final
// HTTP status for kHttpStatus (such as "http_status_401").
std::string ErrorCause(const AgentOutcome& outcome);

// Summarize computes the statistics of |outcomes| over |wall|.
FleetSummary Summarize(std::span<const AgentOutcome* const> outcomes, std::chrono::duration<double> wall);

// Summarize works on MintTokens' or CallAsAgents' result vectors.
template <typename Result>
FleetSummary Summarize(const std::vector<Result>& results, std::chrono::duration<double> wall) {
  std::vector<const AgentOutcome*> outcomes;
  outcomes.reserve(results.size());
  for (const Result& result : results) outcomes.push_back(&result);
  return Summarize(std::span<const AgentOutcome* const>(outcomes), wall);
}

// FormatCounts returns |counts| as "cause count, cause count", or "none" when empty.
std::string FormatCounts(const std::map<std::string, std::uint64_t>& counts);

// FormatSummary returns |summary| as indented text lines for people, titled |title|.
std::string FormatSummary(const FleetSummary& summary, std::string_view title);

}  // namespace dpopfleet

#endif  // DPOPFLEET_FLEET_SUMMARY_H_
