// Live counters behind RealmCounters.
//
// Thread safety: every method may be called from many threads at once.

#ifndef DPOPFLEET_ENGINE_REALM_COUNTERS_H_
#define DPOPFLEET_ENGINE_REALM_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "dpopfleet/realm.h"

namespace dpopfleet::realm {

class LiveCounters {
 public:
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> tokens_issued{0};
  std::atomic<std::uint64_t> dpop_tokens_issued{0};
  std::atomic<std::uint64_t> bearer_tokens_issued{0};
  std::atomic<std::uint64_t> enrollments{0};
  std::atomic<std::uint64_t> registrations{0};
  std::atomic<std::uint64_t> introspections{0};
  std::atomic<std::uint64_t> revocations{0};
  std::atomic<std::uint64_t> whoami_ok{0};
  std::atomic<std::uint64_t> nonce_challenges{0};
  std::atomic<std::uint64_t> faults_429{0};
  std::atomic<std::uint64_t> faults_503{0};
  std::atomic<std::uint64_t> faults_reset{0};
  std::atomic<std::uint64_t> faults_delayed{0};

  // RecordRejection counts one rejected request under |reason|.
  void RecordRejection(std::string_view reason);

  // Snapshot copies every counter; |connections_accepted| comes from the server.
  RealmCounters Snapshot(std::uint64_t connections_accepted) const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t rejections_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> rejections_by_reason_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_COUNTERS_H_
