// The daily commands and the demo, run as child processes of this test. Commands that need
// a server get a reference realm started in this process.

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_fixture.h"

namespace dpopfleet {
namespace {

TEST_F(CliTest, DemoDefaultAgents) {
  // The README's first command ends in `build/dpopfleet demo`; this is that binary.
  CommandOutput demo = Run("demo");
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  EXPECT_NE(demo.out.find("agents      1000: 1000 succeeded, 0 failed"), std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find("verified   1000/1000"), std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find("equals the agent key's RFC 7638 thumbprint"), std::string::npos);
  EXPECT_EQ(demo.out.find("sec_"), std::string::npos) << "a client secret was printed";
  EXPECT_EQ(demo.err.find("sec_"), std::string::npos) << "a client secret was printed";
}

TEST_F(CliTest, DemoRejectsZeroAgents) {
  CommandOutput demo = Run("demo --agents 0");
  EXPECT_EQ(demo.exit_code, 2);
  EXPECT_NE(demo.err.find("--agents"), std::string::npos);
}

TEST_F(CliRealmTest, RegisterWrongThenRightCode) {
  CommandOutput wrong =
      Run("register --issuer " + realm_->issuer() + " --email a@test.invalid --name cli --code WRNG-CODE" + common_);
  // A code for an enrollment that has not started yet cannot be right, so no run starts one.
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("--code needs --enrollment-id"), std::string::npos) << wrong.err;
  EXPECT_EQ(realm_->counters().enrollments, 0U);
  EXPECT_FALSE(std::filesystem::exists(config_) && !std::filesystem::is_empty(config_));

