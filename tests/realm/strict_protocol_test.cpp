// Strict protocol checks at the realm's endpoints: proof limits, token ownership at
// introspection, escaping in the log, and the token endpoint's request format and client
// authentication.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "dpopfleet/jwk.h"
#include "dpopfleet/json_writer.h"
#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class StrictProtocolTest : public RealmTest {
 protected:
  void SetUp() override { StartRealm(); }

  HttpResult PostForm(const std::string& endpoint, const std::string& body,
                      std::string_view client_id = kClientId) {
    return Send({"POST", realm_->issuer() + endpoint,
                 {BasicAuthorization(client_id, kSecret),
                  "Content-Type: application/x-www-form-urlencoded"},
                 body});
  }

  // TokenProof returns a token-endpoint proof by key_ with |header_extra| appended to the
  // header members and |jti| as its "jti".
  std::string TokenProof(std::string_view header_extra, std::string_view jti) const {
    std::string header = R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" +
                         PublicJwkJson(key_.key().public_key()) + std::string(header_extra) + "}";
    std::string payload = JsonObjectWriter()
                              .String("jti", jti)
                              .String("htm", "POST")
                              .String("htu", TokenUrl())
                              .Int("iat", clock_.NowUnixSeconds())
                              .Finish();
    return MakeJws(key_.key(), header, payload);
  }
};

std::string ErrorOf(const HttpResult& result) {
  return JsonStringMember(result.body, "error").value_or("");
}

std::string DescriptionOf(const HttpResult& result) {
  return JsonStringMember(result.body, "error_description").value_or("");
}

TEST_F(StrictProtocolTest, TokenEndpointRejectsCritProof) {
  HttpResult result = Send(TokenCall(kClientId, TokenProof(R"(,"crit":["foo"])", "jti-crit")));
  EXPECT_EQ(result.status, 400) << result.body;
  EXPECT_EQ(ErrorOf(result), "invalid_dpop_proof");
  EXPECT_TRUE(DescriptionOf(result).starts_with("proof_malformed")) << result.body;
  EXPECT_NE(DescriptionOf(result).find("crit"), std::string::npos) << result.body;
}

