// Seeded fault decisions and Retry-After formatting.

#include "faults.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace dpopfleet::realm {
namespace {

constexpr std::string_view kHttpDatePrefix = "http-date:";

bool ParseSeconds(std::string_view text, long long* out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size() && *out >= 0;
}

// FormatRate prints |rate| with up to six significant digits, such as "1.2".
std::string FormatRate(double rate) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", rate);
  return text;
}

}  // namespace

Status ValidateFaults(const RealmFaults& faults) {
  auto check_rate = [](double rate, const char* name) -> Status {
    if (rate >= 0.0 && rate <= 1.0) return {};
    return Error(ErrorCode::kInvalidArgument, std::string(name) + " is " + std::to_string(rate) +
                                                  "; use a probability between 0 and 1");
  };
  if (Status s = check_rate(faults.rate_429, "the 429 fault rate"); !s) return s;
  if (Status s = check_rate(faults.rate_503, "the 503 fault rate"); !s) return s;
  if (Status s = check_rate(faults.rate_reset, "the reset fault rate"); !s) return s;
  // The rates are disjoint shares of one draw per request, so together they cannot exceed 1.
  double total = faults.rate_429 + faults.rate_503 + faults.rate_reset;
  if (total > 1.0 + 1e-9) {
    return Error(ErrorCode::kInvalidArgument,
                 "the 429, 503 and reset fault rates add up to " + FormatRate(total) +
                     "; each is the share of requests that get that fault, so keep their sum "
                     "at most 1");
  }
  if (faults.latency_ms < 0 || faults.latency_jitter_ms < 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "latency " + std::to_string(faults.latency_ms) + " ms with jitter " +
                     std::to_string(faults.latency_jitter_ms) + " ms is negative; use 0 or more");
  }

  std::string_view retry_after = faults.retry_after;
  if (retry_after.starts_with(kHttpDatePrefix)) retry_after.remove_prefix(kHttpDatePrefix.size());
  long long seconds = 0;
  if (!ParseSeconds(retry_after, &seconds)) {
    return Error(ErrorCode::kInvalidArgument,
                 "retry-after '" + faults.retry_after +
                     "' is invalid; use delta-seconds such as 2, or http-date:<seconds>");
  }
  return {};
}

std::string FormatHttpDate(std::int64_t unix_seconds) {
  std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[40];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return text;
}

FaultInjector::FaultInjector(RealmFaults faults, std::uint64_t seed, const Clock& clock,
                             LiveCounters& counters)
    : faults_(std::move(faults)), clock_(clock), counters_(counters), generator_(seed) {}

int FaultInjector::DelayMs() {
  if (faults_.latency_ms <= 0 && faults_.latency_jitter_ms <= 0) return 0;
  int jitter = 0;
  if (faults_.latency_jitter_ms > 0) {
    std::lock_guard lock(mutex_);
    jitter = std::uniform_int_distribution<int>(0, faults_.latency_jitter_ms)(generator_);
  }
  int delay = faults_.latency_ms + jitter;
  if (delay > 0) counters_.faults_delayed.fetch_add(1, std::memory_order_relaxed);
  return delay;
}

std::string FaultInjector::RetryAfterValue() const {
  std::string_view value = faults_.retry_after;
  if (!value.starts_with(kHttpDatePrefix)) return std::string(value);
  long long seconds = 0;
  ParseSeconds(value.substr(kHttpDatePrefix.size()), &seconds);
  return FormatHttpDate(clock_.NowUnixSeconds() + seconds);
}

std::optional<HttpReply> FaultInjector::Inject() {
  if (faults_.rate_reset <= 0 && faults_.rate_429 <= 0 && faults_.rate_503 <= 0) return std::nullopt;

  // One draw per request, split into consecutive ranges, makes each rate exactly the
  // probability of its fault, as the options document, and the three faults exclusive.
  double draw = 0;
  {
    std::lock_guard lock(mutex_);
    draw = std::uniform_real_distribution<double>(0.0, 1.0)(generator_);
  }

  if (draw < faults_.rate_reset) {
    counters_.faults_reset.fetch_add(1, std::memory_order_relaxed);
    HttpReply reply;
    reply.reset_connection = true;
    reply.reason = "fault_reset";
    return reply;
  }
  draw -= faults_.rate_reset;
  if (draw < faults_.rate_429) {
    counters_.faults_429.fetch_add(1, std::memory_order_relaxed);
    HttpReply reply = ErrorReply(429, "slow_down", "injected fault: too many requests; retry later",
                                 "fault_429");
    reply.AddHeader("Retry-After", RetryAfterValue());
    return reply;
  }
  draw -= faults_.rate_429;
  if (draw < faults_.rate_503) {
    counters_.faults_503.fetch_add(1, std::memory_order_relaxed);
    HttpReply reply = ErrorReply(503, "temporarily_unavailable",
                                 "injected fault: service unavailable; retry later", "fault_503");
    reply.AddHeader("Retry-After", RetryAfterValue());
    return reply;
  }
  return std::nullopt;
}

}  // namespace dpopfleet::realm
