// Registered OAuth clients. Secrets are kept only as salted SHA-256 hashes.
//
// Thread safety: every method may be called from many threads at once.

#ifndef DPOPFLEET_ENGINE_REALM_CLIENT_STORE_H_
#define DPOPFLEET_ENGINE_REALM_CLIENT_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/realm.h"
#include "dpopfleet/status.h"

namespace dpopfleet::realm {

// ClientRecord is one client. realm is empty for static clients, which every realm accepts.
struct ClientRecord {
  std::string client_id;
  std::string realm;
  std::string client_name;
  std::string scope;  // space-separated
  std::string salt;   // base64url of 16 random bytes
  std::string secret_hash;  // base64url(SHA-256(salt bytes || secret))
  bool require_dpop = false;
  bool is_static = false;
  std::int64_t created_at = 0;
};

// NewClient is a freshly registered client and its secret, which is shown once and then
// forgotten.
struct NewClient {
  ClientRecord record;
  std::string client_secret;
};

// HashSecret returns base64url(SHA-256(decoded |salt| || |secret|)). SHA-256 suffices
// because generated secrets carry 256 random bits; static secrets come from the operator.
std::string HashSecret(std::string_view salt, std::string_view secret);

class ClientStore {
 public:
  // AddStatic registers |client| for every realm. It fails with kInvalidArgument on an
  // empty id or secret, or an id already in use.
  Status AddStatic(const RealmStaticClient& client, std::int64_t now);

  // Register creates a client "cli_<name>_<16 hex digits>" in |realm| with a "sec_" secret
  // of 256 random bits. |client_name| is reduced to lower-case letters, digits and '-'.
  Result<NewClient> Register(std::string_view realm, std::string_view client_name,
                             std::string_view scope, std::int64_t now);

  // Authenticate returns the client if |client_id| exists, accepts |realm| and |secret|
  // hashes to its stored hash (compared in constant time), and nullopt otherwise.
  std::optional<ClientRecord> Authenticate(std::string_view realm, std::string_view client_id,
                                           std::string_view secret) const;

  // Find returns the client named |client_id|, or nullopt.
  std::optional<ClientRecord> Find(std::string_view client_id) const;

  // Restore adds records loaded from the state file, replacing none that exist.
  void Restore(const std::vector<ClientRecord>& records);

  // Registered returns the clients that were registered, not static: what the state file
  // keeps.
  std::vector<ClientRecord> Registered() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, ClientRecord, std::less<>> clients_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_CLIENT_STORE_H_
