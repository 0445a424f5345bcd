// dpopfleet token: one agent, one ephemeral key, one DPoP-bound token, explained; with
// --export-key and --token-out, also kept for use with `proof` and curl.

#include <sys/stat.h>

#include <cstdio>
#include <optional>

#include "command.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/oauth_token.h"
#include "fleet_client.h"
#include "fleet_output.h"

namespace dpopfleet::cli {
namespace {

struct TokenFlags {
  ClientOptions client;
  std::string export_key;
  std::string token_out;
};

// PrintKeyFate prints where the key and token were written. A DPoP-bound token is useless
// without its key, so a run that discards the key prints that too.
void PrintKeyFate(const TokenFlags& flags) {
  if (flags.export_key.empty()) {
    std::printf("key           discarded: the token works only with proofs signed by the ephemeral key, which "
                "ends with this process; pass --export-key FILE (and --token-out FILE) to use the token\n");
  } else {
    std::printf("key           %s (mode 0600, private JWK; sign proofs for the token with `dpopfleet proof "
                "--key %s`)\n",
                flags.export_key.c_str(), flags.export_key.c_str());
  }
  if (!flags.token_out.empty()) {
    std::printf("token file    %s (mode 0600; pass it as `proof --access-token-file`)\n", flags.token_out.c_str());
  }
}

// CheckOutputPath rejects an existing |path| that is not a regular file. The output is
// renamed over its path, which would replace a device such as /dev/null or a FIFO with a
// file holding the key or token.
void CheckOutputPath(const char* flag, const std::string& path) {
  struct stat info {};
  if (path.empty() || lstat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode)) return;
  throw UsageError(std::string(flag) + " " + path + " exists and is not a regular file; pass the path of a new or "
                   "regular file");
}

int Run(const TokenFlags& flags) {
  bool bearer = flags.client.bearer;
  if (bearer && !flags.export_key.empty()) {
    throw UsageError("--export-key needs a DPoP-bound token, but --bearer requests a token bound to no key; "
                     "drop one of the two");
  }

  CheckOutputPath("--export-key", flags.export_key);
  CheckOutputPath("--token-out", flags.token_out);

  // The output files are created before the request, so an unwritable path fails before
  // the server issues a token. Each replaces its path only once complete.
  std::optional<PrivateOutputFile> key_file, token_file;
  if (!flags.export_key.empty()) key_file.emplace(flags.export_key);
  if (!flags.token_out.empty()) token_file.emplace(flags.token_out);

  auto transport = MakeTransport(flags.client);
  auto client = ResolveClient(*transport, flags.client);
  if (!client.ok()) return ReportError(client.error());

  auto key = P256Key::Generate();
  if (!key.ok()) return ReportError(key.error());
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  ProofBuilder builder;

  TokenRequestSpec spec;
  spec.token_endpoint = client->metadata.token_endpoint;
  spec.credentials = CredentialsOf(*client);
  spec.scope = ScopeFor(flags.client, *client);
  spec.key = bearer ? nullptr : &proof_key;
  spec.builder = &builder;
  auto token = RequestToken(*transport, spec, flags.client.allow_bearer, RequestOptionsFor(flags.client, spec.token_endpoint));
  if (!token.ok()) return ReportError(token.error());

  if (key_file) {
    std::fprintf(key_file->file(), "%s\n", PrivateJwkJson(proof_key.key()).c_str());
    key_file->Commit();
  }
  if (token_file) {
    std::fprintf(token_file->file(), "%s\n", token->access_token.c_str());
    token_file->Commit();
  }

  std::printf("client_id     %s\n", client->stored.client_id.c_str());
  std::printf("endpoint      %s\n", spec.token_endpoint.c_str());
  if (!bearer) std::printf("thumbprint    %s (the ephemeral key's RFC 7638 thumbprint)\n", proof_key.thumbprint().c_str());
  PrintTokenDetails(stdout, *token, bearer ? std::string_view() : std::string_view(proof_key.thumbprint()));
  if (!bearer) PrintKeyFate(flags);
  return kExitOk;
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("token", "Mint one DPoP-bound token with an ephemeral key and explain it");
  auto flags = std::make_shared<TokenFlags>();
  AddClientOptions(command, &flags->client);
  command->add_option("--export-key", flags->export_key,
                      "Write the ephemeral private key to this file (mode 0600, a private JWK as `proof --key` "
                      "reads), so the DPoP-bound token can be used; without it the key is discarded on exit");
  command->add_option("--token-out", flags->token_out,
                      "Write the full access token to this file (mode 0600, as `proof --access-token-file` "
                      "reads); the output shows only its first characters");

  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(40, Setup);

}  // namespace
}  // namespace dpopfleet::cli
