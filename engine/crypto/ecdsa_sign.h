// The ECDSA step of signing, which each backend implements in its own way.

#ifndef DPOPFLEET_ENGINE_CRYPTO_ECDSA_SIGN_H_
#define DPOPFLEET_ENGINE_CRYPTO_ECDSA_SIGN_H_

#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include "dpopfleet/crypto.h"

namespace dpopfleet::internal {

// EcdsaSign signs |digest| with the P-256 private key in |key| and returns a new signature
// that the caller frees with ECDSA_SIG_free, or null on failure with the library's error
// queue cleared. With OpenSSL, the nonce comes from a batch prepared on the calling thread
// (openssl/ecdsa_presign.cpp); with BoringSSL it is ECDSA_do_sign. Safe to call from any
// number of threads, each with its own |key|.
ECDSA_SIG* EcdsaSign(const Sha256Digest& digest, EC_KEY* key);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_ECDSA_SIGN_H_
