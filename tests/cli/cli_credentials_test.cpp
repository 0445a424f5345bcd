// Clients registered out of band: `credentials add` stores them from a secret file, and
// `credentials list` shows them without secrets.

#include <filesystem>
#include <fstream>

#include "cli_fixture.h"

namespace dpopfleet {
namespace {

constexpr const char* kSecret = "s3cret-value-that-must-stay-private";

class CredentialsTest : public CliRealmTest {
 protected:
  RealmOptions Options() override {
    RealmOptions options;
    options.static_clients.push_back(RealmStaticClient{"load", kSecret, true});
    options.static_clients.push_back(RealmStaticClient{"other", "other-secret", true});
    return options;
  }

  // SecretFile writes |secret| and a newline to a 0600 file and returns its path.
  std::string SecretFile(const std::string& secret) {
    std::string path = dir_ + "/secret.txt";
    std::ofstream(path) << secret << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
  }

  CommandOutput Add(const std::string& client_id, const std::string& secret_flag, const std::string& stdin_path = {}) {
    return Run("credentials add --issuer " + realm_->issuer() + " --client-id " + client_id + " --secret-file " +
                   secret_flag + common_,
               stdin_path);
  }
};

TEST_F(CredentialsTest, AddStoresAStaticClientThatMintsTokens) {
  CommandOutput added = Add("load", SecretFile(kSecret));
  ASSERT_EQ(added.exit_code, 0) << added.err;
  std::string path = config_ + "/load/client.json";
  EXPECT_NE(added.out.find(path + " (mode 0600"), std::string::npos) << added.out;
  EXPECT_EQ(added.out.find(kSecret), std::string::npos) << added.out;
  EXPECT_EQ(ModeOf(path), 0600U);
  EXPECT_EQ(ModeOf(config_ + "/load"), 0700U);
  std::string stored = ReadFile(path);
  EXPECT_NE(stored.find("\"token_endpoint\":\"" + realm_->issuer() + "/token\""), std::string::npos) << stored;
  EXPECT_NE(stored.find("\"issuer\":\"" + realm_->issuer() + "\""), std::string::npos) << stored;

  CommandOutput token = Run("token --client-id load" + common_);
  EXPECT_EQ(token.exit_code, 0) << token.err;
  EXPECT_EQ(realm_->counters().dpop_tokens_issued, 1U);
}

TEST_F(CredentialsTest, AddReadsStdinAndKeepsExisting) {
  std::string input = SecretFile("  other-secret \n");
  CommandOutput added = Add("other", "-", input);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(Run("token --client-id other" + common_).exit_code, 0);

  CommandOutput again = Add("other", "-", input);
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("--replace"), std::string::npos) << again.err;
}

TEST_F(CredentialsTest, AddRejectsEmptySecretAndSecretFlag) {
  CommandOutput empty = Add("load", "-");
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_NE(empty.err.find("is empty"), std::string::npos) << empty.err;
  EXPECT_FALSE(std::filesystem::exists(config_ + "/load"));

  CommandOutput in_argv = Run("credentials add --issuer " + realm_->issuer() + " --client-id load --secret x" + common_);
  EXPECT_EQ(in_argv.exit_code, 2) << in_argv.err;
}

TEST_F(CredentialsTest, ListOmitsSecrets) {
  ASSERT_EQ(Add("load", SecretFile(kSecret)).exit_code, 0);
  ASSERT_EQ(Add("other", SecretFile("other-secret")).exit_code, 0);
  CommandOutput listed = Run("credentials list --config-dir " + config_);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const char* id : {"load", "other"}) {
    EXPECT_NE(listed.out.find(id), std::string::npos) << listed.out;
    EXPECT_NE(listed.out.find(config_ + "/" + id + "/client.json"), std::string::npos) << listed.out;
  }
  EXPECT_NE(listed.out.find(realm_->issuer()), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(kSecret), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("other-secret"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.err.find("secret"), std::string::npos) << listed.err;
}

}  // namespace
}  // namespace dpopfleet
