// `dpopfleet bench http` and `bench sign` smoke runs: URLs the transport rejects fail before
// the run, a run that cannot connect stops early, DPoP runs can carry a bound token, and key
// generation is announced.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "cli_fixture.h"

namespace dpopfleet {
namespace {

// ClosedLoopbackPort returns a loopback TCP port that nothing listens on: one the kernel
// picked for a socket that is closed again.
int ClosedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(CliTest, BenchHttpRejectsUrlsBeforeRun) {
  // Nothing is sent: the URL is rejected before a transport exists.
  CommandOutput insecure = Run("bench http --url http://example.invalid/ --seconds 1");
  EXPECT_EQ(insecure.exit_code, 2) << insecure.out << insecure.err;
  EXPECT_NE(insecure.err.find("--allow-insecure-http"), std::string::npos) << insecure.err;
  EXPECT_EQ(insecure.out, "");

  CommandOutput malformed = Run("bench http --url notaurl --seconds 1");
  EXPECT_EQ(malformed.exit_code, 2) << malformed.err;
  EXPECT_NE(malformed.err.find("notaurl"), std::string::npos) << malformed.err;
  for (const char* flag : {"--seconds 0", "--seconds 3601", "--streams 0", "--connections 0"}) {
    EXPECT_EQ(Run(std::string("bench http --url https://127.0.0.1:1/ ") + flag).exit_code, 2) << flag;
  }

  CommandOutput help = Run("bench http --help");
  EXPECT_NE(help.out.find("Measurement time in seconds (more than 0, at most 3600)"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("like h2load -m (1 to 1000)"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Connections to open (1 to 10000)"), std::string::npos) << help.out;
}

TEST_F(CliTest, BenchHttpStopsWhenUnreachable) {
  int port = ClosedLoopbackPort();
  ASSERT_NE(port, 0);
  CommandOutput run = Run("bench http --url https://127.0.0.1:" + std::to_string(port) + "/ --seconds 20");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("error: stopped after"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("connect_failed"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("statuses       no response"), std::string::npos) << run.out;
}

TEST_F(CliRealmTest, BenchHttpDpopWithBoundToken) {
  CommandOutput registered = RegisterInteractively("bench@test.invalid");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  std::string tokens = dir_ + "/token.jsonl";
  std::string keys = dir_ + "/keys";
  ASSERT_EQ(Run("mint --agents 1 --out " + tokens + " --export-keys " + keys + common_).exit_code, 0);
  std::string bench = "bench http --url " + realm_->base_url() + "/v1/whoami --ca-file " + realm_->ca_file() +
                      " --seconds 1 --connections 2 --dpop";

  CommandOutput bound = Run(bench + " --access-token-file " + tokens + " --key " + keys + "/agent-0.jwk");
  EXPECT_EQ(bound.exit_code, 0) << bound.out << bound.err;
  EXPECT_NE(bound.out.find("statuses       200 "), std::string::npos) << bound.out;
  EXPECT_EQ(bound.out.find("401"), std::string::npos) << bound.out;

  CommandOutput other_key = Run(bench + " --access-token-file " + tokens);
  EXPECT_EQ(other_key.exit_code, 2) << other_key.out << other_key.err;
  EXPECT_NE(other_key.err.find("the access token is bound to key thumbprint"), std::string::npos) << other_key.err;

  // Without a token every request is rejected, and the status line shows it.
  CommandOutput no_token = Run(bench);
  EXPECT_EQ(no_token.exit_code, 1) << no_token.out << no_token.err;
  EXPECT_NE(no_token.out.find("statuses       401 "), std::string::npos) << no_token.out;
  EXPECT_NE(no_token.err.find("no request got a 2xx response"), std::string::npos) << no_token.err;
}

TEST_F(CliTest, BenchSignAnnouncesKeygen) {
  CommandOutput run = Run("bench sign --seconds 1 --threads 1 --keys 1000");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("generating 1000 keys...\n"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("generating 1000 keys: done in "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("warming up: one proof per key: done in "), std::string::npos) << run.err;
}

}  // namespace
}  // namespace dpopfleet
