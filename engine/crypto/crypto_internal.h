// Backend-neutral helpers shared by the OpenSSL and BoringSSL backends.

#ifndef DPOPFLEET_ENGINE_CRYPTO_CRYPTO_INTERNAL_H_
#define DPOPFLEET_ENGINE_CRYPTO_CRYPTO_INTERNAL_H_

#include <array>
#include <cstdint>
#include <span>

#include "dpopfleet/crypto.h"

namespace dpopfleet::internal {

// kUncompressedPointSize is the size of 0x04 || x || y (SEC 1 section 2.3.3).
inline constexpr std::size_t kUncompressedPointSize = 1 + 2 * kP256CoordinateSize;
using UncompressedPoint = std::array<std::uint8_t, kUncompressedPointSize>;

// EncodePoint returns |key| as 0x04 || x || y.
UncompressedPoint EncodePoint(const P256PublicKey& key);

// DecodePoint splits an uncompressed point into |*out|. It returns false unless |point|
// is 65 bytes starting with 0x04; it does not check that the point is on the curve.
bool DecodePoint(std::span<const std::uint8_t> point, P256PublicKey* out);

// IsValidP256Scalar returns true if |d| is 32 bytes and, as a big-endian integer, lies in
// [1, n-1] where n is the order of the P-256 base point.
bool IsValidP256Scalar(std::span<const std::uint8_t> d);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_CRYPTO_INTERNAL_H_
