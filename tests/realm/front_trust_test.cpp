// What a realm behind a front on the same machine trusts: the admin outbox is off by
// default and never serves a forwarded request, and registrations are counted per client
// address from X-Forwarded-For only when a public URL names the front. Checked on the
// request handler directly, since tests may only connect over loopback.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "dpopfleet/json_writer.h"
#include "realm_core.h"

namespace dpopfleet::realm {
namespace {

class FrontTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char directory[] = "/tmp/dpopfleet-front-trust-XXXXXX";
    ASSERT_NE(::mkdtemp(directory), nullptr);
    directory_ = directory;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::unique_ptr<RealmCore> Core(RealmOptions options) {
    Result<P256Key> key = P256Key::Generate();
    EXPECT_TRUE(key.ok());
    return std::make_unique<RealmCore>(std::move(options), "https://realm.example:8443", directory_,
                                       std::move(*key));
  }

  static HttpExchange Loopback(std::string method, std::string path) {
    HttpExchange exchange;
    exchange.method = std::move(method);
    exchange.path = std::move(path);
    exchange.scheme = "http";
    exchange.peer_address = "127.0.0.1";
    exchange.peer_is_loopback = true;
    exchange.headers = {{"host", "realm.example:8443"}};
    return exchange;
  }

  static HttpExchange Outbox(std::string email) {
    HttpExchange exchange = Loopback("GET", "/admin/outbox");
    exchange.query["email"] = std::move(email);
    return exchange;
  }

  static HttpExchange Registration(int n, const char* forwarded_for) {
    HttpExchange exchange = Loopback("POST", "/realms/default/register/request");
    exchange.body = JsonObjectWriter()
                        .String("email", "user" + std::to_string(n) + "@example.com")
                        .String("client_name", "front")
                        .Finish();
    if (forwarded_for != nullptr) exchange.headers.emplace_back("x-forwarded-for", forwarded_for);
    return exchange;
  }

  std::string directory_;
};

TEST_F(FrontTrustTest, AdminOutboxIsOffByDefault) {
  auto core = Core(RealmOptions{});
  HttpReply reply = core->Handle(Outbox("a@example.com"));
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.reason, "admin_disabled");
  EXPECT_NE(reply.body.find("--admin-outbox"), std::string::npos) << reply.body;
}

TEST_F(FrontTrustTest, AdminOutboxRejectsForwardedRequests) {
  RealmOptions options;
  options.admin_outbox = true;
  auto core = Core(options);
  ASSERT_EQ(core->Handle(Registration(1, nullptr)).status, 201);
  EXPECT_EQ(core->Handle(Outbox("user1@example.com")).status, 200);

  for (const char* header : {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"}) {
    HttpExchange through_front = Outbox("user1@example.com");
    through_front.headers.emplace_back(header, "https");
    HttpReply reply = core->Handle(through_front);
    EXPECT_EQ(reply.status, 403) << header;
    EXPECT_EQ(reply.reason, "admin_forwarded") << header;
  }
}

TEST_F(FrontTrustTest, AdminOutboxRejectsAllWithPublicUrl) {
  RealmOptions options;
  options.admin_outbox = true;
  options.public_url = "https://realm.example:8443";
  auto core = Core(options);
  ASSERT_EQ(core->Handle(Registration(1, nullptr)).status, 201);
  HttpReply reply = core->Handle(Outbox("user1@example.com"));
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.body.find("verification_code"), std::string::npos);
}

TEST_F(FrontTrustTest, LimitsRegistrationsPerForwardedClient) {
  RealmOptions options;
  options.public_url = "https://realm.example:8443";
  options.registrations_per_ip_per_hour = 2;
  auto core = Core(options);
  // The last entry is the one the front appended; a client-supplied first entry is ignored.
  EXPECT_EQ(core->Handle(Registration(1, "203.0.113.9, 198.51.100.1")).status, 201);
  EXPECT_EQ(core->Handle(Registration(2, "203.0.113.10, 198.51.100.1")).status, 201);
  HttpReply limited = core->Handle(Registration(3, "198.51.100.1"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.reason, "rate_limited_ip");
  EXPECT_EQ(core->Handle(Registration(4, "198.51.100.2")).status, 201);
}

TEST_F(FrontTrustTest, ForwardedForIgnoredWithoutPublicUrl) {
  RealmOptions options;
  options.registrations_per_ip_per_hour = 2;
  auto core = Core(options);
  EXPECT_EQ(core->Handle(Registration(1, "198.51.100.1")).status, 201);
  EXPECT_EQ(core->Handle(Registration(2, "198.51.100.2")).status, 201);
  EXPECT_EQ(core->Handle(Registration(3, "198.51.100.3")).status, 429);
}

}  // namespace
}  // namespace dpopfleet::realm
