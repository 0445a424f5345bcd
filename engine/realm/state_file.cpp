// State file format (JSON, version 1):
//   {"version":1,"signing_key":{private JWK},"clients":[{"client_id",…},…],
//    "revoked":[{"jti","exp"},…],"enrollments":[{"id",…},…],
//    "registration_limits":{"email":[{"key","times":[…]},…],"ip":[…]}}
// The last three members are optional, so files written before they existed still load.

#include "state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <simdjson.h>

#include "dpopfleet/json_writer.h"

namespace dpopfleet::realm {
namespace {

std::string ClientJson(const ClientRecord& record) {
  return JsonObjectWriter()
      .String("client_id", record.client_id)
      .String("realm", record.realm)
      .String("client_name", record.client_name)
      .String("scope", record.scope)
      .String("salt", record.salt)
      .String("secret_hash", record.secret_hash)
      .Bool("require_dpop", record.require_dpop)
      .Int("created_at", record.created_at)
      .Finish();
}

const char* EnrollmentStateName(Enrollment::State state) {
  switch (state) {
    case Enrollment::State::kConfirmed: return "confirmed";
    case Enrollment::State::kLocked: return "locked";
    case Enrollment::State::kPending: break;
  }
  return "pending";
}

std::string EnrollmentJson(const Enrollment& enrollment) {
  return JsonObjectWriter()
      .String("id", enrollment.id)
      .String("realm", enrollment.realm)
      .String("email", enrollment.email)
      .String("client_name", enrollment.client_name)
      .String("client_description", enrollment.client_description)
      .String("scope", enrollment.scope)
      .String("poll_token", enrollment.poll_token)
      .String("verification_code", enrollment.verification_code)
      .Int("expires_at", enrollment.expires_at)
      .String("state", EnrollmentStateName(enrollment.state))
      .Int("failed_attempts", enrollment.failed_attempts)
      .String("client_id", enrollment.client_id)
      .Finish();
}

std::string LimiterJson(const LimiterEvents& events) {
  std::string out = "[";
  for (const auto& [key, times] : events) {
    if (out.size() > 1) out.push_back(',');
    std::string list = "[";
    for (std::int64_t time : times) list += (list.size() > 1 ? "," : "") + std::to_string(time);
    out += JsonObjectWriter().String("key", key).Raw("times", list + "]").Finish();
  }
  return out + "]";
}

// JsonArray joins |items| rendered by |render| into a JSON array.
template <typename T, typename Render>
std::string JsonArray(const std::vector<T>& items, Render render) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += render(items[i]);
  }
  return out + "]";
}

Error InvalidState(const std::string& path, const std::string& problem) {
  return Error(ErrorCode::kInvalidJson,
               "state file '" + path + "' is invalid (" + problem +
                   "); repair it or move it away to start with an empty state");
}

Status WriteAll(int fd, const std::string& text, const std::string& path) {
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Error(ErrorCode::kIoError,
                   "cannot write '" + path + "': " + std::strerror(errno) + "; check free space");
    }
    written += static_cast<std::size_t>(n);
  }
  return {};
}

// ReadRevoked reads the optional "revoked" array; false when it is malformed.
bool ReadRevoked(simdjson::dom::element root, std::vector<RevokedToken>* out) {
  simdjson::dom::array items;
  if (root["revoked"].error() == simdjson::NO_SUCH_FIELD) return true;
  if (root["revoked"].get(items) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element item : items) {
    std::string_view jti;
    RevokedToken token;
    if (item["jti"].get(jti) || item["exp"].get(token.exp)) return false;
    token.jti = jti;
    out->push_back(std::move(token));
  }
  return true;
}

