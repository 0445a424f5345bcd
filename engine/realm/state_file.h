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

// StateFileLock is an exclusive flock(2) on "<state file>.lock", held while a realm uses the
// state file, so two realms cannot overwrite each other's clients. It is move-only and
// releases the lock when destroyed.
class StateFileLock {
 public:
  StateFileLock() = default;
  StateFileLock(StateFileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateFileLock& operator=(StateFileLock&& other) noexcept;
  ~StateFileLock();

  // Acquire locks |state_path|. It fails with kPermissionDenied naming the file when
  // another realm, in this process or another, holds the lock, and with kIoError when the
  // lock file cannot be opened.
  static Result<StateFileLock> Acquire(const std::string& state_path);

 private:
  explicit StateFileLock(int fd) : fd_(fd) {}

  int fd_ = -1;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_STATE_FILE_H_
