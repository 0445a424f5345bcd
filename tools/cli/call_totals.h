// Totals over a whole `dpopfleet call --repeat` run: every API call of every round, and
// every token refresh between rounds.

#ifndef DPOPFLEET_TOOLS_CLI_CALL_TOTALS_H_
#define DPOPFLEET_TOOLS_CLI_CALL_TOTALS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "dpopfleet/fleet.h"

namespace dpopfleet::cli {

// OutcomeTotals adds up the outcomes of many requests. Latencies are kept as a histogram of
// whole milliseconds, so memory grows with the number of distinct latencies, not of
// requests. Not thread-safe.
class OutcomeTotals {
 public:
  // Add counts |outcome|. A failed outcome is counted under |cause| when it is not empty,
  // else under ErrorCause(outcome). Outcomes without attempts (requests never sent) count
  // as results but not in the latency percentiles.
  void Add(const AgentOutcome& outcome, const std::string& cause = {});

  // AddSeconds adds |seconds| to the wall time the throughput is computed over.
  void AddSeconds(double seconds) { wall_seconds_ += seconds; }

  std::uint64_t count() const { return count_; }
  std::uint64_t succeeded() const { return succeeded_; }

  // Format returns the totals as indented lines under |title|, counting |noun|s (such as
  // "calls"); |wall_note| follows the wall time, such as "(refreshes included)".
  std::string Format(std::string_view title, std::string_view noun, std::string_view wall_note) const;

 private:
  // LatencyPercentile returns the nearest-rank |percent| percentile in milliseconds.
  std::int64_t LatencyPercentile(double percent) const;

  std::uint64_t count_ = 0;
  std::uint64_t succeeded_ = 0;
  std::uint64_t attempts_ = 0;
  std::uint64_t timed_ = 0;
  double wall_seconds_ = 0;
  std::map<std::int64_t, std::uint64_t> latency_ms_;
  std::map<std::string, std::uint64_t> retries_by_cause_;
  std::map<std::string, std::uint64_t> errors_by_cause_;
};

// FormatSeconds returns |seconds| with millisecond precision, such as "0.004 s".
std::string FormatSeconds(double seconds);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_CALL_TOTALS_H_
