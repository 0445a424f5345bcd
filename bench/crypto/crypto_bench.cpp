// Benchmarks of the crypto primitives and their library baselines.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dpopfleet/base64url.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/crypto_baseline.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {
namespace {

// BM_LibraryEcdsaSign signs with |keys| keys in turn; BM_ProofBuild is comparable with one
// key, BM_BatchSign with 1000.
void BM_LibraryEcdsaSign(benchmark::State& state) {
  Result<EcdsaBaseline> baseline = EcdsaBaseline::Create(static_cast<std::size_t>(state.range(0)));
  if (!baseline.ok()) return state.SkipWithError(baseline.error().ToString().c_str());
  Sha256Digest digest = Sha256("benchmark message");
  for (auto _ : state) {
    if (baseline->SignDigest(digest) != ErrorCode::kOk) return state.SkipWithError("sign failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(CryptoBackendName());
}
BENCHMARK(BM_LibraryEcdsaSign)->ArgName("keys")->Arg(1)->Arg(1000);

void BM_LibraryKeygen(benchmark::State& state) {
  Result<EcdsaBaseline> baseline = EcdsaBaseline::Create();
  if (!baseline.ok()) return state.SkipWithError(baseline.error().ToString().c_str());
  for (auto _ : state) {
    if (baseline->GenerateKey() != ErrorCode::kOk) return state.SkipWithError("keygen failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LibraryKeygen);

void BM_Keygen(benchmark::State& state) {
  for (auto _ : state) {
    Result<P256Key> key = P256Key::Generate();
    if (!key.ok()) return state.SkipWithError(key.error().ToString().c_str());
    benchmark::DoNotOptimize(key->public_key());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Keygen);

void BM_KeySign(benchmark::State& state) {
  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) return state.SkipWithError(key.error().ToString().c_str());
  std::string message(state.range(0), 'm');
  Es256Signature signature;
  for (auto _ : state) {
    if (key->Sign(message, &signature) != ErrorCode::kOk) return state.SkipWithError("sign failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeySign)->Arg(32)->Arg(400);

void BM_Sha256(benchmark::State& state) {
  std::string message(state.range(0), 'm');
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(message));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(400);

void BM_Thumbprint(benchmark::State& state) {
  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) return state.SkipWithError(key.error().ToString().c_str());
  for (auto _ : state) benchmark::DoNotOptimize(JwkThumbprint(key->public_key()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Thumbprint);

void BM_Base64UrlEncode(benchmark::State& state) {
  std::vector<std::uint8_t> data(state.range(0), 0xa5);
  std::string out(Base64UrlEncodedSize(data.size()), '\0');
  for (auto _ : state) benchmark::DoNotOptimize(Base64UrlEncode(data, out.data()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Base64UrlEncode)->Arg(64)->Arg(400);

void BM_Base64UrlDecode(benchmark::State& state) {
  std::vector<std::uint8_t> data(state.range(0), 0xa5);
  std::string text = Base64UrlEncode(data);
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    if (Base64UrlDecode(text, &out) != ErrorCode::kOk) return state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Base64UrlDecode)->Arg(64)->Arg(400);

}  // namespace
}  // namespace dpopfleet
