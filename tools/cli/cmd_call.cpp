// dpopfleet call: DPoP-bound API requests as one or many agents, minting tokens as needed.

#include <cstdio>
#include <map>

#include "command.h"
#include "dpopfleet/token_cache.h"
#include "fleet_output.h"
#include "fleet_run.h"
#include "interrupt.h"

namespace dpopfleet::cli {
namespace {

struct CallFlags {
  ClientOptions client;
  std::string url;
  std::string method = "GET";
  std::string data;
  std::size_t agents = 1;
  std::size_t repeat = 1;
  std::size_t concurrency = 256;
};

// RefreshDueTokens replaces the tokens of agents whose cache entry is due for refresh.
// Refreshes run one after another: with tokens living an hour they are rare within a run.
void RefreshDueTokens(Transport& transport, const ResolvedClient& client, const ClientOptions& options,
                      TokenCache& cache, MintedFleet& fleet) {
  ProofBuilder builder;
  for (std::size_t i = 0; i < fleet.keys.size(); ++i) {
    const std::string& thumbprint = fleet.keys.key(i).thumbprint();
    if (!cache.NeedsRefresh(thumbprint)) continue;

    TokenRequestSpec spec;
    spec.token_endpoint = client.metadata.token_endpoint;
    spec.credentials = CredentialsOf(client);
    spec.scope = ScopeFor(options, client);
    spec.key = &fleet.keys.key(i);
    spec.builder = &builder;
    auto token = cache.Get(thumbprint, [&] { return RequestToken(transport, spec, options.allow_bearer); });
    if (!token.ok()) continue;
    MintResult& result = fleet.results[i];
    if (!result.token) result.token.emplace();
    result.token->access_token = (*token)->access_token;
    result.token->token_type = (*token)->token_type;
    result.error.reset();
  }
}

int Run(const CallFlags& flags) {
  if (flags.agents == 0 || flags.repeat == 0) throw UsageError("--agents and --repeat must be at least 1");
  auto transport = MakeTransport(flags.client, flags.concurrency);
  auto client = ResolveClient(*transport, flags.client);
  if (!client.ok()) return ReportError(client.error());

  // The first SIGINT or SIGTERM cancels every transfer and ends the run after the current
  // step, with the summaries of what was done.
  InterruptWatcher interrupt([&transport](int) { transport->Shutdown(); });
  MintedFleet fleet = MintFleet(*transport, *client, flags.client, flags.agents, flags.concurrency);
  TokenCache cache;
  for (std::size_t i = 0; i < fleet.results.size(); ++i) {
    if (fleet.results[i].token) cache.Put(fleet.keys.key(i).thumbprint(), *fleet.results[i].token);
  }
  std::fprintf(stderr, "%s", FormatSummary(fleet.summary, "mint").c_str());

  CallConfig config;
  config.method = flags.method;
  config.url = flags.url;
  config.body = flags.data;
  config.concurrency = flags.concurrency;

  std::size_t succeeded = 0;
  std::size_t total = 0;
  std::map<long, std::size_t> statuses;
  for (std::size_t round = 0; round < flags.repeat && !interrupt.interrupted(); ++round) {
    if (round > 0) RefreshDueTokens(*transport, *client, flags.client, cache, fleet);
    FleetSummary summary;
    std::vector<CallResult> results = CallFleet(*transport, fleet, config, &summary);
    if (interrupt.interrupted()) MarkCancelled(results, interrupt.Reason());
    succeeded += summary.succeeded;
    total += summary.agents;
    for (const CallResult& result : results) ++statuses[result.response ? result.response->status : 0];
    std::fprintf(stderr, "%s", FormatSummary(summary, "call round " + std::to_string(round + 1)).c_str());
    PrintFirstErrors(FailedOutcomes(results), 5);
    if (flags.agents == 1 && flags.repeat == 1 && results[0].response) {
      std::printf("%s\n", results[0].response->body.c_str());
    }
  }
  transport->Shutdown();

  std::string counts;
  for (const auto& [status, count] : statuses) {
    counts += (counts.empty() ? "" : ", ") + (status == 0 ? std::string("no response") : std::to_string(status)) +
              " " + std::to_string(count);
  }
  std::fprintf(stderr, "statuses    %s\n", counts.c_str());
  if (interrupt.interrupted()) {
    std::fprintf(stderr, "run         %s\n", interrupt.Reason().c_str());
    return interrupt.ExitCode();
  }
  return ExitCodeFor(succeeded, total);
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("call", "Make DPoP-bound API requests as N agents with fresh proofs");
  auto flags = std::make_shared<CallFlags>();
  command->add_option("--url", flags->url, "URL of the protected resource")->required()->check(HttpUrl());
  command->add_option("--method", flags->method, "HTTP method (default GET)");
  command->add_option("--data", flags->data, "Request body, sent as application/json");
  command->add_option("--agents", flags->agents, "Number of agents (1 to 1000000, default 1)")
      ->check(CLI::Range(std::size_t{1}, kMaxAgents));
  command->add_option("--repeat", flags->repeat, "Requests per agent, in rounds (1 to 100000, default 1)")
      ->check(CLI::Range(std::size_t{1}, kMaxRepeat));
  command->add_option("--concurrency", flags->concurrency, "Maximum requests in flight (1 to 100000, default 256)")
      ->check(CLI::Range(std::size_t{1}, kMaxConcurrency));
  AddClientOptions(command, &flags->client);

  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(60, Setup);

}  // namespace
}  // namespace dpopfleet::cli
