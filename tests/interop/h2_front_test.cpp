// The dpopfleet command over HTTP/2: nghttpx terminates TLS in front of `dpopfleet realm
// serve`, offers h2 through ALPN and forwards HTTP/1.1 with X-Forwarded-Proto: https. Each
// test starts its own realm and front with h2_front_start.sh (whose folder CMake passes as
// DPOPFLEET_H2_FRONT_SCRIPTS) and stops both by pid with h2_front_stop.sh.
//
// Client connections are counted as distinct client ports in nghttpx's access log. The
// realm's connections_accepted counter counts nghttpx's backend connections instead.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dpopfleet/credential_store.h"
#include "dpopfleet/jwt.h"
#include "peer_client.h"
#include "test_process.h"

namespace dpopfleet::interop {
namespace {

using dpopfleet::testing::ReadFile;
using dpopfleet::testing::RunCommand;

constexpr int kAgents = 2'000;
constexpr int kConcurrency = 500;

// HTTP/2 must carry the whole fleet on a handful of connections.
constexpr std::size_t kMaxClientConnections = 4;

constexpr char kClientId[] = "h2-fleet";

// ReadLines returns the non-empty lines of the file at |path|, none if it cannot be read.
std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// FirstLine returns the first line of the file at |path| without its newline.
std::string FirstLine(const std::string& path) {
  std::vector<std::string> lines = ReadLines(path);
  return lines.empty() ? "" : lines.front();
}

// RandomSecret returns 32 hex digits, so no fixed secret sits in the repository.
std::string RandomSecret() {
  std::random_device device;
  std::string secret;
  for (int i = 0; i < 4; ++i) {
    char chunk[9];
    std::snprintf(chunk, sizeof chunk, "%08x", static_cast<unsigned>(device()));
    secret += chunk;
  }
  return secret;
}

// AccessLogLine is one line of the access log, in the format h2_front_start.sh sets.
struct AccessLogLine {
  std::string client_port;
  std::string alpn;
  std::string status;
  std::string method;
  std::string path;
};

std::vector<AccessLogLine> ReadAccessLog(const std::string& path) {
  std::vector<AccessLogLine> entries;
  for (const std::string& line : ReadLines(path)) {
    std::istringstream fields(line);
    AccessLogLine entry;
    fields >> entry.client_port >> entry.alpn >> entry.status >> entry.method >> entry.path;
    entries.push_back(std::move(entry));
  }
  return entries;
}

// MintRecord is one line of `mint --out`.
struct MintRecord {
  std::string line;
  std::string thumbprint;
  std::string token_type;
  std::string access_token;
  std::string error;
};

std::vector<MintRecord> ReadRecords(const std::string& path) {
  std::vector<MintRecord> records;
  for (const std::string& line : ReadLines(path)) {
    MintRecord record;
    record.line = line;
    record.thumbprint = JsonString(line, "/thumbprint").value_or("");
    record.token_type = JsonString(line, "/token_type").value_or("");
    record.access_token = JsonString(line, "/access_token").value_or("");
    record.error = JsonString(line, "/error").value_or("");
    records.push_back(std::move(record));
  }
  return records;
}

// Outcome returns what must not depend on the protocol: the token type, the error and the
// HTTP status of every attempt. Keys, tokens and latencies differ from run to run.
std::string Outcome(const MintRecord& record) {
  std::string statuses;
  const std::string key = "\"status\":";
  for (size_t at = record.line.find(key); at != std::string::npos; at = record.line.find(key, at + 1)) {
    statuses += record.line.substr(at + key.size(), 3) + " ";
  }
  return record.token_type + " error=" + record.error + " statuses=" + statuses;
}

class H2FrontTest : public ::testing::Test {
 protected:
  // nghttpx_flags are extra nghttpx flags, separated by spaces.
  explicit H2FrontTest(std::string nghttpx_flags = "") : nghttpx_flags_(std::move(nghttpx_flags)) {}

  void SetUp() override {
    ASSERT_TRUE(dpopfleet::testing::MakeTestPki(temp_, &pki_)) << ReadFile(temp_.File("openssl.log"));
    secret_ = RandomSecret();

    // The script prints why it failed, such as a missing nghttpx, into front.log.
    int status = RunCommand({"/usr/bin/env", "H2_FRONT_NGHTTPX_FLAGS=" + nghttpx_flags_,
                             std::string(DPOPFLEET_H2_FRONT_SCRIPTS) + "/h2_front_start.sh", DPOPFLEET_CLI,
                             state_dir(), pki_.certificate_file, pki_.private_key_file, pki_.ca_file,
                             std::string(kClientId) + ":" + secret_ + ":dpop"},
                            temp_.File("front.log"));
    ASSERT_EQ(status, 0) << ReadFile(temp_.File("front.log"));
    front_issuer_ = FirstLine(state_dir() + "/front_issuer");
    realm_issuer_ = FirstLine(state_dir() + "/realm_issuer");
    ASSERT_FALSE(front_issuer_.empty()) << ReadFile(temp_.File("front.log"));
    ASSERT_FALSE(realm_issuer_.empty()) << ReadFile(temp_.File("front.log"));
  }

