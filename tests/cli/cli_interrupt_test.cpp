// SIGINT and SIGTERM during a fleet command: the run stops, every agent still gets a
// record, and the exit code names the signal. The command runs as a child process against
// a slow reference realm started in this process.

#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dpopfleet/credential_store.h"
#include "dpopfleet/realm.h"

extern char** environ;

namespace dpopfleet {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

class CliInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-interrupt-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;

    // Every response waits, so a run of many agents lasts long enough to be interrupted.
    RealmOptions options;
    options.static_clients.push_back(RealmStaticClient{"cid1", "s3cret"});
    options.faults.latency_ms = 1500;
    auto realm = Realm::Start(options);
    ASSERT_TRUE(realm.ok()) << realm.error().ToString();
    realm_ = std::move(*realm);

    std::string config = dir_ + "/strongdmid";
    StoredClient client{"cid1", "s3cret", realm_->issuer() + "/token", realm_->issuer(), "agent"};
    ASSERT_TRUE(CredentialStore(config).Save(client).ok());
    common_ = {"--ca-file", realm_->ca_file(), "--config-dir", config};
  }
  void TearDown() override {
    realm_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Start spawns `dpopfleet <arguments> <common flags>` with stdout and stderr in files.
  pid_t Start(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), DPOPFLEET_BINARY);
    arguments.insert(arguments.end(), common_.begin(), common_.end());
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (dir_ + "/stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (dir_ + "/stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  // AwaitIssued waits until the realm has issued |count| tokens, up to 30 s.
  bool AwaitIssued(std::uint64_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (realm_->counters().tokens_issued < count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // Wait returns the exit code of |pid|, or -1 when a signal ended it.
  static int Wait(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
  std::unique_ptr<Realm> realm_;
  std::vector<std::string> common_;
};

TEST_F(CliInterruptTest, SigintDuringMintWritesEveryRecord) {
  std::string out = dir_ + "/tokens.jsonl";
  std::ofstream(out) << "previous run\n";

  pid_t pid = Start({"mint", "--agents", "60", "--concurrency", "4", "--out", out});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(AwaitIssued(4)) << ReadFile(dir_ + "/stderr.txt");
  EXPECT_EQ(ReadFile(out), "previous run\n") << "--out was truncated before the run ended";
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int exit_code = Wait(pid);
  std::string err = ReadFile(dir_ + "/stderr.txt");
  EXPECT_EQ(exit_code, 130) << err;

  // One record per agent: a token, or the reason it has none.
  std::vector<std::string> records = Lines(ReadFile(out));
  ASSERT_EQ(records.size(), 60u) << err;
  std::size_t tokens = 0, cancelled = 0;
  for (const std::string& record : records) {
    bool has_token = record.find("\"access_token\"") != std::string::npos;
    bool was_cancelled = record.find("cancelled by SIGINT") != std::string::npos;
    EXPECT_NE(has_token, was_cancelled) << record;
    tokens += has_token;
    cancelled += was_cancelled;
  }
  EXPECT_GE(cancelled, 1u);
  EXPECT_LE(tokens, realm_->counters().tokens_issued);
  EXPECT_NE(err.find("60: " + std::to_string(tokens) + " succeeded"), std::string::npos) << err;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().rfind("tokens.jsonl.", 0), std::string::npos)
        << "temporary file left behind: " << entry.path();
  }
}

TEST_F(CliInterruptTest, SigtermDuringCallReportsEveryRound) {
  pid_t pid = Start({"call", "--url", realm_->issuer() + "/v1/whoami", "--agents", "40", "--concurrency", "4"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(AwaitIssued(4)) << ReadFile(dir_ + "/stderr.txt");
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int exit_code = Wait(pid);
  std::string err = ReadFile(dir_ + "/stderr.txt");
  EXPECT_EQ(exit_code, 143) << err;
  EXPECT_NE(err.find("cancelled by SIGTERM"), std::string::npos) << err;
  EXPECT_NE(err.find("run         cancelled by SIGTERM"), std::string::npos) << err;
}

// timeout(1) sends SIGTERM to the command and then to its own process group, which contains
// the command, so the command gets two within microseconds. The repeat must not end the process before it writes.
TEST_F(CliInterruptTest, RepeatedSigtermStillWritesEveryRecord) {
  std::string out = dir_ + "/tokens.jsonl";
  pid_t pid = Start({"mint", "--agents", "40", "--concurrency", "4", "--out", out});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(AwaitIssued(4)) << ReadFile(dir_ + "/stderr.txt");

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int exit_code = Wait(pid);
  std::string err = ReadFile(dir_ + "/stderr.txt");
  EXPECT_EQ(exit_code, 143) << "the second SIGTERM killed the process: " << err;
  EXPECT_EQ(Lines(ReadFile(out)).size(), 40u) << err;
}

}  // namespace
}  // namespace dpopfleet
