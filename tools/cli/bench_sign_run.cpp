// Measurement loop of `dpopfleet bench sign`.

#include "bench_sign_run.h"

#include <tbb/task_arena.h>

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
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
constexpr std::size_t kMaxRotatingKeys = 1000;

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
  if (failed) return Error(ErrorCode::kCryptoFailure, std::string("raw ECDSA signing failed in ") + CryptoBackendName());
  return signatures.load();
}

// ProofRound signs batches of proofs in |arena| for |seconds|, each batch with the next
// keys of the pool in turn, and returns the number of proofs.
Result<long> ProofRound(tbb::task_arena& arena, const BatchSigner& signer, std::size_t pool_size,
                        std::vector<BatchRequest>& requests, std::uint32_t* next_key,
                        BatchOutput* output, double seconds) {
  long proofs = 0;
  Clock::time_point start = Clock::now();
  do {
    for (BatchRequest& request : requests) {
      request.key_index = *next_key;
      *next_key = static_cast<std::uint32_t>((*next_key + 1) % pool_size);
    }
    ErrorCode code = arena.execute([&] { return signer.Sign(requests, output); });
    if (code != ErrorCode::kOk) {
      return Error(code, std::string("batch signing failed: ") + ErrorCodeName(code));
    }
    proofs += static_cast<long>(requests.size());
  } while (SecondsSince(start) < seconds);
  return proofs;
}

// PhaseTotals adds up the operations, wall-clock time and process CPU time of the rounds
// of one kind of work.
struct PhaseTotals {
  long operations = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;

  template <typename Round>
  Status Measure(Round round) {
    Clock::time_point start = Clock::now();
    double cpu_start = ProcessCpuSeconds();
    Result<long> done = round();
    if (!done.ok()) return done.error();
    operations += *done;
    wall_seconds += SecondsSince(start);
    cpu_seconds += ProcessCpuSeconds() - cpu_start;
    return Status();
  }

  double PerSecond() const { return static_cast<double>(operations) / wall_seconds; }
  double PerCpuSecond() const { return static_cast<double>(operations) / cpu_seconds; }
};

// StepNotice prints "<step>..." on stderr when created and the time taken when Done is
// called, so that a long preparation (generating or warming up a million keys takes tens of
// seconds) does not look hung. On a terminal it also redraws the elapsed seconds once per
// second and ends on the same line.
class StepNotice {
 public:
  explicit StepNotice(std::string step)
      : step_(std::move(step)), terminal_(isatty(STDERR_FILENO) == 1), start_(Clock::now()) {
    std::fprintf(stderr, terminal_ ? "%s..." : "%s...\n", step_.c_str());
    std::fflush(stderr);
    if (terminal_) ticker_ = std::thread([this] { Tick(); });
  }
  ~StepNotice() { Done(""); }

  // Done stops the ticker and prints the time taken, followed by |detail|. It is idempotent.
  void Done(const std::string& detail) {
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      done_ = true;
    }
    stop_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    std::fprintf(stderr, "%s%s: done in %.3f s%s\n", terminal_ ? "\r" : "", step_.c_str(), SecondsSince(start_),
                 detail.c_str());
  }

  double seconds() const { return SecondsSince(start_); }

 private:
  void Tick() {
    std::unique_lock lock(mutex_);
    while (!stop_.wait_for(lock, std::chrono::seconds(1), [&] { return done_; })) {
      std::fprintf(stderr, "\r%s... %.0f s", step_.c_str(), SecondsSince(start_));
      std::fflush(stderr);
    }
  }

  std::string step_;
  bool terminal_;
  Clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool done_ = false;
  std::thread ticker_;
};

