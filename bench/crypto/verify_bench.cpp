// Benchmarks of the server's verification path: ES256 verification, public key checks and
// whole DPoP proofs, as the realm runs them once per token request.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/dpop_verify.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {
namespace {

constexpr std::string_view kHtu = "https://127.0.0.1:8443/realms/default/token";

// VerifyFixture contains |count| keys, each with one signature over the same message, so a run
// with many keys verifies under a new public key each time, as a server does.
struct VerifyFixture {
  explicit VerifyFixture(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      Result<P256Key> key = P256Key::Generate();
      if (!key.ok() || key->Sign(message, &signatures.emplace_back()) != ErrorCode::kOk) return;
      keys.push_back(key->public_key());
    }
    ok = keys.size() == count;
  }

  std::string message = "benchmark message over which each key signs once";
  std::vector<P256PublicKey> keys;
  std::vector<Es256Signature> signatures;
  bool ok = false;
};

void BM_VerifyEs256(benchmark::State& state) {
  VerifyFixture fixture(static_cast<std::size_t>(state.range(0)));
  if (!fixture.ok) return state.SkipWithError("key generation failed");
  auto message = std::span(reinterpret_cast<const std::uint8_t*>(fixture.message.data()), fixture.message.size());
  std::size_t i = 0;
  for (auto _ : state) {
    if (VerifyEs256(fixture.keys[i], message, fixture.signatures[i]) != ErrorCode::kOk) {
      return state.SkipWithError("verification failed");
    }
    i = (i + 1) % fixture.keys.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(CryptoBackendName());
}
BENCHMARK(BM_VerifyEs256)->ArgName("keys")->Arg(1)->Arg(1000);

void BM_CheckPublicKey(benchmark::State& state) {
  VerifyFixture fixture(1000);
  if (!fixture.ok) return state.SkipWithError("key generation failed");
  std::size_t i = 0;
  for (auto _ : state) {
    if (CheckP256PublicKey(fixture.keys[i]) != ErrorCode::kOk) return state.SkipWithError("check failed");
    i = (i + 1) % fixture.keys.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckPublicKey);

// BM_VerifyProof verifies token request proofs of 1000 keys, with a nonce, as the realm's
// token endpoint does before its replay check.
void BM_VerifyProof(benchmark::State& state) {
  FakeClock clock;
  ProofBuilder builder(clock);
  std::vector<std::string> proofs;
  for (int i = 0; i < 1000; ++i) {
    Result<P256Key> key = P256Key::Generate();
    if (!key.ok()) return state.SkipWithError("key generation failed");
    ProofKey proof_key = ProofKey::Create(std::move(*key));
    ProofRequest request{"POST", kHtu, {}, "nonce-value-1234567890", 0};
    if (builder.Build(proof_key, request, &proofs.emplace_back()) != ErrorCode::kOk) {
      return state.SkipWithError("proof failed");
    }
  }
  std::string_view nonces[] = {"nonce-value-1234567890"};
  ProofExpectations expected;
  expected.htm = "POST";
  expected.htu = kHtu;
  expected.now_unix_seconds = clock.NowUnixSeconds();
  expected.accepted_nonces = nonces;

  std::size_t i = 0;
  for (auto _ : state) {
    Result<VerifiedProof> verified = VerifyProof(proofs[i], expected);
    if (!verified.ok()) return state.SkipWithError(verified.error().ToString().c_str());
    benchmark::DoNotOptimize(verified->thumbprint);
    i = (i + 1) % proofs.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyProof);

}  // namespace
}  // namespace dpopfleet
