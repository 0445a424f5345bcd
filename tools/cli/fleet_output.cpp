// Progress line, token details and per-agent records.

#include "fleet_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "command.h"
#include "dpopfleet/json_writer.h"
#include "dpopfleet/oauth_json.h"

namespace dpopfleet::cli {

ProgressLine::ProgressLine(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressCallback ProgressLine::callback() {
  return [this](std::size_t finished, std::size_t total) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r%s %zu/%zu", label_.c_str(), finished, total);
    std::fflush(stderr);
    drawn_ = true;
  };
}

void ProgressLine::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\n");
  drawn_ = false;
}

void PrintTokenDetails(std::FILE* out, const TokenResponse& token, std::string_view thumbprint) {
  std::fprintf(out, "access_token  %s (%zu characters)\n", ShortenToken(token.access_token).c_str(),
               token.access_token.size());
  std::fprintf(out, "token_type    %s\n", token.token_type.c_str());
  std::fprintf(out, "expires_in    %lld s\n", static_cast<long long>(token.expires_in));
  if (!token.scope.empty()) std::fprintf(out, "scope         %s\n", token.scope.c_str());

  // A fleet run drops the decoded claims to save memory, so decode them again here.
  std::string claims = token.claims_json.empty() ? DecodeTokenClaims(token.access_token) : token.claims_json;
  if (claims.empty()) {
    std::fprintf(out, "claims        (opaque token: ask the server with `dpopfleet introspect`)\n");
    return;
  }
  std::fprintf(out, "claims        %s\n", claims.c_str());

  // A fleet run drops cnf_jkt with the claims, so read it from them again.
  std::string cnf_jkt = token.cnf_jkt;
  if (token.claims_json.empty() && cnf_jkt.empty()) {
    auto fields = JsonFields::Parse(claims, "access token claims");
    auto cnf = fields.ok() ? fields->Object("cnf") : std::nullopt;
    if (cnf) cnf_jkt = cnf->String("jkt").value_or("");
  }
  if (cnf_jkt.empty()) {
    std::fprintf(out, "cnf.jkt       absent: the token is not bound to a key, so anyone holding it can use it\n");
  } else if (cnf_jkt == thumbprint) {
    std::fprintf(out,
                 "cnf.jkt       %s equals the agent key's RFC 7638 thumbprint: the token is bound to that key, "
                 "so every request must carry a DPoP proof signed by it\n",
                 cnf_jkt.c_str());
  } else {
    std::fprintf(out, "cnf.jkt       %s differs from the agent key's thumbprint %s\n", cnf_jkt.c_str(),
                 std::string(thumbprint).c_str());
  }
}

std::string MintRecordJson(const MintResult& result, bool include_token) {
  std::string attempts = "[";
  for (const AttemptRecord& attempt : result.attempts) {
    if (attempts.size() > 1) attempts.push_back(',');
    JsonObjectWriter writer;
    writer.Int("status", attempt.status);
    if (attempt.error != ErrorCode::kOk) writer.String("error", ErrorCodeName(attempt.error));
    if (!attempt.reason.empty()) writer.String("reason", attempt.reason);
    writer.Int("wait_ms", attempt.wait_before.count());
    attempts += writer.Finish();
  }
  attempts.push_back(']');

  JsonObjectWriter writer;
  writer.Int("agent", static_cast<std::int64_t>(result.index)).String("thumbprint", result.thumbprint);
  if (result.token) {
    writer.String("token_type", result.token->token_type)
        .Int("expires_at", result.expires_at_unix)
        .String("scope", result.token->scope);
    if (include_token) writer.String("access_token", result.token->access_token);
  }
  // The engine leaves latency at 0 for some failures it did not time, so a failed agent's
  // record omits latency_ms rather than claim 0 ms.
  if (!result.error || result.latency.count() > 0) writer.Int("latency_ms", result.latency.count());
  writer.Raw("attempts", attempts);
  if (result.error) {
    writer.String("error", ErrorCodeName(result.error->code())).String("error_description", result.error->message());
  }
  return writer.Finish();
}

std::FILE* OpenPrivateFile(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0) {
    std::string reason = std::strerror(errno);
    if (fd >= 0) close(fd);
    throw UsageError("cannot create " + path + ": " + reason + "; pass a writable path");
  }
  std::FILE* file = fdopen(fd, "w");
  if (file == nullptr) {
    close(fd);
    throw UsageError("cannot open " + path + " for writing");
  }
  return file;
}

PrivateOutputFile::PrivateOutputFile(std::string path) : path_(std::move(path)), temp_path_(path_ + ".XXXXXX") {
  // A device or pipe such as /dev/null is written in place: renaming a file over it would
  // replace the device node for every other program.
  struct stat existing;
  if (stat(path_.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    if (S_ISDIR(existing.st_mode)) throw UsageError(path_ + " is a directory; pass a file path");
    temp_path_.clear();
    file_ = std::fopen(path_.c_str(), "we");
    if (file_ == nullptr) {
      throw UsageError("cannot open " + path_ + " for writing: " + std::strerror(errno) + "; pass a writable path");
    }
    return;
  }

  // mkstemp creates the file with mode 0600 and O_EXCL, in the directory of |path|.
  int fd = mkostemp(temp_path_.data(), O_CLOEXEC);
  if (fd < 0) {
    throw UsageError("cannot create a temporary file next to " + path_ + ": " + std::strerror(errno) +
                     "; pass a path in a writable directory");
  }
  file_ = fdopen(fd, "w");
  if (file_ == nullptr) {
    close(fd);
    unlink(temp_path_.c_str());
    throw UsageError("cannot open " + temp_path_ + " for writing");
  }
}

PrivateOutputFile::~PrivateOutputFile() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
}

void PrivateOutputFile::Commit() {
  std::FILE* file = file_;
  file_ = nullptr;
  if (temp_path_.empty()) {
    if (std::fclose(file) != 0) throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno) + "; check that it still accepts data");
    return;
  }

  bool written = std::fflush(file) == 0 && fsync(fileno(file)) == 0;
  written = std::fclose(file) == 0 && written;
  if (!written || rename(temp_path_.c_str(), path_.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    unlink(temp_path_.c_str());
    throw std::runtime_error("cannot write " + path_ + ": " + reason + "; check the free space and the directory");
  }
}

int ExitCodeFor(std::size_t succeeded, std::size_t total) {
  if (succeeded == total) return kExitOk;
  return succeeded == 0 ? kExitFailure : kExitPartialFailure;
}

void PrintFirstErrors(const std::vector<const AgentOutcome*>& failed, std::size_t limit) {
  for (std::size_t i = 0; i < failed.size() && i < limit; ++i) {
    std::fprintf(stderr, "agent %zu failed: %s\n", failed[i]->index, failed[i]->error->ToString().c_str());
  }
  if (failed.size() > limit) std::fprintf(stderr, "… and %zu more failed agents\n", failed.size() - limit);
}

}  // namespace dpopfleet::cli
