// Internal response readers of the transport: HTTP-date parsing and nonce challenges.

#include "response_analysis.h"

#include <gtest/gtest.h>

namespace dpopfleet::http {
namespace {

// 1994-11-06T08:49:37Z, the example instant of RFC 9110 section 5.6.7.
constexpr std::int64_t kExampleDate = 784111777;

TEST(ParseHttpDate, AcceptsAllThreeForms) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kExampleDate);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kExampleDate);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), kExampleDate);
}

TEST(ParseHttpDate, RejectsNonDates) {
  EXPECT_FALSE(ParseHttpDate("soon").has_value());
  EXPECT_FALSE(ParseHttpDate("").has_value());
}

TEST(HttpDateCache, ReturnsSameValueForRepeatedText) {
  HttpDateCache cache;

  EXPECT_EQ(cache.Parse("Sun, 06 Nov 1994 08:49:37 GMT"), kExampleDate);
  EXPECT_EQ(cache.Parse("Sun, 06 Nov 1994 08:49:37 GMT"), kExampleDate);
  EXPECT_EQ(cache.Parse("Sun, 06 Nov 1994 08:49:38 GMT"), kExampleDate + 1);
  EXPECT_FALSE(cache.Parse("garbage").has_value());
}

TEST(ClockOffsetFromDate, ComputesServerMinusLocal) {
  HttpResponse response;
  response.headers.push_back({"date", "Sun, 06 Nov 1994 08:49:37 GMT"});
  HttpDateCache cache;

  EXPECT_EQ(ClockOffsetFromDate(response, (kExampleDate - 120) * 1000 + 999, &cache), 120);
  EXPECT_EQ(ClockOffsetFromDate(response, (kExampleDate + 5) * 1000, &cache), -5);
}

TEST(ClockOffsetFromDate, MissingDateGivesNothing) {
  HttpResponse response;
  HttpDateCache cache;

  EXPECT_FALSE(ClockOffsetFromDate(response, 0, &cache).has_value());
}

TEST(IsNonceChallenge, RecognisesBothForms) {
  HttpResponse authorization_server;
  authorization_server.status = 400;
  authorization_server.body = R"({"error":"use_dpop_nonce"})";
  HttpResponse resource_server;
  resource_server.status = 401;
  resource_server.headers.push_back({"www-authenticate", R"(Bearer realm="x")"});
  resource_server.headers.push_back({"www-authenticate", R"(DPoP error="use_dpop_nonce")"});

  EXPECT_TRUE(IsNonceChallenge(authorization_server));
  EXPECT_TRUE(IsNonceChallenge(resource_server));
}

TEST(IsNonceChallenge, IgnoresOtherStatuses) {
  HttpResponse wrong_status;
  wrong_status.status = 403;
  wrong_status.body = R"({"error":"use_dpop_nonce"})";
  wrong_status.headers.push_back({"www-authenticate", R"(DPoP error="use_dpop_nonce")"});
  HttpResponse blocklist;
  blocklist.status = 401;
  blocklist.headers.push_back({"www-authenticate", R"(DPoP realm="use_dpop_nonce_blocklist")"});

  EXPECT_FALSE(IsNonceChallenge(wrong_status));
  EXPECT_FALSE(IsNonceChallenge(blocklist));
}

}  // namespace
}  // namespace dpopfleet::http
