// Pools of pre-generated DPoP signing keys, one per agent.
//
// Each entry is a ProofKey: the P-256 key, its encoded JWS header and its RFC 7638
// thumbprint. Resident cost per entry, measured with `dpopfleet bench sign --keys 100000`
// (resident set growth divided by the key count, glibc malloc, x86-64):
//   OpenSSL 3.0.22: about 2.2 KiB before a key first signs and 2.8 KiB after, because the
//     backend caches an initialised signing context per key;
//   BoringSSL: about 0.9 KiB.
// The header (about 200 bytes) and thumbprint (43 bytes) account for about 0.3 KiB of that;
// the rest is the crypto library's key object.

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

}  // namespace dpopfleet

#endif  // DPOPFLEET_KEY_POOL_H_
