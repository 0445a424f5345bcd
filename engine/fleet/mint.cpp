// Fleet token minting.

#include <algorithm>

#include "dpopfleet/batch_signer.h"
#include "dpopfleet/fleet.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/url.h"
#include "fleet_runner.h"

namespace dpopfleet {

using fleet_internal::BoundedRun;
using fleet_internal::FillOutcome;

std::vector<MintResult> MintTokens(Transport& transport, const KeyPool& keys, const MintConfig& config,
                                   std::size_t first_key, std::size_t count) {
  first_key = std::min(first_key, keys.size());
  count = std::min(count, keys.size() - first_key);
  std::vector<MintResult> results(count);
  // The current chunk's presigned proofs, request i at i - presigned_begin. Only one chunk
  // is kept: RunBounded makes a chunk's factories right after preparing it.
  std::vector<std::string> presigned;
  std::size_t presigned_begin = 0;
  std::int64_t presigned_at = 0;
  ProofBuilder builder(*config.clock);
  BatchSigner signer(keys, *config.clock);
  auto htu = NormalizeHtu(config.token_endpoint);
  auto origin = UrlOrigin(config.token_endpoint);
  std::string nonce;

  BoundedRun run;
  run.count = count;
  run.concurrency = config.concurrency;
  run.chunk_size = std::max<std::size_t>(config.concurrency, 64);
  run.request_options = config.request_options;
  run.request_options.nonce_scope = NonceScope::kAuthorizationServer;
  // Naming the target lets the first attempt carry the cached nonce and clock offset
  // without the transport calling the factory, and so signing, twice.
  if (run.request_options.url_hint.empty()) run.request_options.url_hint = config.token_endpoint;
  run.progress = config.progress;

  // Without a cached nonce, one request goes first: a server that requires nonces then
  // challenges only it instead of every request of the first chunk.
  if (config.dpop && origin.ok() && transport.CachedNonce(*origin, NonceScope::kAuthorizationServer).empty()) {
    run.lead_requests = 1;
  }

  // Signing a chunk's first proofs on all cores keeps the loop thread free for I/O. They
  // carry the nonce cached when the chunk is signed, so nonce retries stay rare. A proof
  // that fails here is signed again by the factory.
  run.prepare_chunk = [&](std::size_t begin, std::size_t end) {
    presigned.clear();
    presigned_begin = begin;
    if (!config.dpop || !htu.ok() || !origin.ok()) return;
    nonce = transport.CachedNonce(*origin, NonceScope::kAuthorizationServer);
    std::int64_t clock_offset = transport.ClockOffsetSeconds(*origin);
    std::vector<BatchRequest> requests(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      requests[i - begin] = BatchRequest{static_cast<std::uint32_t>(first_key + i), "POST", *htu, {}, nonce, clock_offset};
    }
    BatchOutput output;
    (void)signer.Sign(requests, &output);
    presigned_at = config.clock->NowUnixMillis();
    presigned.resize(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      if (output.status(i - begin) == ErrorCode::kOk) presigned[i - begin] = std::string(output.proof(i - begin));
    }
  };

  run.make_factory = [&](std::size_t i) {
    TokenRequestSpec spec;
    spec.token_endpoint = config.token_endpoint;
    spec.credentials = config.credentials;
    spec.scope = config.scope;
    spec.key = config.dpop ? &keys.key(first_key + i) : nullptr;
    spec.builder = &builder;
    if (i >= presigned_begin && i - presigned_begin < presigned.size()) {
      spec.presigned_proof = std::move(presigned[i - presigned_begin]);
      spec.presigned_nonce = nonce;
      spec.presigned_at_millis = spec.presigned_proof.empty() ? 0 : presigned_at;
    }
    spec.clock = config.clock;
    return MakeTokenRequestFactory(std::move(spec));
  };

  run.on_done = [&](std::size_t i, TransferResult transfer, std::chrono::milliseconds latency) {
    MintResult& result = results[i];
    const ProofKey& key = keys.key(first_key + i);
    FillOutcome(first_key + i, transfer, latency, &result);
    // Computed here rather than through key.thumbprint(), which would also keep a copy in
    // the key for the rest of the fleet's life.
    result.thumbprint = JwkThumbprint(key.key().public_key());
    if (!transfer.response || result.error) return;

    TokenExpectations expected{config.dpop ? std::string_view(result.thumbprint) : std::string_view(),
                               config.allow_bearer};
    auto token = ParseTokenResponse(*transfer.response, expected, config.token_endpoint);
    if (!token.ok()) {
      result.error = token.error();
      return;
    }
    if (token->expires_in > 0) result.expires_at_unix = config.clock->NowUnixSeconds() + token->expires_in;
    // Swapping frees the buffer, which assigning an empty string would keep. cnf_jkt goes
    // with the claims it was read from. With a proof, ParseTokenResponse has checked that it
    // equals result.thumbprint, so keeping it would store a second copy per agent.
    if (!config.keep_claims) {
      std::string().swap(token->claims_json);
      std::string().swap(token->cnf_jkt);
    }
    result.token = std::move(*token);
  };

  RunBounded(transport, run);
  return results;
}

}  // namespace dpopfleet
