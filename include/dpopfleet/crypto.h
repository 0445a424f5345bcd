// P-256 keys, ES256 signatures, SHA-256 and random bytes.
//
// One interface over two backends, chosen at build time with DPOPFLEET_CRYPTO: OpenSSL 3
// (the default) or Debian's BoringSSL. Nothing here depends on JSON or HTTP.
//
// Thread safety: every function and every const method may be called from many threads at
// once, on the same object too. Non-const methods need external synchronisation.

#ifndef DPOPFLEET_CRYPTO_H_
#define DPOPFLEET_CRYPTO_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "dpopfleet/status.h"

namespace dpopfleet {

// Sizes

inline constexpr std::size_t kP256ScalarSize = 32;
inline constexpr std::size_t kP256CoordinateSize = 32;
inline constexpr std::size_t kEs256SignatureSize = 64;
inline constexpr std::size_t kSha256Size = 32;

using Sha256Digest = std::array<std::uint8_t, kSha256Size>;

// Es256Signature is a raw JWS ES256 signature: R then S, each big-endian and left-padded
// with zeros to 32 bytes (RFC 7518 section 3.4). It is never DER.
using Es256Signature = std::array<std::uint8_t, kEs256SignatureSize>;

// P256PublicKey is an uncompressed P-256 point as the JWK "x" and "y" members carry it:
// each coordinate big-endian and left-padded to 32 bytes.
struct P256PublicKey {
  std::array<std::uint8_t, kP256CoordinateSize> x{};
  std::array<std::uint8_t, kP256CoordinateSize> y{};

  friend bool operator==(const P256PublicKey&, const P256PublicKey&) = default;
};

// Backend

// CryptoBackendName returns the linked library and its version, for example
// "OpenSSL 3.0.22". The pointer refers to static storage.
const char* CryptoBackendName();

// Hashing and randomness

// Sha256 returns the SHA-256 digest of |data|.
Sha256Digest Sha256(std::span<const std::uint8_t> data);
Sha256Digest Sha256(std::string_view data);

// RandomBytes fills |out| from the backend's CSPRNG. It returns kOk, or kCryptoFailure if
// the generator failed, in which case |out| must not be used.
ErrorCode RandomBytes(std::span<std::uint8_t> out);

// SecureClear overwrites |bytes| with zeros in a way the compiler cannot remove, for
// buffers that held secret material.
void SecureClear(std::span<std::uint8_t> bytes);

// RandomSource is where code that tests need to control takes its randomness from (proof
// jti values, retry jitter, nonces).
class RandomSource {
 public:
  virtual ~RandomSource() = default;

  // Fill writes |out.size()| random bytes. It returns kOk or kCryptoFailure.
  virtual ErrorCode Fill(std::span<std::uint8_t> out) = 0;
};

// SystemRandomSource returns a process-wide RandomSource backed by RandomBytes. Small
// requests are served from a per-thread reserve of CSPRNG output that is refilled in 4 KiB
// blocks and discarded in a child after fork().
RandomSource& SystemRandomSource();

// Keys and signatures

// P256Key is a P-256 private key together with its public point, held as raw bytes: the
// 32-byte scalar and the 64-byte point, about 100 bytes with no heap allocation. Keeping no
// crypto library object per key is what lets a fleet hold hundreds of thousands of keys;
// Sign loads the scalar into a signing key kept per thread. The scalar is wiped when the
// key is destroyed or moved from. It is move-only.
class P256Key {
 public:
  // Generate creates a new key from the CSPRNG.
  static Result<P256Key> Generate();

  // FromPrivateScalar builds a key from a 32-byte big-endian private scalar and derives its
  // public point. It fails with kInvalidKey if |d| is not 32 bytes or not in [1, n-1].
  static Result<P256Key> FromPrivateScalar(std::span<const std::uint8_t> d);

  // FromPem parses a PEM private key ("PRIVATE KEY" PKCS#8 or "EC PRIVATE KEY" SEC 1). It
  // fails with kInvalidKey if the text is not PEM, the key is not on P-256, or the public
  // point it carries does not belong to its scalar.
  static Result<P256Key> FromPem(std::string_view pem);

  P256Key(P256Key&& other) noexcept;
  P256Key& operator=(P256Key&& other) noexcept;
  ~P256Key();

  // public_key returns the public point; no backend call is made.
  const P256PublicKey& public_key() const { return public_key_; }

  // PrivateScalar returns the 32-byte private scalar, left-padded. The caller owns a copy of
  // secret material and should clear it when done.
  std::array<std::uint8_t, kP256ScalarSize> PrivateScalar() const { return scalar_; }

  // Sign computes ES256 over |message| (SHA-256, then ECDSA with a fresh nonce) and writes
  // the raw 64-byte R||S to |*out|. It returns kOk or kCryptoFailure.
  ErrorCode Sign(std::span<const std::uint8_t> message, Es256Signature* out) const;
  ErrorCode Sign(std::string_view message, Es256Signature* out) const;

 private:
  // The constructor takes a scalar already checked to lie in [1, n-1] and its point.
  P256Key(const std::array<std::uint8_t, kP256ScalarSize>& scalar, const P256PublicKey& public_key);

  std::array<std::uint8_t, kP256ScalarSize> scalar_{};
  P256PublicKey public_key_;
};

// CheckP256PublicKey returns kOk if |key| is a point on P-256 other than the point at
// infinity, and kInvalidKey otherwise.
ErrorCode CheckP256PublicKey(const P256PublicKey& key);

// VerifyEs256 checks a raw R||S signature over |message| with |key|. It returns kOk,
// kInvalidSignatureLength if |signature| is not exactly 64 bytes, kInvalidKey if the point
// is not on P-256, or kSignatureMismatch.
ErrorCode VerifyEs256(const P256PublicKey& key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature);

}  // namespace dpopfleet

#endif  // DPOPFLEET_CRYPTO_H_
