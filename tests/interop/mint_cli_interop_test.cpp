// The dpopfleet command against node-oidc-provider 8.8.1: `mint` for hundreds of agents over
// HTTP and HTTPS, with nonces required, then `introspect` and `revoke` of the minted tokens.
// Each test stores the peer's client with CredentialStore in a fresh config folder and runs
// the binary built from tools/, whose path CMake passes as DPOPFLEET_CLI.

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dpopfleet/credential_store.h"
#include "dpopfleet/jwt.h"
#include "interop_fixture.h"
#include "test_process.h"

namespace dpopfleet::interop {
namespace {

// MintRecord is one line of `mint --out`.
struct MintRecord {
  std::string line;
  std::string thumbprint;
  std::string token_type;
  std::string access_token;
  int attempts = 0;
  int nonce_retries = 0;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::vector<MintRecord> ReadRecords(const std::string& path) {
  std::vector<MintRecord> records;
  for (const std::string& line : Lines(dpopfleet::testing::ReadFile(path))) {
    MintRecord record;
    record.line = line;
    record.thumbprint = JsonString(line, "/thumbprint").value_or("");
    record.token_type = JsonString(line, "/token_type").value_or("");
    record.access_token = JsonString(line, "/access_token").value_or("");
    record.attempts = CountOccurrences(line, "\"status\":");
    record.nonce_retries = CountOccurrences(line, "use_dpop_nonce");
    records.push_back(std::move(record));
  }
  return records;
}

// CliTest runs `dpopfleet` as the peer's clients. Each test gets its own config folder.
class CliTest : public PeerTest, public ::testing::WithParamInterface<Scheme> {
 protected:
  explicit CliTest(std::string peer_name = "plain") : PeerTest(std::move(peer_name)) {}

  // StoreClient saves |client_id| of the peer, with the issuer of GetParam()'s listener.
  void StoreClient(const std::string& client_id) {
    const std::string issuer = Issuer(GetParam());
    StoredClient stored{client_id, client(client_id).secret, TokenUrl(GetParam()), issuer, ""};
    Result<std::string> saved = CredentialStore(config_dir()).Save(stored);
    ASSERT_TRUE(saved.ok()) << saved.error().ToString();
  }

  // RunCli runs dpopfleet |command| as |client_id| against GetParam()'s listener and returns
  // its exit status; stdout and stderr go to log().
  int RunCli(const std::string& command, const std::string& client_id,
             const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{DPOPFLEET_CLI,   command,        "--config-dir", config_dir(),
                                  "--client-id",   client_id,      "--issuer",     Issuer(GetParam()),
                                  "--ca-file",     peer().ca_path};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return dpopfleet::testing::RunCommand(argv, log());
  }

  std::string config_dir() const { return temp_.File("config"); }
  std::string log() const { return temp_.File("cli.log"); }
  std::string records_path() const { return temp_.File("records.jsonl"); }
  std::string LogText() const { return dpopfleet::testing::ReadFile(log()); }

