// The mint and call steps shared by `mint`, `call` and `demo`.

#ifndef DPOPFLEET_TOOLS_CLI_FLEET_RUN_H_
#define DPOPFLEET_TOOLS_CLI_FLEET_RUN_H_

#include <string>
#include <vector>

#include "dpopfleet/fleet.h"
#include "dpopfleet/fleet_summary.h"
#include "fleet_client.h"

namespace dpopfleet::cli {

// MintedFleet is a fleet's keys and token results.
struct MintedFleet {
  KeyPool keys = KeyPool::FromKeys({});
  std::vector<MintResult> results;
  FleetSummary summary;
  double keygen_seconds = 0;
};

// MintFleet generates |agents| keys and mints a token for each through |transport| as
// |client|, drawing a progress line on a terminal. Key generation failure throws
// std::runtime_error.
MintedFleet MintFleet(Transport& transport, const ResolvedClient& client, const ClientOptions& options,
                      std::size_t agents, std::size_t concurrency);

// CallFleet makes one request per agent of |fleet| that has a token, as |config| describes,
// and summarises it.
std::vector<CallResult> CallFleet(Transport& transport, const MintedFleet& fleet, CallConfig config,
                                  FleetSummary* summary);

// FailedOutcomes returns the outcomes in |results| that have an error.
template <typename Result>
std::vector<const AgentOutcome*> FailedOutcomes(const std::vector<Result>& results) {
  std::vector<const AgentOutcome*> failed;
  for (const Result& result : results) {
    if (result.error) failed.push_back(&result);
  }
  return failed;
}

// MarkCancelled gives every agent of |results| that the transport cancelled the error
// |reason| (such as "cancelled by SIGINT"), so its record states why it has no result.
template <typename Result>
void MarkCancelled(std::vector<Result>& results, const std::string& reason) {
  for (Result& result : results) {
    if (result.error && result.error->code() == ErrorCode::kCancelled) {
      result.error = Error(ErrorCode::kCancelled, reason);
    }
  }
}

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_FLEET_RUN_H_
