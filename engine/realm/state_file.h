// The realm's state file: registered clients and the token signing key, so a restart keeps
// both. It contains the private signing key, so it is written with mode 0600.

#ifndef DPOPFLEET_ENGINE_REALM_STATE_FILE_H_
#define DPOPFLEET_ENGINE_REALM_STATE_FILE_H_

#include <string>
#include <vector>

#include "client_store.h"
#include "dpopfleet/status.h"

namespace dpopfleet::realm {

struct PersistedState {
  std::string signing_key_jwk;  // private JWK; empty when none was saved
  std::vector<ClientRecord> clients;
};

// LoadState reads |path|. A missing file yields an empty state; an unreadable or invalid
// one fails with kIoError or kInvalidJson naming the file.
Result<PersistedState> LoadState(const std::string& path);

// SaveState writes |state| atomically: a temporary file in the same directory, created with
// mode 0600, flushed with fsync, then renamed over |path|. It fails with kIoError naming the
// path.
Status SaveState(const std::string& path, const PersistedState& state);

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_STATE_FILE_H_
