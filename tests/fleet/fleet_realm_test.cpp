// The OAuth clients and fleet orchestration against the reference realm over TLS:
// discovery, registration, nonces, Bearer mode, introspection and revocation.

#include <set>

#include <gtest/gtest.h>

#include "dpopfleet/fleet_summary.h"
#include "dpopfleet/oauth_discovery.h"
#include "dpopfleet/oauth_introspection.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/oauth_registration.h"
#include "realm_fixture.h"

namespace dpopfleet {
namespace {

using testing::Keys;
using testing::MakeTransport;
using testing::MintConfigFor;
using testing::StartRealm;

std::vector<AgentCredential> CredentialsFor(const KeyPool& keys, const std::vector<MintResult>& minted) {
  std::vector<AgentCredential> agents;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    AgentCredential agent;
    agent.key = &keys.key(i);
    if (minted[i].token) {
      agent.access_token = minted[i].token->access_token;
      agent.token_type = minted[i].token->token_type;
    }
    agents.push_back(agent);
  }
  return agents;
}

CallConfig WhoamiCall(const Realm& realm) {
  CallConfig call;
  call.url = JoinUrl(realm.issuer(), "v1/whoami");
  return call;
}

TEST(RealmDiscovery, ReadsEndpointsAndChecksIssuer) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);

  auto metadata = Discover(*transport, realm->issuer());
  ASSERT_TRUE(metadata.ok()) << metadata.error().ToString();
  EXPECT_EQ(metadata->issuer, realm->issuer());
  EXPECT_EQ(metadata->token_endpoint, realm->issuer() + "/token");
  EXPECT_FALSE(metadata->introspection_endpoint.empty());
  EXPECT_FALSE(metadata->revocation_endpoint.empty());

  auto missing = Discover(*transport, realm->base_url() + "/realms/missing");
  ASSERT_FALSE(missing.ok());
}

TEST(RealmRegistration, WrongCodeThenRightCode) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  RegistrationClient registration(*transport, realm->issuer());

  auto enrollment = registration.Request({"owner@test.invalid", "fleet", "test fleet", {"agent"}});
  ASSERT_TRUE(enrollment.ok()) << enrollment.error().ToString();
  EXPECT_EQ(enrollment->enrollment_id.rfind("enroll_", 0), 0u);
  auto pending = registration.FetchStatus(*enrollment);
  ASSERT_TRUE(pending.ok()) << pending.error().ToString();
  EXPECT_EQ(pending->status, "pending");
  EXPECT_EQ(pending->retry_after.count(), 5);

  // A poll that would have to wait past the timeout returns the pending status at once.
  auto still_pending = registration.WaitWhilePending(*enrollment, std::chrono::seconds(1));
  ASSERT_TRUE(still_pending.ok());
  EXPECT_EQ(still_pending->status, "pending");

  auto code = realm->LatestVerificationCode("owner@test.invalid");
  ASSERT_TRUE(code.has_value());
  std::string wrong = *code == "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA";
  auto rejected = registration.Confirm(*enrollment, wrong);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code(), ErrorCode::kHttpStatus);
  EXPECT_EQ(rejected.error().message().find(*code), std::string::npos);

  auto client = registration.Confirm(*enrollment, *code);
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  EXPECT_EQ(client->client_id.rfind("cli_", 0), 0u);
  EXPECT_EQ(client->client_secret.rfind("sec_", 0), 0u);
  EXPECT_EQ(client->token_endpoint, realm->issuer() + "/token");
  auto confirmed = registration.WaitWhilePending(*enrollment, std::chrono::seconds(30));
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().ToString();
  EXPECT_EQ(confirmed->status, "confirmed");
  EXPECT_EQ(confirmed->retry_after.count(), 0);

  // The new client can mint at once.
  KeyPool keys = Keys(1);
  MintConfig config = MintConfigFor(*realm);
  config.credentials = {client->client_id, client->client_secret};
  std::vector<MintResult> minted = MintTokens(*transport, keys, config);
  ASSERT_TRUE(minted[0].token) << minted[0].error->ToString();
  EXPECT_EQ(minted[0].token->cnf_jkt, keys.key(0).thumbprint());
}

