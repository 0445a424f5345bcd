// Fresh key + proof against the crypto library's own key generation + sign, measured in one
// process so that their ratio is meaningful. An agent that rotates its key for every token
// pays both costs, and dpopfleet's share on top of the library should stay small.

#include <benchmark/benchmark.h>

#include <string>

#include "dpopfleet/crypto.h"
#include "dpopfleet/crypto_baseline.h"
#include "dpopfleet/dpop_proof.h"

namespace dpopfleet {
namespace {

// BM_LibraryKeygenSign generates a key and signs one precomputed digest with the library's
// fastest calls, discarding both: the measured form of 1 / (1/keygen + 1/sign).
void BM_LibraryKeygenSign(benchmark::State& state) {
  Result<EcdsaBaseline> keygen = EcdsaBaseline::Create();
  if (!keygen.ok()) return state.SkipWithError(keygen.error().ToString().c_str());
  Result<EcdsaBaseline> signer = EcdsaBaseline::Create();
  if (!signer.ok()) return state.SkipWithError(signer.error().ToString().c_str());
  Sha256Digest digest = Sha256("benchmark message");

  for (auto _ : state) {
    if (keygen->GenerateKey() != ErrorCode::kOk) return state.SkipWithError("keygen failed");
    if (signer->SignDigest(digest) != ErrorCode::kOk) return state.SkipWithError("sign failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(CryptoBackendName());
}
BENCHMARK(BM_LibraryKeygenSign);

// BM_FreshKeyProof generates a P256Key, derives its ProofKey (public JWK header and
// thumbprint) and builds one proof with it.
void BM_FreshKeyProof(benchmark::State& state) {
  ProofBuilder builder;
  ProofRequest request;
  request.htm = "POST";
  request.htu = "https://127.0.0.1:8443/realms/default/token";
  std::string proof;

  for (auto _ : state) {
    Result<P256Key> key = P256Key::Generate();
    if (!key.ok()) return state.SkipWithError(key.error().ToString().c_str());
    ProofKey proof_key = ProofKey::Create(std::move(*key));
    if (builder.Build(proof_key, request, &proof) != ErrorCode::kOk) return state.SkipWithError("build failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(CryptoBackendName());
}
BENCHMARK(BM_FreshKeyProof);

}  // namespace
}  // namespace dpopfleet
