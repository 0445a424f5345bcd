// RAII owners for OpenSSL 3 handles and helpers shared by the OpenSSL backend files.

#ifndef DPOPFLEET_ENGINE_CRYPTO_OPENSSL_HANDLES_H_
#define DPOPFLEET_ENGINE_CRYPTO_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <array>
#include <memory>
#include <span>
#include <string>

#include "crypto_internal.h"
#include "dpopfleet/crypto.h"

namespace dpopfleet::internal {

template <auto kFree>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* handle) const {
    kFree(handle);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using SecretBignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OpenSslDeleter<BN_CTX_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, OpenSslDeleter<EC_POINT_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;

// DrainOpenSslErrors empties this thread's OpenSSL error queue and returns its first entry
// as text, or "no OpenSSL error recorded".
std::string DrainOpenSslErrors();

// P256Group returns a process-wide P-256 group for point arithmetic; it is never freed.
const EC_GROUP* P256Group();

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_OPENSSL_HANDLES_H_
