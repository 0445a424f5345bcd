// RunBounded's gate: never more unfinished requests than the concurrency, every request run
// once, and a full gate refilled in batches without stalling at any concurrency.

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fleet_runner.h"

namespace dpopfleet {
namespace {

// HeldTransport keeps every submitted callback until FinishOne runs it, so the test decides
// when requests end. It records the largest number of callbacks held at once, which counts
// every request RunBounded still counts as unfinished. Thread-safe.
class HeldTransport final : public Transport {
 public:
  using Transport::Submit;
  void Submit(RequestFactory, RequestOptions, Callback callback) override {
    std::lock_guard lock(mutex_);
    held_.push_back(std::move(callback));
    max_unfinished_ = std::max(max_unfinished_, held_.size());
    ++submitted_;
    changed_.notify_all();
  }

  // FinishOne ends the oldest held request, waiting until one is held. It returns false once
  // |total| requests have finished.
  bool FinishOne(std::size_t total) {
    Callback callback;
    {
      std::unique_lock lock(mutex_);
      if (finished_ == total) return false;
      changed_.wait(lock, [&] { return !held_.empty(); });
      callback = std::move(held_.front());
      held_.pop_front();
    }
    TransferResult result;
    result.response = HttpResponse{};
    callback(std::move(result));
    std::lock_guard lock(mutex_);
    ++finished_;
    return true;
  }

  void Shutdown() override {}
  std::string CachedNonce(const std::string&, NonceScope) const override { return ""; }
  std::int64_t ClockOffsetSeconds(const std::string&) const override { return 0; }
  TransportCounters counters() const override { return {}; }

  std::size_t max_unfinished() const {
    std::lock_guard lock(mutex_);
    return max_unfinished_;
  }
  std::size_t submitted() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Callback> held_;
  std::size_t finished_ = 0;
  std::size_t submitted_ = 0;
  std::size_t max_unfinished_ = 0;
};

// RunGate runs |count| requests at |concurrency| while a second thread ends them one by one,
// and returns the indices that reached on_done.
std::multiset<std::size_t> RunGate(HeldTransport& transport, std::size_t count, std::size_t concurrency,
                                   std::size_t chunk_size) {
  std::multiset<std::size_t> done;
  std::mutex done_mutex;
  fleet_internal::BoundedRun run;
  run.count = count;
  run.concurrency = concurrency;
  run.chunk_size = chunk_size;
  run.make_factory = [](std::size_t) { return RequestFactory(); };
  run.on_done = [&](std::size_t i, TransferResult, std::chrono::milliseconds) {
    std::lock_guard lock(done_mutex);
    done.insert(i);
  };

  std::thread finisher([&] {
    while (transport.FinishOne(count)) {
    }
  });
  fleet_internal::RunBounded(transport, run);
  finisher.join();
  return done;
}

TEST(RunBoundedGate, RunsEveryRequestOnceWithinTheBound) {
  for (std::size_t concurrency : {1, 2, 7, 8, 9, 16, 64, 256}) {
    HeldTransport transport;
    std::multiset<std::size_t> done = RunGate(transport, 1000, concurrency, 64);

    EXPECT_EQ(done.size(), 1000U) << "concurrency " << concurrency;
    EXPECT_EQ(std::set<std::size_t>(done.begin(), done.end()).size(), 1000U) << "concurrency " << concurrency;
    EXPECT_EQ(transport.submitted(), 1000U) << "concurrency " << concurrency;
    EXPECT_LE(transport.max_unfinished(), concurrency) << "concurrency " << concurrency;
  }
}

// Fewer requests than the refill size, and a last chunk that leaves the gate partly empty,
// must still finish, because the run may not wait for slots it will never need.
TEST(RunBoundedGate, FinishesRunsSmallerThanTheRefill) {
  for (std::size_t count : {1, 3, 31, 33, 257}) {
    HeldTransport transport;
    std::multiset<std::size_t> done = RunGate(transport, count, 256, 256);
    EXPECT_EQ(done.size(), count) << "count " << count;
    EXPECT_LE(transport.max_unfinished(), 256U) << "count " << count;
  }
}

}  // namespace
}  // namespace dpopfleet
