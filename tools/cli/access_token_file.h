// Reading one access token from a file or standard input, so that the token stays out of
// the process list and the shell history.

#ifndef DPOPFLEET_TOOLS_CLI_ACCESS_TOKEN_FILE_H_
#define DPOPFLEET_TOOLS_CLI_ACCESS_TOKEN_FILE_H_

#include <string>

namespace dpopfleet::cli {

// ReadAccessTokenFile returns the access token on the first line of |path| ("-" reads
// standard input), without surrounding white space. A first line starting with '{' is read
// as a `mint --out` record and its "access_token" is returned. It throws UsageError naming
// the file when the file cannot be read, other users can read it, or it has no token.
std::string ReadAccessTokenFile(const std::string& path);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_ACCESS_TOKEN_FILE_H_
