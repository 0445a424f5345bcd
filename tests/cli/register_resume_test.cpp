// `dpopfleet register` without a terminal: the run that starts an enrollment prints how to
// finish it, and the printed command confirms that same enrollment with the mailed code.

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "dpopfleet/realm.h"

namespace dpopfleet {
namespace {

struct Finished {
  int exit_code = -1;
  std::string out;
};

// Shell runs |command| with stdin from /dev/null and stderr appended to stdout.
Finished Shell(const std::string& command) {
  Finished finished;
  std::FILE* pipe = popen((command + " </dev/null 2>&1").c_str(), "r");
  if (pipe == nullptr) return finished;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) finished.out.append(buffer, n);
  int status = pclose(pipe);
  finished.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return finished;
}

// KeyValues returns the "key=value" lines of |text|.
std::map<std::string, std::string> KeyValues(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::size_t equals = line.find('=');
    if (equals != std::string::npos && line.find(' ') > equals) values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return values;
}

class RegisterResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-register-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    config_ = std::string(pattern) + "/config";
    auto realm = Realm::Start(RealmOptions{});
    ASSERT_TRUE(realm.ok()) << realm.error().ToString();
    realm_ = std::move(*realm);
    flags_ = " --ca-file " + realm_->ca_file() + " --config-dir " + config_;
  }
  void TearDown() override {
    realm_.reset();
    std::filesystem::remove_all(std::filesystem::path(config_).parent_path());
  }

  std::unique_ptr<Realm> realm_;
  std::string config_;
  std::string flags_;
};

TEST_F(RegisterResumeTest, PrintedCommandFinishesTheSameEnrollment) {
  Finished started = Shell(std::string(DPOPFLEET_BINARY) + " register --issuer " + realm_->issuer() +
                           " --email ci@test.invalid --name ci" + flags_);
  ASSERT_EQ(started.exit_code, 4) << started.out;
  std::map<std::string, std::string> values = KeyValues(started.out);
  ASSERT_TRUE(values["enrollment_id"].starts_with("enroll_")) << started.out;
  ASSERT_FALSE(values["poll_token"].empty()) << started.out;
  std::string finish = values["finish"];
  ASSERT_TRUE(finish.starts_with("dpopfleet register ")) << started.out;
  EXPECT_NE(finish.find("--enrollment-id " + values["enrollment_id"]), std::string::npos) << finish;
  EXPECT_NE(finish.find("--config-dir " + config_), std::string::npos) << finish;

  std::optional<std::string> code = realm_->LatestVerificationCode("ci@test.invalid");
  ASSERT_TRUE(code.has_value());
  finish.replace(0, std::string("dpopfleet").size(), DPOPFLEET_BINARY);
  finish.replace(finish.find("XXXX-XXXX"), 9, *code);
  Finished confirmed = Shell(finish);
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.out;
  EXPECT_NE(confirmed.out.find("granted_scopes  agent"), std::string::npos) << confirmed.out;
  EXPECT_NE(confirmed.out.find("/client.json (mode 0600"), std::string::npos) << confirmed.out;

  RealmCounters counters = realm_->counters();
  EXPECT_EQ(counters.enrollments, 1U) << "resuming must not start a second enrollment";
  EXPECT_EQ(counters.registrations, 1U);
}

TEST_F(RegisterResumeTest, ResumingNeedsAllThreeValues) {
  Finished missing_code = Shell(std::string(DPOPFLEET_BINARY) + " register --issuer " + realm_->issuer() +
                                " --enrollment-id enroll_x --poll-token pt_x" + flags_);
  EXPECT_EQ(missing_code.exit_code, 2) << missing_code.out;
  EXPECT_NE(missing_code.out.find("--enrollment-id, --poll-token and --code"), std::string::npos)
      << missing_code.out;
  EXPECT_EQ(realm_->counters().enrollments, 0U);
}

}  // namespace
}  // namespace dpopfleet
