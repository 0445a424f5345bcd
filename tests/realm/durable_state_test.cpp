// What a restart with the same state file keeps besides clients and the signing key:
// revocations (until the token would have expired), pending enrollments and the
// registration limits.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dpopfleet/json_writer.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class DurableStateTest : public RealmTest {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-realm-durable-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    realm_.reset();
    std::filesystem::remove_all(directory_);
  }

  // Restart stops the realm and starts it again on the same port with the same state file,
  // so token audiences and issuers stay the same.
  void Restart() {
    std::uint16_t port = realm_ ? realm_->port() : 0;
    realm_.reset();
    RealmOptions options;
    options.state_file = directory_ + "/state.json";
    options.port = port;
    StartRealm(options);
  }

  std::string StateText() const {
    std::ifstream in(directory_ + "/state.json");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  HttpResult PostForm(const std::string& endpoint, const std::string& body) {
    return Send({"POST", realm_->issuer() + endpoint,
                 {BasicAuthorization(kClientId, kSecret), "Content-Type: application/x-www-form-urlencoded"}, body});
  }

  HttpResult RequestEnrollment(const std::string& email) {
    std::string body = JsonObjectWriter().String("email", email).String("client_name", "durable").Finish();
    return Send({"POST", realm_->issuer() + "/register/request", {"Content-Type: application/json"}, body});
  }

  std::string directory_;
};

TEST_F(DurableStateTest, RevocationOutlivesRestartUntilTokenExpiry) {
  Restart();
  std::string token = FetchDpopToken(key_);
  ASSERT_EQ(PostForm("/revoke", "token=" + token).status, 200);
  ASSERT_EQ(Send(WhoamiCall(key_, token)).status, 401);
  std::string jti = JsonStringMember(DecodePayload(token), "jti").value_or("");
  ASSERT_FALSE(jti.empty());

  Restart();
  HttpResult whoami = Send(WhoamiCall(key_, token));
  EXPECT_EQ(whoami.status, 401) << whoami.body;
  HttpResult introspected = PostForm("/introspect", "token=" + token);
  EXPECT_NE(introspected.body.find("\"active\":false"), std::string::npos) << introspected.body;
  EXPECT_NE(StateText().find(jti), std::string::npos);

  // Once the token has expired the entry is useless and leaves the file at the next save.
  clock_.AdvanceMillis(3601 * 1000);
  Restart();
  EXPECT_EQ(StateText().find(jti), std::string::npos);
}

TEST_F(DurableStateTest, PendingEnrollmentCanBeConfirmedAfterRestart) {
  Restart();
  HttpResult requested = RequestEnrollment("later@example.com");
  ASSERT_EQ(requested.status, 201) << requested.body;
  std::string code = realm_->LatestVerificationCode("later@example.com").value_or("");

  Restart();
  std::string confirm = JsonObjectWriter()
                            .String("enrollment_id", JsonStringMember(requested.body, "enrollment_id").value_or(""))
                            .String("poll_token", JsonStringMember(requested.body, "poll_token").value_or(""))
                            .String("verification_code", code)
                            .Finish();
  HttpResult confirmed = Send({"POST", realm_->issuer() + "/register/confirm", {}, confirm});
  EXPECT_EQ(confirmed.status, 201) << confirmed.body;
}

TEST_F(DurableStateTest, RegistrationLimitsOutliveRestart) {
  Restart();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(RequestEnrollment("often@example.com").status, 201);
  ASSERT_EQ(RequestEnrollment("often@example.com").status, 429);

  Restart();
  HttpResult limited = RequestEnrollment("often@example.com");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(RequestEnrollment("other@example.com").status, 201);
}

TEST_F(DurableStateTest, WrongCodeAttemptsOutliveRestart) {
  Restart();
  HttpResult requested = RequestEnrollment("guess@example.com");
  ASSERT_EQ(requested.status, 201);
  auto confirm = [&](const std::string& code) {
    std::string body = JsonObjectWriter()
                           .String("enrollment_id", JsonStringMember(requested.body, "enrollment_id").value_or(""))
                           .String("poll_token", JsonStringMember(requested.body, "poll_token").value_or(""))
                           .String("verification_code", code)
                           .Finish();
    return Send({"POST", realm_->issuer() + "/register/confirm", {}, body});
  };
  for (int i = 0; i < 4; ++i) ASSERT_EQ(confirm("AAAA-AAAA").status, 400);

  Restart();
  EXPECT_EQ(confirm("AAAA-AAAA").status, 400);
  EXPECT_EQ(confirm("AAAA-AAAA").status, 410) << "the fifth wrong code must lock the enrollment";
}

}  // namespace
}  // namespace dpopfleet::realm_test
