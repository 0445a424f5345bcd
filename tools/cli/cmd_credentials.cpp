// dpopfleet credentials add|list: store a client registered out of band (a realm's static
// client, or a client of any RFC 9449 server) and show what is stored.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "command.h"
#include "dpopfleet/credential_store.h"
#include "dpopfleet/oauth_discovery.h"
#include "fleet_client.h"

namespace dpopfleet::cli {
namespace {

struct AddFlags {
  ClientOptions client;
  std::string secret_file;
  bool replace = false;
};

// ReadSecret returns the secret in |path| ("-" for standard input) without surrounding
// whitespace. The secret never comes from the command line, where other users can read
// it with `ps`.
std::string ReadSecret(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw UsageError("cannot read --secret-file " + path + "; pass a readable file, or - for standard input");
    text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  std::size_t end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    throw UsageError("--secret-file " + path + " is empty; write the client secret into it (one line)");
  }
  std::string secret = text.substr(begin, end - begin + 1);
  if (secret.find_first_of("\r\n") != std::string::npos) {
    throw UsageError("--secret-file " + path + " has more than one line; it must hold only the client secret");
  }
  return secret;
}

int RunAdd(const AddFlags& flags) {
  auto root = CredentialStore::DefaultRoot(flags.client.config_dir);
  if (!root.ok()) return ReportError(root.error());
  CredentialStore store(*root);
  std::error_code ignored;
  if (!flags.replace && std::filesystem::exists(store.PathFor(flags.client.client_id), ignored)) {
    throw UsageError("client " + flags.client.client_id + " is already stored at " +
                     store.PathFor(flags.client.client_id) + "; pass --replace to overwrite it");
  }
  std::string secret = ReadSecret(flags.secret_file);

  // Discovery fixes the token endpoint, so later commands send the secret to the server the
  // issuer names and to no other.
  auto transport = MakeTransport(flags.client);
  auto metadata = Discover(*transport, flags.client.issuer);
  if (!metadata.ok()) return ReportError(metadata.error());
  if (metadata->token_endpoint.empty()) {
    return ReportError(Error(ErrorCode::kProtocolError, "the discovery document of " + flags.client.issuer +
                                                            " names no token_endpoint; the issuer cannot mint tokens"));
  }

  StoredClient client{flags.client.client_id, secret, metadata->token_endpoint,
                      metadata->issuer.empty() ? flags.client.issuer : metadata->issuer, flags.client.scope};
  auto path = store.Save(client);
  if (!path.ok()) return ReportError(path.error());
  std::printf("client_id       %s\n", client.client_id.c_str());
  std::printf("issuer          %s\n", client.issuer.c_str());
  std::printf("token_endpoint  %s\n", client.token_endpoint.c_str());
  std::printf("credentials     %s (mode 0600; the secret is not shown)\n", path->c_str());
  return kExitOk;
}

int RunList(const std::string& config_dir) {
  auto root = CredentialStore::DefaultRoot(config_dir);
  if (!root.ok()) return ReportError(root.error());
  std::error_code error;
  if (std::filesystem::exists(*root, error) && !std::filesystem::is_directory(*root, error)) {
    throw UsageError(*root + " is not a directory; pass a directory as --config-dir (stored clients live in "
                             "<dir>/<client_id>/client.json)");
  }
  CredentialStore store(*root);
  std::vector<std::string> ids = store.List();
  if (ids.empty()) {
    std::fprintf(stderr, "no clients stored under %s; add one with `dpopfleet register` or `dpopfleet credentials add`\n",
                 root->c_str());
    return kExitOk;
  }

  // A client that cannot be loaded (such as one with a mode others can read) is listed with
  // the reason, so one bad file does not hide the others.
  int exit_code = kExitOk;
  std::printf("%-24s %-48s %s\n", "client_id", "issuer", "path");
  for (const std::string& id : ids) {
    auto client = store.Load(id);
    if (client.ok()) {
      std::string issuer = client->issuer.empty() ? "(token endpoint " + client->token_endpoint + ")" : client->issuer;
      std::printf("%-24s %-48s %s\n", id.c_str(), issuer.c_str(), store.PathFor(id).c_str());
    } else {
      std::printf("%-24s %-48s %s\n", id.c_str(), "(unreadable)", store.PathFor(id).c_str());
      std::fprintf(stderr, "error: %s\n", client.error().message().c_str());
      exit_code = kExitFailure;
    }
  }
  return exit_code;
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("credentials", "Store a client registered elsewhere, or list stored clients");
  command->require_subcommand(1);

  auto* add = command->add_subcommand(
      "add", "Store a client registered out of band (such as a realm's --client ID:SECRET, or a client of another "
             "RFC 9449 server); the token endpoint comes from the issuer's discovery document");
  auto flags = std::make_shared<AddFlags>();
  add->add_option("--issuer", flags->client.issuer, "Issuer URL, such as https://127.0.0.1:8443/realms/default")
      ->required()
      ->check(HttpUrl());
  add->add_option("--client-id", flags->client.client_id, "The client's id")->required();
  add->add_option("--secret-file", flags->secret_file,
                  "File holding the client secret, or - to read it from standard input (never a flag, which "
                  "other users could see in the process list)")
      ->required();
  add->add_option("--scope", flags->client.scope, "Scope to request by default (optional)");
  add->add_flag("--replace", flags->replace, "Overwrite a stored client with the same id");
  add->add_option("--config-dir", flags->client.config_dir,
                  "Directory of stored clients (default: $XDG_CONFIG_HOME/strongdmid or ~/.config/strongdmid)");
  AddTransportOptions(add, &flags->client);
  add->callback([=] { RunGuarded(exit_code, [&] { return RunAdd(*flags); }); });

  auto* list = command->add_subcommand("list", "List stored clients: ids, issuers and files (never secrets)");
  auto config_dir = std::make_shared<std::string>();
  list->add_option("--config-dir", *config_dir,
                   "Directory of stored clients (default: $XDG_CONFIG_HOME/strongdmid or ~/.config/strongdmid)");
  list->callback([=] { RunGuarded(exit_code, [=] { return RunList(*config_dir); }); });
}

const CommandRegistrar kRegistrar(35, Setup);

}  // namespace
}  // namespace dpopfleet::cli
