// `dpopfleet register` without a terminal: the run that starts an enrollment prints how to
// finish it, and the printed command confirms that same enrollment with the mailed code.

#include <filesystem>

#include "cli_fixture.h"

namespace dpopfleet {
namespace {

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
    err_path_ = std::string(pattern) + "/stderr.txt";
  }
  void TearDown() override {
    realm_.reset();
    std::filesystem::remove_all(std::filesystem::path(config_).parent_path());
  }

  std::unique_ptr<Realm> realm_;
  std::string config_;
  std::string flags_;
  std::string err_path_;
};

TEST_F(RegisterResumeTest, PrintedCommandFinishesTheSameEnrollment) {
  CommandOutput started = RunShell(std::string(DPOPFLEET_BINARY) + " register --issuer " + realm_->issuer() +
                           " --email ci@test.invalid --name ci" + flags_,
                                   err_path_);
  ASSERT_EQ(started.exit_code, 4) << started.out;
  std::map<std::string, std::string> values = KeyValueLines(started.out);
  ASSERT_TRUE(values["enrollment_id"].starts_with("enroll_")) << started.out;
  ASSERT_FALSE(values["poll_token"].empty()) << started.out;
  std::string finish = values["finish"];
  // The command starts with the path the program was run as, so it runs the same binary.
  ASSERT_TRUE(finish.starts_with(std::string(DPOPFLEET_BINARY) + " register ")) << started.out;
  EXPECT_NE(finish.find("--enrollment-id " + values["enrollment_id"]), std::string::npos) << finish;
  EXPECT_NE(finish.find("--config-dir " + config_), std::string::npos) << finish;

  std::optional<std::string> code = realm_->LatestVerificationCode("ci@test.invalid");
  ASSERT_TRUE(code.has_value());
  finish.replace(finish.find("XXXX-XXXX"), 9, *code);
  CommandOutput confirmed = RunShell(finish, err_path_);
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.out << confirmed.err;
  EXPECT_NE(confirmed.out.find("granted_scopes  agent"), std::string::npos) << confirmed.out;
  EXPECT_NE(confirmed.out.find("/client.json (mode 0600"), std::string::npos) << confirmed.out;

  RealmCounters counters = realm_->counters();
  EXPECT_EQ(counters.enrollments, 1U) << "resuming must not start a second enrollment";
  EXPECT_EQ(counters.registrations, 1U);
}

TEST_F(RegisterResumeTest, ResumingNeedsAllThreeValues) {
  CommandOutput missing_code = RunShell(std::string(DPOPFLEET_BINARY) + " register --issuer " + realm_->issuer() +
                                " --enrollment-id enroll_x --poll-token pt_x" + flags_,
                                        err_path_);
  EXPECT_EQ(missing_code.exit_code, 2) << missing_code.out;
  EXPECT_NE(missing_code.err.find("--enrollment-id, --poll-token and --code"), std::string::npos)
      << missing_code.err;
  EXPECT_EQ(realm_->counters().enrollments, 0U);
}

}  // namespace
}  // namespace dpopfleet
