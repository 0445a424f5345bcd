// Fleet key generation and token minting.

#include <tbb/parallel_for.h>

#include <atomic>
#include <optional>

#include "dpopfleet/fleet.h"
#include "dpopfleet/url.h"
#include "fleet_runner.h"

namespace dpopfleet {

using fleet_internal::BoundedRun;
using fleet_internal::FillOutcome;

Result<std::vector<ProofKey>> GenerateAgentKeys(std::size_t count) {
  std::vector<std::optional<ProofKey>> slots(count);
  std::atomic<bool> failed{false};
  std::optional<Error> first_error;
  std::mutex error_mutex;

  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
    if (failed.load(std::memory_order_relaxed)) return;
    auto key = P256Key::Generate();
    if (!key.ok()) {
      std::lock_guard lock(error_mutex);
      if (!first_error) first_error = key.error();
      failed = true;
      return;
    }
    slots[i].emplace(ProofKey::Create(std::move(*key)));
  });
  if (first_error) return *first_error;

  std::vector<ProofKey> keys;
  keys.reserve(count);
  for (auto& slot : slots) keys.push_back(std::move(*slot));
  return keys;
}

std::vector<MintResult> MintTokens(Transport& transport, std::span<const ProofKey> keys, const MintConfig& config) {
  std::vector<MintResult> results(keys.size());
  std::vector<std::string> presigned(keys.size());
  std::vector<std::int64_t> presigned_at(keys.size(), 0);
  ProofBuilder builder(*config.clock);
  auto htu = NormalizeHtu(config.token_endpoint);

  BoundedRun run;
  run.count = keys.size();
  run.concurrency = config.concurrency;
  run.chunk_size = std::max<std::size_t>(config.concurrency, 64);
  run.request_options = config.request_options;
  run.request_options.nonce_scope = NonceScope::kAuthorizationServer;
  run.progress = config.progress;

  // Signing a chunk's first proofs on all cores keeps the loop thread free for I/O. The
  // first attempt carries the nonce known at signing time, so retries for a fresh nonce
  // stay rare. A proof that fails to sign here is simply signed again per attempt.
  auto origin = UrlOrigin(config.token_endpoint);
  std::string nonce;
  std::int64_t clock_offset = 0;
  run.prepare_chunk = [&](std::size_t begin, std::size_t end) {
    if (!config.dpop || !htu.ok() || !origin.ok()) return;
    nonce = transport.CachedNonce(*origin, NonceScope::kAuthorizationServer);
    clock_offset = transport.ClockOffsetSeconds(*origin);
    tbb::parallel_for(begin, end, [&](std::size_t i) {
      ProofRequest request{"POST", *htu, {}, nonce, clock_offset};
      if (builder.Build(keys[i], request, &presigned[i]) == ErrorCode::kOk) {
        presigned_at[i] = config.clock->NowUnixMillis();
      } else {
        presigned[i].clear();
      }
    });
  };

  run.make_factory = [&](std::size_t i) {
    TokenRequestSpec spec;
    spec.token_endpoint = config.token_endpoint;
    spec.credentials = config.credentials;
    spec.scope = config.scope;
    spec.key = config.dpop ? &keys[i] : nullptr;
    spec.builder = &builder;
    spec.presigned_proof = std::move(presigned[i]);
    spec.presigned_nonce = nonce;
    spec.presigned_at_millis = presigned_at[i];
    spec.clock = config.clock;
    return MakeTokenRequestFactory(std::move(spec));
  };

  run.on_done = [&](std::size_t i, TransferResult transfer, std::chrono::milliseconds latency) {
    MintResult& result = results[i];
    FillOutcome(i, transfer, latency, &result);
    result.thumbprint = keys[i].thumbprint();
    if (!transfer.response || result.error) return;

    TokenExpectations expected{config.dpop ? std::string_view(keys[i].thumbprint()) : std::string_view(),
                               config.allow_bearer};
    auto token = ParseTokenResponse(*transfer.response, expected, config.token_endpoint);
    if (!token.ok()) {
      result.error = token.error();
      return;
    }
    if (token->expires_in > 0) result.expires_at_unix = config.clock->NowUnixSeconds() + token->expires_in;
    result.token = std::move(*token);
  };

  RunBounded(transport, run);
  return results;
}

}  // namespace dpopfleet
