// `dpopfleet token` mints a DPoP-bound token for an ephemeral key. --export-key and
// --token-out keep both, so the token works after the command ends. Without them the
// output states that the key is discarded.

#include <filesystem>

#include "cli_fixture.h"
#include "dpopfleet/credential_store.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {
namespace {

class TokenKeyTest : public CliRealmTest {
 protected:
  RealmOptions Options() override {
    RealmOptions options;
    options.static_clients.push_back(RealmStaticClient{"load", "load-secret", true});
    return options;
  }

  void SetUp() override {
    CliRealmTest::SetUp();
    StoredClient client{"load", "load-secret", realm_->issuer() + "/token", realm_->issuer(), "agent"};
    ASSERT_TRUE(CredentialStore(config_).Save(client).ok());
  }
};

TEST_F(TokenKeyTest, ExportedKeyAndTokenWork) {
  std::string key_path = dir_ + "/agent.jwk";
  std::string token_path = dir_ + "/token.txt";
  CommandOutput token = Run("token --export-key " + key_path + " --token-out " + token_path + common_);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_EQ(ModeOf(key_path), 0600U);
  EXPECT_EQ(ModeOf(token_path), 0600U);
  EXPECT_NE(token.out.find("proof --key " + key_path), std::string::npos) << token.out;

  auto key = ParsePrivateJwk(ReadFile(key_path));
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_NE(token.out.find("thumbprint    " + JwkThumbprint(key->public_key())), std::string::npos) << token.out;

  // The exported key signs a proof for a real API call with the exported token.
  std::string url = realm_->issuer() + "/v1/whoami";
  CommandOutput proof =
      Run("proof --key " + key_path + " --access-token-file " + token_path + " --htm GET --htu " + url);
  ASSERT_EQ(proof.exit_code, 0) << proof.err;
  std::string access_token = ReadFile(token_path);
  access_token.erase(access_token.find_last_not_of("\n") + 1);
  std::string proof_jwt = proof.out.substr(0, proof.out.find('\n'));

  TransportOptions options;
  options.ca_file = realm_->ca_file();
  auto transport = Transport::Create(options);
  ASSERT_TRUE(transport.ok()) << transport.error().ToString();
  HttpRequest request{"GET", url, {{"Authorization", "DPoP " + access_token}, {"DPoP", proof_jwt}}, {}};
  auto response = FetchJson(**transport, request, "whoami", RequestOptions{});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(realm_->counters().whoami_ok, 1U);
}

TEST_F(TokenKeyTest, OutputThatIsNoRegularFileRejected) {
  // A FIFO replaces a device such as /dev/null in this test, because a rename would
  // replace the real device.
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const char* flag : {"--token-out", "--export-key"}) {
    CommandOutput output = Run(std::string("token ") + flag + " " + fifo + common_);
    EXPECT_EQ(output.exit_code, 2) << output.err;
    EXPECT_NE(output.err.find(fifo + " exists and is not a regular file"), std::string::npos) << output.err;
    EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  }
  EXPECT_EQ(realm_->counters().tokens_issued, 0U);
}

TEST_F(TokenKeyTest, TokenWithoutExportSaysTheKeyIsDiscarded) {
  CommandOutput token = Run("token" + common_);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_NE(token.out.find("key           discarded"), std::string::npos) << token.out;
  EXPECT_NE(token.out.find("--export-key"), std::string::npos) << token.out;
}

}  // namespace
}  // namespace dpopfleet
