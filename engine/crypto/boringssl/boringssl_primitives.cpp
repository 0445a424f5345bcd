// BoringSSL backend: SHA-256, the CSPRNG, key import and ES256 verification.

#include <openssl/base.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <string>

#include "boringssl/boringssl_handles.h"
#include "ecdsa_sign.h"

namespace dpopfleet {
namespace internal {

const EC_GROUP* P256Group() {
  static const EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return group;
}

EcKeyPtr MakePublicEcKey(const UncompressedPoint& point) {
  EcKeyPtr key(EC_KEY_new());
  EcPointPtr decoded(EC_POINT_new(P256Group()));
  if (!key || !decoded || EC_KEY_set_group(key.get(), P256Group()) != 1 ||
      EC_POINT_oct2point(P256Group(), decoded.get(), point.data(), point.size(), nullptr) != 1 ||
      EC_KEY_set_public_key(key.get(), decoded.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

}  // namespace internal

const char* CryptoBackendName() {
  static const std::string name =
      "BoringSSL (API version " + std::to_string(BORINGSSL_API_VERSION) + ")";
  return name.c_str();
}

Sha256Digest Sha256(std::span<const std::uint8_t> data) {
  Sha256Digest digest;
  SHA256(data.data(), data.size(), digest.data());
  return digest;
}

void SecureClear(std::span<std::uint8_t> bytes) { OPENSSL_cleanse(bytes.data(), bytes.size()); }

ErrorCode RandomBytes(std::span<std::uint8_t> out) {
  // BoringSSL's RAND_bytes aborts the process rather than fail.
  RAND_bytes(out.data(), out.size());
  return ErrorCode::kOk;
}

namespace internal {

ErrorCode RandomPrivateBytes(std::span<std::uint8_t> out) { return RandomBytes(out); }

}  // namespace internal

ErrorCode CheckP256PublicKey(const P256PublicKey& key) {
  return internal::MakePublicEcKey(internal::EncodePoint(key)) ? ErrorCode::kOk
                                                               : ErrorCode::kInvalidKey;
}

ErrorCode VerifyEs256(const P256PublicKey& key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature) {
  if (signature.size() != kEs256SignatureSize) return ErrorCode::kInvalidSignatureLength;

  internal::EcKeyPtr ec_key = internal::MakePublicEcKey(internal::EncodePoint(key));
  if (!ec_key) return ErrorCode::kInvalidKey;

  return internal::VerifyRawSignature(Sha256(message), signature, ec_key.get());
}

}  // namespace dpopfleet
