// Permission-checked loading of key files for `dpopfleet proof`.

#include "proof_key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dpopfleet/jwk.h"

namespace dpopfleet::cli {
namespace {

// ReadSecretFile reads the whole file through |fd|, which must be a regular file.
Result<std::string> ReadSecretFile(int fd, const std::string& path) {
  std::string content;
  char buffer[4096];
  while (true) {
    ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return Error(ErrorCode::kIoError,
                   "cannot read key file " + path + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > 64 * 1024) {
      return Error(ErrorCode::kInvalidKey,
                   "key file " + path + " is larger than 64 KiB; pass a single P-256 key");
    }
  }
  SecureClear(std::span(reinterpret_cast<std::uint8_t*>(buffer), sizeof(buffer)));
  return content;
}

}  // namespace

Result<P256Key> LoadProofKeyFile(const std::string& path) {
  // The permission check uses the opened descriptor, so the file checked is the file read.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return Error(ErrorCode::kIoError, "cannot open key file " + path + ": " +
                                          std::strerror(errno) +
                                          "; check the path or omit --key for an ephemeral key");
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return Error(ErrorCode::kIoError, "key file " + path + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    close(fd);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error(ErrorCode::kPermissionDenied,
                 "key file " + path + " is accessible by group or others (mode " + mode +
                     "); restrict it with: chmod 600 " + path);
  }

  Result<std::string> content = ReadSecretFile(fd, path);
  close(fd);
  if (!content.ok()) return content.error();

  std::size_t first = content->find_first_not_of(" \t\r\n");
  Result<P256Key> key = first != std::string::npos && (*content)[first] == '{'
                            ? ParsePrivateJwk(*content)
                            : P256Key::FromPem(*content);
  SecureClear(std::span(reinterpret_cast<std::uint8_t*>(content->data()), content->size()));
  if (!key.ok()) {
    return Error(key.error().code(), "key file " + path + ": " + key.error().message());
  }
  return key;
}

}  // namespace dpopfleet::cli
