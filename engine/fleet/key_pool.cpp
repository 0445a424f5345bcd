// KeyPool: parallel generation of ProofKeys.

#include "dpopfleet/key_pool.h"

#include <tbb/parallel_for.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>

namespace dpopfleet {

Result<KeyPool> KeyPool::Generate(std::size_t count) {
  std::vector<std::optional<ProofKey>> generated(count);
  std::atomic<bool> failed{false};
  std::once_flag first_error_once;
  std::optional<Error> first_error;

  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        if (failed.load(std::memory_order_relaxed)) return;
                        Result<P256Key> key = P256Key::Generate();
                        if (!key.ok()) {
                          failed.store(true, std::memory_order_relaxed);
                          std::call_once(first_error_once, [&] { first_error = key.error(); });
                          return;
                        }
                        generated[i].emplace(ProofKey::Create(std::move(*key)));
                      }
                    });
  if (failed.load()) return *first_error;

  std::vector<ProofKey> keys;
  keys.reserve(count);
  for (std::optional<ProofKey>& key : generated) keys.push_back(std::move(*key));
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
