// dpopfleet discover ISSUER: print an authorization server's discovery document.

#include <cstdio>

#include "command.h"
#include "dpopfleet/oauth_discovery.h"
#include "fleet_client.h"

namespace dpopfleet::cli {
namespace {

std::string Joined(const std::vector<std::string>& values) {
  std::string text;
  for (const std::string& value : values) text += (text.empty() ? "" : " ") + value;
  return text.empty() ? "(not advertised)" : text;
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("discover", "Fetch an issuer's discovery document and print its key fields");
  auto options = std::make_shared<ClientOptions>();
  auto issuer = std::make_shared<std::string>();
  command->add_option("issuer", *issuer, "Issuer URL, such as https://127.0.0.1:8443/realms/default")
      ->required()
      ->check(HttpUrl());
  AddTransportOptions(command, options.get());

  command->callback([=] {
    RunGuarded(exit_code, [&] {
      auto transport = MakeTransport(*options);
      auto metadata = Discover(*transport, *issuer);
      if (!metadata.ok()) return ReportError(metadata.error());

      std::printf("issuer                  %s\n", metadata->issuer.c_str());
      std::printf("token_endpoint          %s\n", metadata->token_endpoint.c_str());
      std::printf("introspection_endpoint  %s\n", metadata->introspection_endpoint.c_str());
      std::printf("revocation_endpoint     %s\n", metadata->revocation_endpoint.c_str());
      std::printf("jwks_uri                %s\n", metadata->jwks_uri.c_str());
      std::printf("registration_endpoint   %s\n", metadata->registration_endpoint.c_str());
      std::printf("grant_types             %s\n", Joined(metadata->grant_types_supported).c_str());
      std::printf("token_endpoint_auth     %s\n", Joined(metadata->token_endpoint_auth_methods_supported).c_str());
      std::printf("dpop_signing_algs       %s\n", Joined(metadata->dpop_signing_alg_values_supported).c_str());
      return kExitOk;
    });
  });
}

const CommandRegistrar kRegistrar(20, Setup);

}  // namespace
}  // namespace dpopfleet::cli
