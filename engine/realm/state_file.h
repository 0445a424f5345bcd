// The realm's state file: registered clients, the token signing key, revoked token ids,
// pending enrollments and the registration limits, so a restart keeps all of them. It
// contains the private signing key and the enrollments' poll tokens and codes, so it is
// written with mode 0600.

#ifndef DPOPFLEET_ENGINE_REALM_STATE_FILE_H_
#define DPOPFLEET_ENGINE_REALM_STATE_FILE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "client_store.h"
#include "dpopfleet/status.h"
#include "registration.h"
#include "token_service.h"

namespace dpopfleet::realm {

// LimiterEvents maps a limiter key to the times of its counted events.
using LimiterEvents = std::map<std::string, std::deque<std::int64_t>>;

struct PersistedState {
  std::string signing_key_jwk;  // private JWK; empty when none was saved
  std::vector<ClientRecord> clients;
  std::vector<RevokedToken> revoked;
  std::vector<Enrollment> enrollments;
  LimiterEvents registrations_by_email, registrations_by_ip;
};

// LoadState reads |path|. A missing file yields an empty state; an unreadable or invalid
// one fails with kIoError or kInvalidJson naming the file.
Result<PersistedState> LoadState(const std::string& path);

// SaveState writes |state| atomically: a temporary file in the same directory, created with
// mode 0600, flushed with fsync, then renamed over |path|. When a supplier is registered for
// |path| it first fills the revocations, enrollments and limits of a copy of |state|. It
// fails with kIoError naming the path. Calls are serialised process-wide.
Status SaveState(const std::string& path, const PersistedState& state);

// StateSupplier fills the sections of a state that live outside the client store: revoked
// tokens, enrollments and registration limits. It runs inside SaveState, so it must not
// call SaveState itself.
using StateSupplier = std::function<void(PersistedState*)>;

// StateSupplierRegistration keeps a supplier registered for one state file path and
// removes it when destroyed. It is move-only.
class StateSupplierRegistration {
 public:
  StateSupplierRegistration() = default;
  StateSupplierRegistration(StateSupplierRegistration&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  StateSupplierRegistration& operator=(StateSupplierRegistration&& other) noexcept;
  ~StateSupplierRegistration();

  // Register makes SaveState(|path|, …) call |supplier|, replacing any earlier supplier for
  // |path|. The StateFileLock on |path| guarantees one realm per path in a process.
  static StateSupplierRegistration Register(const std::string& path, StateSupplier supplier);

 private:
  std::string path_;
};

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
