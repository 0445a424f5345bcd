// The crypto library's own ECDSA speed, the reference proof signing is measured against.
//
// EcdsaBaseline calls the backend directly in its fastest form: P-256 ECDSA over a
// precomputed SHA-256 digest with an initialised context reused for every call, output in
// the library's native form (DER for OpenSSL, an ECDSA_SIG for BoringSSL) and discarded.
// Benchmarks run it next to ProofBuilder in the same process so their ratio is meaningful.

#ifndef DPOPFLEET_CRYPTO_BASELINE_H_
#define DPOPFLEET_CRYPTO_BASELINE_H_

#include <memory>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// EcdsaBaseline is not thread-safe; use one per thread.
class EcdsaBaseline {
 public:
  // Create generates one key and prepares the signing and key-generation contexts.
  static Result<EcdsaBaseline> Create();

  EcdsaBaseline(EcdsaBaseline&&) noexcept;
  EcdsaBaseline& operator=(EcdsaBaseline&&) noexcept;
  ~EcdsaBaseline();

  // SignDigest signs |digest| once and discards the signature. It returns kOk or
  // kCryptoFailure.
  ErrorCode SignDigest(const Sha256Digest& digest);

  // GenerateKey generates one P-256 key and discards it. It returns kOk or kCryptoFailure.
  ErrorCode GenerateKey();

  struct State;

 private:
  explicit EcdsaBaseline(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_CRYPTO_BASELINE_H_
