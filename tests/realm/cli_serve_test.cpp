// `dpopfleet realm serve` as a process: the start lines scripts read, a request against the
// printed base URL with the printed CA, counters after SIGTERM, and rejected flags.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "realm_test_util.h"

#ifndef DPOPFLEET_CLI
#error "DPOPFLEET_CLI must name the dpopfleet binary"
#endif

extern char** environ;

namespace dpopfleet::realm_test {
namespace {

// ServeProcess runs the CLI with its stdout on a pipe.
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> args) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    args.insert(args.begin(), DPOPFLEET_CLI);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, DPOPFLEET_CLI, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    output_ = ::fdopen(fds[0], "r");
  }

  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    if (output_ != nullptr) std::fclose(output_);
  }

  // ReadLine returns the next stdout line without its newline, or "" at the end.
  std::string ReadLine() {
    char buffer[4096];
    if (std::fgets(buffer, sizeof(buffer), output_) == nullptr) return "";
    std::string line(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }

  // ReadStartLines reads "key=value" lines up to and including "outbox=".
  std::map<std::string, std::string> ReadStartLines() {
    std::map<std::string, std::string> values;
    for (std::string line = ReadLine(); !line.empty(); line = ReadLine()) {
      std::size_t equals = line.find('=');
      if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 1);
      if (line.starts_with("outbox=")) break;
    }
    return values;
  }

  void Signal(int signal) { ::kill(pid_, signal); }

  // Wait returns the exit status.
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* output_ = nullptr;
};

TEST(CliServeTest, PrintsEndpointsAndCountersOnSigterm) {
  ServeProcess serve({"realm", "serve", "--port", "0", "--client", "ci-agent:pw:dpop", "--client", "lt:pw2",
                      "--seed", "7"});
  std::map<std::string, std::string> values = serve.ReadStartLines();
  ASSERT_EQ(values.count("base_url"), 1U);
  ASSERT_EQ(values.count("ca_file"), 1U);
  ASSERT_EQ(values.count("port"), 1U);
  ASSERT_EQ(values.count("issuer"), 1U);
  EXPECT_EQ(values["base_url"], "https://127.0.0.1:" + values["port"]);
  EXPECT_EQ(values["issuer"], values["base_url"] + "/realms/default");

  HttpCall bearer{"POST", values["issuer"] + "/token", {BasicAuthorization("lt", "pw2")}, "grant_type=client_credentials"};
  HttpResult issued = Send(bearer, values["ca_file"]);
  EXPECT_EQ(issued.status, 200) << issued.body << issued.curl_error;
  HttpCall dpop_only{"POST", values["issuer"] + "/token", {BasicAuthorization("ci-agent", "pw")},
                     "grant_type=client_credentials"};
  EXPECT_EQ(Send(dpop_only, values["ca_file"]).status, 400);

  serve.Signal(SIGTERM);
  std::string stopped = serve.ReadLine();
  std::string counters = serve.ReadLine();
  EXPECT_EQ(stopped, "stopped_by=SIGTERM");
  EXPECT_NE(counters.find("tokens_issued=1"), std::string::npos) << counters;
  EXPECT_NE(counters.find("rejected.dpop_required=1"), std::string::npos) << counters;
  EXPECT_EQ(serve.Wait(), 0);
}

TEST(CliServeTest, RejectsBadFlags) {
  ServeProcess plain_public({"realm", "serve", "--no-tls", "--bind", "0.0.0.0"});
  EXPECT_EQ(plain_public.Wait(), 2);
  ServeProcess bad_client({"realm", "serve", "--client", "no-secret"});
  EXPECT_EQ(bad_client.Wait(), 2);
  ServeProcess bad_rate({"realm", "serve", "--fault-503-rate", "2"});
  EXPECT_EQ(bad_rate.Wait(), 2);
  ServeProcess too_many_threads({"realm", "serve", "--threads", "100000"});
  EXPECT_EQ(too_many_threads.Wait(), 2);
}

