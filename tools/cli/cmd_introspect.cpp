// dpopfleet introspect|revoke --token-file F: ask the issuer about tokens, or revoke them.

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

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

constexpr const char* kTokenFileFix = "pass the file `mint --out` writes or one token per line";

// TokenFromLine returns the token on |line| (line |number| of |path|), or nullopt for a
// line without one: a blank line, or a `mint --out` record of an agent whose token
// request failed. Any other line that is not a token throws UsageError naming the line.
std::optional<std::string> TokenFromLine(std::string_view line, const std::string& path, std::size_t number) {
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
  if (line.empty()) return std::nullopt;

  std::string where = path + " line " + std::to_string(number) + ": ";
  if (line.front() != '{') {
    if (std::any_of(line.begin(), line.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
      throw UsageError(where + "contains a space, which no access token does; " + kTokenFileFix);
    }
    return std::string(line);
  }

  auto fields = JsonFields::Parse(line, "record");
  if (!fields.ok()) throw UsageError(where + "not a JSON object; " + kTokenFileFix);
  if (auto token = fields->String("access_token")) {
    if (token->empty()) throw UsageError(where + "access_token is empty; " + kTokenFileFix);
    return token;
  }
  if (!fields->Has("access_token") && fields->Has("error")) return std::nullopt;
  if (!fields->Has("access_token")) throw UsageError(where + "has no access_token; " + kTokenFileFix);
  throw UsageError(where + "access_token is not a string; " + kTokenFileFix);
}

// ReadTokens returns the tokens in |path|: the "access_token" of each JSON line (as
// `mint --out` writes), or one token per line. Blank lines and records of failed agents
// are skipped, and |*failed_records| receives the number of skipped records.
std::vector<std::string> ReadTokens(const std::string& path, std::size_t* failed_records) {
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

  std::vector<std::string> tokens;
  std::string line;
  *failed_records = 0;
  for (std::size_t number = 1; std::getline(file, line); ++number) {
    std::optional<std::string> token = TokenFromLine(line, path, number);
    if (token) {
      tokens.push_back(std::move(*token));
    } else if (line.find('{') != std::string::npos) {
      ++*failed_records;
    }
  }
  if (tokens.empty()) throw UsageError(path + " contains no access token; " + kTokenFileFix);
  return tokens;
}

int Run(const TokenFileFlags& flags, bool revoke) {
  std::size_t failed_records = 0;
  std::vector<std::string> tokens = ReadTokens(flags.token_file, &failed_records);
  if (failed_records > 0) {
    std::fprintf(stderr, "skipped %zu records of %s without a token (their agents' token requests failed)\n",
                 failed_records, flags.token_file.c_str());
  }
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
                      "File of access tokens: the JSON lines `mint --out` writes, or one token per line; blank lines are skipped")
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
