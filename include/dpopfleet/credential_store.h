// The on-disk store of client credentials, in the layout other agent-identity tools use:
// <root>/<client_id>/client.json with "client_id", "client_secret", "token_endpoint" and
// "issuer", where <root> is ~/.config/strongdmid by default.

#ifndef DPOPFLEET_CREDENTIAL_STORE_H_
#define DPOPFLEET_CREDENTIAL_STORE_H_

#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet {

// StoredClient is one client.json.
struct StoredClient {
  std::string client_id;
  std::string client_secret;
  std::string token_endpoint;
  std::string issuer;

  // scope is the space-separated scope granted at registration; optional in the file.
  std::string scope;
};

// CredentialStore reads and writes client.json files under one root directory. Directories
// it creates are 0700 and files 0600; it refuses to read a client directory or file that
// group or others may access. Methods may be called from several threads, but two
// processes saving one client at once leave one of the two files.
class CredentialStore {
 public:
  // DefaultRoot returns |config_dir| when it is not empty, else $XDG_CONFIG_HOME/strongdmid,
  // else $HOME/.config/strongdmid. It fails with kNotFound when neither variable is set.
  static Result<std::string> DefaultRoot(std::string_view config_dir = {});

  explicit CredentialStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // PathFor returns <root>/<client_id>/client.json.
  std::string PathFor(std::string_view client_id) const;

  // Save writes |client| atomically (a 0600 temporary file, fsync, rename) and returns the
  // file's path. It fails with kInvalidArgument for a client_id that is not a plain file
  // name, and kIoError naming the path when a write fails.
  Result<std::string> Save(const StoredClient& client) const;

  // Load reads the client |client_id|, or the only stored client when |client_id| is empty.
  // It fails with kNotFound when the client is missing, and the message lists stored ids.
  // It fails with kInvalidArgument when several clients are stored and none was named. It
  // fails with kPermissionDenied when group or others may access the client's directory or
  // file, and the message has the chmod fix. A malformed file fails with kInvalidJson.
  Result<StoredClient> Load(std::string_view client_id = {}) const;

  // List returns the ids of the stored clients (directories holding a client.json), sorted.
  std::vector<std::string> List() const;

 private:
  std::string root_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_CREDENTIAL_STORE_H_
