// The system clock behind SystemClock().

#include "dpopfleet/clock.h"

#include <chrono>

namespace dpopfleet {
namespace {

class SystemClockImpl final : public Clock {
 public:
  std::int64_t NowUnixMillis() const override {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
  }
};

}  // namespace

const Clock& SystemClock() {
  static const SystemClockImpl clock;
  return clock;
}

}  // namespace dpopfleet
