// State file format (JSON, version 1):
//   {"version":1,"signing_key":{private JWK},"clients":[{"client_id",…},…]}

#include "state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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
  return state;
}

Status SaveState(const std::string& path, const PersistedState& state) {
  std::string clients = "[";
  for (std::size_t i = 0; i < state.clients.size(); ++i) {
    if (i > 0) clients.push_back(',');
    clients += ClientJson(state.clients[i]);
  }
  clients.push_back(']');
  JsonObjectWriter writer;
  writer.Int("version", 1);
  if (!state.signing_key_jwk.empty()) writer.Raw("signing_key", state.signing_key_jwk);
  std::string text = writer.Raw("clients", clients).Finish();
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
