// RAII owners for BoringSSL handles and helpers shared by the BoringSSL backend files.

#ifndef DPOPFLEET_ENGINE_CRYPTO_BORINGSSL_HANDLES_H_
#define DPOPFLEET_ENGINE_CRYPTO_BORINGSSL_HANDLES_H_

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/nid.h>

#include <memory>

#include "crypto_internal.h"

namespace dpopfleet::internal {

template <auto kFree>
struct BoringSslDeleter {
  template <typename T>
  void operator()(T* handle) const {
    kFree(handle);
  }
};

using EcKeyPtr = std::unique_ptr<EC_KEY, BoringSslDeleter<EC_KEY_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, BoringSslDeleter<EC_POINT_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, BoringSslDeleter<ECDSA_SIG_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, BoringSslDeleter<BN_free>>;
using SecretBignumPtr = std::unique_ptr<BIGNUM, BoringSslDeleter<BN_clear_free>>;

// P256Group returns a process-wide P-256 group; it is never freed.
const EC_GROUP* P256Group();

// MakePublicEcKey imports an uncompressed point. It returns null if the point is not on
// P-256 or is the point at infinity.
EcKeyPtr MakePublicEcKey(const UncompressedPoint& point);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_BORINGSSL_HANDLES_H_