  CommandOutput right = RegisterInteractively("b@test.invalid");
  ASSERT_EQ(right.exit_code, 0) << right.out << right.err;
  EXPECT_EQ(right.out.find("sec_"), std::string::npos) << "the secret was printed";
  std::vector<std::string> clients;
  for (const auto& entry : std::filesystem::directory_iterator(config_)) clients.push_back(entry.path().string());
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(ModeOf(clients[0]), 0700u);
  EXPECT_EQ(ModeOf(clients[0] + "/client.json"), 0600u);
  EXPECT_NE(right.out.find(clients[0] + "/client.json"), std::string::npos) << right.out;
}

TEST_F(CliRealmTest, DailyCommands) {
  CommandOutput registered = RegisterInteractively("daily@test.invalid");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;

  CommandOutput discover = Run("discover " + realm_->issuer() + " --ca-file " + realm_->ca_file());
  ASSERT_EQ(discover.exit_code, 0) << discover.err;
  EXPECT_NE(discover.out.find(realm_->issuer() + "/token"), std::string::npos) << discover.out;

  CommandOutput token = Run("token" + common_);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_NE(token.out.find("token_type    DPoP"), std::string::npos) << token.out;
  EXPECT_NE(token.out.find("equals the agent key's RFC 7638 thumbprint"), std::string::npos) << token.out;

  CommandOutput bearer = Run("token --bearer" + common_);
  ASSERT_EQ(bearer.exit_code, 0) << bearer.err;
  EXPECT_NE(bearer.out.find("token_type    Bearer"), std::string::npos) << bearer.out;
  EXPECT_NE(bearer.out.find("cnf.jkt       absent"), std::string::npos) << bearer.out;

  // mint writes records with tokens only to the 0600 --out file.
  std::string out_file = dir_ + "/tokens.jsonl";
  std::string keys_dir = dir_ + "/keys";
  CommandOutput mint = Run("mint --agents 20 --concurrency 8 --out " + out_file + " --export-keys " + keys_dir + common_);
  ASSERT_EQ(mint.exit_code, 0) << mint.err;
  EXPECT_NE(mint.err.find("20: 20 succeeded"), std::string::npos) << mint.err;
  EXPECT_EQ(ModeOf(out_file), 0600u);
  std::string records = ReadFile(out_file);
  EXPECT_EQ(std::count(records.begin(), records.end(), '\n'), 20);
  EXPECT_NE(records.find("\"access_token\""), std::string::npos);
  EXPECT_EQ(ModeOf(keys_dir + "/agent-19.jwk"), 0600u);
  EXPECT_NE(ReadFile(keys_dir + "/agent-0.jwk").find("\"d\""), std::string::npos);

  CommandOutput records_on_stdout = Run("mint --agents 3" + common_);
  ASSERT_EQ(records_on_stdout.exit_code, 0) << records_on_stdout.err;
  EXPECT_NE(records_on_stdout.out.find("\"thumbprint\""), std::string::npos);
  EXPECT_EQ(records_on_stdout.out.find("access_token"), std::string::npos);

  CommandOutput call = Run("call --url " + realm_->issuer() + "/v1/whoami --agents 3 --repeat 2" + common_);
  ASSERT_EQ(call.exit_code, 0) << call.err;
  EXPECT_NE(call.err.find("statuses    200 6"), std::string::npos) << call.err;

  // Introspection shows the tokens active; after revocation they are not.
  CommandOutput active = Run("introspect --token-file " + out_file + common_);
  ASSERT_EQ(active.exit_code, 0) << active.err;
  EXPECT_EQ(std::count(active.out.begin(), active.out.end(), '\n'), 20);
  EXPECT_NE(active.out.find("\"active\":true"), std::string::npos);
  CommandOutput revoke = Run("revoke --token-file " + out_file + common_);
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(revoke.out.find("revoked"), std::string::npos) << revoke.out;
  EXPECT_NE(revoke.err.find("RFC 7009 answers 200 for unknown"), std::string::npos) << revoke.err;
  CommandOutput inactive = Run("introspect --token-file " + out_file + common_);
  ASSERT_EQ(inactive.exit_code, 0) << inactive.err;
  EXPECT_EQ(inactive.out.find("\"active\":true"), std::string::npos) << inactive.out;
}

TEST_F(CliRealmTest, RejectsReadableCredentials) {
  CommandOutput registered = RegisterInteractively("perm@test.invalid");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  std::string client_dir = std::filesystem::directory_iterator(config_)->path().string();
  ASSERT_EQ(chmod((client_dir + "/client.json").c_str(), 0644), 0);

  CommandOutput token = Run("token" + common_);
  EXPECT_EQ(token.exit_code, 2);
  EXPECT_NE(token.err.find("chmod 600 " + client_dir + "/client.json"), std::string::npos) << token.err;
}

TEST_F(CliRealmTest, UsageErrors) {
  EXPECT_EQ(Run("mint --agents 0" + common_).exit_code, 2);
  EXPECT_EQ(Run("mint" + common_).exit_code, 2);
  EXPECT_EQ(Run("token --ca-file /nonexistent/ca.pem").exit_code, 2);
  CommandOutput missing = Run("token" + common_);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("dpopfleet register"), std::string::npos) << missing.err;
}

// Every problem the user fixes in a flag, a value or a file exits with 2 before any token
// is minted, and the message names the value.
TEST_F(CliRealmTest, UsageProblemsExitTwoBeforeMinting) {
  for (const char* agents : {"-1", "18446744073709551615", "1000001"}) {
    CommandOutput mint = Run(std::string("mint --agents ") + agents + common_);
    EXPECT_EQ(mint.exit_code, 2) << agents << ": " << mint.err;
    EXPECT_NE(mint.err.find("--agents"), std::string::npos) << mint.err;
  }
  EXPECT_EQ(Run("mint --agents 1 --concurrency -5" + common_).exit_code, 2);
  EXPECT_EQ(Run("call --url https://127.0.0.1/ --repeat 0" + common_).exit_code, 2);
  EXPECT_EQ(Run("demo --agents 99999999999").exit_code, 2);

  for (const char* url : {"ftp://x", "notaurl"}) {
    CommandOutput discover = Run(std::string("discover ") + url);
    EXPECT_EQ(discover.exit_code, 2) << url << ": " << discover.err;
    EXPECT_NE(discover.err.find(url), std::string::npos) << discover.err;
    EXPECT_EQ(Run(std::string("call --url ") + url + common_).exit_code, 2) << url;
    EXPECT_EQ(Run(std::string("mint --agents 1 --issuer ") + url + common_).exit_code, 2) << url;
  }

  CommandOutput registered = RegisterInteractively("usage@test.invalid");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  CommandOutput unknown = Run("mint --agents 1 --client-id nope" + common_);
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;

  // An export directory others can enter is refused with the fix before any token exists.
  std::string open_dir = dir_ + "/open-keys";
  ASSERT_EQ(mkdir(open_dir.c_str(), 0755), 0);
  ASSERT_EQ(chmod(open_dir.c_str(), 0755), 0);
  auto issued_before = realm_->counters().tokens_issued;
  CommandOutput exposed = Run("mint --agents 2 --export-keys " + open_dir + common_);
  EXPECT_EQ(exposed.exit_code, 2) << exposed.err;
  EXPECT_NE(exposed.err.find("chmod 700 " + open_dir), std::string::npos) << exposed.err;
  CommandOutput unwritable = Run("mint --agents 2 --export-keys /proc/nope" + common_);
  EXPECT_EQ(unwritable.exit_code, 2) << unwritable.err;
  EXPECT_NE(unwritable.err.find("/proc/nope"), std::string::npos) << unwritable.err;
  EXPECT_EQ(realm_->counters().tokens_issued, issued_before);
}