// ReadEnrollments reads the optional "enrollments" array; false when it is malformed.
bool ReadEnrollments(simdjson::dom::element root, std::vector<Enrollment>* out) {
  simdjson::dom::array items;
  if (root["enrollments"].error() == simdjson::NO_SUCH_FIELD) return true;
  if (root["enrollments"].get(items) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element item : items) {
    Enrollment enrollment;
    std::string_view id, realm, email, name, description, scope, poll_token, code, state, client_id;
    std::int64_t failed_attempts = 0;
    if (item["id"].get(id) || item["realm"].get(realm) || item["email"].get(email) ||
        item["client_name"].get(name) || item["client_description"].get(description) ||
        item["scope"].get(scope) || item["poll_token"].get(poll_token) ||
        item["verification_code"].get(code) || item["expires_at"].get(enrollment.expires_at) ||
        item["state"].get(state) || item["failed_attempts"].get(failed_attempts) ||
        item["client_id"].get(client_id)) {
      return false;
    }
    enrollment.id = id;
    enrollment.realm = realm;
    enrollment.email = email;
    enrollment.client_name = name;
    enrollment.client_description = description;
    enrollment.scope = scope;
    enrollment.poll_token = poll_token;
    enrollment.verification_code = code;
    enrollment.failed_attempts = static_cast<int>(failed_attempts);
    enrollment.client_id = client_id;
    if (state == "confirmed") {
      enrollment.state = Enrollment::State::kConfirmed;
    } else if (state == "locked") {
      enrollment.state = Enrollment::State::kLocked;
    } else if (state != "pending") {
      return false;
    }
    out->push_back(std::move(enrollment));
  }
  return true;
}

// ReadLimiter reads one "registration_limits" member; false when it is malformed.
bool ReadLimiter(simdjson::dom::element limits, const char* name, LimiterEvents* out) {
  simdjson::dom::array items;
  if (limits[name].get(items) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element item : items) {
    std::string_view key;
    simdjson::dom::array times;
    if (item["key"].get(key) || item["times"].get(times)) return false;
    std::deque<std::int64_t>& events = (*out)[std::string(key)];
    for (simdjson::dom::element time : times) {
      std::int64_t value = 0;
      if (time.get(value)) return false;
      events.push_back(value);
    }
  }
  return true;
}

// ReadExtras reads the optional members after "clients", naming the first malformed one.
std::string ReadExtras(simdjson::dom::element root, PersistedState* state) {
  if (!ReadRevoked(root, &state->revoked)) return "\"revoked\" is malformed";
  if (!ReadEnrollments(root, &state->enrollments)) return "\"enrollments\" is malformed";
  simdjson::dom::element limits;
  if (root["registration_limits"].get(limits) == simdjson::SUCCESS &&
      (!ReadLimiter(limits, "email", &state->registrations_by_email) ||
       !ReadLimiter(limits, "ip", &state->registrations_by_ip))) {
    return "\"registration_limits\" is malformed";
  }
  return {};
}

std::mutex& SaveMutex() {
  static std::mutex mutex;
  return mutex;
}

// Suppliers maps state file paths to their suppliers; guarded by SaveMutex.
std::map<std::string, StateSupplier>& Suppliers() {
  static std::map<std::string, StateSupplier> suppliers;
  return suppliers;
}

}  // namespace

Result<PersistedState> LoadState(const std::string& path) {
  PersistedState state;
  if (::access(path.c_str(), F_OK) != 0) return state;

  // The file contains the realm's private signing key. A copy others can read is a key
  // leak, so the file is rejected rather than silently tightened.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error(ErrorCode::kPermissionDenied,
                 "state file '" + path + "' has mode " + mode +
                     " but holds the realm's signing key; run chmod 600 on it (and replace the key if others "
                     "may have read it)");
  }

  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) {
    return Error(ErrorCode::kIoError,
                 "cannot read state file '" + path + "'; check its permissions");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return InvalidState(path, "not a JSON object");
  }
  std::int64_t version = 0;
  if (root["version"].get(version) != simdjson::SUCCESS || version != 1) {
    return InvalidState(path, "\"version\" is not 1");
  }

  simdjson::dom::element key;
  if (root["signing_key"].get(key) == simdjson::SUCCESS) {
    state.signing_key_jwk = simdjson::minify(key);
  }

  simdjson::dom::array clients;
  if (root["clients"].get(clients) != simdjson::SUCCESS) {
    return InvalidState(path, "\"clients\" is not an array");
  }
  for (simdjson::dom::element item : clients) {
    ClientRecord record;
    std::string_view id, realm, name, scope, salt, hash;
    bool require_dpop = false;
    std::int64_t created_at = 0;
    if (item["client_id"].get(id) || item["realm"].get(realm) || item["client_name"].get(name) ||
        item["scope"].get(scope) || item["salt"].get(salt) || item["secret_hash"].get(hash) ||
        item["require_dpop"].get(require_dpop) || item["created_at"].get(created_at)) {
      return InvalidState(path, "a client entry lacks a member");
    }
    record.client_id = id;
    record.realm = realm;
    record.client_name = name;
    record.scope = scope;
    record.salt = salt;
    record.secret_hash = hash;
    record.require_dpop = require_dpop;
    record.created_at = created_at;
    state.clients.push_back(std::move(record));
  }
  if (std::string problem = ReadExtras(root, &state); !problem.empty()) return InvalidState(path, problem);
  return state;
}

