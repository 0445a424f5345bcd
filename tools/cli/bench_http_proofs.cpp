#include "bench_http_proofs.h"

namespace dpopfleet::cli {

ProofSupply::ProofSupply(const ProofKey& key, std::string htu, std::string ath, unsigned workers,
                         std::size_t capacity)
    : key_(key), htu_(std::move(htu)), ath_(std::move(ath)), capacity_(capacity) {
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { Produce(); });
}

ProofSupply::~ProofSupply() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

bool ProofSupply::Take(std::string* proof) {
  {
    std::lock_guard lock(mutex_);
    if (ready_.empty()) return false;
    *proof = std::move(ready_.front());
    ready_.pop_front();
  }
  space_.notify_one();
  ++taken_;
  return true;
}

void ProofSupply::Produce() {
  ProofRequest request{"GET", htu_, ath_, "", 0};
  std::string proof;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      space_.wait(lock, [&] { return stopping_ || ready_.size() < capacity_; });
      if (stopping_) return;
    }

    // Signing happens outside the lock. A failed signature is skipped, and the consumer
    // signs inline when the queue runs empty.
    if (builder_.Build(key_, request, &proof) != ErrorCode::kOk) continue;

    std::lock_guard lock(mutex_);
    ready_.push_back(std::move(proof));
  }
}

}  // namespace dpopfleet::cli
