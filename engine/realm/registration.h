// Self-service registration state: pending enrollments and the per-email and per-IP limits.
//
// Thread safety: callers lock |mutex| around every access to the members.

#ifndef DPOPFLEET_ENGINE_REALM_REGISTRATION_H_
#define DPOPFLEET_ENGINE_REALM_REGISTRATION_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace dpopfleet::realm {

// kMaxCodeAttempts is how many wrong verification codes an enrollment survives; the next
// wrong one locks it, so the 32^8 code space cannot be searched online.
inline constexpr int kMaxCodeAttempts = 5;

struct Enrollment {
  enum class State { kPending, kConfirmed, kLocked };

  std::string id;
  std::string realm;
  std::string email;
  std::string client_name;
  std::string client_description;
  std::string scope;  // space-separated
  std::string poll_token;
  std::string verification_code;
  std::int64_t expires_at = 0;
  State state = State::kPending;
  int failed_attempts = 0;
  std::string client_id;  // set once confirmed
};

// SlidingWindowLimiter counts events per key over the last |window_seconds|.
class SlidingWindowLimiter {
 public:
  // RetryAfter returns 0 if another event for |key| fits under |limit| now, otherwise the
  // seconds until the oldest counted event leaves the window.
  std::int64_t RetryAfter(const std::string& key, std::int64_t now, int limit, int window_seconds) {
    auto it = events_.find(key);
    if (it == events_.end()) return limit > 0 ? 0 : window_seconds;
    std::deque<std::int64_t>& times = it->second;
    while (!times.empty() && times.front() <= now - window_seconds) times.pop_front();
    if (static_cast<int>(times.size()) < limit) return 0;
    return std::max<std::int64_t>(1, times.front() + window_seconds - now);
  }

  // Record counts one event for |key| at |now|.
  void Record(const std::string& key, std::int64_t now) { events_[key].push_back(now); }

  // Prune erases keys whose events all left the window, so the map stays as small as the
  // set of recently active keys.
  void Prune(std::int64_t now, int window_seconds) {
    for (auto it = events_.begin(); it != events_.end();) {
      bool idle = it->second.empty() || it->second.back() <= now - window_seconds;
      it = idle ? events_.erase(it) : std::next(it);
    }
  }

  // events returns every key's counted event times, for the state file; Restore replaces
  // them after a restart.
  const std::map<std::string, std::deque<std::int64_t>>& events() const { return events_; }
  void Restore(std::map<std::string, std::deque<std::int64_t>> events) { events_ = std::move(events); }

 private:
  std::map<std::string, std::deque<std::int64_t>> events_;
};

struct Registrar {
  std::mutex mutex;
  std::map<std::string, Enrollment> enrollments;
  SlidingWindowLimiter by_email;
  SlidingWindowLimiter by_ip;
  std::int64_t next_sweep = 0;  // when stale enrollments and idle limiter keys are dropped next
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_REGISTRATION_H_
