// dpopfleet bench pool: resident bytes per key of a KeyPool, after generation and after
// every key has signed once. It measures memory claims for large fleets without a server,
// and bench/compare.sh runs it for a pool of 1,000,000 keys.

#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "bench_command.h"
#include "command.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/key_pool.h"

namespace dpopfleet::cli {
namespace {

struct PoolBenchConfig {
  std::size_t keys = 100'000;
  int threads = 1;
  bool sign = false;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// SignEachOnce signs a short message with every key of |pool|, so that state the crypto
// library builds lazily at first use (each thread's signing key object) is counted.
ErrorCode SignEachOnce(const KeyPool& pool) {
  static constexpr std::string_view kMessage = "dpopfleet bench pool";
  Es256Signature signature;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    ErrorCode code = pool.key(i).key().Sign(kMessage, &signature);
    if (code != ErrorCode::kOk) return code;
  }
  return ErrorCode::kOk;
}

int Run(const PoolBenchConfig& config) {
  if (config.keys < 1 || config.keys > 10'000'000) {
    throw UsageError("--keys " + std::to_string(config.keys) + " is out of range; use 1 to 10000000");
  }
  if (config.threads < 1 || config.threads > 1024) {
    throw UsageError("--threads " + std::to_string(config.threads) + " is out of range; use 1 to 1024");
  }

  // The baseline is taken after the arena's threads exist, so that their stacks and malloc
  // arenas are not charged to the keys.
  tbb::task_arena arena(config.threads);
  arena.execute([] {});
  long before = ResidentSetBytes();

  auto start = std::chrono::steady_clock::now();
  Result<KeyPool> pool = arena.execute([&] { return KeyPool::Generate(config.keys); });
  if (!pool.ok()) {
    std::fprintf(stderr, "error: %s\n", pool.error().ToString().c_str());
    return kExitFailure;
  }
  double keygen_seconds = SecondsSince(start);
  long generated = ResidentSetBytes();

  double keys = static_cast<double>(config.keys);
  std::printf("%-30s%s\n", "backend:", CryptoBackendName());
  std::printf("%-30s%zu in %.2f s (%.0f keys/s, %d threads)\n", "keys:", config.keys, keygen_seconds,
              keys / keygen_seconds, config.threads);
  std::printf("%-30s%ld\n", "resident bytes before:", before);
  std::printf("%-30s%ld\n", "resident bytes generated:", generated);
  std::printf("%-30s%.0f\n", "bytes per key generated:", static_cast<double>(generated - before) / keys);

  if (config.sign) {
    ErrorCode code = SignEachOnce(*pool);
    if (code != ErrorCode::kOk) {
      std::fprintf(stderr, "error: signing with a pool key failed: %s\n", ErrorCodeName(code));
      return kExitFailure;
    }
    long signed_once = ResidentSetBytes();
    std::printf("%-30s%ld\n", "resident bytes signed once:", signed_once);
    std::printf("%-30s%.0f\n", "bytes per key signed once:", static_cast<double>(signed_once - before) / keys);
  }
  return kExitOk;
}

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* command = BenchCommand(root)->add_subcommand(
      "pool", "Measure resident bytes per key of a key pool after generation (and after signing)");
  auto config = std::make_shared<PoolBenchConfig>();
  command->add_option("--keys", config->keys, "Keys to generate (1-10000000)")->capture_default_str();
  command->add_option("--threads", config->threads, "Key generation threads (1-1024)")->capture_default_str();
  command->add_flag("--sign", config->sign, "Sign once with every key and report the resident size again");

  command->callback([config, exit_code] { *exit_code = Run(*config); });
}

const CommandRegistrar kRegistrar(95, Setup);

}  // namespace
}  // namespace dpopfleet::cli
