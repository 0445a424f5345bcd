// Fleet orchestration: keys for N agents, N token requests multiplexed over one Transport,
// and DPoP-bound API calls made as those agents. Every agent ends with a result record.

#ifndef DPOPFLEET_FLEET_H_
#define DPOPFLEET_FLEET_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/key_pool.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/oauth_token.h"
#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// ProgressCallback receives (finished, total) from the orchestrating thread, at most a few
// times per second and once at the end.
using ProgressCallback = std::function<void(std::size_t finished, std::size_t total)>;

// AgentOutcome is what every agent's request ends with: an error, or none for success,
// and every attempt the transport made.
struct AgentOutcome {
  std::size_t index = 0;
  std::optional<Error> error;
  std::vector<AttemptRecord> attempts;

  // latency runs from submission to the final response, retries and waits included.
  std::chrono::milliseconds latency{0};
};

// MintResult is one agent's token request outcome.
struct MintResult : AgentOutcome {
  std::string thumbprint;

  // token is the parsed token response. Its claims_json and cnf_jkt are empty when
  // MintConfig::keep_claims is false. DecodeTokenClaims(token->access_token) then returns
  // the claims with "cnf"."jkt", which for a DPoP token equals |thumbprint|.
  std::optional<TokenResponse> token;

  // expires_at_unix is when the token expires (server-reported lifetime), or 0.
  std::int64_t expires_at_unix = 0;
};

// MintConfig describes how to obtain the fleet's tokens.
struct MintConfig {
  std::string token_endpoint;
  ClientCredentials credentials;
  std::string scope;

  // dpop sends a proof with every request; false mints Bearer tokens.
  bool dpop = true;
  bool allow_bearer = false;

  // concurrency caps requests submitted and not yet finished.
  std::size_t concurrency = 256;

  // keep_claims keeps each token's decoded claims in MintResult::token->claims_json and
  // its "cnf"."jkt" in token->cnf_jkt. Measured with 100,000 agents against the reference
  // realm, the claims add about 260 bytes per agent and cnf_jkt, a copy of
  // MintResult::thumbprint, about 80 more. A caller that does not print them should turn
  // this off.
  bool keep_claims = true;

  RequestOptions request_options;
  const Clock* clock = &SystemClock();
  ProgressCallback progress;
};

// MintTokens requests one token for each key of |keys| from |first_key| on (|count| keys,
// or all remaining when |count| is kAllKeys) through |transport|. It returns one MintResult
// per key in key order, with MintResult::index the key's index in the pool. First-attempt
// proofs are signed ahead with BatchSigner, one chunk of requests at a time; retries sign
// afresh with the current nonce. It blocks, so it must not run on the loop thread.
inline constexpr std::size_t kAllKeys = static_cast<std::size_t>(-1);
std::vector<MintResult> MintTokens(Transport& transport, const KeyPool& keys, const MintConfig& config,
                                   std::size_t first_key = 0, std::size_t count = kAllKeys);

// CallResult is one agent's API call outcome.
struct CallResult : AgentOutcome {
  std::optional<HttpResponse> response;
};

// CallConfig describes the request every agent makes.
struct CallConfig {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::string content_type = "application/json";
  std::size_t concurrency = 256;

  // request_options.nonce_scope is forced to kResourceServer: a resource's nonces are its
  // own (RFC 9449 section 9).
  RequestOptions request_options;
  const Clock* clock = &SystemClock();
  ProgressCallback progress;
};

// AgentCredential is what one agent presents: its key and its current token. A "Bearer"
// token_type sends the token without a proof.
struct AgentCredential {
  const ProofKey* key = nullptr;
  std::string access_token;
  std::string token_type = "DPoP";
};

// CallAsAgents makes one request per credential, each attempt with a fresh proof carrying
// "ath" and the resource's latest nonce. A non-2xx final status is an error (kHttpStatus);
// an agent without a token fails with kInvalidArgument. It blocks like MintTokens.
std::vector<CallResult> CallAsAgents(Transport& transport, std::span<const AgentCredential> agents,
                                     const CallConfig& config);

}  // namespace dpopfleet

#endif  // DPOPFLEET_FLEET_H_
