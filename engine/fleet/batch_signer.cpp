// BatchSigner: parallel proof building into one contiguous buffer.

#include "dpopfleet/batch_signer.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <cstring>

namespace dpopfleet {

// ThreadState is one thread's builder and proof scratch buffer. It is created on a
// thread's first proof and kept for the signer's lifetime. The jti randomness comes from
// SystemRandomSource, which already keeps a per-thread reserve.
struct BatchSigner::ThreadState {
  explicit ThreadState(const Clock* clock) : builder(*clock) {}
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  ProofBuilder builder;
  std::string proof;
};

struct BatchSigner::Impl {
  explicit Impl(const Clock* clock) : states(clock) {}

  mutable tbb::enumerable_thread_specific<ThreadState> states;
};

std::size_t BatchOutput::failures() const {
  std::size_t count = 0;
  for (const Slot& slot : slots_) count += slot.status != ErrorCode::kOk;
  return count;
}

BatchSigner::BatchSigner(const KeyPool& pool, const Clock& clock)
    : pool_(pool), impl_(std::make_unique<Impl>(&clock)) {}

BatchSigner::~BatchSigner() = default;

namespace {

ProofRequest ToProofRequest(const BatchRequest& request) {
  ProofRequest proof_request;
  proof_request.htm = request.htm;
  proof_request.htu = request.htu;
  proof_request.ath = request.ath;
  proof_request.nonce = request.nonce;
  proof_request.clock_offset_seconds = request.clock_offset_seconds;
  return proof_request;
}

}  // namespace

ErrorCode BatchSigner::Sign(std::span<const BatchRequest> requests, BatchOutput* out) const {
  // Slots are laid out first, each sized by MaxProofSize, so that threads write disjoint
  // ranges of one buffer without coordination.
  out->slots_.resize(requests.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    BatchOutput::Slot& slot = out->slots_[i];
    slot.offset = total;
    slot.length = 0;
    if (requests[i].key_index >= pool_.size()) {
      slot.status = ErrorCode::kOutOfRange;
      continue;
    }
    slot.status = ErrorCode::kOk;
    total += ProofBuilder::MaxProofSize(pool_.key(requests[i].key_index),
                                        ToProofRequest(requests[i]));
  }
  out->buffer_.resize(total);

  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, requests.size()),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      ThreadState& state = impl_->states.local();
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        BatchOutput::Slot& slot = out->slots_[i];
                        if (slot.status != ErrorCode::kOk) continue;
                        const ProofKey& key = pool_.key(requests[i].key_index);
                        slot.status =
                            state.builder.Build(key, ToProofRequest(requests[i]), &state.proof);
                        if (slot.status != ErrorCode::kOk) continue;
                        std::memcpy(out->buffer_.data() + slot.offset, state.proof.data(),
                                    state.proof.size());
                        slot.length = static_cast<std::uint32_t>(state.proof.size());
                      }
                    });

  for (const BatchOutput::Slot& slot : out->slots_) {
    if (slot.status != ErrorCode::kOk) return slot.status;
  }
  return ErrorCode::kOk;
}

}  // namespace dpopfleet
