// Running many requests through a Transport with a bound on how many are unfinished.

#ifndef DPOPFLEET_ENGINE_FLEET_FLEET_RUNNER_H_
#define DPOPFLEET_ENGINE_FLEET_FLEET_RUNNER_H_

#include <chrono>
#include <cstddef>
#include <functional>

#include "dpopfleet/fleet.h"
#include "dpopfleet/transport.h"

namespace dpopfleet::fleet_internal {

// BoundedRun describes |count| requests numbered 0..count-1.
struct BoundedRun {
  std::size_t count = 0;
  std::size_t concurrency = 1;

  // chunk_size requests are prepared together by prepare_chunk (such as presigning their
  // proofs) right before the first of them is submitted.
  std::size_t chunk_size = 256;
  std::function<void(std::size_t begin, std::size_t end)> prepare_chunk;

  // lead_requests go first as a chunk of their own. The rest start once each lead has ended
  // its first attempt, so what that attempt learnt (such as a server's DPoP nonce) serves
  // every later request, and the lead's own retries do not delay them.
  std::size_t lead_requests = 0;

  // make_factory builds request |i|'s factory; it runs on the calling thread.
  std::function<RequestFactory(std::size_t i)> make_factory;

  // on_done receives request |i|'s result and latency on the transport's loop thread, or
  // on the submitting thread for a request submitted after the transport shut down. It
  // must not block; calls for different requests do not overlap.
  std::function<void(std::size_t i, TransferResult result, std::chrono::milliseconds latency)> on_done;

  RequestOptions request_options;
  ProgressCallback progress;
};

// RunBounded submits every request of |run|, never more than run.concurrency unfinished at
// once, and returns when all have finished. It must not run on the loop thread.
void RunBounded(Transport& transport, const BoundedRun& run);

// FillOutcome copies the attempts, latency and transport error of |result| into |*outcome|.
void FillOutcome(std::size_t index, const TransferResult& result, std::chrono::milliseconds latency,
                 AgentOutcome* outcome);

}  // namespace dpopfleet::fleet_internal

#endif  // DPOPFLEET_ENGINE_FLEET_FLEET_RUNNER_H_