TEST(CliServeTest, RejectsUnusableLimitsAndPaths) {
  const std::vector<std::vector<std::string>> cases = {
      {"--registrations-per-email", "-1"},
      {"--registrations-per-ip", "0"},
      {"--enrollment-lifetime", "0"},
      {"--client", "a::dpop"},
      {"--latency-ms", "100000000"},
      {"--latency-jitter-ms", "60001"},
      {"--request-timeout", "-1"},
      {"--cert", "/nonexistent/cert.pem", "--key", "/nonexistent/key.pem"},
      {"--state-file", "/proc/nonexistent/state.json"},
      {"--ca-out", "/proc/nonexistent"},
      {"--outbox", "/proc/nonexistent/outbox"},
  };
  for (const std::vector<std::string>& flags : cases) {
    std::vector<std::string> args = {"realm", "serve", "--port", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    ServeProcess serve(args);
    EXPECT_EQ(serve.Wait(), 2) << flags[0] << " " << flags[1];
  }
}

TEST(CliServeTest, EnrollmentLifetimeFlagExpiresEnrollments) {
  ServeProcess serve({"realm", "serve", "--port", "0", "--enrollment-lifetime", "1"});
  std::map<std::string, std::string> values = serve.ReadStartLines();
  ASSERT_EQ(values.count("issuer"), 1U);
  std::string body = "{\"email\":\"late@example.com\",\"client_name\":\"late\"}";
  HttpResult requested =
      Send({"POST", values["issuer"] + "/register/request", {"Content-Type: application/json"}, body}, values["ca_file"]);
  ASSERT_EQ(requested.status, 201) << requested.body;
  std::string id = JsonStringMember(requested.body, "enrollment_id").value_or("");
  std::string poll_token = JsonStringMember(requested.body, "poll_token").value_or("");

  // Poll the status until the one-second lifetime has passed (at most 10 s).
  HttpResult status;
  for (int attempt = 0; attempt < 100; ++attempt) {
    status = Send({"GET", values["issuer"] + "/register/status/" + id + "?poll_token=" + poll_token, {}, ""},
                  values["ca_file"]);
    if (status.status != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status.status, 410) << status.body;
  EXPECT_EQ(JsonStringMember(status.body, "error").value_or(""), "expired_enrollment");

  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.ReadLine(), "stopped_by=SIGTERM");
  EXPECT_EQ(serve.Wait(), 0);
}

TEST(CliServeTest, SighupRemovesTemporaryFiles) {
  ServeProcess serve({"realm", "serve", "--port", "0"});
  std::map<std::string, std::string> values = serve.ReadStartLines();
  ASSERT_EQ(values.count("outbox"), 1U);
  ASSERT_TRUE(std::filesystem::exists(values["ca_file"]));
  ASSERT_TRUE(std::filesystem::exists(values["outbox"]));

  serve.Signal(SIGHUP);
  EXPECT_EQ(serve.ReadLine(), "stopped_by=SIGHUP");
  EXPECT_EQ(serve.Wait(), 0);
  EXPECT_FALSE(std::filesystem::exists(values["ca_file"])) << values["ca_file"];
  EXPECT_FALSE(std::filesystem::exists(values["outbox"])) << values["outbox"];
}

TEST(CliServeTest, ScopesFlagSetsOfferedScopes) {
  ServeProcess serve({"realm", "serve", "--port", "0", "--scopes", "agent", "--scopes", "deploy"});
  std::map<std::string, std::string> values = serve.ReadStartLines();
  ASSERT_EQ(values.count("issuer"), 1U);
  auto request = [&](const char* scope) {
    std::string body = std::string("{\"email\":\"s@example.com\",\"client_name\":\"x\",\"requested_scopes\":[\"") +
                       scope + "\"]}";
    return Send({"POST", values["issuer"] + "/register/request", {"Content-Type: application/json"}, body},
                values["ca_file"]);
  };
  EXPECT_EQ(request("deploy").status, 201);
  HttpResult read = request("agent:read");
  EXPECT_EQ(read.status, 400) << read.body;
  EXPECT_NE(read.body.find("agent, deploy"), std::string::npos) << read.body;

  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.ReadLine(), "stopped_by=SIGTERM");
  EXPECT_EQ(serve.Wait(), 0);

  ServeProcess spaced({"realm", "serve", "--scopes", "a b"});
  EXPECT_EQ(spaced.Wait(), 2);
}

TEST(CliServeTest, AcceptsLogLevelAfterSubcommand) {
  ServeProcess serve({"realm", "serve", "--port", "0", "--log-level", "info"});
  std::map<std::string, std::string> values = serve.ReadStartLines();
  ASSERT_EQ(values.count("base_url"), 1U) << "the flag after `serve` was rejected";
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.ReadLine(), "stopped_by=SIGTERM");
  EXPECT_EQ(serve.Wait(), 0);
}

}  // namespace
}  // namespace dpopfleet::realm_test
