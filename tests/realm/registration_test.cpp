// Registration end to end through the outbox, its failure cases and its rate limits.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpopfleet/json_writer.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class RegistrationTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmOptions options;
    options.admin_outbox = true;  // one test reads the code through the admin endpoint
    StartRealm(options);
  }

  HttpResult RequestEnrollment(std::string_view email, std::string_view name = "Build Agent 7") {
    std::string body = JsonObjectWriter()
                           .String("email", email)
                           .String("client_name", name)
                           .String("client_description", "runs nightly builds")
                           .Raw("requested_scopes", "[\"agent\",\"agent:read\"]")
                           .Finish();
    return Send({"POST", realm_->issuer() + "/register/request", {"Content-Type: application/json"}, body});
  }

  HttpResult Confirm(std::string_view enrollment_id, std::string_view poll_token, std::string_view code) {
    std::string body = JsonObjectWriter()
                           .String("enrollment_id", enrollment_id)
                           .String("poll_token", poll_token)
                           .String("verification_code", code)
                           .Finish();
    return Send({"POST", realm_->issuer() + "/register/confirm", {"Content-Type: application/json"}, body});
  }

  HttpResult Status(std::string_view enrollment_id, std::string_view poll_token) {
    return Send({"GET", realm_->issuer() + "/register/status/" + std::string(enrollment_id),
                 {"Authorization: Bearer " + std::string(poll_token)}, ""});
  }
};

TEST_F(RegistrationTest, RegistersThroughOutbox) {
  HttpResult requested = RequestEnrollment("ops@example.com");
  ASSERT_EQ(requested.status, 201) << requested.body;
  std::string id = JsonStringMember(requested.body, "enrollment_id").value_or("");
  std::string poll_token = JsonStringMember(requested.body, "poll_token").value_or("");
  EXPECT_TRUE(id.starts_with("enroll_")) << id;
  EXPECT_EQ(id.size(), 7U + 36U);
  EXPECT_TRUE(poll_token.starts_with("pt_"));
  EXPECT_EQ(JsonStringMember(requested.body, "realm").value_or(""), "default");
  EXPECT_EQ(JsonStringMember(requested.body, "token_endpoint").value_or(""), TokenUrl());
  EXPECT_EQ(requested.body.find("verification_code"), std::string::npos);

  std::optional<std::string> code = realm_->LatestVerificationCode("ops@example.com");
  ASSERT_TRUE(code.has_value());
  ASSERT_EQ(code->size(), 9U);
  EXPECT_EQ((*code)[4], '-');
  EXPECT_EQ(code->find_first_not_of("ABCDEFGHJKLMNPQRSTUVWXYZ23456789-"), std::string::npos) << *code;

  HttpResult admin = Send({"GET", Url("/admin/outbox?email=ops%40example.com"), {}, ""});
  ASSERT_EQ(admin.status, 200) << admin.body;
  EXPECT_EQ(JsonStringMember(admin.body, "verification_code").value_or(""), *code);

  HttpResult pending = Status(id, poll_token);
  EXPECT_EQ(pending.status, 200);
  EXPECT_EQ(JsonStringMember(pending.body, "status").value_or(""), "pending");

  HttpResult confirmed = Confirm(id, poll_token, *code);
  ASSERT_EQ(confirmed.status, 201) << confirmed.body;
  std::string client_id = JsonStringMember(confirmed.body, "client_id").value_or("");
  std::string secret = JsonStringMember(confirmed.body, "client_secret").value_or("");
  EXPECT_TRUE(client_id.starts_with("cli_build-agent-7_")) << client_id;
  EXPECT_TRUE(secret.starts_with("sec_"));
  EXPECT_EQ(JsonStringMember(confirmed.body, "issuer").value_or(""), realm_->issuer());

  HttpResult done = Status(id, poll_token);
  EXPECT_EQ(JsonStringMember(done.body, "status").value_or(""), "confirmed");
  EXPECT_EQ(JsonStringMember(done.body, "client_id").value_or(""), client_id);

  HttpCall token_call{"POST", TokenUrl(),
                      {BasicAuthorization(client_id, secret), "DPoP: " + Proof(key_, "POST", TokenUrl())},
                      "grant_type=client_credentials"};
  HttpResult token = Send(token_call);
  EXPECT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(JsonStringMember(token.body, "scope").value_or(""), "agent agent:read");

  RealmCounters counters = realm_->counters();
  EXPECT_EQ(counters.enrollments, 1U);
  EXPECT_EQ(counters.registrations, 1U);
}