// When an agent's token request fails, `call` names that failure as the cause.
TEST_F(CliRealmTest, CallReportsMintFailureAsCause) {
  ASSERT_NO_FATAL_FAILURE(RegisterWithWrongSecret("cause@test.invalid"));
  CommandOutput call = Run("call --url " + realm_->issuer() + "/v1/whoami --agents 2" + common_);
  EXPECT_EQ(call.exit_code, 1) << call.err;
  EXPECT_EQ(call.err.find("has no access token"), std::string::npos) << call.err;
  auto line_start = call.err.find("agent 0 failed in round 1: ");
  ASSERT_NE(line_start, std::string::npos) << call.err;
  std::string line = call.err.substr(line_start, call.err.find('\n', line_start) - line_start);
  EXPECT_NE(line.find("minting its token failed"), std::string::npos) << line;
  EXPECT_NE(line.find("invalid_client"), std::string::npos) << line;
}

// Token files are secrets like credentials, and revoke and introspect offer no token-request
// flags; proofs refuse lower-case methods, which servers compare exactly.
TEST_F(CliRealmTest, TokenFileAndProofChecks) {
  std::string token_file = dir_ + "/token.txt";
  std::ofstream(token_file) << "garbage-token\n";
  ASSERT_EQ(chmod(token_file.c_str(), 0644), 0);
  for (const char* command : {"revoke", "introspect"}) {
    CommandOutput readable = Run(std::string(command) + " --token-file " + token_file + common_);
    EXPECT_EQ(readable.exit_code, 2) << readable.err;
    EXPECT_NE(readable.err.find("chmod 600 " + token_file), std::string::npos) << readable.err;
    EXPECT_EQ(Run(std::string(command) + " --token-file " + token_file + " --scope x" + common_).exit_code, 2);
    EXPECT_EQ(Run(std::string(command) + " --token-file " + token_file + " --bearer" + common_).exit_code, 2);
    EXPECT_EQ(Run(std::string(command) + " --help").out.find("--allow-bearer"), std::string::npos);
  }

  CommandOutput lower = Run("proof --htm get --htu https://127.0.0.1/x");
  EXPECT_EQ(lower.exit_code, 2);
  EXPECT_NE(lower.err.find("--htm GET"), std::string::npos) << lower.err;
  EXPECT_EQ(lower.out, "");
  EXPECT_EQ(Run("proof --htm GET --htu https://127.0.0.1/x").exit_code, 0);
}

// A failed agent's record leaves out a latency it never measured instead of claiming 0 ms.
TEST_F(CliRealmTest, FailedMintRecordsOmitZeroLatency) {
  ASSERT_NO_FATAL_FAILURE(RegisterWithWrongSecret("latency@test.invalid"));
  CommandOutput mint = Run("mint --agents 2" + common_);
  EXPECT_EQ(mint.exit_code, 1) << mint.err;
  EXPECT_NE(mint.out.find("invalid_client"), std::string::npos) << mint.out;
  EXPECT_EQ(mint.out.find("\"latency_ms\":0,"), std::string::npos) << mint.out;
}

}  // namespace
}  // namespace dpopfleet
