// ProofSupply signs DPoP proofs for `dpopfleet bench http --dpop` on worker threads ahead
// of use, so that the transport's loop thread only takes a finished proof, as the fleet
// does with its batch signer. Each proof is used once, and the bounded queue keeps its iat
// close to the time it is sent.

#ifndef DPOPFLEET_TOOLS_CLI_BENCH_HTTP_PROOFS_H_
#define DPOPFLEET_TOOLS_CLI_BENCH_HTTP_PROOFS_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dpopfleet/dpop_proof.h"

namespace dpopfleet::cli {

// ProofSupply is safe to use from many threads. Workers stop when it is destroyed.
class ProofSupply {
 public:
  // ProofSupply starts |workers| threads that keep up to |capacity| proofs for GET |htu|
  // without a nonce, with |ath| (empty for none), signed with |key|. |key| must outlive the
  // supply.
  ProofSupply(const ProofKey& key, std::string htu, std::string ath, unsigned workers, std::size_t capacity);
  ~ProofSupply();

  // Take moves a ready proof into |*proof| and returns true, or returns false when none is
  // ready, in which case the caller signs one itself.
  bool Take(std::string* proof);

  std::uint64_t taken() const { return taken_.load(); }

 private:
  void Produce();

  const ProofKey& key_;
  std::string htu_;
  std::string ath_;
  std::size_t capacity_;
  ProofBuilder builder_;

  std::mutex mutex_;
  std::condition_variable space_;
  std::deque<std::string> ready_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> taken_{0};
  std::vector<std::thread> workers_;
};

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_BENCH_HTTP_PROOFS_H_
