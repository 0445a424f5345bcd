// Clocks, injected wherever tests need to control time (proof iat, retry schedules, token
// expiry, nonce rotation).

#ifndef DPOPFLEET_CLOCK_H_
#define DPOPFLEET_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace dpopfleet {

// Clock reports wall-clock time. Implementations are safe to call from many threads.
class Clock {
 public:
  virtual ~Clock() = default;

  // NowUnixMillis returns milliseconds since the Unix epoch.
  virtual std::int64_t NowUnixMillis() const = 0;

  // NowUnixSeconds returns whole seconds since the Unix epoch, rounded down.
  std::int64_t NowUnixSeconds() const {
    std::int64_t millis = NowUnixMillis();
    return millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  }
};

// SystemClock returns the process-wide clock backed by std::chrono::system_clock.
const Clock& SystemClock();

// FakeClock is a Clock that tests set and advance by hand.
class FakeClock : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_millis = 1'700'000'000'000) : now_(unix_millis) {}

  std::int64_t NowUnixMillis() const override { return now_.load(std::memory_order_relaxed); }
  void SetUnixMillis(std::int64_t unix_millis) { now_.store(unix_millis, std::memory_order_relaxed); }
  void AdvanceMillis(std::int64_t delta) { now_.fetch_add(delta, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_CLOCK_H_
