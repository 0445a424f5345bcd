// Fleet run statistics.

#include "dpopfleet/fleet_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dpopfleet {
namespace {

// NearestRank returns the |percent| percentile of sorted |values| by the nearest-rank method.
double NearestRank(const std::vector<double>& values, double percent) {
  if (values.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

}  // namespace

std::string FormatCounts(const std::map<std::string, std::uint64_t>& counts) {
  if (counts.empty()) return "none";
  std::string text;
  for (const auto& [cause, count] : counts) {
    if (!text.empty()) text += ", ";
    text += cause + " " + std::to_string(count);
  }
  return text;
}

std::string RetryCause(const AttemptRecord& attempt) {
  if (attempt.reason.find("nonce") != std::string::npos) return "use_dpop_nonce";
  if (attempt.status != 0) return "http_" + std::to_string(attempt.status);
  return ErrorCodeName(attempt.error);
}

std::string ErrorCause(const AgentOutcome& outcome) {
  if (!outcome.error) return "";
  std::string cause = ErrorCodeName(outcome.error->code());
  if (outcome.error->code() == ErrorCode::kHttpStatus && !outcome.attempts.empty()) {
    cause += "_" + std::to_string(outcome.attempts.back().status);
  }
  return cause;
}

FleetSummary Summarize(std::span<const AgentOutcome* const> outcomes, std::chrono::duration<double> wall) {
  FleetSummary summary;
  summary.agents = outcomes.size();
  summary.wall_seconds = wall.count();

  std::vector<double> latencies;
  latencies.reserve(outcomes.size());
  for (const AgentOutcome* outcome : outcomes) {
    latencies.push_back(static_cast<double>(outcome->latency.count()));
    summary.attempts += outcome->attempts.size();
    for (std::size_t a = 0; a + 1 < outcome->attempts.size(); ++a) {
      ++summary.retries_by_cause[RetryCause(outcome->attempts[a])];
    }
    if (outcome->error) {
      ++summary.failed;
      ++summary.errors_by_cause[ErrorCause(*outcome)];
    } else {
      ++summary.succeeded;
    }
  }

  std::sort(latencies.begin(), latencies.end());
  summary.latency_p50_ms = NearestRank(latencies, 50);
  summary.latency_p90_ms = NearestRank(latencies, 90);
  summary.latency_p99_ms = NearestRank(latencies, 99);
  summary.latency_max_ms = latencies.empty() ? 0 : latencies.back();
  summary.per_second = summary.wall_seconds > 0 ? static_cast<double>(summary.succeeded) / summary.wall_seconds : 0;
  return summary;
}

std::string FormatSummary(const FleetSummary& summary, std::string_view title) {
  char line[256];
  std::string text(title);
  text += "\n";
  std::snprintf(line, sizeof(line), "  agents      %zu: %zu succeeded, %zu failed\n", summary.agents,
                summary.succeeded, summary.failed);
  text += line;
  std::snprintf(line, sizeof(line), "  throughput  %.1f/s over %.3f s\n", summary.per_second, summary.wall_seconds);
  text += line;
  // Latency is per agent and excludes time spent queued behind the concurrency limit, so
  // the line states what it measures, because otherwise p99 and the wall time seem to disagree.
  std::snprintf(line, sizeof(line), "  latency ms  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  (per agent, submission to final response)\n", summary.latency_p50_ms,
                summary.latency_p90_ms, summary.latency_p99_ms, summary.latency_max_ms);
  text += line;
  text += "  attempts    " + std::to_string(summary.attempts) + "\n";
  text += "  retries     " + FormatCounts(summary.retries_by_cause) + "\n";
  text += "  errors      " + FormatCounts(summary.errors_by_cause) + "\n";
  return text;
}

}  // namespace dpopfleet
