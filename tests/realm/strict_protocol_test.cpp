// Strict protocol checks at the realm's endpoints: proof limits, token ownership at
// introspection, escaping in the log, and the token endpoint's request format and client
// authentication.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "dpopfleet/base64url.h"
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
