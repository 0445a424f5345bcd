// Pools of pre-generated DPoP signing keys, one per agent.
//
// Each entry is a ProofKey: the P-256 scalar and public point as raw bytes, with no crypto
// library object (dpop_proof.h, crypto.h). `dpopfleet bench pool --keys 1000000 --threads 2
// --sign` measured about 107 resident bytes per entry, both after generation and after
// each key signed once (OpenSSL 3.0.22, glibc malloc, x86-64). An entry grows by about
// 100 bytes more once its thumbprint() has been asked for.

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
