// Backend-neutral parts of crypto.h: overloads and the process-wide random source.

#include <pthread.h>

#include <atomic>
#include <cstring>

#include "crypto_internal.h"
#include "dpopfleet/crypto.h"

namespace dpopfleet {
namespace {

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// g_fork_generation changes in every child process, so that per-thread state filled
// before a fork is discarded instead of being used by parent and child alike.
std::atomic<unsigned> g_fork_generation{0};

void OnFork() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// ThreadRandomReserve hands out CSPRNG bytes from a per-thread reserve that kRefill fills
// 4 KiB at a time. A proof's jti, or a new key's scalar, then costs a copy instead of a
// call into the library's generator. Such a call costs about as much as hashing a proof,
// or 13 % of deriving a key's public point (callgrind, OpenSSL 3.0). Bytes handed out
// are wiped from the reserve, and the rest is wiped when the thread ends. Until then they
// sit in memory, as the library's own generator state does.
template <ErrorCode (*kRefill)(std::span<std::uint8_t>)>
class ThreadRandomReserve {
 public:
  ~ThreadRandomReserve() { SecureClear(reserve_); }

  ErrorCode Fill(std::span<std::uint8_t> out) {
    unsigned generation = internal::ForkGeneration();
    if (generation != generation_) {
      SecureClear(reserve_);
      used_ = reserve_.size();
      generation_ = generation;
    }
    if (out.size() > reserve_.size() / 4) return kRefill(out);
    if (out.size() > reserve_.size() - used_) {
      if (kRefill(reserve_) != ErrorCode::kOk) return ErrorCode::kCryptoFailure;
      used_ = 0;
    }
    std::memcpy(out.data(), reserve_.data() + used_, out.size());
    SecureClear(std::span(reserve_).subspan(used_, out.size()));
    used_ += out.size();
    return ErrorCode::kOk;
  }

 private:
  std::array<std::uint8_t, 4096> reserve_{};
  std::size_t used_ = reserve_.size();
  unsigned generation_ = 0;
};

class SystemRandom final : public RandomSource {
 public:
  ErrorCode Fill(std::span<std::uint8_t> out) override {
    thread_local ThreadRandomReserve<RandomBytes> reserve;
    return reserve.Fill(out);
  }
};

}  // namespace

Sha256Digest Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

ErrorCode P256Key::Sign(std::string_view message, Es256Signature* out) const {
  return Sign(AsBytes(message), out);
}

namespace internal {

unsigned ForkGeneration() {
  static const bool registered = pthread_atfork(nullptr, nullptr, OnFork) == 0;
  (void)registered;
  return g_fork_generation.load(std::memory_order_relaxed);
}

ErrorCode RandomScalar(P256Scalar* out) {
  // A random 32-byte string lies outside [1, n-1] with probability below 2^-32, so a second
  // draw is already rare.
  constexpr int kMaxDraws = 8;
  thread_local ThreadRandomReserve<RandomPrivateBytes> reserve;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    if (reserve.Fill(*out) != ErrorCode::kOk) return ErrorCode::kCryptoFailure;
    if (IsValidP256Scalar(*out)) return ErrorCode::kOk;
  }
  SecureClear(*out);
  return ErrorCode::kCryptoFailure;
}

UncompressedPoint EncodePoint(const P256PublicKey& key) {
  UncompressedPoint point;
  point[0] = 0x04;
  std::memcpy(point.data() + 1, key.x.data(), kP256CoordinateSize);
  std::memcpy(point.data() + 1 + kP256CoordinateSize, key.y.data(), kP256CoordinateSize);
  return point;
}

bool DecodePoint(std::span<const std::uint8_t> point, P256PublicKey* out) {
  if (point.size() != kUncompressedPointSize || point[0] != 0x04) return false;
  std::memcpy(out->x.data(), point.data() + 1, kP256CoordinateSize);
  std::memcpy(out->y.data(), point.data() + 1 + kP256CoordinateSize, kP256CoordinateSize);
  return true;
}

bool IsValidP256Scalar(std::span<const std::uint8_t> d) {
  // n, the order of the P-256 base point (SEC 2 section 2.4.2).
  static constexpr std::array<std::uint8_t, kP256ScalarSize> kOrder = {
      0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
      0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  if (d.size() != kP256ScalarSize) return false;

  // The scalar is secret, so every byte is visited whatever its value: d < n exactly when
  // the subtraction d - n, from the last byte to the first, ends with a borrow.
  unsigned borrow = 0;
  unsigned any_bit = 0;
  for (std::size_t i = kP256ScalarSize; i-- > 0;) {
    unsigned difference = unsigned{d[i]} - unsigned{kOrder[i]} - borrow;
    borrow = (difference >> 8) & 1;
    any_bit |= d[i];
  }
  return (borrow & static_cast<unsigned>(any_bit != 0)) == 1;
}

}  // namespace internal

RandomSource& SystemRandomSource() {
  static SystemRandom source;
  return source;
}

}  // namespace dpopfleet
