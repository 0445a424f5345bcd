// Building many DPoP proofs at once across threads.
//
// BatchSigner turns a list of requests into proofs signed with keys from a KeyPool, in
// parallel on oneTBB's current task arena. All proofs land in one contiguous buffer. Once
// the output has grown to its working size, dpopfleet code makes no heap allocation while
// signing, but the crypto library may still allocate inside ECDSA.

#ifndef DPOPFLEET_BATCH_SIGNER_H_
#define DPOPFLEET_BATCH_SIGNER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/key_pool.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// BatchRequest is one proof to build. The views must stay valid during the Sign call.
struct BatchRequest {
  // key_index selects the signing key in the pool.
  std::uint32_t key_index = 0;

  // htm, htu, ath and nonce are as in ProofRequest: htu already normalised, ath the
  // precomputed AccessTokenHash or empty, nonce empty when none is known.
  std::string_view htm;
  std::string_view htu;
  std::string_view ath;
  std::string_view nonce;

  std::int64_t clock_offset_seconds = 0;
};

// BatchOutput contains the proofs of one Sign call, proof i at slot i. Reusing one output for
// many calls keeps its buffers, so later calls do not allocate.
class BatchOutput {
 public:
  std::size_t size() const { return slots_.size(); }

  // proof returns proof |index|, or an empty view if it failed.
  std::string_view proof(std::size_t index) const {
    const Slot& slot = slots_[index];
    return std::string_view(buffer_.data() + slot.offset, slot.length);
  }

  // status returns kOk, kOutOfRange for a key index outside the pool, or kCryptoFailure.
  ErrorCode status(std::size_t index) const { return slots_[index].status; }

  // failures returns the number of slots whose status is not kOk.
  std::size_t failures() const;

 private:
  friend class BatchSigner;

  struct Slot {
    std::size_t offset = 0;
    std::uint32_t length = 0;
    ErrorCode status = ErrorCode::kOk;
  };

  std::string buffer_;
  std::vector<Slot> slots_;
};

// BatchSigner signs batches with the keys of one pool. Sign may be called from many
// threads at once; each thread keeps its own scratch buffers.
class BatchSigner {
 public:
  // The pool and clock must outlive the signer.
  explicit BatchSigner(const KeyPool& pool, const Clock& clock = SystemClock());
  ~BatchSigner();

  BatchSigner(const BatchSigner&) = delete;
  BatchSigner& operator=(const BatchSigner&) = delete;

  // Sign builds one proof per request into |*out|, replacing its contents. It returns kOk
  // if every proof was built, and otherwise the status of the first failed slot; the other
  // slots still hold their proofs.
  ErrorCode Sign(std::span<const BatchRequest> requests, BatchOutput* out) const;

 private:
  struct ThreadState;
  struct Impl;

  const KeyPool& pool_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_BATCH_SIGNER_H_
