// client.json files: atomic writes with owner-only permissions, and reads that refuse files
// others could have read.

#include "dpopfleet/credential_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dpopfleet/json_writer.h"
#include "dpopfleet/oauth_json.h"

namespace dpopfleet {
namespace {

constexpr mode_t kDirectoryMode = 0700;
constexpr mode_t kFileMode = 0600;
constexpr const char* kFileName = "client.json";

std::string ErrnoText() { return std::strerror(errno); }

// EnsurePrivateDirectory creates |path| with mode 0700 if it is missing. An existing
// directory keeps its mode; Load checks it.
Status EnsurePrivateDirectory(const std::string& path) {
  if (mkdir(path.c_str(), kDirectoryMode) == 0 || errno == EEXIST) return Status();
  return Error(ErrorCode::kIoError, "cannot create directory " + path + ": " + ErrnoText());
}

// CheckPrivate fails when group or others have any access to |path|.
Status CheckPrivate(const std::string& path, bool directory) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return Error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                 "cannot read " + path + ": " + ErrnoText());
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error(ErrorCode::kPermissionDenied,
                 path + " has mode " + mode + ", so other users may read the client secret; run: chmod " +
                     (directory ? "700 " : "600 ") + path);
  }
  return Status();
}

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, kFileMode);
  if (fd < 0) return Error(ErrorCode::kIoError, "cannot create " + temporary + ": " + ErrnoText());

  // open() applies the umask, which can only remove bits; fchmod makes the mode exact.
  bool written = fchmod(fd, kFileMode) == 0 &&
                 write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                 fsync(fd) == 0;
  std::string write_error = written ? std::string() : ErrnoText();
  close(fd);
  if (!written) {
    unlink(temporary.c_str());
    return Error(ErrorCode::kIoError, "cannot write " + temporary + ": " + write_error);
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    std::string rename_error = ErrnoText();
    unlink(temporary.c_str());
    return Error(ErrorCode::kIoError, "cannot rename " + temporary + " to " + path + ": " + rename_error);
  }
  return Status();
}

bool IsPlainFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// BadIdError explains why |id| cannot name a client directory.
Error BadIdError(const std::string& id) {
  std::string problem = id.empty() ? "is empty"
                    : (id == "." || id == "..") ? "names the directory itself or its parent"
                                                : "contains '/' or a NUL byte";
  return Error(ErrorCode::kInvalidArgument, "client id '" + id + "' " + problem +
                                                "; a client id must be usable as one directory name, such as the "
                                                "ids `dpopfleet credentials list` shows");
}

// CheckRootIsDirectory fails with kInvalidArgument when |root| exists but is not a
// directory, such as a --config-dir naming a file.
Status CheckRootIsDirectory(const std::string& root) {
  struct stat info {};
  if (stat(root.c_str(), &info) != 0 || S_ISDIR(info.st_mode)) return Status();
  return Error(ErrorCode::kInvalidArgument, root + " is not a directory; pass a directory as --config-dir (stored "
                                                   "clients live in <dir>/<client_id>/client.json)");
}

}  // namespace

Result<std::string> CredentialStore::DefaultRoot(std::string_view config_dir) {
  if (!config_dir.empty()) return std::string(config_dir);
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/strongdmid";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return std::string(home) + "/.config/strongdmid";
  return Error(ErrorCode::kNotFound,
               "neither XDG_CONFIG_HOME nor HOME is set; pass --config-dir DIR to say where credentials live");
}

std::string CredentialStore::PathFor(std::string_view client_id) const {
  return root_ + "/" + std::string(client_id) + "/" + kFileName;
}

Result<std::string> CredentialStore::Save(const StoredClient& client) const {
  if (!IsPlainFileName(client.client_id)) return BadIdError(client.client_id);
  Status root_kind = CheckRootIsDirectory(root_);
  if (!root_kind.ok()) return root_kind.error();

  // The parent of the root (such as ~/.config) may be missing on a fresh machine.
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(root_).parent_path(), ignored);
  Status created = EnsurePrivateDirectory(root_);
  if (!created.ok()) return created.error();
  std::string directory = root_ + "/" + client.client_id;
  created = EnsurePrivateDirectory(directory);
  if (!created.ok()) return created.error();

  JsonObjectWriter writer;
  writer.String("client_id", client.client_id)
      .String("client_secret", client.client_secret)
      .String("token_endpoint", client.token_endpoint)
      .String("issuer", client.issuer);
  if (!client.scope.empty()) writer.String("scope", client.scope);
  std::string path = PathFor(client.client_id);
  Status written = WriteFileAtomically(path, writer.Finish() + "\n");
  if (!written.ok()) return written.error();
  return path;
}

std::vector<std::string> CredentialStore::List() const {
  std::vector<std::string> ids;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root_, error)) {
    if (entry.is_directory(error) && std::filesystem::exists(entry.path() / kFileName, error)) {
      ids.push_back(entry.path().filename().string());
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<StoredClient> CredentialStore::Load(std::string_view client_id) const {
  Status root_kind = CheckRootIsDirectory(root_);
  if (!root_kind.ok()) return root_kind.error();
  std::string id(client_id);
  if (id.empty()) {
    std::vector<std::string> ids = List();
    if (ids.empty()) {
      return Error(ErrorCode::kNotFound, "no client credentials under " + root_ +
                                             "; run `dpopfleet register` or `dpopfleet credentials add` first, or pass "
                                             "--config-dir");
    }
    if (ids.size() > 1) {
      std::string names;
      for (const std::string& name : ids) names += (names.empty() ? "" : ", ") + name;
      return Error(ErrorCode::kInvalidArgument,
                   "several clients are stored under " + root_ + " (" + names + "); pick one with --client-id");
    }
    id = ids.front();
  }
  if (!IsPlainFileName(id)) return BadIdError(id);

  std::string directory = root_ + "/" + id;
  std::string path = PathFor(id);
  Status private_dir = CheckPrivate(directory, true);
  if (!private_dir.ok()) {
    if (private_dir.error().code() == ErrorCode::kNotFound) {
      std::string names;
      for (const std::string& name : List()) names += (names.empty() ? "" : ", ") + name;
      return Error(ErrorCode::kNotFound, "no client '" + id + "' under " + root_ +
                                             "; stored clients: " + (names.empty() ? "none" : names));
    }
    return private_dir.error();
  }
  Status private_file = CheckPrivate(path, false);
  if (!private_file.ok()) return private_file.error();

  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  if (!file) return Error(ErrorCode::kIoError, "cannot read " + path);

  auto fields = JsonFields::Parse(content.str(), path);
  if (!fields.ok()) return fields.error();
  StoredClient client;
  client.client_id = fields->String("client_id").value_or("");
  client.client_secret = fields->String("client_secret").value_or("");
  client.token_endpoint = fields->String("token_endpoint").value_or("");
  client.issuer = fields->String("issuer").value_or("");
  client.scope = fields->String("scope").value_or("");
  if (client.client_id.empty() || client.client_secret.empty()) {
    return Error(ErrorCode::kInvalidJson, path + " lacks client_id or client_secret; register again");
  }
  if (client.token_endpoint.empty() && client.issuer.empty()) {
    return Error(ErrorCode::kInvalidJson, path + " has neither token_endpoint nor issuer; register again");
  }
  return client;
}

}  // namespace dpopfleet
