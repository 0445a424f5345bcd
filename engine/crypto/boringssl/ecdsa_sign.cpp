// EcdsaSign for BoringSSL, whose API offers no way to sign with a prepared (k⁻¹, r) pair.

#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include "ecdsa_sign.h"

namespace dpopfleet::internal {

ECDSA_SIG* EcdsaSign(const Sha256Digest& digest, EC_KEY* key) {
  ECDSA_SIG* signature = ECDSA_do_sign(digest.data(), digest.size(), key);
  if (!signature) ERR_clear_error();
  return signature;
}

}  // namespace dpopfleet::internal