TEST_F(StrictProtocolTest, TokenEndpointBoundsJti) {
  HttpResult too_long = Send(TokenCall(kClientId, TokenProof("", std::string(15'000, 'j'))));
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_TRUE(DescriptionOf(too_long).starts_with("proof_malformed")) << too_long.body;
  EXPECT_NE(DescriptionOf(too_long).find("256"), std::string::npos) << too_long.body;

  HttpResult longest = Send(TokenCall(kClientId, TokenProof("", std::string(256, 'j'))));
  EXPECT_EQ(longest.status, 200) << longest.body;
}

TEST_F(StrictProtocolTest, IntrospectionHidesOtherClientsTokens) {
  std::string token = FetchDpopToken(key_);
  ASSERT_FALSE(token.empty());

  HttpResult owner = PostForm("/introspect", "token=" + token);
  EXPECT_EQ(owner.status, 200);
  EXPECT_NE(owner.body.find("\"active\":true"), std::string::npos) << owner.body;

  HttpResult other = PostForm("/introspect", "token=" + token, kDpopClientId);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "{\"active\":false}");
}

TEST_F(StrictProtocolTest, FormEndpointsRequireFormContentType) {
  const std::string basic = BasicAuthorization(kClientId, kSecret);
  for (const char* endpoint : {"/token", "/introspect", "/revoke"}) {
    SCOPED_TRACE(endpoint);
    HttpResult text = Send({"POST", realm_->issuer() + endpoint,
                            {basic, "Content-Type: text/plain"},
                            "grant_type=client_credentials&token=x"});
    EXPECT_EQ(text.status, 400) << text.body;
    EXPECT_EQ(ErrorOf(text), "invalid_request");
    EXPECT_NE(DescriptionOf(text).find("text/plain"), std::string::npos) << text.body;
    EXPECT_NE(DescriptionOf(text).find("application/x-www-form-urlencoded"), std::string::npos);
  }

  HttpResult with_charset = Send({"POST", TokenUrl(),
                                  {basic, "Content-Type: Application/X-WWW-Form-Urlencoded; charset=UTF-8"},
                                  "grant_type=client_credentials"});
  EXPECT_EQ(with_charset.status, 200) << with_charset.body;
}

TEST_F(StrictProtocolTest, MalformedBasicCredentialsNamed) {
  std::string valid = BasicAuthorization(kClientId, kSecret).substr(std::string("Authorization: ").size());
  std::string value = valid.substr(std::string("Basic ").size());
  std::string mid_padding = value.substr(0, 4) + "=" + value.substr(4);
  std::string no_colon = "YWdlbnQtMXMzY3JldA==";  // base64("agent-1s3cret")

  for (const std::string& header : {"Basic " + mid_padding, std::string("Basic !!!!"), std::string("Basic"),
                                    "Basic " + no_colon, "Basic " + value + "=="}) {
    SCOPED_TRACE(header);
    HttpResult result = Send({"POST", TokenUrl(),
                              {"Authorization: " + header,
                               "Content-Type: application/x-www-form-urlencoded"},
                              "grant_type=client_credentials"});
    EXPECT_EQ(result.status, 401) << result.body;
    EXPECT_EQ(ErrorOf(result), "invalid_client");
    EXPECT_TRUE(DescriptionOf(result).starts_with("the HTTP Basic credentials are malformed"))
        << result.body;
  }

  HttpResult good = Send({"POST", TokenUrl(), {"Authorization: " + valid}, "grant_type=client_credentials"});
  EXPECT_EQ(good.status, 200) << good.body;
}

TEST_F(StrictProtocolTest, RejectsTwoClientAuthMethods) {
  struct Row {
    const char* name;
    std::string body;
    int status;
  };
  const Row kRows[] = {
      {"basic and client_secret", "grant_type=client_credentials&client_id=agent-1&client_secret=s3cret", 400},
      {"basic and other client_id", "grant_type=client_credentials&client_id=agent-dpop", 400},
      {"basic and only a secret", "grant_type=client_credentials&client_secret=s3cret", 400},
      {"basic and same client_id", "grant_type=client_credentials&client_id=agent-1", 200},
  };
  for (const Row& row : kRows) {
    SCOPED_TRACE(row.name);
    HttpResult result = PostForm("/token", row.body);
    EXPECT_EQ(result.status, row.status) << result.body;
    if (row.status == 400) {
      EXPECT_EQ(ErrorOf(result), "invalid_request");
      EXPECT_NE(DescriptionOf(result).find("use only one"), std::string::npos) << result.body;
    }
  }

  HttpResult form_only = Send({"POST", TokenUrl(), {},
                               "grant_type=client_credentials&client_id=agent-1&client_secret=s3cret"});
  EXPECT_EQ(form_only.status, 200) << form_only.body;
}

// CapturedLog replaces spdlog's default logger with one writing to a string for its
// lifetime, at info level, and restores the previous logger afterwards.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }

  std::string text() const { return stream_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
};

TEST_F(StrictProtocolTest, LogEscapesRequestValues) {
  std::string log;
  {
    CapturedLog captured;
    // A raw newline and ESC in the Basic user part, and the same percent-encoded.
    for (std::string_view user : {std::string_view("a\nb\x1b[31mRED"), std::string_view("a%0Ab%1B[31mRED")}) {
      HttpResult result = Send({"POST", TokenUrl(),
                                {BasicAuthorization(user, "x"),
                                 "Content-Type: application/x-www-form-urlencoded"},
                                "grant_type=client_credentials"});
      EXPECT_EQ(result.status, 401) << result.body;
    }
    HttpResult path = Send({"GET", realm_->issuer() + "/no%0Aforged%1B[31m", {}, ""});
    EXPECT_EQ(path.status, 404) << path.body;
    log = captured.text();
  }

  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
  std::istringstream lines(log);
  int rejected_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.starts_with("[")) << "a log line was split by a request value: " << line;
    if (line.find("realm: rejected") != std::string::npos) ++rejected_lines;
  }
  EXPECT_EQ(rejected_lines, 3) << log;
  EXPECT_NE(log.find("client_id=a\\x0ab\\x1b[31mRED"), std::string::npos) << log;
}

}  // namespace
}  // namespace dpopfleet::realm_test
