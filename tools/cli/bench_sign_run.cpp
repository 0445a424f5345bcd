// Measurement loop of `dpopfleet bench sign`.

#include "bench_sign_run.h"

#include <tbb/task_arena.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "dpopfleet/batch_signer.h"
#include "dpopfleet/crypto_baseline.h"

namespace dpopfleet::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kRoundSeconds = 0.5;
constexpr std::size_t kBatchSize = 256;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// RawRound signs a fixed digest with one EcdsaBaseline per thread for |seconds| and
// returns the number of signatures.
Result<long> RawRound(std::vector<EcdsaBaseline>& baselines, double seconds) {
  std::atomic<long> signatures{0};
  std::atomic<bool> failed{false};
  Sha256Digest digest = Sha256("dpopfleet bench sign");
  Clock::time_point start = Clock::now();

  std::vector<std::thread> threads;
  for (EcdsaBaseline& baseline : baselines) {
    threads.emplace_back([&] {
      long count = 0;
      while (SecondsSince(start) < seconds) {
        for (int i = 0; i < 16; ++i) {
          if (baseline.SignDigest(digest) != ErrorCode::kOk) failed = true;
        }
        count += 16;
      }
      signatures += count;
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (failed) return Error(ErrorCode::kCryptoFailure, "the crypto library failed to sign");
  return signatures.load();
}

// ProofRound signs batches of proofs in |arena| for |seconds| and returns the number of
// proofs.
Result<long> ProofRound(tbb::task_arena& arena, const BatchSigner& signer,
                        const std::vector<BatchRequest>& requests, BatchOutput* output,
                        double seconds) {
  long proofs = 0;
  Clock::time_point start = Clock::now();
  while (SecondsSince(start) < seconds) {
    ErrorCode code = arena.execute([&] { return signer.Sign(requests, output); });
    if (code != ErrorCode::kOk) {
      return Error(code, std::string("batch signing failed: ") + ErrorCodeName(code));
    }
    proofs += static_cast<long>(requests.size());
  }
  return proofs;
}

}  // namespace

Result<SignBenchReport> RunSignBench(const SignBenchConfig& config) {
  if (config.threads < 1 || config.threads > 1024) {
    return Error(ErrorCode::kInvalidArgument, "--threads " + std::to_string(config.threads) +
                                                  " is out of range; use 1 to 1024");
  }
  if (!(config.seconds >= 1 && config.seconds <= 3600)) {
    return Error(ErrorCode::kInvalidArgument, "--seconds " + std::to_string(config.seconds) +
                                                  " is out of range; use 1 to 3600");
  }
  if (config.keys < 1 || config.keys > 10'000'000) {
    return Error(ErrorCode::kInvalidArgument, "--keys " + std::to_string(config.keys) +
                                                  " is out of range; use 1 to 10000000");
  }

  SignBenchReport report;
  tbb::task_arena arena(config.threads);
  long resident_before = ResidentSetBytes();
  Clock::time_point keygen_start = Clock::now();
  Result<KeyPool> pool = arena.execute([&] { return KeyPool::Generate(config.keys); });
  if (!pool.ok()) return pool.error();
  report.keygen_per_second = static_cast<double>(config.keys) / SecondsSince(keygen_start);
  report.resident_bytes_per_key =
      static_cast<double>(ResidentSetBytes() - resident_before) / static_cast<double>(config.keys);

  std::vector<EcdsaBaseline> baselines;
  for (int i = 0; i < config.threads; ++i) {
    Result<EcdsaBaseline> baseline = EcdsaBaseline::Create();
    if (!baseline.ok()) return baseline.error();
    baselines.push_back(std::move(*baseline));
  }

  std::string ath = AccessTokenHash("dpopfleet-bench-access-token-0123456789abcdef");
  std::vector<BatchRequest> requests(kBatchSize);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    requests[i].key_index = static_cast<std::uint32_t>(i % pool->size());
    requests[i].htm = "GET";
    requests[i].htu = "https://rs.example.com/api/v1/items";
    if (config.ath) requests[i].ath = ath;
  }
  BatchSigner signer(*pool);
  BatchOutput output;

  // A warm-up batch creates the per-thread scratch buffers and per-key signing contexts.
  Result<long> warm = ProofRound(arena, signer, requests, &output, 0);
  if (!warm.ok()) return warm.error();

  long raw_signatures = 0;
  long proofs = 0;
  double raw_seconds = 0;
  double proof_seconds = 0;
  double raw_cpu_seconds = 0;
  double proof_cpu_seconds = 0;
  Clock::time_point start = Clock::now();
  while (SecondsSince(start) < config.seconds) {
    Clock::time_point round = Clock::now();
    double round_cpu = ProcessCpuSeconds();
    Result<long> raw = RawRound(baselines, kRoundSeconds / 2);
    if (!raw.ok()) return raw.error();
    raw_signatures += *raw;
    raw_seconds += SecondsSince(round);
    raw_cpu_seconds += ProcessCpuSeconds() - round_cpu;

    round = Clock::now();
    round_cpu = ProcessCpuSeconds();
    Result<long> built = ProofRound(arena, signer, requests, &output, kRoundSeconds / 2);
    if (!built.ok()) return built.error();
    proofs += *built;
    proof_seconds += SecondsSince(round);
    proof_cpu_seconds += ProcessCpuSeconds() - round_cpu;
  }
  report.raw_signs_per_second = static_cast<double>(raw_signatures) / raw_seconds;
  report.proofs_per_second = static_cast<double>(proofs) / proof_seconds;
  report.raw_signs_per_cpu_second = static_cast<double>(raw_signatures) / raw_cpu_seconds;
  report.proofs_per_cpu_second = static_cast<double>(proofs) / proof_cpu_seconds;
  return report;
}

}  // namespace dpopfleet::cli
