// `dpopfleet call --repeat`: token refreshes between rounds, one summary for the run, and
// every call of every round counted.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "cli_fixture.h"

namespace dpopfleet {
namespace {

std::size_t CountOf(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// LineStarting returns the first line of |text| that starts with |prefix| after spaces.
std::string LineStarting(const std::string& text, const std::string& prefix, std::size_t from = 0) {
  std::istringstream lines(text.substr(from));
  std::string line;
  while (std::getline(lines, line)) {
    auto start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0) return line;
  }
  return "";
}

// CliCallTest runs a realm whose tokens live two seconds and whose every response takes
// 100 ms, so that a run of 20 rounds outlives the first tokens. The client is static, so no
// registration request meets an injected fault.
class CliCallTest : public CliRealmTest {
 protected:
  RealmOptions Options() override {
    RealmOptions options;
    options.token_lifetime_seconds = 2;
    options.faults.latency_ms = 100;
    options.static_clients.push_back({"cli-static", "static-secret", true, "agent"});
    return options;
  }

  void SetUp() override {
    CliRealmTest::SetUp();
    std::string client_dir = config_ + "/cli-static";
    std::filesystem::create_directories(client_dir);
    ASSERT_EQ(chmod(config_.c_str(), 0700), 0);
    ASSERT_EQ(chmod(client_dir.c_str(), 0700), 0);
    std::ofstream(client_dir + "/client.json")
        << "{\"client_id\":\"cli-static\",\"client_secret\":\"static-secret\",\"token_endpoint\":\""
        << realm_->issuer() << "/token\",\"issuer\":\"" << realm_->issuer() << "\",\"scope\":\"agent\"}\n";
    ASSERT_EQ(chmod((client_dir + "/client.json").c_str(), 0600), 0);
    url_ = " --url " + realm_->base_url() + "/v1/whoami";
  }

  std::string url_;
};

TEST_F(CliCallTest, RepeatRefreshesAndSumsUp) {
  CommandOutput call = Run("call" + url_ + " --agents 20 --repeat 20 --http1 --connections 20" + common_);
  ASSERT_EQ(call.exit_code, 0) << call.err;

  // One summary for the run, with the refreshes the expiring tokens needed.
  EXPECT_EQ(CountOf(call.err, "call round"), 0u) << call.err;
  EXPECT_EQ(CountOf(call.err, "call: 20 agents, 20 of 20 rounds"), 1u) << call.err;
  EXPECT_NE(call.err.find("calls       400: 400 succeeded, 0 failed"), std::string::npos) << call.err;
  EXPECT_NE(call.err.find("statuses    200 400"), std::string::npos) << call.err;
  auto refresh_block = call.err.find("token refresh\n");
  ASSERT_NE(refresh_block, std::string::npos) << call.err;
  std::smatch refreshed;
  std::string requests = LineStarting(call.err, "requests", refresh_block);
  ASSERT_TRUE(std::regex_search(requests, refreshed, std::regex(R"(requests\s+(\d+): (\d+) succeeded, 0 failed)")))
      << call.err;
  EXPECT_GE(std::stoul(refreshed[1]), 20u) << call.err;
  EXPECT_EQ(refreshed[1], refreshed[2]) << call.err;

  // Durations show milliseconds.
  EXPECT_TRUE(std::regex_search(call.err, std::regex(R"(throughput  \d+\.\d/s over \d+\.\d{3} s)"))) << call.err;
}

TEST_F(CliCallTest, PerRoundBlocksOnRequest) {
  CommandOutput call = Run("call" + url_ + " --agents 2 --repeat 3 --per-round" + common_);
  ASSERT_EQ(call.exit_code, 0) << call.err;
  EXPECT_EQ(CountOf(call.err, "call round "), 3u) << call.err;
  EXPECT_NE(call.err.find("calls       6: 6 succeeded, 0 failed"), std::string::npos) << call.err;
}

// With one attempt per request and injected 429s, some refreshes fail. Each such agent's
// call of that round fails with the refresh's cause instead of using a token about to
// expire, and every call of every round is counted.
class CliCallFaultTest : public CliCallTest {
 protected:
  RealmOptions Options() override {
    RealmOptions options = CliCallTest::Options();
    options.faults.rate_429 = 0.3;
    return options;
  }
};

TEST_F(CliCallFaultTest, FailedRefreshIsAgentError) {
  CommandOutput call = Run("call" + url_ + " --agents 20 --repeat 20 --max-attempts 1 --http1 --connections 20" + common_);
  EXPECT_EQ(call.exit_code, 3) << call.err;

  std::smatch counted;
  std::string calls = LineStarting(call.err, "calls");
  ASSERT_TRUE(std::regex_search(calls, counted, std::regex(R"(calls\s+400: (\d+) succeeded, (\d+) failed)")))
      << call.err;
  EXPECT_EQ(std::stoul(counted[1]) + std::stoul(counted[2]), 400u);

  auto refresh_block = call.err.find("token refresh\n");
  ASSERT_NE(refresh_block, std::string::npos) << call.err;
  EXPECT_NE(LineStarting(call.err, "errors", refresh_block).find("retries_exhausted"), std::string::npos)
      << call.err;
  std::string call_errors = LineStarting(call.err, "errors", call.err.find("call: 20 agents"));
  EXPECT_NE(call_errors.find("refresh_retries_exhausted"), std::string::npos) << call.err;
  EXPECT_EQ(call_errors.find("http_status_401"), std::string::npos) << call.err;
  EXPECT_NE(call.err.find("--max-attempts"), std::string::npos) << call.err;
}

// --max-attempts bounds every token request. With one attempt a 429 ends the request, and
// the error names the flag.
TEST_F(CliCallFaultTest, MintMaxAttemptsFlag) {
  CommandOutput mint = Run("mint --agents 20 --max-attempts 1 --http1 --connections 20" + common_);
  EXPECT_EQ(mint.exit_code, 3) << mint.err;
  EXPECT_NE(mint.err.find("attempts    20\n"), std::string::npos) << mint.err;
  EXPECT_NE(mint.err.find("retries     none"), std::string::npos) << mint.err;
  EXPECT_NE(mint.err.find("limit of 1 attempts per request, set by the dpopfleet command's --max-attempts"),
            std::string::npos)
      << mint.err;

  for (const char* command : {"mint --agents 1", "call --url https://127.0.0.1/x", "token"}) {
    for (const char* attempts : {"0", "101"}) {
      CommandOutput rejected = Run(std::string(command) + " --max-attempts " + attempts + common_);
      EXPECT_EQ(rejected.exit_code, 2) << command << " " << attempts << ": " << rejected.err;
      EXPECT_NE(rejected.err.find("--max-attempts"), std::string::npos) << rejected.err;
    }
  }
}

}  // namespace
}  // namespace dpopfleet