TEST_F(RegistrationTest, RejectsWrongCodeAndPollToken) {
  HttpResult requested = RequestEnrollment("a@example.com");
  ASSERT_EQ(requested.status, 201);
  std::string id = JsonStringMember(requested.body, "enrollment_id").value_or("");
  std::string poll_token = JsonStringMember(requested.body, "poll_token").value_or("");
  std::string code = realm_->LatestVerificationCode("a@example.com").value_or("");
  std::string wrong_code = code == "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA";

  HttpResult wrong = Confirm(id, poll_token, wrong_code);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(JsonStringMember(wrong.body, "error").value_or(""), "invalid_code");

  HttpResult bad_poll = Confirm(id, "pt_wrong", code);
  EXPECT_EQ(bad_poll.status, 403);
  EXPECT_EQ(JsonStringMember(bad_poll.body, "error").value_or(""), "access_denied");
  EXPECT_EQ(Status(id, "pt_wrong").status, 403);

  HttpResult unknown = Confirm("enroll_00000000-0000-4000-8000-000000000000", poll_token, code);
  EXPECT_EQ(unknown.status, 404);

  std::string lower_code = code;
  for (char& c : lower_code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  HttpResult lower_case = Confirm(id, poll_token, lower_code);
  EXPECT_EQ(lower_case.status, 201) << lower_case.body;
  HttpResult replayed = Confirm(id, poll_token, code);
  EXPECT_EQ(replayed.status, 409);
  EXPECT_EQ(JsonStringMember(replayed.body, "error").value_or(""), "already_confirmed");
}

TEST_F(RegistrationTest, LocksAfterFiveWrongCodes) {
  HttpResult requested = RequestEnrollment("lock@example.com");
  std::string id = JsonStringMember(requested.body, "enrollment_id").value_or("");
  std::string poll_token = JsonStringMember(requested.body, "poll_token").value_or("");
  std::string code = realm_->LatestVerificationCode("lock@example.com").value_or("");
  std::string wrong_code = code == "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA";
  std::vector<std::string> descriptions;
  for (int i = 0; i < 5; ++i) {
    HttpResult wrong = Confirm(id, poll_token, wrong_code);
    EXPECT_EQ(wrong.status, 400);
    descriptions.push_back(JsonStringMember(wrong.body, "error_description").value_or(""));
  }
  EXPECT_NE(descriptions[3].find("; 1 attempt left"), std::string::npos) << descriptions[3];
  EXPECT_NE(descriptions[4].find("0 attempts left, so the enrollment is now locked"), std::string::npos)
      << descriptions[4];

  HttpResult locked = Confirm(id, poll_token, code);
  EXPECT_EQ(locked.status, 410);
  EXPECT_EQ(JsonStringMember(locked.body, "error").value_or(""), "enrollment_locked");
}

TEST_F(RegistrationTest, ExpiredEnrollmentGives410) {
  HttpResult requested = RequestEnrollment("late@example.com");
  std::string id = JsonStringMember(requested.body, "enrollment_id").value_or("");
  std::string poll_token = JsonStringMember(requested.body, "poll_token").value_or("");
  std::string code = realm_->LatestVerificationCode("late@example.com").value_or("");

  clock_.AdvanceMillis(3600 * 1000);
  HttpResult expired = Confirm(id, poll_token, code);
  EXPECT_EQ(expired.status, 410);
  EXPECT_EQ(JsonStringMember(expired.body, "error").value_or(""), "expired_enrollment");
  EXPECT_EQ(Status(id, poll_token).status, 410);
}

TEST_F(RegistrationTest, LimitsRequestsPerEmail) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(RequestEnrollment("busy@example.com").status, 201);
  HttpResult limited = RequestEnrollment("Busy@Example.com");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(JsonStringMember(limited.body, "error").value_or(""), "rate_limited");
  EXPECT_EQ(limited.Header("retry-after"), "3600");

  clock_.AdvanceMillis(1800 * 1000);
  EXPECT_EQ(RequestEnrollment("busy@example.com").Header("retry-after"), "1800");
  clock_.AdvanceMillis(1800 * 1000);
  EXPECT_EQ(RequestEnrollment("busy@example.com").status, 201);
  EXPECT_EQ(realm_->counters().rejections_by_reason["rate_limited_email"], 2U);
}

