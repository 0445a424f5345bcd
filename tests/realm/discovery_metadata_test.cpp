// Discovery documents as RFC 8414 and RFC 9110 expect them: the path-inserted metadata URL
// of each realm, no implicit grant advertised, and HEAD wherever GET works.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "realm_test_util.h"

namespace dpopfleet::realm_test {
namespace {

class DiscoveryMetadataTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmOptions options;
    options.realms = {"default", "lab"};
    StartRealm(options);
  }
};

TEST_F(DiscoveryMetadataTest, ServesPathInsertedMetadataUrl) {
  for (const char* realm : {"default", "lab"}) {
    SCOPED_TRACE(realm);
    HttpResult result =
        Send({"GET", Url("/.well-known/oauth-authorization-server/realms/" + std::string(realm)), {}, ""});
    ASSERT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(JsonStringMember(result.body, "issuer").value_or(""), realm_->issuer(realm));
    EXPECT_EQ(JsonStringMember(result.body, "token_endpoint").value_or(""),
              realm_->issuer(realm) + "/token");
  }

  HttpResult unknown = Send({"GET", Url("/.well-known/oauth-authorization-server/realms/nope"), {}, ""});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpResult nested = Send({"GET", Url("/.well-known/oauth-authorization-server/realms/lab/x"), {}, ""});
  EXPECT_EQ(nested.status, 404) << nested.body;
}

TEST_F(DiscoveryMetadataTest, AdvertisesNoImplicitGrant) {
  HttpResult result = Send({"GET", realm_->issuer() + "/.well-known/openid-configuration", {}, ""});
  ASSERT_EQ(result.status, 200);
  EXPECT_NE(result.body.find("\"response_types_supported\":[]"), std::string::npos) << result.body;
}

TEST_F(DiscoveryMetadataTest, HeadAllowedWhereGetIs) {
  for (const char* path : {"/jwks", "/.well-known/openid-configuration", "/agent.json"}) {
    SCOPED_TRACE(path);
    HttpResult head = Send({"HEAD", realm_->issuer() + path, {}, ""});
    EXPECT_EQ(head.status, 200) << head.curl_error;
    EXPECT_TRUE(head.body.empty());
  }

  HttpResult wrong = Send({"DELETE", realm_->issuer() + "/jwks", {}, ""});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.Header("allow"), "GET,HEAD");
  HttpResult post_only = Send({"HEAD", TokenUrl(), {}, ""});
  EXPECT_EQ(post_only.status, 405);
  EXPECT_EQ(post_only.Header("allow"), "POST");
}

// RawExchange sends |request| to 127.0.0.1:|port| over plain TCP and returns everything
// received until the server closes the connection.
std::string RawExchange(std::uint16_t port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string received;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) received.append(buffer, n);
  close(fd);
  return received;
}

TEST_F(DiscoveryMetadataTest, HeadSendsNoBody) {
  RealmOptions options;
  options.tls = false;
  StartRealm(options);
  std::string request = "HEAD /realms/default/jwks HTTP/1.1\r\nHost: 127.0.0.1:" +
                        std::to_string(realm_->port()) + "\r\nConnection: close\r\n\r\n";
  std::string response = RawExchange(realm_->port(), request);
  ASSERT_TRUE(response.starts_with("HTTP/1.1 200")) << response;
  std::size_t end_of_headers = response.find("\r\n\r\n");
  ASSERT_NE(end_of_headers, std::string::npos) << response;
  EXPECT_EQ(response.size(), end_of_headers + 4) << "a body followed the headers: " << response;
}

}  // namespace
}  // namespace dpopfleet::realm_test
