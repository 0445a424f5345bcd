// A stored client's secret goes only to the server it was registered at: --issuer naming
// another server, or a discovered token endpoint on another origin, stops the command
// before any request unless --issuer-override says otherwise.

#include <filesystem>
#include <fstream>

#include "cli_fixture.h"
#include "dpopfleet/credential_store.h"

namespace dpopfleet {
namespace {

class IssuerGuardTest : public CliRealmTest {
 protected:
  RealmOptions Options() override {
    RealmOptions options;
    options.static_clients.push_back(RealmStaticClient{"s1", "sec1-not-for-others", true});
    return options;
  }

  void SetUp() override {
    CliRealmTest::SetUp();
    auto other = Realm::Start(RealmOptions{});
    ASSERT_TRUE(other.ok()) << other.error().ToString();
    other_ = std::move(*other);

    // One CA bundle trusting both realms, so only the guard can stop a request to the other.
    bundle_ = dir_ + "/both-cas.pem";
    std::ofstream(bundle_) << ReadFile(realm_->ca_file()) << ReadFile(other_->ca_file());
    both_ = " --ca-file " + bundle_ + " --config-dir " + config_;
  }

  void TearDown() override {
    other_.reset();
    CliRealmTest::TearDown();
  }

  // Store saves client s1 of the first realm with |token_endpoint|.
  void Store(const std::string& token_endpoint) {
    StoredClient client{"s1", "sec1-not-for-others", token_endpoint, realm_->issuer(), "agent"};
    ASSERT_TRUE(CredentialStore(config_).Save(client).ok());
  }

  std::unique_ptr<Realm> other_;
  std::string bundle_;
  std::string both_;
};

TEST_F(IssuerGuardTest, OtherIssuerRejectedBeforeRequest) {
  Store(realm_->issuer() + "/token");
  std::string token_file = dir_ + "/tokens.txt";
  std::ofstream(token_file) << "eyJhbGciOiJFUzI1NiJ9.e30.c2ln\n";
  std::filesystem::permissions(token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  for (const char* command : {"token", "mint --agents 2", "call --url " /* URL appended below */, "introspect"}) {
    std::string arguments = command;
    if (arguments.starts_with("call")) arguments += other_->issuer() + "/v1/whoami";
    if (arguments == "introspect") arguments += " --token-file " + token_file;
    CommandOutput output = Run(arguments + " --issuer " + other_->issuer() + both_);
    EXPECT_EQ(output.exit_code, 2) << arguments << "\n" << output.err;
    EXPECT_NE(output.err.find("client s1 was registered at " + realm_->issuer()), std::string::npos) << output.err;
    EXPECT_NE(output.err.find("--issuer is " + other_->issuer()), std::string::npos) << output.err;
    EXPECT_NE(output.err.find("--issuer-override"), std::string::npos) << output.err;
    EXPECT_EQ(output.err.find("sec1-not-for-others"), std::string::npos) << output.err;
  }
  EXPECT_EQ(other_->counters().requests, 0U) << "the other server must receive nothing";
}

TEST_F(IssuerGuardTest, SameIssuerWithTrailingSlashIsAccepted) {
  Store(realm_->issuer() + "/token");
  CommandOutput output = Run("token --issuer " + realm_->issuer() + "/" + both_);
  EXPECT_EQ(output.exit_code, 0) << output.err;
}

TEST_F(IssuerGuardTest, OverrideSendsToTheNamedServer) {
  Store(realm_->issuer() + "/token");
  CommandOutput output = Run("token --issuer-override --issuer " + other_->issuer() + both_);
  EXPECT_EQ(output.exit_code, 1) << output.err;
  EXPECT_NE(output.err.find("invalid_client"), std::string::npos) << output.err;
  EXPECT_GT(other_->counters().requests, 0U);
}

TEST_F(IssuerGuardTest, DiscoveredTokenEndpointOnAnotherOriginIsRefused) {
  // The stored endpoint is on another port than the one the issuer's discovery names.
  Store("https://127.0.0.1:1/realms/default/token");
  CommandOutput output = Run("token" + both_);
  EXPECT_EQ(output.exit_code, 2) << output.err;
  EXPECT_NE(output.err.find("discovery names token endpoint " + realm_->issuer() + "/token"), std::string::npos)
      << output.err;
  EXPECT_NE(output.err.find("stored with token endpoint https://127.0.0.1:1/realms/default/token"),
            std::string::npos)
      << output.err;
  EXPECT_EQ(realm_->counters().tokens_issued, 0U);

  CommandOutput overridden = Run("token --issuer-override" + both_);
  EXPECT_EQ(overridden.exit_code, 0) << overridden.err;
}

}  // namespace
}  // namespace dpopfleet
