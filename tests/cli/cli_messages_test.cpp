// Messages of the client commands name what is wrong and the fix: a client id that
// cannot be a directory, a --config-dir that is a file, an --issuer that is no URL.

#include <fstream>

#include "cli_fixture.h"
#include "dpopfleet/credential_store.h"

namespace dpopfleet {
namespace {

class StoreMessagesTest : public CliRealmTest {
 protected:
  void SetUp() override {
    CliRealmTest::SetUp();
    StoredClient client{"load", "load-secret", realm_->issuer() + "/token", realm_->issuer(), "agent"};
    ASSERT_TRUE(CredentialStore(config_).Save(client).ok());
  }
};

TEST_F(StoreMessagesTest, StoreMessagesSayWhatIsWrong) {
  CommandOutput dots = Run("token --client-id .." + common_);
  EXPECT_EQ(dots.exit_code, 2) << dots.err;
  EXPECT_EQ(dots.err.find("contains '/'"), std::string::npos) << dots.err;
  EXPECT_NE(dots.err.find("client id '..'"), std::string::npos) << dots.err;

  std::string file = dir_ + "/plain-file";
  std::ofstream(file) << "x";
  CommandOutput not_dir = Run("token --config-dir " + file + " --ca-file " + realm_->ca_file());
  EXPECT_EQ(not_dir.exit_code, 2) << not_dir.err;
  EXPECT_NE(not_dir.err.find(file + " is not a directory"), std::string::npos) << not_dir.err;

  CommandOutput list_not_dir = Run("credentials list --config-dir " + file);
  EXPECT_NE(list_not_dir.err.find(file + " is not a directory"), std::string::npos) << list_not_dir.err;
}

TEST_F(StoreMessagesTest, RegisterBadIssuerNamesFlag) {
  CommandOutput output = Run("register --issuer notaurl --email x@test.invalid --name x" + common_);
  EXPECT_EQ(output.exit_code, 2) << output.err;
  EXPECT_NE(output.err.find("--issuer"), std::string::npos) << output.err;
  EXPECT_EQ(output.err.find("notaurl/register"), std::string::npos) << output.err;
}

}  // namespace
}  // namespace dpopfleet
