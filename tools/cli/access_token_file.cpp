// --access-token-file of `proof` and `bench http`.

#include "access_token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "command.h"
#include "dpopfleet/oauth_json.h"

namespace dpopfleet::cli {

std::string ReadAccessTokenFile(const std::string& path) {
  std::string line;
  if (path == "-") {
    std::getline(std::cin, line);
  } else {
    // An access token is a secret until it expires, so a file other users can read is
    // rejected, as for --token-file.
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
      throw UsageError("--access-token-file " + path + " can be read by other users; run chmod 600 " + path);
    }
    std::ifstream file(path);
    if (!file) {
      throw UsageError("cannot read --access-token-file " + path + ": " + std::strerror(errno) +
                       "; pass a readable file with the token on its first line, or - for standard input");
    }
    std::getline(file, line);
  }

  auto first = line.find_first_not_of(" \t\r");
  auto last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos) {
    throw UsageError("--access-token-file " + path + " has no token on its first line; put the access token there");
  }
  std::string token = line.substr(first, last - first + 1);
  if (token.front() != '{') return token;

  auto fields = JsonFields::Parse(token, "record");
  std::optional<std::string> access_token = fields.ok() ? fields->String("access_token") : std::nullopt;
  if (!access_token || access_token->empty()) {
    throw UsageError("--access-token-file " + path + ": the first line is JSON without a string access_token; "
                     "pass a file `mint --out` wrote, or one with the token on its first line");
  }
  return *access_token;
}

}  // namespace dpopfleet::cli
