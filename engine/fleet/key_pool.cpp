// KeyPool: parallel generation of ProofKeys.

#include "dpopfleet/key_pool.h"

#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>

namespace dpopfleet {

namespace {

// kGenerateBlock is how many keys are generated in parallel before they move into the
// pool, which bounds the transient copy to this many keys instead of the whole pool.
constexpr std::size_t kGenerateBlock = 4096;

}  // namespace

Result<KeyPool> KeyPool::Generate(std::size_t count) {
  std::vector<ProofKey> keys;
  keys.reserve(count);
  std::vector<std::optional<ProofKey>> block(std::min(count, kGenerateBlock));
  std::atomic<bool> failed{false};
  std::once_flag first_error_once;
  std::optional<Error> first_error;

  for (std::size_t begin = 0; begin < count; begin += block.size()) {
    std::size_t size = std::min(block.size(), count - begin);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size), [&](const tbb::blocked_range<std::size_t>& range) {
      for (std::size_t i = range.begin(); i != range.end(); ++i) {
        if (failed.load(std::memory_order_relaxed)) return;
        Result<P256Key> key = P256Key::Generate();
        if (!key.ok()) {
          failed.store(true, std::memory_order_relaxed);
          std::call_once(first_error_once, [&] { first_error = key.error(); });
          return;
        }
        block[i].emplace(ProofKey::Create(std::move(*key)));
      }
    });
    if (failed.load()) return *first_error;

    for (std::size_t i = 0; i < size; ++i) {
      keys.push_back(std::move(*block[i]));
      block[i].reset();
    }
  }
  return KeyPool(std::move(keys));
}

KeyPool KeyPool::FromKeys(std::vector<ProofKey> keys) { return KeyPool(std::move(keys)); }

long ResidentSetBytes() {
  std::ifstream statm("/proc/self/statm");
  long total_pages = 0;
  long resident_pages = 0;
  if (!(statm >> total_pages >> resident_pages)) return 0;
  return resident_pages * sysconf(_SC_PAGESIZE);
}

}  // namespace dpopfleet
