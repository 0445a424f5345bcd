// Run totals of `dpopfleet call`.

#include "call_totals.h"

#include <cmath>
#include <cstdio>

#include "dpopfleet/fleet_summary.h"

namespace dpopfleet::cli {

std::string FormatSeconds(double seconds) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.3f s", seconds);
  return text;
}

void OutcomeTotals::Add(const AgentOutcome& outcome, const std::string& cause) {
  ++count_;
  attempts_ += outcome.attempts.size();
  for (std::size_t a = 0; a + 1 < outcome.attempts.size(); ++a) ++retries_by_cause_[RetryCause(outcome.attempts[a])];
  if (!outcome.attempts.empty()) {
    ++latency_ms_[outcome.latency.count()];
    ++timed_;
  }
  if (!outcome.error) {
    ++succeeded_;
    return;
  }
  ++errors_by_cause_[cause.empty() ? ErrorCause(outcome) : cause];
}

std::int64_t OutcomeTotals::LatencyPercentile(double percent) const {
  if (timed_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(timed_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (const auto& [latency, count] : latency_ms_) {
    seen += count;
    if (seen >= rank) return latency;
  }
  return latency_ms_.rbegin()->first;
}

std::string OutcomeTotals::Format(std::string_view title, std::string_view noun, std::string_view wall_note) const {
  char line[256];
  std::string text(title);
  text += "\n";
  std::snprintf(line, sizeof(line), "  %-10s  %llu: %llu succeeded, %llu failed\n", std::string(noun).c_str(),
                static_cast<unsigned long long>(count_), static_cast<unsigned long long>(succeeded_),
                static_cast<unsigned long long>(count_ - succeeded_));
  text += line;
  double per_second = wall_seconds_ > 0 ? static_cast<double>(succeeded_) / wall_seconds_ : 0;
  std::snprintf(line, sizeof(line), "  throughput  %.1f/s over %s%s%s\n", per_second, FormatSeconds(wall_seconds_).c_str(),
                wall_note.empty() ? "" : " ", std::string(wall_note).c_str());
  text += line;
  std::snprintf(line, sizeof(line),
                "  latency ms  p50 %lld  p90 %lld  p99 %lld  max %lld  (per request sent, submission to final "
                "response)\n",
                static_cast<long long>(LatencyPercentile(50)), static_cast<long long>(LatencyPercentile(90)),
                static_cast<long long>(LatencyPercentile(99)),
                static_cast<long long>(latency_ms_.empty() ? 0 : latency_ms_.rbegin()->first));
  text += line;
  text += "  attempts    " + std::to_string(attempts_) + "\n";
  text += "  retries     " + FormatCounts(retries_by_cause_) + "\n";
  text += "  errors      " + FormatCounts(errors_by_cause_) + "\n";
  return text;
}

}  // namespace dpopfleet::cli
