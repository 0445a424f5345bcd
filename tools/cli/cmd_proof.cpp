// dpopfleet proof: print one DPoP proof for a request, ready for curl's -H "DPoP: …".

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>

#include "access_token_file.h"
#include "command.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/url.h"
#include "proof_key_file.h"

namespace dpopfleet::cli {
namespace {

struct ProofOptions {
  std::string htm;
  std::string htu;
  std::string access_token;
  std::string access_token_file;
  std::string nonce;
  std::string key_file;
};

// IsMethodToken returns true if |method| is an HTTP token (RFC 9110 section 5.6.2).
bool IsMethodToken(const std::string& method) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  if (method.empty()) return false;
  for (unsigned char c : method) {
    bool alphanumeric = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alphanumeric && kSymbols.find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

P256Key LoadOrGenerateKey(const ProofOptions& options) {
  if (!options.key_file.empty()) {
    Result<P256Key> key = LoadProofKeyFile(options.key_file);
    if (!key.ok()) throw UsageError(key.error().message());
    return std::move(*key);
  }

  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) throw std::runtime_error(key.error().ToString());
  std::fprintf(stderr, "ephemeral key, public JWK: %s\n",
               PublicJwkJson(key->public_key()).c_str());
  std::fprintf(stderr, "thumbprint (jkt): %s\n", JwkThumbprint(key->public_key()).c_str());
  return std::move(*key);
}

int RunProof(const ProofOptions& options) {
  std::string access_token = options.access_token;
  if (!options.access_token_file.empty()) access_token = ReadAccessTokenFile(options.access_token_file);

  if (!IsMethodToken(options.htm)) {
    throw UsageError("--htm \"" + options.htm + "\" is not an HTTP method; use for example POST");
  }
  if (std::any_of(options.htm.begin(), options.htm.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    std::string upper = options.htm;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    throw UsageError("--htm " + options.htm + " has lower-case letters; HTTP methods are case-sensitive (RFC 9110 "
                     "section 9.1) and a server compares htm exactly, so pass --htm " + upper);
  }
  Result<std::string> htu = NormalizeHtu(options.htu);
  if (!htu.ok()) throw UsageError("--htu: " + htu.error().message());

  ProofKey key = ProofKey::Create(LoadOrGenerateKey(options));
  std::string ath = access_token.empty() ? "" : AccessTokenHash(access_token);
  ProofRequest request;
  request.htm = options.htm;
  request.htu = *htu;
  request.ath = ath;
  request.nonce = options.nonce;

  std::string proof;
  ErrorCode code = ProofBuilder().Build(key, request, &proof);
  if (code != ErrorCode::kOk) {
    std::fprintf(stderr, "error: building the proof failed: %s\n", ErrorCodeName(code));
    return kExitFailure;
  }
  std::printf("%s\n", proof.c_str());
  return kExitOk;
}

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* command = root.add_subcommand(
      "proof", "Print a DPoP proof (RFC 9449) for one request, for curl -H \"DPoP: ...\"");
  auto options = std::make_shared<ProofOptions>();
  command->add_option("--htm", options->htm, "HTTP method of the request, such as POST")
      ->required();
  command->add_option("--htu", options->htu,
                      "URL of the request; query and fragment are dropped from the proof")
      ->required();
  auto* token_file = command->add_option(
      "--access-token-file", options->access_token_file,
      "File whose first line is the access token the request carries, or - for standard input; adds its hash "
      "as \"ath\"");
  command
      ->add_option("--access-token", options->access_token,
                   "Access token the request carries. Other users can read it in ps and /proc, and it stays in "
                   "the shell history, so prefer --access-token-file")
      ->excludes(token_file);
  command->add_option("--nonce", options->nonce, "Server-provided DPoP-Nonce to include");
  command->add_option("--key", options->key_file,
                      "P-256 private key file (private JWK or PEM, mode 0600); without it an "
                      "ephemeral key is generated and its public JWK printed to stderr");
  command->callback([options, exit_code] { *exit_code = RunProof(*options); });
}

const CommandRegistrar kRegistrar(80, Setup);

}  // namespace
}  // namespace dpopfleet::cli
