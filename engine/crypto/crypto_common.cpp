// Backend-neutral parts of crypto.h: overloads and the process-wide random source.

#include <algorithm>
#include <cstring>

#include "crypto_internal.h"
#include "dpopfleet/crypto.h"

namespace dpopfleet {
namespace {

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

class SystemRandom final : public RandomSource {
 public:
  ErrorCode Fill(std::span<std::uint8_t> out) override { return RandomBytes(out); }
};

}  // namespace

Sha256Digest Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

ErrorCode P256Key::Sign(std::string_view message, Es256Signature* out) const {
  return Sign(AsBytes(message), out);
}

namespace internal {

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
  bool is_zero = std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; });
  bool below_order = std::lexicographical_compare(d.begin(), d.end(), kOrder.begin(), kOrder.end());
  return !is_zero && below_order;
}

}  // namespace internal

RandomSource& SystemRandomSource() {
  static SystemRandom source;
  return source;
}

}  // namespace dpopfleet
