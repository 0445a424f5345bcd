// Backend-neutral helpers shared by the OpenSSL and BoringSSL backends.

#ifndef DPOPFLEET_ENGINE_CRYPTO_CRYPTO_INTERNAL_H_
#define DPOPFLEET_ENGINE_CRYPTO_CRYPTO_INTERNAL_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

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

// The backend half of P256Key. P256Key keeps only raw bytes, which each backend turns into
// its own objects for the duration of one call. Every copy of the scalar is wiped after.
using P256Scalar = std::array<std::uint8_t, kP256ScalarSize>;

// ForkGeneration returns a number that changes in every child created by fork() after
// its first call. Per-thread caches of secret values record it when they fill and empty
// themselves when it differs, so that parent and child never use the same values.
unsigned ForkGeneration();

// RandomPrivateBytes fills |out| from the backend's generator for private values, which
// OpenSSL keeps apart from the one behind RandomBytes. It returns kOk or kCryptoFailure.
ErrorCode RandomPrivateBytes(std::span<std::uint8_t> out);

// RandomScalar fills |out| with a uniformly random scalar in [1, n-1]: RandomPrivateBytes
// output, taken from a per-thread reserve that is discarded in a child after fork(), with
// out-of-range candidates drawn again. It returns kOk, or kCryptoFailure if the generator
// failed or 8 candidates in a row were out of range (probability below 2^-256).
ErrorCode RandomScalar(P256Scalar* out);

// DerivePublicKey computes d·G for a scalar already checked with IsValidP256Scalar. It
// returns false only if the backend fails (for example, cannot allocate).
bool DerivePublicKey(const P256Scalar& d, P256PublicKey* out);

// SignDigestWithScalar signs |digest| with the private scalar |d| and writes R||S. It
// returns kOk or kCryptoFailure.
ErrorCode SignDigestWithScalar(const P256Scalar& d, const Sha256Digest& digest, Es256Signature* out);

// PemKey is a P-256 private key read from PEM: its scalar and the public point the file
// carries (the backend derives it when the file has none).
struct PemKey {
  P256Scalar scalar{};
  P256PublicKey public_key;

  ~PemKey() { SecureClear(scalar); }
};

// ReadPemKey parses an unencrypted PEM private key into |*out|. It fails with kInvalidKey
// and a message naming the problem if the text is not such a key or not on P-256.
Status ReadPemKey(std::string_view pem, PemKey* out);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_CRYPTO_INTERNAL_H_
