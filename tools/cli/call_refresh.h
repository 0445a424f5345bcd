// Token refreshes between the rounds of `dpopfleet call --repeat`.

#ifndef DPOPFLEET_TOOLS_CLI_CALL_REFRESH_H_
#define DPOPFLEET_TOOLS_CLI_CALL_REFRESH_H_

#include <cstddef>
#include <vector>

#include "dpopfleet/fleet.h"
#include "fleet_client.h"

namespace dpopfleet::cli {

// RefreshTokens requests a new token for each agent index in |agents| (keys from |keys|)
// through |transport| as |client|, with up to |concurrency| requests unfinished at once.
// It returns one MintResult per entry of |agents|, in the same order, with
// MintResult::index the agent's index. Every request ends with a token or an error, and
// after the transport shuts down the remaining agents fail with kCancelled. Proofs are
// signed on the transport's loop thread when each attempt is built. It blocks, so it must
// not run on the loop thread.
std::vector<MintResult> RefreshTokens(Transport& transport, const ResolvedClient& client, const ClientOptions& options,
                                      const KeyPool& keys, const std::vector<std::size_t>& agents,
                                      std::size_t concurrency);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_CALL_REFRESH_H_
