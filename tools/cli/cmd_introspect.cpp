// dpopfleet introspect|revoke --token-file F: ask the issuer about tokens, or revoke them.

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "command.h"
#include "dpopfleet/oauth_introspection.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/oauth_token.h"
#include "fleet_client.h"

namespace dpopfleet::cli {
namespace {

struct TokenFileFlags {
  ClientOptions client;
  std::string token_file;
};

// ReadTokens returns the tokens in |path|: the "access_token" of each JSON line (as
// `mint --out` writes), or the whole file as one token.
std::vector<std::string> ReadTokens(const std::string& path) {
  // Access tokens are secrets until they expire, so reject a file that other users can read,
  // as the credential store does for client secrets.
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    throw UsageError("cannot read --token-file " + path + ": " + std::strerror(errno) + "; pass an existing file");
  }
  if ((info.st_mode & 077) != 0) {
    throw UsageError("--token-file " + path + " can be read by other users and contains access tokens; run chmod 600 " +
                     path);
  }
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read --token-file " + path);
  std::stringstream content;
  content << file.rdbuf();
  std::string text = content.str();

  std::vector<std::string> tokens;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() != '{') continue;
    auto fields = JsonFields::Parse(line, path);
    if (!fields.ok()) throw UsageError(fields.error().message());
    if (auto token = fields->String("access_token")) tokens.push_back(*token);
  }
  if (tokens.empty()) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.empty() || text.front() == '{') {
      throw UsageError(path + " contains no access token; pass a file from `mint --out` or one with a single token");
    }
    tokens.push_back(text);
  }
  return tokens;
}

int Run(const TokenFileFlags& flags, bool revoke) {
  std::vector<std::string> tokens = ReadTokens(flags.token_file);
  auto transport = MakeTransport(flags.client);
  auto client = ResolveClient(*transport, flags.client);
  if (!client.ok()) return ReportError(client.error());
  const std::string& endpoint =
      revoke ? client->metadata.revocation_endpoint : client->metadata.introspection_endpoint;
  if (endpoint.empty()) {
    return ReportError(Error(ErrorCode::kNotFound, std::string("the issuer advertises no ") +
                                                       (revoke ? "revocation_endpoint" : "introspection_endpoint") +
                                                       "; pass --issuer so it can be discovered"));
  }

  std::size_t succeeded = 0;
  for (const std::string& token : tokens) {
    if (revoke) {
      Status revoked = Revoke(*transport, endpoint, CredentialsOf(*client), token);
      if (!revoked.ok()) {
        ReportError(revoked.error());
        continue;
      }
      std::printf("accepted %s\n", ShortenToken(token).c_str());
    } else {
      auto result = Introspect(*transport, endpoint, CredentialsOf(*client), token);
      if (!result.ok()) {
        ReportError(result.error());
        continue;
      }
      std::printf("%s %s\n", ShortenToken(token).c_str(), result->json.c_str());
    }
    ++succeeded;
  }
  if (revoke && succeeded > 0) {
    std::fprintf(stderr,
                 "the server accepted %zu of %zu revocation requests; RFC 7009 answers 200 for unknown or "
                 "already invalid tokens too, so run `dpopfleet introspect` to see whether a token is active\n",
                 succeeded, tokens.size());
  }
  if (succeeded == tokens.size()) return kExitOk;
  return succeeded == 0 ? kExitFailure : kExitPartialFailure;
}

void AddTokenFileCommand(CLI::App& root, int* exit_code, const char* name, const char* help, bool revoke) {
  auto* command = root.add_subcommand(name, help);
  auto flags = std::make_shared<TokenFileFlags>();
  command->add_option("--token-file", flags->token_file,
                      "File with one access token, or JSON lines with \"access_token\" as `mint --out` writes")
      ->required();
  AddStoredClientOptions(command, &flags->client);
  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags, revoke); }); });
}

void Setup(CLI::App& root, int* exit_code) {
  AddTokenFileCommand(root, exit_code, "introspect", "Ask the issuer whether tokens are active (RFC 7662)", false);
  AddTokenFileCommand(root, exit_code, "revoke", "Ask the issuer to revoke tokens (RFC 7009; the answer does not say whether a token existed)", true);
}

const CommandRegistrar kRegistrar(70, Setup);

}  // namespace
}  // namespace dpopfleet::cli
