// Terminal output of the fleet commands: the progress line, token details and per-agent
// JSON records.

#ifndef DPOPFLEET_TOOLS_CLI_FLEET_OUTPUT_H_
#define DPOPFLEET_TOOLS_CLI_FLEET_OUTPUT_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "dpopfleet/fleet.h"
#include "dpopfleet/oauth_token.h"

namespace dpopfleet::cli {

// ProgressLine redraws "<label> done/total" on stderr when stderr is a terminal and prints
// nothing otherwise. Its callback runs on one thread at a time.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  ~ProgressLine() { Finish(); }

  // callback returns a ProgressCallback that redraws the line.
  ProgressCallback callback();

  // Finish ends the line so later output starts on a fresh one. It is idempotent.
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
};

// PrintTokenDetails prints |token| with the access token shortened, its decoded claims
// and what cnf.jkt means for the agent whose key has |thumbprint|.
void PrintTokenDetails(std::FILE* out, const TokenResponse& token, std::string_view thumbprint);

// MintRecordJson returns one agent's JSON line: index, thumbprint, expiry, scope, attempts
// (status, reason, wait) and error; the access token only when |include_token|.
std::string MintRecordJson(const MintResult& result, bool include_token);

// OpenPrivateFile creates or truncates |path| with mode 0600 for writing secrets (tokens,
// private keys). It throws UsageError naming the path when it cannot.
std::FILE* OpenPrivateFile(const std::string& path);

// PrivateOutputFile writes a 0600 file through a temporary file in the same directory,
// renamed over |path| only by Commit, so an existing file survives until the new one is
// complete. Destruction without Commit removes the temporary file. An existing path that is
// not a regular file (a device such as /dev/null, a pipe) is written in place. Not
// thread-safe.
class PrivateOutputFile {
 public:
  // PrivateOutputFile creates the temporary file. It throws UsageError naming |path| when
  // its directory is not writable.
  explicit PrivateOutputFile(std::string path);
  ~PrivateOutputFile();

  PrivateOutputFile(const PrivateOutputFile&) = delete;
  PrivateOutputFile& operator=(const PrivateOutputFile&) = delete;

  std::FILE* file() const { return file_; }

  // Commit flushes, closes and renames the temporary file to the final path. It throws
  // std::runtime_error naming the path when writing or renaming fails.
  void Commit();

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
};

// ExitCodeFor returns kExitOk when every one of |total| agents succeeded, kExitFailure when
// none did, and kExitPartialFailure otherwise.
int ExitCodeFor(std::size_t succeeded, std::size_t total);

// PrintFirstErrors prints up to |limit| failed agents' errors on stderr, one per line.
void PrintFirstErrors(const std::vector<const AgentOutcome*>& failed, std::size_t limit);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_FLEET_OUTPUT_H_