  void TearDown() override {
    RunCommand({std::string(DPOPFLEET_H2_FRONT_SCRIPTS) + "/h2_front_stop.sh", state_dir()},
               temp_.File("front.log"));
  }

  // StoreClient saves the realm's static client in |config_dir| with |token_endpoint| and no
  // issuer, so commands run without --issuer skip discovery and post there.
  void StoreClient(const std::string& config_dir, const std::string& token_endpoint) {
    StoredClient stored{kClientId, secret_, token_endpoint, "", ""};
    Result<std::string> saved = CredentialStore(config_dir).Save(stored);
    ASSERT_TRUE(saved.ok()) << saved.error().ToString();
  }

  // RunCli runs `dpopfleet |arguments|` with its stdout and stderr appended to log().
  int RunCli(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), DPOPFLEET_CLI);
    return RunCommand(arguments, log());
  }

  // AccessLogSince returns the access log entries after the first |skip| lines.
  std::vector<AccessLogLine> AccessLogSince(std::size_t skip) const {
    std::vector<AccessLogLine> entries = ReadAccessLog(state_dir() + "/access.log");
    entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(std::min(skip, entries.size())));
    return entries;
  }

  std::size_t AccessLogSize() const { return AccessLogSince(0).size(); }

  // AwaitAccessLog returns the entries after the first |skip| lines once there are at least
  // |count| of them, or whatever is there after 10 s. nghttpx writes a line when a stream
  // closes, which may be just after the client has read the response.
  std::vector<AccessLogLine> AwaitAccessLog(std::size_t skip, std::size_t count) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<AccessLogLine> entries = AccessLogSince(skip);
    while (entries.size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      entries = AccessLogSince(skip);
    }
    return entries;
  }

  std::string state_dir() const { return temp_.File("front"); }
  std::string log() const { return temp_.File("cli.log"); }
  std::string LogText() const { return ReadFile(log()); }

  std::string nghttpx_flags_;
  dpopfleet::testing::TempDir temp_;
  dpopfleet::testing::TestPki pki_;
  std::string secret_;
  std::string front_issuer_;
  std::string realm_issuer_;
};

TEST_F(H2FrontTest, MintMatchesHttp1OnFewConnections) {
  // Through the front, discovering the endpoints from the front's issuer.
  const std::string front_config = temp_.File("front-config");
  ASSERT_NO_FATAL_FAILURE(StoreClient(front_config, front_issuer_ + "/token"));
  const std::string h2_records = temp_.File("h2.jsonl");
  const std::size_t log_start = AccessLogSize();
  ASSERT_EQ(RunCli({"mint", "--agents", std::to_string(kAgents), "--concurrency", std::to_string(kConcurrency),
                    "--config-dir", front_config, "--issuer", front_issuer_, "--ca-file", pki_.ca_file,
                    "--out", h2_records}),
            0)
      << LogText();
  std::vector<AccessLogLine> requests = AwaitAccessLog(log_start, kAgents);

  // Straight to the realm over HTTP/1.1. Its discovery names the front (its public URL), so
  // this client posts to the stored token endpoint without discovery.
  const std::string direct_config = temp_.File("direct-config");
  ASSERT_NO_FATAL_FAILURE(StoreClient(direct_config, realm_issuer_ + "/token"));
  const std::string http1_records = temp_.File("http1.jsonl");
  ASSERT_EQ(RunCli({"mint", "--agents", std::to_string(kAgents), "--concurrency", std::to_string(kConcurrency),
                    "--config-dir", direct_config, "--http1", "--out", http1_records}),
            0)
      << LogText();

  // Every agent got a DPoP token bound to its own key.
  std::vector<MintRecord> h2 = ReadRecords(h2_records);
  ASSERT_EQ(h2.size(), static_cast<std::size_t>(kAgents)) << LogText();
  std::set<std::string> thumbprints;
  for (const MintRecord& record : h2) {
    SCOPED_TRACE(record.line.substr(0, 120));
    EXPECT_EQ(record.token_type, "DPoP");
    EXPECT_EQ(record.error, "");
    Result<DecodedJwt> jwt = DecodeJwt(record.access_token);
    ASSERT_TRUE(jwt.ok()) << jwt.error().ToString();
    EXPECT_EQ(JsonString(jwt->payload_json, "/cnf/jkt"), record.thumbprint);
    thumbprints.insert(record.thumbprint);
  }
  EXPECT_EQ(thumbprints.size(), static_cast<std::size_t>(kAgents));

  // Each agent fared the same over HTTP/1.1.
  std::vector<MintRecord> http1 = ReadRecords(http1_records);
  ASSERT_EQ(http1.size(), static_cast<std::size_t>(kAgents)) << LogText();
  for (int i = 0; i < kAgents; ++i) {
    EXPECT_EQ(Outcome(h2[i]), Outcome(http1[i])) << "agent " << i;
  }

  // nghttpx saw every token request once, all over h2, on a handful of client connections.
  std::set<std::string> client_ports;
  int token_requests = 0;
  for (const AccessLogLine& request : requests) {
    EXPECT_EQ(request.alpn, "h2") << request.method << " " << request.path;
    EXPECT_EQ(request.status, "200") << request.method << " " << request.path;
    if (request.method == "POST" && request.path == "/realms/default/token") ++token_requests;
    client_ports.insert(request.client_port);
  }
  EXPECT_EQ(token_requests, kAgents);
  RecordProperty("client_connections", static_cast<int>(client_ports.size()));
  EXPECT_GE(client_ports.size(), 1u);
  EXPECT_LE(client_ports.size(), kMaxClientConnections)
      << kAgents << " token requests over HTTP/2 should share at most " << kMaxClientConnections
      << " connections";
}

