// dpopfleet register: the email-verified registration flow, ending with stored credentials.

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "command.h"
#include "dpopfleet/credential_store.h"
#include "dpopfleet/oauth_registration.h"
#include "fleet_client.h"

namespace dpopfleet::cli {
namespace {

struct RegisterFlags {
  ClientOptions client;
  std::string email;
  std::string name;
  std::string description;
  std::vector<std::string> scopes;
  std::string code;
};

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string text;
  for (const std::string& scope : scopes) text += (text.empty() ? "" : " ") + scope;
  return text;
}

// ReadCode prompts for the verification code on the terminal (or reads a line from stdin).
std::string ReadCode(const std::string& email) {
  if (isatty(STDIN_FILENO) == 1) std::fprintf(stderr, "Verification code sent to %s: ", email.c_str());
  std::string code;
  if (!std::getline(std::cin, code)) {
    throw UsageError("no verification code on standard input; pass it with --code XXXX-XXXX");
  }
  while (!code.empty() && (code.back() == '\r' || code.back() == ' ')) code.pop_back();
  return code;
}

int Run(const RegisterFlags& flags) {
  auto root = CredentialStore::DefaultRoot(flags.client.config_dir);
  if (!root.ok()) return ReportError(root.error());
  auto transport = MakeTransport(flags.client);
  RegistrationClient registration(*transport, flags.client.issuer);

  // Agent-identity realms require at least one scope; "agent" is their basic one.
  std::vector<std::string> scopes = flags.scopes.empty() ? std::vector<std::string>{"agent"} : flags.scopes;
  auto enrollment = registration.Request(RegistrationRequest{flags.email, flags.name, flags.description, scopes});
  if (!enrollment.ok()) return ReportError(enrollment.error());
  std::fprintf(stderr, "enrollment %s started; a verification code was sent to %s\n",
               enrollment->enrollment_id.c_str(), flags.email.c_str());

  std::string code = flags.code.empty() ? ReadCode(flags.email) : flags.code;
  auto client = registration.Confirm(*enrollment, code);
  if (!client.ok()) return ReportError(client.error());

  StoredClient stored{client->client_id, client->client_secret,
                      client->token_endpoint.empty() ? enrollment->token_endpoint : client->token_endpoint,
                      client->issuer.empty() ? flags.client.issuer : client->issuer,
                      JoinScopes(client->granted_scopes)};
  auto path = CredentialStore(*root).Save(stored);
  if (!path.ok()) return ReportError(path.error());

  std::printf("client_id       %s\n", stored.client_id.c_str());
  std::printf("granted_scopes  %s\n", stored.scope.c_str());
  std::printf("token_endpoint  %s\n", stored.token_endpoint.c_str());
  std::printf("credentials     %s (mode 0600; the secret is not shown)\n", path->c_str());
  return kExitOk;
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("register", "Register a client through the email-verified flow and store it");
  auto flags = std::make_shared<RegisterFlags>();
  command->add_option("--issuer", flags->client.issuer, "Realm issuer URL, such as https://127.0.0.1:8443/realms/default")
      ->required();
  command->add_option("--email", flags->email, "Owner's email address; the verification code is sent there")->required();
  command->add_option("--name", flags->name, "Client name")->required();
  command->add_option("--description", flags->description, "Client description");
  command->add_option("--scope", flags->scopes, "Requested scope (repeatable; default: agent)");
  command->add_option("--code", flags->code, "Verification code, instead of asking on the terminal");
  command->add_option("--config-dir", flags->client.config_dir,
                      "Directory of stored clients (default: $XDG_CONFIG_HOME/strongdmid or ~/.config/strongdmid)");
  AddTransportOptions(command, &flags->client);

  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(30, Setup);

}  // namespace
}  // namespace dpopfleet::cli
