// `dpopfleet bench sign`: proofs/s next to the crypto library's raw ECDSA sign rate.

#ifndef DPOPFLEET_TOOLS_CLI_BENCH_SIGN_RUN_H_
#define DPOPFLEET_TOOLS_CLI_BENCH_SIGN_RUN_H_

#include <cstddef>

#include "dpopfleet/status.h"

namespace dpopfleet::cli {

struct SignBenchConfig {
  int threads = 1;
  double seconds = 4;
  std::size_t keys = 1000;
  bool ath = false;
};

struct SignBenchReport {
  double keygen_per_second = 0;
  double resident_bytes_per_key = 0;  // resident set growth while generating the pool
  // Rates per wall-clock second, and per second of CPU time summed over the process's
  // threads. The CPU-time rates stay comparable when other processes share the cores.
  // The raw rates are for one key per thread and, when the pool has more than one key,
  // for rotating_keys keys per thread used in turn as the proofs use the pool.
  double raw_signs_per_second = 0;
  double raw_signs_per_cpu_second = 0;
  std::size_t rotating_keys = 0;
  double rotating_raw_signs_per_second = 0;
  double rotating_raw_signs_per_cpu_second = 0;
  double proofs_per_second = 0;
  double proofs_per_cpu_second = 0;
};

// RunSignBench generates the key pool, then alternates quarter-second phases of raw
// library ECDSA signing (one key, then rotating keys) and batch proof signing on |threads|
// threads until |seconds| have passed, so that all rates see the same machine load. It fails with kInvalidArgument for an
// out-of-range setting.
Result<SignBenchReport> RunSignBench(const SignBenchConfig& config);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_BENCH_SIGN_RUN_H_
