// Backend-neutral part of P256Key: ownership of the raw key bytes, range checks, and the
// order of steps in generation, import and signing. The backend files supply the point
// arithmetic and ECDSA (crypto_internal.h).

#include <algorithm>
#include <string>

#include "crypto_internal.h"
#include "dpopfleet/crypto.h"

namespace dpopfleet {
namespace {

Error ScalarRangeError(std::size_t size) {
  return Error(ErrorCode::kInvalidKey,
               "the private scalar (" + std::to_string(size) +
                   " bytes) is not a 32-byte value in [1, n-1]; supply a P-256 private key");
}

}  // namespace

P256Key::P256Key(const internal::P256Scalar& scalar, const P256PublicKey& public_key)
    : scalar_(scalar), public_key_(public_key) {}

P256Key::P256Key(P256Key&& other) noexcept : scalar_(other.scalar_), public_key_(other.public_key_) {
  SecureClear(other.scalar_);
}

P256Key& P256Key::operator=(P256Key&& other) noexcept {
  if (this != &other) {
    scalar_ = other.scalar_;
    public_key_ = other.public_key_;
    SecureClear(other.scalar_);
  }
  return *this;
}

P256Key::~P256Key() { SecureClear(scalar_); }

Result<P256Key> P256Key::Generate() {
  internal::P256Scalar scalar;
  if (internal::RandomScalar(&scalar) != ErrorCode::kOk) {
    return Error(ErrorCode::kCryptoFailure,
                 "the crypto library's random generator failed while generating a P-256 key");
  }

  P256PublicKey public_key;
  bool derived = internal::DerivePublicKey(scalar, &public_key);
  P256Key key(scalar, public_key);
  SecureClear(scalar);
  if (!derived) {
    return Error(ErrorCode::kCryptoFailure, "P-256 key generation failed in the crypto library");
  }
  return key;
}

Result<P256Key> P256Key::FromPrivateScalar(std::span<const std::uint8_t> d) {
  if (!internal::IsValidP256Scalar(d)) return ScalarRangeError(d.size());

  internal::P256Scalar scalar;
  std::copy(d.begin(), d.end(), scalar.begin());
  P256PublicKey public_key;
  bool derived = internal::DerivePublicKey(scalar, &public_key);
  P256Key key(scalar, public_key);
  SecureClear(scalar);
  if (!derived) return Error(ErrorCode::kCryptoFailure, "cannot derive the public point of a P-256 key");
  return key;
}

Result<P256Key> P256Key::FromPem(std::string_view pem) {
  internal::PemKey parsed;
  Status read = internal::ReadPemKey(pem, &parsed);
  if (!read.ok()) return read.error();

  Result<P256Key> key = FromPrivateScalar(parsed.scalar);
  if (!key.ok()) return key.error();
  // A file whose public point is not d·G would make proofs that no server verifies.
  if (key->public_key() != parsed.public_key) {
    return Error(ErrorCode::kInvalidKey,
                 "the PEM key's public point does not belong to its private scalar; the file is "
                 "damaged, so create a new key");
  }
  return key;
}

ErrorCode P256Key::Sign(std::span<const std::uint8_t> message, Es256Signature* out) const {
  return internal::SignDigestWithScalar(scalar_, Sha256(message), out);
}

}  // namespace dpopfleet
