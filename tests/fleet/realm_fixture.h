// A reference realm over TLS on a loopback port plus a Transport that trusts its CA, for
// tests that drive the fleet layer end to end.

#ifndef DPOPFLEET_TESTS_FLEET_REALM_FIXTURE_H_
#define DPOPFLEET_TESTS_FLEET_REALM_FIXTURE_H_

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "dpopfleet/fleet.h"
#include "dpopfleet/realm.h"
#include "dpopfleet/transport.h"
#include "dpopfleet/url.h"

namespace dpopfleet::testing {

inline constexpr const char* kClientId = "cli_fleet_test";
inline constexpr const char* kClientSecret = "sec_fleet_test_secret";

// StartRealm starts a TLS realm on a free loopback port with one DPoP-requiring static
// client (kClientId) and one Bearer-capable client ("cli_bearer").
inline std::unique_ptr<Realm> StartRealm(RealmOptions options = {}) {
  options.static_clients.push_back({kClientId, kClientSecret, true, "agent"});
  options.static_clients.push_back({"cli_bearer", "sec_bearer_secret", false, "agent"});
  auto realm = Realm::Start(std::move(options));
  EXPECT_TRUE(realm.ok()) << realm.error().ToString();
  return realm.ok() ? std::move(*realm) : nullptr;
}

// MakeTransport returns a Transport trusting |realm|'s CA, with |retry| as its policy.
inline std::unique_ptr<Transport> MakeTransport(const Realm& realm, RetryPolicy retry = {}) {
  TransportOptions options;
  options.ca_file = realm.ca_file();
  options.retry = retry;
  auto transport = Transport::Create(std::move(options));
  EXPECT_TRUE(transport.ok()) << transport.error().ToString();
  return transport.ok() ? std::move(*transport) : nullptr;
}

// MintConfigFor returns a MintConfig for kClientId at |realm|'s default issuer.
inline MintConfig MintConfigFor(const Realm& realm) {
  MintConfig config;
  config.token_endpoint = JoinUrl(realm.issuer(), "token");
  config.credentials = {kClientId, kClientSecret};
  config.scope = "agent";
  config.concurrency = 64;
  return config;
}

// Keys returns a pool of |count| fresh agent keys.
inline KeyPool Keys(std::size_t count) {
  auto keys = KeyPool::Generate(count);
  EXPECT_TRUE(keys.ok());
  return keys.ok() ? std::move(*keys) : KeyPool::FromKeys({});
}

}  // namespace dpopfleet::testing

#endif  // DPOPFLEET_TESTS_FLEET_REALM_FIXTURE_H_
