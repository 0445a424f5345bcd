// dpopfleet call: DPoP-bound API requests as one or many agents, minting tokens as needed.

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "call_refresh.h"
#include "call_totals.h"
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
  bool per_round = false;
};

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// CallRun is the state of one `call` invocation across its rounds. Not thread-safe.
class CallRun {
 public:
  CallRun(const CallFlags& flags, Transport& transport, const ResolvedClient& client, MintedFleet& fleet)
      : flags_(flags), transport_(transport), client_(client), fleet_(fleet), token_cause_(fleet.results.size()) {
    for (std::size_t i = 0; i < fleet_.results.size(); ++i) {
      const MintResult& minted = fleet_.results[i];
      if (minted.token) {
        cache_.Put(fleet_.keys.key(i).thumbprint(), *minted.token);
      } else if (minted.error) {
        token_cause_[i] = "mint_" + ErrorCause(minted);
      }
    }
    config_.method = flags.method;
    config_.url = flags.url;
    config_.body = flags.data;
    config_.concurrency = flags.concurrency;
    config_.request_options = RequestOptionsFor(flags.client, flags.url);
  }

  // RunRound refreshes the tokens due (from the second round on), then makes one call per
  // agent. An agent whose token request failed makes no call and fails with that cause.
  void RunRound(std::size_t round, const InterruptWatcher& interrupt) {
    SteadyClock::time_point started = SteadyClock::now();
    if (round > 0) Refresh(round);

    FleetSummary summary;
    std::vector<CallResult> results = CallFleet(transport_, fleet_, config_, &summary);
    if (interrupt.interrupted()) MarkCancelled(results, interrupt.Reason());
    for (CallResult& result : results) {
      const std::string& cause = token_cause_[result.index];
      if (!cause.empty() && cause.rfind("refresh_", 0) == 0 && result.error) {
        result.error = Error(result.error->code(), "agent " + std::to_string(result.index) +
                                                       " could not call: refreshing its token before round " +
                                                       std::to_string(round + 1) +
                                                       " failed: " + fleet_.results[result.index].error->message());
      }
      calls_.Add(result, result.response ? std::string() : cause);
      ++statuses_[StatusLabel(result, cause)];
    }
    double round_seconds = SecondsSince(started);
    calls_.AddSeconds(round_seconds);
    last_round_millis_ = static_cast<std::int64_t>(round_seconds * 1000);
    ++rounds_;

    if (flags_.per_round) {
      std::fprintf(stderr, "%s", FormatSummary(summary, "call round " + std::to_string(round + 1)).c_str());
    }
    std::vector<const AgentOutcome*> failed = FailedOutcomes(results);
    if (flags_.per_round) PrintFirstErrors(failed, kFailedAgentsShown);
    for (const AgentOutcome* outcome : failed) {
      if (first_errors_.size() == kFailedAgentsShown) break;
      first_errors_.push_back("agent " + std::to_string(outcome->index) + " failed in round " +
                              std::to_string(round + 1) + ": " + outcome->error->ToString());
    }
    if (flags_.agents == 1 && flags_.repeat == 1 && results[0].response) {
      std::printf("%s\n", results[0].response->body.c_str());
    }
  }

  // PrintSummary prints the totals of every round and refresh on stderr.
  void PrintSummary() const {
    if (refreshes_.count() > 0) {
      std::fprintf(stderr, "%s", refreshes_.Format("token refresh", "requests", "").c_str());
    } else if (flags_.repeat > 1) {
      std::fprintf(stderr, "token refresh: none needed, every token outlived the run\n");
    }
    std::string title = "call: " + std::to_string(flags_.agents) + " agents, " + std::to_string(rounds_) + " of " +
                        std::to_string(flags_.repeat) + " rounds";
    std::fprintf(stderr, "%s", calls_.Format(title, "calls", "(token refreshes included)").c_str());

    std::string counts;
    for (const auto& [status, count] : statuses_) {
      counts += (counts.empty() ? "" : ", ") + status + " " + std::to_string(count);
    }
    std::fprintf(stderr, "statuses    %s\n", counts.c_str());

    for (const std::string& error : first_errors_) std::fprintf(stderr, "%s\n", error.c_str());
    std::uint64_t failed = calls_.count() - calls_.succeeded();
    if (failed > first_errors_.size()) {
      std::fprintf(stderr, "… and %llu more failed calls\n",
                   static_cast<unsigned long long>(failed - first_errors_.size()));
    }
  }