TEST(RealmMint, KeepClaimsChoosesStoredClaims) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  KeyPool keys = Keys(2);
  MintConfig config = MintConfigFor(*realm);

  std::vector<MintResult> with_claims = MintTokens(*transport, keys, config);
  ASSERT_TRUE(with_claims[0].token) << with_claims[0].error->ToString();
  EXPECT_EQ(with_claims[0].token->claims_json,
            DecodeTokenClaims(with_claims[0].token->access_token));
  EXPECT_FALSE(with_claims[0].token->claims_json.empty());

  config.keep_claims = false;
  std::vector<MintResult> dropped = MintTokens(*transport, keys, config);
  ASSERT_TRUE(dropped[1].token) << dropped[1].error->ToString();
  EXPECT_TRUE(dropped[1].token->claims_json.empty());

  // cnf_jkt is dropped with the claims. The token still carries it, and it names the same
  // key as the record's thumbprint.
  EXPECT_TRUE(dropped[1].token->cnf_jkt.empty());
  EXPECT_EQ(dropped[1].thumbprint, keys.key(1).thumbprint());
  auto claims = JsonFields::Parse(DecodeTokenClaims(dropped[1].token->access_token), "claims");
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  auto cnf = claims->Object("cnf");
  ASSERT_TRUE(cnf.has_value());
  EXPECT_EQ(cnf->String("jkt").value_or(""), keys.key(1).thumbprint());
}

TEST(RealmMint, TokensAreBoundAndDistinct) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  KeyPool keys = Keys(200);

  std::vector<MintResult> minted = MintTokens(*transport, keys, MintConfigFor(*realm));
  std::set<std::string> tokens;
  for (std::size_t i = 0; i < minted.size(); ++i) {
    ASSERT_TRUE(minted[i].token) << "agent " << i << ": " << minted[i].error->ToString();
    EXPECT_EQ(minted[i].index, i);
    EXPECT_EQ(minted[i].token->token_type, "DPoP");
    EXPECT_EQ(minted[i].token->cnf_jkt, keys.key(i).thumbprint());
    EXPECT_EQ(minted[i].attempts.size(), 1u);
    EXPECT_GT(minted[i].expires_at_unix, 0);
    tokens.insert(minted[i].token->access_token);
  }
  EXPECT_EQ(tokens.size(), keys.size());
  EXPECT_EQ(realm->counters().dpop_tokens_issued, keys.size());

  std::vector<AgentCredential> agents = CredentialsFor(keys, minted);
  std::vector<CallResult> calls = CallAsAgents(*transport, agents, WhoamiCall(*realm));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    ASSERT_FALSE(calls[i].error) << "agent " << i << ": " << calls[i].error->ToString();
    auto body = JsonFields::Parse(calls[i].response->body, "whoami");
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(body->String("sub").value_or(""), testing::kClientId);
    EXPECT_EQ(body->Object("cnf")->String("jkt").value_or(""), keys.key(i).thumbprint());
  }
}

TEST(RealmMint, WrongSecretFailsEveryAgent) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  KeyPool keys = Keys(3);
  MintConfig config = MintConfigFor(*realm);
  config.credentials.client_secret = "sec_wrong";

  std::vector<MintResult> minted = MintTokens(*transport, keys, config);
  FleetSummary summary = Summarize(minted, std::chrono::seconds(1));
  EXPECT_EQ(summary.failed, 3u);
  EXPECT_EQ(summary.errors_by_cause["http_status_401"], 3u);
  EXPECT_EQ(minted[0].error->message().find("sec_wrong"), std::string::npos);
}

TEST(RealmMint, BearerModeWithoutProof) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  KeyPool keys = Keys(2);
  MintConfig config = MintConfigFor(*realm);
  config.credentials = {"cli_bearer", "sec_bearer_secret"};
  config.dpop = false;

  std::vector<MintResult> minted = MintTokens(*transport, keys, config);
  ASSERT_TRUE(minted[0].token) << minted[0].error->ToString();
  EXPECT_EQ(minted[0].token->token_type, "Bearer");
  EXPECT_TRUE(minted[0].token->cnf_jkt.empty());

  // The DPoP-requiring client gets no token without a proof.
  config.credentials = {testing::kClientId, testing::kClientSecret};
  std::vector<MintResult> refused = MintTokens(*transport, keys, config);
  ASSERT_TRUE(refused[0].error.has_value());
  EXPECT_EQ(refused[0].error->code(), ErrorCode::kHttpStatus);
}

