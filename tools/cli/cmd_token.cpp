// dpopfleet token: one agent, one ephemeral key, one DPoP-bound token, explained.

#include <cstdio>

#include "command.h"
#include "dpopfleet/oauth_token.h"
#include "fleet_client.h"
#include "fleet_output.h"

namespace dpopfleet::cli {
namespace {

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("token", "Mint one DPoP-bound token with an ephemeral key and explain it");
  auto options = std::make_shared<ClientOptions>();
  AddClientOptions(command, options.get());

  command->callback([=] {
    RunGuarded(exit_code, [&] {
      auto transport = MakeTransport(*options);
      auto client = ResolveClient(*transport, *options);
      if (!client.ok()) return ReportError(client.error());

      auto key = P256Key::Generate();
      if (!key.ok()) return ReportError(key.error());
      ProofKey proof_key = ProofKey::Create(std::move(*key));
      ProofBuilder builder;

      TokenRequestSpec spec;
      spec.token_endpoint = client->metadata.token_endpoint;
      spec.credentials = CredentialsOf(*client);
      spec.scope = ScopeFor(*options, *client);
      bool bearer = options->bearer;
      spec.key = bearer ? nullptr : &proof_key;
      spec.builder = &builder;
      auto token =
          RequestToken(*transport, spec, options->allow_bearer, RequestOptionsFor(*options, spec.token_endpoint));
      if (!token.ok()) return ReportError(token.error());

      std::printf("client_id     %s\n", client->stored.client_id.c_str());
      std::printf("endpoint      %s\n", spec.token_endpoint.c_str());
      if (!bearer) std::printf("thumbprint    %s (the ephemeral key's RFC 7638 thumbprint)\n", proof_key.thumbprint().c_str());
      PrintTokenDetails(stdout, *token, bearer ? std::string_view() : std::string_view(proof_key.thumbprint()));
      return kExitOk;
    });
  });
}

const CommandRegistrar kRegistrar(40, Setup);

}  // namespace
}  // namespace dpopfleet::cli
