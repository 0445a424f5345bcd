// The crypto library's own ECDSA speed, the reference proof signing is measured against.
//
// EcdsaBaseline calls the backend directly in its fastest form: P-256 ECDSA over a
// precomputed SHA-256 digest with an initialised context per key reused for every call,
// output in the library's native form (DER for OpenSSL, an ECDSA_SIG for BoringSSL) and
// discarded. With several keys it signs with each in turn, like a fleet's batch does.
// Benchmarks run it next to ProofBuilder in the same process so their ratio is meaningful.

#ifndef DPOPFLEET_CRYPTO_BASELINE_H_
#define DPOPFLEET_CRYPTO_BASELINE_H_

#include <cstddef>
#include <memory>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// EcdsaBaseline is not thread-safe; use one per thread.
class EcdsaBaseline {
 public:
  // Create generates |key_count| keys (at least one) and prepares their signing contexts
  // and a key-generation context.
  static Result<EcdsaBaseline> Create(std::size_t key_count = 1);

  EcdsaBaseline(EcdsaBaseline&&) noexcept;
  EcdsaBaseline& operator=(EcdsaBaseline&&) noexcept;
  ~EcdsaBaseline();

  // SignDigest signs |digest| once with the next key in turn and discards the signature.
  // It returns kOk or kCryptoFailure.
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
