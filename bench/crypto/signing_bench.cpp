// Benchmarks of proof building and batch signing, and of the key pool's resident size.

#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <vector>

#include "dpopfleet/batch_signer.h"
#include "dpopfleet/dpop_proof.h"

namespace dpopfleet {
namespace {

constexpr const char* kHtu = "https://rs.example.com/api/v1/items";

void BM_ProofBuild(benchmark::State& state) {
  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) return state.SkipWithError(key.error().ToString().c_str());
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  ProofBuilder builder;
  std::string ath = AccessTokenHash("an-access-token-of-typical-length-0123456789");
  ProofRequest request;
  request.htm = "GET";
  request.htu = kHtu;
  if (state.range(0) != 0) request.ath = ath;

  std::string proof;
  for (auto _ : state) {
    if (builder.Build(proof_key, request, &proof) != ErrorCode::kOk) {
      return state.SkipWithError("build failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "with ath" : "without ath");
}
BENCHMARK(BM_ProofBuild)->Arg(0)->Arg(1);

// BM_BatchSign signs batches of 256 proofs with ath over a pool of 1000 keys, each used in
// turn, on |threads| threads.
void BM_BatchSign(benchmark::State& state) {
  int threads = static_cast<int>(state.range(0));
  tbb::task_arena arena(threads);
  Result<KeyPool> pool = arena.execute([] { return KeyPool::Generate(1000); });
  if (!pool.ok()) return state.SkipWithError(pool.error().ToString().c_str());
  BatchSigner signer(*pool);

  std::string ath = AccessTokenHash("an-access-token-of-typical-length-0123456789");
  std::vector<BatchRequest> requests(256);
  for (BatchRequest& request : requests) {
    request.htm = "GET";
    request.htu = kHtu;
    request.ath = ath;
  }

  // Each batch moves on to the next 256 keys, so all 1000 keys take turns.
  std::uint32_t next_key = 0;
  BatchOutput output;
  auto sign_next_batch = [&] {
    for (BatchRequest& request : requests) {
      request.key_index = next_key;
      next_key = (next_key + 1) % static_cast<std::uint32_t>(pool->size());
    }
    return arena.execute([&] { return signer.Sign(requests, &output); });
  };

  // Warming up creates every thread's scratch state and signing key.
  for (std::size_t signed_keys = 0; signed_keys < pool->size(); signed_keys += requests.size()) {
    (void)sign_next_batch();
  }

  for (auto _ : state) {
    if (sign_next_batch() != ErrorCode::kOk) return state.SkipWithError("batch failed");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(requests.size()));
}
// Wall-clock rates show scaling on an idle machine. Rates per process CPU second stay
// comparable when other work shares the cores.
BENCHMARK(BM_BatchSign)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_BatchSign)->ArgName("threads")->Arg(1)->Arg(2)->MeasureProcessCPUTime();

// BM_KeyPoolResident reports the resident set growth per pool entry, before and after each
// key has signed once. Keys keep no per-key signing state, so the two should match.
void BM_KeyPoolResident(benchmark::State& state) {
  const std::size_t count = static_cast<std::size_t>(state.range(0));
  double generated_bytes = 0;
  double signed_bytes = 0;
  for (auto _ : state) {
    long before = ResidentSetBytes();
    Result<KeyPool> pool = KeyPool::Generate(count);
    if (!pool.ok()) return state.SkipWithError(pool.error().ToString().c_str());
    long after_generate = ResidentSetBytes();
    Es256Signature signature;
    for (std::size_t i = 0; i < count; ++i) (void)pool->key(i).key().Sign("m", &signature);
    long after_sign = ResidentSetBytes();
    generated_bytes = static_cast<double>(after_generate - before) / count;
    signed_bytes = static_cast<double>(after_sign - before) / count;
  }
  state.counters["bytes_per_key"] = generated_bytes;
  state.counters["bytes_per_key_signed"] = signed_bytes;
}
BENCHMARK(BM_KeyPoolResident)->Arg(20000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dpopfleet