Status SaveState(const std::string& path, const PersistedState& base_state) {
  std::lock_guard lock(SaveMutex());
  PersistedState state = base_state;
  if (auto supplier = Suppliers().find(path); supplier != Suppliers().end()) supplier->second(&state);

  std::string limits = JsonObjectWriter()
                           .Raw("email", LimiterJson(state.registrations_by_email))
                           .Raw("ip", LimiterJson(state.registrations_by_ip))
                           .Finish();
  JsonObjectWriter writer;
  writer.Int("version", 1);
  if (!state.signing_key_jwk.empty()) writer.Raw("signing_key", state.signing_key_jwk);
  std::string text =
      writer.Raw("clients", JsonArray(state.clients, ClientJson))
          .Raw("revoked", JsonArray(state.revoked,
                                    [](const RevokedToken& token) {
                                      return JsonObjectWriter().String("jti", token.jti).Int("exp", token.exp).Finish();
                                    }))
          .Raw("enrollments", JsonArray(state.enrollments, EnrollmentJson))
          .Raw("registration_limits", limits)
          .Finish();
  text.push_back('\n');

  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kIoError, "cannot create '" + temporary + "': " +
                                          std::strerror(errno) +
                                          "; check that the state file's directory is writable");
  }
  // The mode passed to open is masked by the umask and ignored for an existing file.
  ::fchmod(fd, 0600);
  Status written = WriteAll(fd, text, temporary);
  if (written && ::fsync(fd) != 0) {
    written = Error(ErrorCode::kIoError, "cannot flush '" + temporary + "': " + std::strerror(errno));
  }
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    return written;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    return Error(ErrorCode::kIoError, "cannot rename '" + temporary + "' to '" + path + "': " +
                                          std::strerror(saved));
  }
  return {};
}

StateSupplierRegistration& StateSupplierRegistration::operator=(StateSupplierRegistration&& other) noexcept {
  if (this != &other) {
    StateSupplierRegistration discarded(std::move(*this));
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

StateSupplierRegistration::~StateSupplierRegistration() {
  if (path_.empty()) return;
  std::lock_guard lock(SaveMutex());
  Suppliers().erase(path_);
}

StateSupplierRegistration StateSupplierRegistration::Register(const std::string& path, StateSupplier supplier) {
  std::lock_guard lock(SaveMutex());
  Suppliers()[path] = std::move(supplier);
  StateSupplierRegistration registration;
  registration.path_ = path;
  return registration;
}

StateFileLock& StateFileLock::operator=(StateFileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

StateFileLock::~StateFileLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<StateFileLock> StateFileLock::Acquire(const std::string& state_path) {
  const std::string lock_path = state_path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kIoError, "cannot open the lock file " + lock_path + ": " +
                                          std::strerror(errno) + "; check that its directory exists and is writable");
  }
  StateFileLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return Error(ErrorCode::kPermissionDenied,
                 "state file " + state_path + " is in use by another realm (it holds " + lock_path +
                     "); give each realm its own --state-file");
  }
  return lock;
}

}  // namespace dpopfleet::realm
