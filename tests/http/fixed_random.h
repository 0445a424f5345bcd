// FixedRandom is a RandomSource that fills every request with one byte value, so jitter is
// predictable: 0x00 gives the lower bound of a range and 0xff its upper bound.

#ifndef DPOPFLEET_TESTS_HTTP_FIXED_RANDOM_H_
#define DPOPFLEET_TESTS_HTTP_FIXED_RANDOM_H_

#include <cstdint>
#include <cstring>
#include <span>

#include "dpopfleet/crypto.h"

namespace dpopfleet::testing {

class FixedRandom : public RandomSource {
 public:
  explicit FixedRandom(std::uint8_t byte) : byte_(byte) {}

  ErrorCode Fill(std::span<std::uint8_t> out) override {
    if (fail_) return ErrorCode::kCryptoFailure;
    std::memset(out.data(), byte_, out.size());
    return ErrorCode::kOk;
  }

  void set_byte(std::uint8_t byte) { byte_ = byte; }
  void set_fail(bool fail) { fail_ = fail; }

 private:
  std::uint8_t byte_;
  bool fail_ = false;
};

}  // namespace dpopfleet::testing

#endif  // DPOPFLEET_TESTS_HTTP_FIXED_RANDOM_H_
