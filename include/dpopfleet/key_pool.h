// Pools of pre-generated DPoP signing keys, one per agent.
//
// Each entry is a ProofKey: the P-256 key, its encoded JWS header (220 bytes) and its
// RFC 7638 thumbprint (43 bytes). The resident bytes per entry below are resident set
// growth over 100,000 keys (`dpopfleet bench sign --keys 100000`, glibc malloc, x86-64).
//   OpenSSL 3.0.22: about 2,700 before a key first signs and 3,300 after. The difference
//     is the initialised signing context (EVP_PKEY_CTX) the backend caches per key.
//   BoringSSL (Debian 13.0.0): about 900.
// dpopfleet's own share is about 470 bytes (the ProofKey object, its two strings and the
// backend handle); the rest is the crypto library's key object.

#ifndef DPOPFLEET_KEY_POOL_H_
#define DPOPFLEET_KEY_POOL_H_

#include <cstddef>
#include <vector>

#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// KeyPool owns a fixed set of ProofKeys addressed by index. It is immutable after it is
// built, so many threads may read and sign with it at once.
class KeyPool {
 public:
  // Generate creates |count| fresh keys in parallel on oneTBB's current task arena (run it
  // inside a tbb::task_arena to bound the threads). It fails with the first key
  // generation error.
  static Result<KeyPool> Generate(std::size_t count);

  // FromKeys builds a pool from keys made elsewhere, such as keys loaded from files.
  static KeyPool FromKeys(std::vector<ProofKey> keys);

  std::size_t size() const { return keys_.size(); }

  // key returns entry |index|, which must be below size().
  const ProofKey& key(std::size_t index) const { return keys_[index]; }

 private:
  explicit KeyPool(std::vector<ProofKey> keys) : keys_(std::move(keys)) {}

  std::vector<ProofKey> keys_;
};

// ResidentSetBytes returns the process's resident set size from /proc/self/statm, or 0 if
// it cannot be read. Benchmarks divide its growth by a pool's size to state the cost of
// one entry.
long ResidentSetBytes();

}  // namespace dpopfleet

#endif  // DPOPFLEET_KEY_POOL_H_