 private:
  dpopfleet::testing::TempDir temp_;
};

std::string ParamName(const ::testing::TestParamInfo<Scheme>& info) {
  return SchemeName(info.param);
}

constexpr int kAgents = 500;

TEST_P(CliTest, MintBindsEveryJwtToItsAgent) {
  ASSERT_NO_FATAL_FAILURE(StoreClient("dpop-jwt"));
  int status = RunCli("mint", "dpop-jwt",
                      {"--agents", std::to_string(kAgents), "--out", records_path()});
  ASSERT_EQ(status, 0) << LogText();

  std::vector<MintRecord> records = ReadRecords(records_path());
  ASSERT_EQ(records.size(), static_cast<size_t>(kAgents)) << LogText();
  std::set<std::string> thumbprints;
  for (const MintRecord& record : records) {
    SCOPED_TRACE(record.line.substr(0, 120));
    EXPECT_EQ(record.token_type, "DPoP");
    Result<DecodedJwt> jwt = DecodeJwt(record.access_token);
    ASSERT_TRUE(jwt.ok()) << jwt.error().ToString();
    EXPECT_EQ(JsonString(jwt->payload_json, "/cnf/jkt"), record.thumbprint);
    EXPECT_EQ(JsonString(jwt->payload_json, "/iss"), Issuer(GetParam()));
    thumbprints.insert(record.thumbprint);
  }
  EXPECT_EQ(thumbprints.size(), static_cast<size_t>(kAgents));
}

TEST_P(CliTest, MintedOpaqueTokensIntrospectThenRevoke) {
  constexpr int kOpaqueAgents = 5;
  ASSERT_NO_FATAL_FAILURE(StoreClient("dpop-opaque"));
  ASSERT_EQ(RunCli("mint", "dpop-opaque",
                   {"--agents", std::to_string(kOpaqueAgents), "--out", records_path()}),
            0)
      << LogText();
  std::vector<MintRecord> records = ReadRecords(records_path());
  ASSERT_EQ(records.size(), static_cast<size_t>(kOpaqueAgents)) << LogText();

  ASSERT_EQ(RunCli("introspect", "dpop-opaque", {"--token-file", records_path()}), 0) << LogText();
  std::string introspected = LogText();
  EXPECT_EQ(CountOccurrences(introspected, "\"active\":true"), kOpaqueAgents) << introspected;
  for (const MintRecord& record : records) {
    EXPECT_NE(introspected.find("\"jkt\":\"" + record.thumbprint + "\""), std::string::npos)
        << "no cnf.jkt " << record.thumbprint << " in " << introspected;
  }

  ASSERT_EQ(RunCli("revoke", "dpop-opaque", {"--token-file", records_path()}), 0) << LogText();
  const size_t log_size = LogText().size();
  ASSERT_EQ(RunCli("introspect", "dpop-opaque", {"--token-file", records_path()}), 0) << LogText();
  std::string after = LogText().substr(log_size);
  EXPECT_EQ(CountOccurrences(after, "\"active\":false"), kOpaqueAgents) << after;
  EXPECT_EQ(CountOccurrences(after, "\"active\":true"), 0) << after;
}

// The peer binds a token to the proof's key whenever a proof arrives, even for a client
// without dpop_bound_access_tokens, so --allow-bearer is accepted and the tokens are DPoP.
TEST_P(CliTest, BearerClientMintsWithAllowBearer) {
  ASSERT_NO_FATAL_FAILURE(StoreClient("bearer"));
  ASSERT_EQ(RunCli("mint", "bearer", {"--agents", "20", "--allow-bearer", "--out", records_path()}),
            0)
      << LogText();
  std::vector<MintRecord> records = ReadRecords(records_path());
  ASSERT_EQ(records.size(), 20u);
  for (const MintRecord& record : records) {
    EXPECT_EQ(record.token_type, "DPoP") << record.line;
  }
}

TEST_P(CliTest, WrongSecretReportedPerAgent) {
  const std::string issuer = Issuer(GetParam());
  StoredClient stored{"dpop-jwt", "not-the-secret", TokenUrl(GetParam()), issuer, ""};
  ASSERT_TRUE(CredentialStore(config_dir()).Save(stored).ok());

  int status = RunCli("mint", "dpop-jwt", {"--agents", "10", "--out", records_path()});
  EXPECT_EQ(status, 1) << LogText();
  std::vector<MintRecord> records = ReadRecords(records_path());
  ASSERT_EQ(records.size(), 10u) << LogText();
  for (const MintRecord& record : records) {
    EXPECT_TRUE(record.access_token.empty()) << record.line;
    EXPECT_EQ(JsonString(record.line, "/error"), "http_status") << record.line;
    EXPECT_NE(record.line.find("invalid_client"), std::string::npos) << record.line;
  }
}

INSTANTIATE_TEST_SUITE_P(Peer, CliTest, ::testing::Values(Scheme::kHttp, Scheme::kHttps),
                         ParamName);

class NonceCliTest : public CliTest {
 protected:
  NonceCliTest() : CliTest("nonce") {}
};

// With nonces required, only requests sent before the first DPoP-Nonce header arrived are
// retried: at most one per concurrency slot. Every later proof carries the cached nonce.
TEST_P(NonceCliTest, MintRetriesOnlyFirstWave) {
  constexpr int kConcurrency = 20;
  ASSERT_NO_FATAL_FAILURE(StoreClient("dpop-jwt"));
  int status = RunCli("mint", "dpop-jwt",
                      {"--agents", std::to_string(kAgents), "--concurrency",
                       std::to_string(kConcurrency), "--out", records_path()});
  ASSERT_EQ(status, 0) << LogText();

  std::vector<MintRecord> records = ReadRecords(records_path());
  ASSERT_EQ(records.size(), static_cast<size_t>(kAgents)) << LogText();
  int retried = 0;
  int attempts = 0;
  for (const MintRecord& record : records) {
    EXPECT_EQ(record.token_type, "DPoP") << record.line;
    EXPECT_LE(record.nonce_retries, 1) << record.line;
    retried += record.nonce_retries;
    attempts += record.attempts;
  }
  EXPECT_GE(retried, 1) << "the peer requires a nonce, so the first request must be retried";
  EXPECT_LE(retried, kConcurrency);
  EXPECT_EQ(attempts, kAgents + retried);
}

INSTANTIATE_TEST_SUITE_P(NoncePeer, NonceCliTest, ::testing::Values(Scheme::kHttp, Scheme::kHttps),
                         ParamName);

}  // namespace
}  // namespace dpopfleet::interop
