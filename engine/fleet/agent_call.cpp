// DPoP-bound API calls made as fleet agents.

#include "dpopfleet/fleet.h"
#include "dpopfleet/url.h"
#include "fleet_runner.h"

namespace dpopfleet {

using fleet_internal::BoundedRun;
using fleet_internal::FillOutcome;

namespace {

// CallFactory builds each attempt of one agent's call with a fresh proof.
RequestFactory CallFactory(const CallConfig& config, const AgentCredential& agent, const std::string& htu,
                           const ProofBuilder& builder) {
  bool bearer = agent.key == nullptr || agent.token_type == "Bearer" || agent.token_type == "bearer";
  HttpRequest base{config.method, config.url, {}, config.body};
  base.headers.push_back({"Authorization", (bearer ? "Bearer " : "DPoP ") + agent.access_token});
  base.headers.push_back({"Accept", "application/json"});
  if (!config.body.empty()) base.headers.push_back({"Content-Type", config.content_type});
  std::string ath = bearer ? std::string() : AccessTokenHash(agent.access_token);

  return [base = std::move(base), ath = std::move(ath), key = bearer ? nullptr : agent.key, &htu,
          &builder](const AttemptContext& context) -> Result<HttpRequest> {
    HttpRequest request = base;
    if (key == nullptr) return request;

    ProofRequest proof_request{request.method, htu, ath, context.nonce, context.clock_offset_seconds};
    std::string proof;
    ErrorCode signed_ok = builder.Build(*key, proof_request, &proof);
    if (signed_ok != ErrorCode::kOk) return Error(signed_ok, "signing the DPoP proof for " + request.url + " failed");
    request.headers.push_back({"DPoP", std::move(proof)});
    return request;
  };
}

}  // namespace

std::vector<CallResult> CallAsAgents(Transport& transport, std::span<const AgentCredential> agents,
                                     const CallConfig& config) {
  std::vector<CallResult> results(agents.size());
  auto htu = NormalizeHtu(config.url);
  if (!htu.ok()) {
    for (std::size_t i = 0; i < agents.size(); ++i) {
      results[i].index = i;
      results[i].error = htu.error();
    }
    return results;
  }
  ProofBuilder builder(*config.clock);

  BoundedRun run;
  run.count = agents.size();
  run.concurrency = config.concurrency;
  run.request_options = config.request_options;
  run.request_options.nonce_scope = NonceScope::kResourceServer;
  // Naming the target lets the first attempt carry the cached nonce and clock offset
  // without the transport calling the factory, and so signing, twice.
  if (run.request_options.url_hint.empty()) run.request_options.url_hint = config.url;
  run.progress = config.progress;

  // As in MintTokens: with no nonce cached for the resource, one call goes first so that a
  // nonce challenge meets only it.
  auto origin = UrlOrigin(config.url);
  if (origin.ok() && transport.CachedNonce(*origin, NonceScope::kResourceServer).empty()) run.lead_requests = 1;
  run.make_factory = [&](std::size_t i) -> RequestFactory {
    if (agents[i].access_token.empty()) {
      return [i](const AttemptContext&) -> Result<HttpRequest> {
        return Error(ErrorCode::kInvalidArgument, "agent " + std::to_string(i) + " has no access token to call with");
      };
    }
    return CallFactory(config, agents[i], *htu, builder);
  };
  run.on_done = [&](std::size_t i, TransferResult transfer, std::chrono::milliseconds latency) {
    CallResult& result = results[i];
    FillOutcome(i, transfer, latency, &result);
    if (!transfer.response || result.error) return;
    if (transfer.response->status < 200 || transfer.response->status >= 300) {
      result.error = StatusError(*transfer.response, "API", config.url);
    }
    result.response = std::move(transfer.response);
  };

  RunBounded(transport, run);
  return results;
}

}  // namespace dpopfleet
