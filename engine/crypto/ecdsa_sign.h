// ECDSA signing, which each backend implements in its own way, and verification of a raw
// signature, which both share (ec_key_ops.cpp).

#ifndef DPOPFLEET_ENGINE_CRYPTO_ECDSA_SIGN_H_
#define DPOPFLEET_ENGINE_CRYPTO_ECDSA_SIGN_H_

#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include <cstdint>
#include <span>

#include "dpopfleet/crypto.h"

namespace dpopfleet::internal {

// EcdsaSign signs |digest| with the P-256 private key in |key| and returns a new signature
// that the caller frees with ECDSA_SIG_free, or null on failure with the library's error
// queue cleared. With OpenSSL, the nonce comes from a batch prepared on the calling thread
// (openssl/ecdsa_presign.cpp); with BoringSSL it is ECDSA_do_sign. Safe to call from any
// number of threads, each with its own |key|.
ECDSA_SIG* EcdsaSign(const Sha256Digest& digest, EC_KEY* key);

// VerifyRawSignature checks the 64-byte R||S |signature| of |digest| under the public key in
// |key|. It returns kOk, kSignatureMismatch (also for r or s outside [1, n-1]) or
// kCryptoFailure if the library cannot allocate. The caller checks the length.
ErrorCode VerifyRawSignature(const Sha256Digest& digest, std::span<const std::uint8_t> signature,
                             EC_KEY* key);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_ECDSA_SIGN_H_