  int ExitCode() const { return ExitCodeFor(calls_.succeeded(), calls_.count()); }

 private:
  static constexpr std::size_t kFailedAgentsShown = 5;

  // Refresh replaces the tokens due for refresh, and requests one for every agent without a
  // token, concurrently. A token that would expire within two rounds of the last round's
  // length is due too, because the cache's refresh time leaves a fifth of the lifetime, less
  // than one round when tokens live a few seconds. A failed refresh takes the agent's token
  // away for the round.
  void Refresh(std::size_t round) {
    std::int64_t horizon_millis = SystemClock().NowUnixMillis() + 2 * last_round_millis_;
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < fleet_.keys.size(); ++i) {
      std::string thumbprint = fleet_.keys.key(i).thumbprint();
      std::shared_ptr<const CachedToken> token = cache_.Peek(thumbprint);
      if (token == nullptr || token->expires_at_millis <= horizon_millis || cache_.NeedsRefresh(thumbprint)) {
        due.push_back(i);
      }
    }
    if (due.empty()) return;

    SteadyClock::time_point started = SteadyClock::now();
    std::vector<MintResult> refreshed =
        RefreshTokens(transport_, client_, flags_.client, fleet_.keys, due, flags_.concurrency);
    refreshes_.AddSeconds(SecondsSince(started));
    for (MintResult& result : refreshed) {
      refreshes_.Add(result);
      MintResult& agent = fleet_.results[result.index];
      if (result.token) {
        cache_.Put(result.thumbprint, *result.token);
        agent.token = std::move(result.token);
        agent.error.reset();
        token_cause_[result.index].clear();
      } else {
        agent.token.reset();
        agent.error = result.error;
        token_cause_[result.index] = "refresh_" + ErrorCause(result);
      }
    }
    if (flags_.per_round) {
      std::fprintf(stderr, "refreshed before round %zu: %zu tokens requested\n", round + 1, refreshed.size());
    }
  }

  // StatusLabel names the HTTP status of |result|'s final response, or why it has none.
  static std::string StatusLabel(const CallResult& result, const std::string& token_cause) {
    if (result.response) return std::to_string(result.response->status);
    return token_cause.empty() ? "no response" : "not sent";
  }

  const CallFlags& flags_;
  Transport& transport_;
  const ResolvedClient& client_;
  MintedFleet& fleet_;
  CallConfig config_;
  TokenCache cache_;

  // token_cause_ is, per agent, why it has no token ("mint_…" or "refresh_…"), or empty.
  std::vector<std::string> token_cause_;
  OutcomeTotals calls_;
  OutcomeTotals refreshes_;
  std::map<std::string, std::uint64_t> statuses_;
  std::size_t rounds_ = 0;
  std::int64_t last_round_millis_ = 0;
  std::vector<std::string> first_errors_;
};

int Run(const CallFlags& flags) {
  if (flags.agents == 0 || flags.repeat == 0) throw UsageError("--agents and --repeat must be at least 1");
  auto transport = MakeTransport(flags.client, flags.concurrency);
  auto client = ResolveClient(*transport, flags.client);
  if (!client.ok()) return ReportError(client.error());

  // The first SIGINT or SIGTERM cancels every transfer and ends the run after the current
  // step, with the summaries of what was done.
  InterruptWatcher interrupt([&transport](int) { transport->Shutdown(); });
  MintedFleet fleet = MintFleet(*transport, *client, flags.client, flags.agents, flags.concurrency);
  std::fprintf(stderr, "%s", FormatSummary(fleet.summary, "mint").c_str());

  CallRun run(flags, *transport, *client, fleet);
  for (std::size_t round = 0; round < flags.repeat && !interrupt.interrupted(); ++round) {
    run.RunRound(round, interrupt);
  }
  transport->Shutdown();

  run.PrintSummary();
  if (interrupt.interrupted()) {
    std::fprintf(stderr, "run         %s\n", interrupt.Reason().c_str());
    return interrupt.ExitCode();
  }
  return run.ExitCode();
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
  command->add_flag("--per-round", flags->per_round,
                    "Also print a summary and the first failed agents of every round (default: one summary for the run)");
  AddClientOptions(command, &flags->client);

  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(60, Setup);

}  // namespace
}  // namespace dpopfleet::cli
