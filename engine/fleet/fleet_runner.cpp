// RunBounded: a counting gate in front of Transport::Submit.

#include "fleet_runner.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace dpopfleet::fleet_internal {
namespace {

constexpr std::chrono::milliseconds kProgressInterval{200};

// RefillSize returns how many slots of a full gate must be free before the submitting
// thread wakes up. Waking it for every finished request cost about two context switches per
// request. With an eighth of the gate it wakes once per concurrency/8 finished requests, and
// at least 7/8 of the gate stays in flight, more than the transport's connections at the
// usual concurrency.
std::size_t RefillSize(std::size_t concurrency) { return std::max<std::size_t>(1, concurrency / 8); }

}  // namespace

void RunBounded(Transport& transport, const BoundedRun& run) {
  std::mutex mutex;
  std::condition_variable finished_changed;
  std::size_t submitted = 0;
  std::size_t finished = 0;
  std::size_t leads_released = 0;
  std::size_t concurrency = std::max<std::size_t>(run.concurrency, 1);
  const std::size_t refill = RefillSize(concurrency);
  auto last_progress = std::chrono::steady_clock::now();

  auto report_progress = [&](std::size_t done) {
    auto now = std::chrono::steady_clock::now();
    if (run.progress && now - last_progress >= kProgressInterval) {
      run.progress(done, run.count);
      last_progress = now;
    }
  };

  std::size_t lead = std::min(run.lead_requests, run.count);
  std::size_t chunk_size = std::max<std::size_t>(run.chunk_size, 1);
  for (std::size_t chunk_begin = 0; chunk_begin < run.count;) {
    std::size_t chunk_end = chunk_begin < lead ? lead : std::min(run.count, chunk_begin + chunk_size);

    // Wait until the gate has room before preparing, so prepared work does not age in a
    // queue. After the lead requests, wait until each has ended its first attempt: what it
    // learnt is cached by then, and its retries and backoff must not hold back the rest.
    {
      std::unique_lock lock(mutex);
      finished_changed.wait(lock, [&] {
        return submitted - finished < concurrency && (chunk_begin != lead || leads_released == lead);
      });
    }
    if (run.prepare_chunk) run.prepare_chunk(chunk_begin, chunk_end);

    for (std::size_t i = chunk_begin; i < chunk_end; ++i) {
      std::size_t done = 0;
      {
        std::unique_lock lock(mutex);
        if (submitted - finished >= concurrency) {
          finished_changed.wait(lock, [&] { return concurrency - (submitted - finished) >= refill; });
        }
        ++submitted;
        done = finished;
      }
      report_progress(done);

      // Both callbacks notify under the lock, which keeps |finished_changed| alive:
      // RunBounded cannot return before the last of them releases the mutex. A finished
      // request notifies only when it frees the refill-th slot, ends the run or ends a
      // lead, which are the states a waiter checks for.
      auto release_lead = [&] {
        std::lock_guard lock(mutex);
        ++leads_released;
        finished_changed.notify_all();
      };
      RequestOptions options = run.request_options;
      if (i < lead) options.on_first_attempt = release_lead;

      auto started = std::chrono::steady_clock::now();
      transport.Submit(run.make_factory(i), std::move(options), [&, i, started](TransferResult result) {
        auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        // A lead that ended before sending anything never ran on_first_attempt.
        bool never_attempted = result.attempts.empty();
        run.on_done(i, std::move(result), latency);
        std::lock_guard lock(mutex);
        ++finished;
        if (i < lead && never_attempted) ++leads_released;
        if (concurrency - (submitted - finished) == refill || finished == run.count || i < lead) {
          finished_changed.notify_all();
        }
      });
    }
    chunk_begin = chunk_end;
  }

  std::unique_lock lock(mutex);
  while (finished < run.count) {
    finished_changed.wait_for(lock, kProgressInterval, [&] { return finished == run.count; });
    std::size_t done = finished;
    lock.unlock();
    report_progress(done);
    lock.lock();
  }
  if (run.progress) run.progress(run.count, run.count);
}

void FillOutcome(std::size_t index, const TransferResult& result, std::chrono::milliseconds latency,
                 AgentOutcome* outcome) {
  outcome->index = index;
  outcome->attempts = result.attempts;
  outcome->latency = latency;
  if (result.error) {
    outcome->error = *result.error;
  } else if (!result.response) {
    outcome->error = Error(ErrorCode::kInternal, "request ended without a response or an error");
  }
}

}  // namespace dpopfleet::fleet_internal
