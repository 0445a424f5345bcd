// Decisions that depend on the peer address, checked on the request handler directly
// because tests may only connect over loopback: admin endpoints and X-Forwarded-Proto are
// for loopback peers only.

#include <gtest/gtest.h>

#include "dpop_guard.h"
#include "realm_core.h"

namespace dpopfleet::realm {
namespace {

HttpExchange Exchange(std::string path, bool loopback) {
  HttpExchange exchange;
  exchange.method = "GET";
  exchange.path = std::move(path);
  exchange.scheme = "https";
  exchange.peer_address = loopback ? "127.0.0.1" : "192.0.2.7";
  exchange.peer_is_loopback = loopback;
  exchange.headers = {{"host", "realm.example:8443"}, {"x-forwarded-proto", "http"}};
  return exchange;
}

TEST(PeerTrustTest, AdminOutboxRejectsRemotePeers) {
  char directory[] = "/tmp/dpopfleet-peer-trust-XXXXXX";
  ASSERT_NE(::mkdtemp(directory), nullptr);
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  RealmOptions options;
  options.admin_outbox = true;
  RealmCore core(options, "https://realm.example:8443", directory, std::move(*key));

  HttpExchange remote = Exchange("/admin/outbox", false);
  remote.query["email"] = "a@example.com";
  HttpReply rejected = core.Handle(remote);
  EXPECT_EQ(rejected.status, 403);
  EXPECT_EQ(rejected.reason, "admin_not_loopback");

  HttpExchange local = Exchange("/admin/outbox", true);
  local.query["email"] = "a@example.com";
  local.headers.pop_back();  // X-Forwarded-Proto would mark it as coming through a front
  EXPECT_EQ(core.Handle(local).status, 404);
  ::rmdir(directory);
}

TEST(PeerTrustTest, ForwardedProtoOnlyFromLoopback) {
  EXPECT_EQ(DpopGuard::RequestUrl(Exchange("/token", true)), "http://realm.example:8443/token");
  EXPECT_EQ(DpopGuard::RequestUrl(Exchange("/token", false)), "https://realm.example:8443/token");

  HttpExchange no_host = Exchange("/token", true);
  no_host.headers.clear();
  EXPECT_EQ(DpopGuard::RequestUrl(no_host), "");
}

}  // namespace
}  // namespace dpopfleet::realm