TEST_F(RegistrationTest, LimitsRequestsPerIp) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(RequestEnrollment("user" + std::to_string(i) + "@example.com").status, 201);
  }
  HttpResult limited = RequestEnrollment("user10@example.com");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("retry-after"), "3600");
  EXPECT_EQ(realm_->counters().rejections_by_reason["rate_limited_ip"], 1U);
}

TEST_F(RegistrationTest, RejectsInvalidRequests) {
  auto post = [&](const std::string& body) {
    return Send({"POST", realm_->issuer() + "/register/request", {"Content-Type: application/json"}, body});
  };
  EXPECT_EQ(post("not json").status, 400);
  EXPECT_EQ(post("{\"email\":\"no-at-sign\",\"client_name\":\"x\"}").status, 400);
  EXPECT_EQ(post("{\"email\":\"a@b.c\"}").status, 400);
  HttpResult bad_scope = post("{\"email\":\"a@b.c\",\"client_name\":\"x\",\"requested_scopes\":[\"a b\"]}");
  EXPECT_EQ(bad_scope.status, 400);
  EXPECT_EQ(JsonStringMember(bad_scope.body, "error").value_or(""), "invalid_scope");
}

TEST_F(RegistrationTest, GrantsOnlyOfferedScopes) {
  auto request = [&](const char* scopes) {
    std::string body = JsonObjectWriter()
                           .String("email", "scopes@example.com")
                           .String("client_name", "x")
                           .Raw("requested_scopes", scopes)
                           .Finish();
    return Send({"POST", realm_->issuer() + "/register/request", {"Content-Type: application/json"}, body});
  };
  HttpResult admin = request("[\"agent\",\"admin\"]");
  EXPECT_EQ(admin.status, 400);
  EXPECT_EQ(JsonStringMember(admin.body, "error").value_or(""), "invalid_scope");
  std::string description = JsonStringMember(admin.body, "error_description").value_or("");
  EXPECT_NE(description.find("'admin'"), std::string::npos) << description;
  EXPECT_NE(description.find("agent, agent:read, agent:write"), std::string::npos) << description;
  EXPECT_EQ(realm_->counters().enrollments, 0U);

  EXPECT_EQ(request("[\"agent:read\"]").status, 201);
}

TEST_F(RegistrationTest, OfferedScopesAreConfigurable) {
  realm_.reset();
  RealmOptions options;
  options.registration_scopes = {"agent", "admin"};
  StartRealm(options);
  EXPECT_EQ(RequestEnrollment("ops@example.com").status, 400) << "agent:read is no longer offered";
  std::string body = JsonObjectWriter()
                         .String("email", "ops@example.com")
                         .String("client_name", "x")
                         .Raw("requested_scopes", "[\"admin\"]")
                         .Finish();
  EXPECT_EQ(Send({"POST", realm_->issuer() + "/register/request", {"Content-Type: application/json"}, body}).status,
            201);
}

TEST_F(RegistrationTest, UnknownRealmIs404) {
  HttpResult result = Send({"POST", Url("/realms/nope/register/request"), {}, "{}"});
  EXPECT_EQ(result.status, 404);
}

}  // namespace
}  // namespace dpopfleet::realm_test
