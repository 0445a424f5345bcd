// Minting and calling as a fleet, with progress and timing.

#include "fleet_run.h"

#include <chrono>
#include <stdexcept>

#include "fleet_output.h"

namespace dpopfleet::cli {

MintedFleet MintFleet(Transport& transport, const ResolvedClient& client, const ClientOptions& options,
                      std::size_t agents, std::size_t concurrency) {
  MintedFleet fleet;
  auto keygen_started = std::chrono::steady_clock::now();
  auto keys = KeyPool::Generate(agents);
  if (!keys.ok()) throw std::runtime_error("generating agent keys failed: " + keys.error().ToString());
  fleet.keys = std::move(*keys);
  fleet.keygen_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - keygen_started).count();

  MintConfig config;
  config.token_endpoint = client.metadata.token_endpoint;
  config.credentials = CredentialsOf(client);
  config.scope = ScopeFor(options, client);
  config.allow_bearer = options.allow_bearer;
  config.dpop = !options.bearer;
  config.concurrency = concurrency;

  // Keeping the decoded claims next to each token costs about 300 B per agent, and they can
  // be decoded again from the token when needed.
  config.keep_claims = false;
  config.request_options = RequestOptionsFor(options, config.token_endpoint);
  ProgressLine progress("minting");
  config.progress = progress.callback();

  auto started = std::chrono::steady_clock::now();
  fleet.results = MintTokens(transport, fleet.keys, config);
  progress.Finish();
  fleet.summary = Summarize(fleet.results, std::chrono::steady_clock::now() - started);
  return fleet;
}

std::vector<CallResult> CallFleet(Transport& transport, const MintedFleet& fleet, CallConfig config,
                                  FleetSummary* summary) {
  std::vector<AgentCredential> agents;
  agents.reserve(fleet.results.size());
  for (std::size_t i = 0; i < fleet.results.size(); ++i) {
    const MintResult& result = fleet.results[i];
    AgentCredential agent;
    agent.key = &fleet.keys.key(i);
    if (result.token) {
      agent.access_token = result.token->access_token;
      agent.token_type = result.token->token_type;
    }
    agents.push_back(std::move(agent));
  }

  ProgressLine progress("calling");
  config.progress = progress.callback();
  auto started = std::chrono::steady_clock::now();
  std::vector<CallResult> results = CallAsAgents(transport, agents, config);
  progress.Finish();

  // An agent whose token request failed is reported with that failure, the real cause.
  for (std::size_t i = 0; i < results.size(); ++i) {
    const MintResult& minted = fleet.results[i];
    if (minted.token || !minted.error || !results[i].error) continue;
    results[i].error = Error(minted.error->code(), "agent " + std::to_string(i) +
                                                       " could not call: minting its token failed: " +
                                                       minted.error->message());
  }
  *summary = Summarize(results, std::chrono::steady_clock::now() - started);
  return results;
}

}  // namespace dpopfleet::cli
