// The state file: mode 0600, hashed secrets only, clients and signing key kept across a
// restart. Also plain HTTP on loopback and the CA file.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dpopfleet/json_writer.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class PersistenceTest : public RealmTest {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-realm-state-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
    state_file_ = directory_ + "/state.json";
  }
  void TearDown() override {
    realm_.reset();
    std::filesystem::remove_all(directory_);
  }

  RealmOptions Options(std::uint16_t port = 0) const {
    RealmOptions options;
    options.state_file = state_file_;
    options.port = port;
    return options;
  }

  // Register runs the registration flow and returns client_id and client_secret.
  std::pair<std::string, std::string> Register() {
    std::string body = JsonObjectWriter().String("email", "keep@example.com").String("client_name", "keeper").Finish();
    HttpResult requested = Send({"POST", realm_->issuer() + "/register/request", {}, body});
    std::string confirm = JsonObjectWriter()
                              .String("enrollment_id", JsonStringMember(requested.body, "enrollment_id").value_or(""))
                              .String("poll_token", JsonStringMember(requested.body, "poll_token").value_or(""))
                              .String("verification_code", realm_->LatestVerificationCode("keep@example.com").value_or(""))
                              .Finish();
    HttpResult confirmed = Send({"POST", realm_->issuer() + "/register/confirm", {}, confirm});
    EXPECT_EQ(confirmed.status, 201) << confirmed.body;
    return {JsonStringMember(confirmed.body, "client_id").value_or(""),
            JsonStringMember(confirmed.body, "client_secret").value_or("")};
  }

  std::string directory_;
  std::string state_file_;
};

TEST_F(PersistenceTest, KeepsClientsAcrossRestart) {
  StartRealm(Options());
  auto [client_id, secret] = Register();
  HttpCall token_call{"POST", TokenUrl(), {BasicAuthorization(client_id, secret), "DPoP: " + Proof(key_, "POST", TokenUrl())},
                      "grant_type=client_credentials"};
  HttpResult token = Send(token_call);
  ASSERT_EQ(token.status, 200) << token.body;
  std::string access_token = JsonStringMember(token.body, "access_token").value_or("");
  std::uint16_t port = realm_->port();
  realm_.reset();

  struct stat info {};
  ASSERT_EQ(::stat(state_file_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  std::string state = ReadAll(state_file_);
  EXPECT_NE(state.find(client_id), std::string::npos);
  EXPECT_NE(state.find("secret_hash"), std::string::npos);
  EXPECT_EQ(state.find(secret), std::string::npos);
  EXPECT_EQ(state.find(secret.substr(4)), std::string::npos);
  EXPECT_EQ(state.find(kClientId), std::string::npos) << "static clients must not be persisted";

  StartRealm(Options(port));
  HttpCall again{"POST", TokenUrl(), {BasicAuthorization(client_id, secret), "DPoP: " + Proof(key_, "POST", TokenUrl())},
                 "grant_type=client_credentials"};
  EXPECT_EQ(Send(again).status, 200);
  HttpCall wrong{"POST", TokenUrl(), {BasicAuthorization(client_id, secret + "x")}, "grant_type=client_credentials"};
  EXPECT_EQ(Send(wrong).status, 401);
  // The signing key is kept too, so tokens from before the restart stay valid.
  EXPECT_EQ(Send(WhoamiCall(key_, access_token)).status, 200);
}

TEST_F(PersistenceTest, RejectsCorruptStateFile) {
  std::ofstream(state_file_) << "{\"version\":2}";
  RealmOptions options = Options();
  options.clock = &clock_;
  auto started = Realm::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message().find(state_file_), std::string::npos);
}

TEST_F(PersistenceTest, ServesPlainHttpOnLoopback) {
  RealmOptions options;
  options.tls = false;
  StartRealm(options);
  EXPECT_TRUE(realm_->base_url().starts_with("http://127.0.0.1:"));
  EXPECT_EQ(realm_->ca_file(), "");
  HttpResult result = Send(TokenCall(kClientId, Proof(key_, "POST", TokenUrl())));
  EXPECT_EQ(result.status, 200) << result.body;
}

TEST_F(PersistenceTest, WritesCaWhereAsked) {
  RealmOptions options;
  options.ca_out_file = directory_ + "/ca.pem";
  options.outbox_dir = directory_ + "/outbox";
  StartRealm(options);
  EXPECT_EQ(realm_->ca_file(), options.ca_out_file);
  EXPECT_TRUE(ReadAll(options.ca_out_file).starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_EQ(realm_->outbox_dir(), options.outbox_dir);
  EXPECT_EQ(Send({"GET", Url("/jwks"), {}, ""}).status, 200);
  HttpResult localhost = realm_test::Send(
      {"GET", "https://localhost:" + std::to_string(realm_->port()) + "/jwks", {}, ""}, realm_->ca_file());
  EXPECT_EQ(localhost.status, 200) << localhost.curl_error;
}

}  // namespace
}  // namespace dpopfleet::realm_test