TEST(RealmNonce, ChallengeOnceThenReuse) {
  RealmOptions options;
  options.require_nonce = true;
  auto realm = StartRealm(options);
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  KeyPool keys = Keys(41);
  MintConfig config = MintConfigFor(*realm);
  config.request_options.url_hint = config.token_endpoint;

  // The first agent meets the challenge and retries with the nonce.
  std::vector<MintResult> first = MintTokens(*transport, keys, config, 0, 1);
  ASSERT_TRUE(first[0].token) << first[0].error->ToString();
  ASSERT_EQ(first[0].attempts.size(), 2u);
  EXPECT_EQ(RetryCause(first[0].attempts[0]), "use_dpop_nonce");
  EXPECT_EQ(realm->counters().nonce_challenges, 1u);

  // Later agents sign with the cached nonce and need no extra round trip.
  std::vector<MintResult> rest = MintTokens(*transport, keys, config, 1);
  for (const MintResult& result : rest) {
    ASSERT_TRUE(result.token) << result.error->ToString();
    EXPECT_EQ(result.attempts.size(), 1u);
  }
  EXPECT_EQ(realm->counters().nonce_challenges, 1u);

  // The resource has nonces of its own; calls retry once per challenge and succeed.
  std::vector<MintResult> minted = first;
  minted.insert(minted.end(), rest.begin(), rest.end());
  std::vector<AgentCredential> agents = CredentialsFor(keys, minted);
  CallConfig call = WhoamiCall(*realm);
  call.request_options.url_hint = call.url;
  std::vector<CallResult> calls = CallAsAgents(*transport, std::span(agents).first(1), call);
  ASSERT_FALSE(calls[0].error) << calls[0].error->ToString();
  std::vector<CallResult> more = CallAsAgents(*transport, std::span(agents).subspan(1), call);
  for (const CallResult& result : more) {
    ASSERT_FALSE(result.error) << result.error->ToString();
    EXPECT_EQ(result.attempts.size(), 1u);
  }
}

TEST(RealmNonce, FleetMeetsOneChallenge) {
  RealmOptions options;
  options.require_nonce = true;
  auto realm = StartRealm(options);
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  KeyPool keys = Keys(300);

  std::vector<MintResult> minted = MintTokens(*transport, keys, MintConfigFor(*realm));
  for (std::size_t i = 0; i < minted.size(); ++i) {
    ASSERT_TRUE(minted[i].token) << "agent " << i << ": " << minted[i].error->ToString();
    EXPECT_EQ(minted[i].attempts.size(), i == 0 ? 2u : 1u) << "agent " << i;
  }
  EXPECT_EQ(realm->counters().nonce_challenges, 1u);

  std::vector<AgentCredential> agents = CredentialsFor(keys, minted);
  std::vector<CallResult> calls = CallAsAgents(*transport, agents, WhoamiCall(*realm));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    ASSERT_FALSE(calls[i].error) << "agent " << i << ": " << calls[i].error->ToString();
    EXPECT_EQ(calls[i].attempts.size(), i == 0 ? 2u : 1u) << "agent " << i;
  }
  EXPECT_EQ(realm->counters().nonce_challenges, 2u);
}

TEST(RealmRevocation, RevokedTokenIsRefused) {
  auto realm = StartRealm();
  ASSERT_NE(realm, nullptr);
  auto transport = MakeTransport(*realm);
  auto metadata = Discover(*transport, realm->issuer());
  ASSERT_TRUE(metadata.ok()) << metadata.error().ToString();
  KeyPool keys = Keys(1);
  std::vector<MintResult> minted = MintTokens(*transport, keys, MintConfigFor(*realm));
  ASSERT_TRUE(minted[0].token);
  const std::string& token = minted[0].token->access_token;
  ClientCredentials credentials{testing::kClientId, testing::kClientSecret};

  auto active = Introspect(*transport, metadata->introspection_endpoint, credentials, token);
  ASSERT_TRUE(active.ok()) << active.error().ToString();
  EXPECT_TRUE(active->active);
  EXPECT_EQ(active->cnf_jkt, keys.key(0).thumbprint());
  EXPECT_EQ(active->client_id, testing::kClientId);

  std::vector<AgentCredential> agents = CredentialsFor(keys, minted);
  std::vector<CallResult> before = CallAsAgents(*transport, agents, WhoamiCall(*realm));
  ASSERT_FALSE(before[0].error) << before[0].error->ToString();

  Status revoked = Revoke(*transport, metadata->revocation_endpoint, credentials, token);
  ASSERT_TRUE(revoked.ok()) << revoked.error().ToString();
  auto inactive = Introspect(*transport, metadata->introspection_endpoint, credentials, token);
  ASSERT_TRUE(inactive.ok());
  EXPECT_FALSE(inactive->active);

  std::vector<CallResult> after = CallAsAgents(*transport, agents, WhoamiCall(*realm));
  ASSERT_TRUE(after[0].error.has_value());
  EXPECT_EQ(after[0].error->code(), ErrorCode::kHttpStatus);
  ASSERT_TRUE(after[0].response.has_value());
  EXPECT_EQ(after[0].response->status, 401);
}

}  // namespace
}  // namespace dpopfleet