// A client given the front's issuer must find the front's endpoints in discovery, or RFC
// 8414's issuer check rejects the document.
TEST_F(H2FrontTest, DiscoveryNamesFrontIssuer) {
  ASSERT_EQ(RunCli({"discover", front_issuer_, "--ca-file", pki_.ca_file}), 0) << LogText();
  EXPECT_NE(LogText().find(front_issuer_ + "/token"), std::string::npos) << LogText();
}

TEST_F(H2FrontTest, CallWhoamiThroughFront) {
  constexpr int kCallAgents = 50;
  constexpr int kRounds = 2;
  const std::string config = temp_.File("config");
  ASSERT_NO_FATAL_FAILURE(StoreClient(config, front_issuer_ + "/token"));
  const std::size_t log_start = AccessLogSize();
  ASSERT_EQ(RunCli({"call", "--url", front_issuer_ + "/v1/whoami", "--agents", std::to_string(kCallAgents),
                    "--repeat", std::to_string(kRounds), "--config-dir", config, "--ca-file", pki_.ca_file}),
            0)
      << LogText();
  EXPECT_NE(LogText().find("statuses    200 " + std::to_string(kCallAgents * kRounds)), std::string::npos)
      << LogText();

  // The realm checked each proof's htu against https and the front's host and port.
  int whoami_requests = 0;
  // call mints a token for every agent, then sends its rounds of requests.
  for (const AccessLogLine& request : AwaitAccessLog(log_start, kCallAgents * (kRounds + 1))) {
    EXPECT_EQ(request.alpn, "h2") << request.method << " " << request.path;
    EXPECT_EQ(request.status, "200") << request.method << " " << request.path;
    if (request.path == "/realms/default/v1/whoami") ++whoami_requests;
  }
  EXPECT_EQ(whoami_requests, kCallAgents * kRounds);
}

// Without X-Forwarded-Proto the realm rebuilds the request URL with http where the client used
// https, so it must reject every proof's htu. The passing tests therefore depend on the header.
class H2FrontWithoutForwardedProtoTest : public H2FrontTest {
 protected:
  H2FrontWithoutForwardedProtoTest() : H2FrontTest("--no-add-x-forwarded-proto") {}
};

TEST_F(H2FrontWithoutForwardedProtoTest, MintRejectsEveryHtu) {
  constexpr int kFewAgents = 5;
  const std::string config = temp_.File("config");
  ASSERT_NO_FATAL_FAILURE(StoreClient(config, front_issuer_ + "/token"));
  const std::string records_path = temp_.File("records.jsonl");
  EXPECT_EQ(RunCli({"mint", "--agents", std::to_string(kFewAgents), "--config-dir", config, "--ca-file",
                    pki_.ca_file, "--out", records_path}),
            1)
      << LogText();

  std::vector<MintRecord> records = ReadRecords(records_path);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kFewAgents)) << LogText();
  const std::string plain_url = "http://" + front_issuer_.substr(std::string("https://").size()) + "/token";
  for (const MintRecord& record : records) {
    EXPECT_TRUE(record.access_token.empty()) << record.line;
    EXPECT_NE(record.line.find("proof_htu_mismatch"), std::string::npos) << record.line;
    EXPECT_NE(record.line.find(plain_url), std::string::npos) << record.line;
  }
}

}  // namespace
}  // namespace dpopfleet::interop