Result<std::vector<EcdsaBaseline>> MakeBaselines(int threads, std::size_t keys) {
  std::vector<EcdsaBaseline> baselines;
  for (int i = 0; i < threads; ++i) {
    Result<EcdsaBaseline> baseline = EcdsaBaseline::Create(keys);
    if (!baseline.ok()) return baseline.error();
    baselines.push_back(std::move(*baseline));
  }
  return baselines;
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
  if (config.keys < 1 || config.keys > 1'000'000) {
    return Error(ErrorCode::kInvalidArgument, "--keys " + std::to_string(config.keys) +
                                                  " is out of range; use 1 to 1000000");
  }

  SignBenchReport report;
  tbb::task_arena arena(config.threads);
  long resident_before = ResidentSetBytes();
  Clock::time_point keygen_start = Clock::now();
  StepNotice keygen("generating " + std::to_string(config.keys) + " keys");
  Result<KeyPool> pool = arena.execute([&] { return KeyPool::Generate(config.keys); });
  char rate[64];
  std::snprintf(rate, sizeof(rate), " (%.0f keys/s)", static_cast<double>(config.keys) / keygen.seconds());
  keygen.Done(rate);
  if (!pool.ok()) return pool.error();
  report.keygen_per_second = static_cast<double>(config.keys) / SecondsSince(keygen_start);
  report.resident_bytes_per_key =
      static_cast<double>(ResidentSetBytes() - resident_before) / static_cast<double>(config.keys);

  // The rotating baseline is capped at kMaxRotatingKeys keys per thread, because that many
  // already outgrow the CPU caches and generating more would dominate short runs.
  report.rotating_keys = std::min(config.keys, kMaxRotatingKeys);
  Result<std::vector<EcdsaBaseline>> one_key = MakeBaselines(config.threads, 1);
  if (!one_key.ok()) return one_key.error();
  Result<std::vector<EcdsaBaseline>> rotating = MakeBaselines(config.threads, report.rotating_keys);
  if (!rotating.ok()) return rotating.error();

  std::string ath = AccessTokenHash("dpopfleet-bench-access-token-0123456789abcdef");
  std::vector<BatchRequest> requests(kBatchSize);
  for (BatchRequest& request : requests) {
    request.htm = "GET";
    request.htu = "https://rs.example.com/api/v1/items";
    if (config.ath) request.ath = ath;
  }
  BatchSigner signer(*pool);
  BatchOutput output;
  std::uint32_t next_key = 0;

  // Warming up signs with every key once, so that each thread's scratch buffers and signing
  // key object exist before the measurement.
  StepNotice warm_up("warming up: one proof per key");
  for (std::size_t signed_keys = 0; signed_keys < pool->size(); signed_keys += kBatchSize) {
    Result<long> warm = ProofRound(arena, signer, pool->size(), requests, &next_key, &output, 0);
    if (!warm.ok()) return warm.error();
  }
  warm_up.Done("");

  const double phase_seconds = kRoundSeconds / 3;
  PhaseTotals raw_one_key;
  PhaseTotals raw_rotating;
  PhaseTotals proofs;
  Clock::time_point start = Clock::now();
  while (SecondsSince(start) < config.seconds) {
    Status status = raw_one_key.Measure([&] { return RawRound(*one_key, phase_seconds); });
    if (status.ok() && report.rotating_keys > 1) {
      status = raw_rotating.Measure([&] { return RawRound(*rotating, phase_seconds); });
    }
    if (status.ok()) {
      status = proofs.Measure([&] {
        return ProofRound(arena, signer, pool->size(), requests, &next_key, &output,
                          phase_seconds);
      });
    }
    if (!status.ok()) return status.error();
  }

  report.raw_signs_per_second = raw_one_key.PerSecond();
  report.raw_signs_per_cpu_second = raw_one_key.PerCpuSecond();
  if (report.rotating_keys > 1) {
    report.rotating_raw_signs_per_second = raw_rotating.PerSecond();
    report.rotating_raw_signs_per_cpu_second = raw_rotating.PerCpuSecond();
  }
  report.proofs_per_second = proofs.PerSecond();
  report.proofs_per_cpu_second = proofs.PerCpuSecond();
  return report;
}

}  // namespace dpopfleet::cli
