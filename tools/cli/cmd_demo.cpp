// dpopfleet demo: an embedded realm over HTTPS, a client registered through the emailed
// code, N agents each minting a DPoP-bound token and calling /v1/whoami with it.

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "command.h"
#include "dpopfleet/credential_store.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/oauth_registration.h"
#include "dpopfleet/realm.h"
#include "dpopfleet/url.h"
#include "fleet_output.h"
#include "fleet_run.h"
#include "interrupt.h"

namespace dpopfleet::cli {
namespace {

constexpr const char* kDemoEmail = "owner@demo.invalid";

struct DemoFlags {
  std::size_t agents = 1000;
  std::size_t concurrency = 256;
};

// TemporaryDirectory is a mkdtemp directory removed with its contents on destruction.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dpopfleet-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory in " + pattern);
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// RegisterThroughOutbox runs the registration flow, reading the code from the realm's
// outbox as the owner would from their mail, and stores the client under |config_dir|.
Result<StoredClient> RegisterThroughOutbox(Transport& transport, const Realm& realm, const std::string& config_dir) {
  RegistrationClient registration(transport, realm.issuer());
  auto enrollment = registration.Request(
      RegistrationRequest{kDemoEmail, "demo-fleet", "dpopfleet demo fleet", {"agent"}});
  if (!enrollment.ok()) return enrollment.error();

  auto code = realm.LatestVerificationCode(kDemoEmail);
  if (!code) return Error(ErrorCode::kNotFound, "no verification code in the outbox " + realm.outbox_dir());
  auto client = registration.Confirm(*enrollment, *code);
  if (!client.ok()) return client.error();

  std::string scope;
  for (const std::string& granted : client->granted_scopes) scope += (scope.empty() ? "" : " ") + granted;
  StoredClient stored{client->client_id, client->client_secret, client->token_endpoint, client->issuer, scope};
  auto path = CredentialStore(config_dir).Save(stored);
  if (!path.ok()) return path.error();
  std::printf("register   %s through enrollment %s (code read from the outbox), stored in %s\n",
              stored.client_id.c_str(), enrollment->enrollment_id.c_str(), path->c_str());
  return stored;
}

// CheckWhoami fails |result| unless the resource saw |client_id| and |thumbprint|.
void CheckWhoami(CallResult& result, const std::string& client_id, const std::string& thumbprint) {
  if (result.error || !result.response) return;
  auto fields = JsonFields::Parse(result.response->body, "whoami response");
  std::string sub = fields.ok() ? fields->String("sub").value_or("") : "";
  auto cnf = fields.ok() ? fields->Object("cnf") : std::nullopt;
  std::string jkt = cnf ? cnf->String("jkt").value_or("") : "";
  if (sub != client_id || jkt != thumbprint) {
    result.error = Error(ErrorCode::kProtocolError, "whoami returned sub '" + sub + "' and cnf.jkt '" + jkt +
                                                        "' for an agent of " + client_id + " with key " + thumbprint);
  }
}

int Run(const DemoFlags& flags) {
  if (flags.agents == 0) throw UsageError("--agents must be at least 1");
  TemporaryDirectory config_dir;

  RealmOptions realm_options;
  realm_options.outbox_dir = config_dir.path() + "/outbox";
  auto realm = Realm::Start(realm_options);
  if (!realm.ok()) return ReportError(realm.error());
  std::printf("dpopfleet demo: %zu agents against an embedded realm\n", flags.agents);
  std::printf("realm      %s over HTTPS (CA %s)\n", (*realm)->issuer().c_str(), (*realm)->ca_file().c_str());

  ClientOptions options;
  options.ca_file = (*realm)->ca_file();
  options.config_dir = config_dir.path() + "/strongdmid";
  auto transport = MakeTransport(options, flags.concurrency);

  auto stored = RegisterThroughOutbox(*transport, **realm, options.config_dir);
  if (!stored.ok()) return ReportError(stored.error());
  auto client = ResolveClient(*transport, options);
  if (!client.ok()) return ReportError(client.error());

  // The first SIGINT or SIGTERM cancels every transfer; both steps then finish at once with
  // each agent reported as cancelled.
  InterruptWatcher interrupt([&transport](int) { transport->Shutdown(); });
  MintedFleet fleet = MintFleet(*transport, *client, options, flags.agents, flags.concurrency);
  std::printf("keys       %zu P-256 keys generated in %.2f s\n", fleet.keys.size(), fleet.keygen_seconds);
  std::printf("%s", FormatSummary(fleet.summary, "mint").c_str());

  CallConfig call;
  call.url = JoinUrl((*realm)->issuer(), "v1/whoami");
  call.concurrency = flags.concurrency;
  FleetSummary call_summary;
  std::vector<CallResult> calls = CallFleet(*transport, fleet, call, &call_summary);
  for (std::size_t i = 0; i < calls.size(); ++i) CheckWhoami(calls[i], client->stored.client_id, fleet.keys.key(i).thumbprint());
  transport->Shutdown();
  if (interrupt.interrupted()) {
    MarkCancelled(fleet.results, interrupt.Reason());
    MarkCancelled(calls, interrupt.Reason());
  }
  call_summary = Summarize(calls, std::chrono::duration<double>(call_summary.wall_seconds));
  std::printf("%s", FormatSummary(call_summary, "call " + call.url).c_str());
  std::printf("verified   %zu/%zu whoami answers name %s and the calling agent's own key thumbprint\n",
              call_summary.succeeded, flags.agents, client->stored.client_id.c_str());

  for (std::size_t i = 0; i < fleet.results.size(); ++i) {
    if (!fleet.results[i].token) continue;
    std::printf("\nagent %zu's token, decoded without verification:\n", i);
    PrintTokenDetails(stdout, *fleet.results[i].token, fleet.keys.key(i).thumbprint());
    break;
  }
  PrintFirstErrors(FailedOutcomes(fleet.results), 5);
  PrintFirstErrors(FailedOutcomes(calls), 5);
  std::printf("realm      %s\n", (*realm)->counters().ToString().c_str());
  (*realm)->Stop();
  if (interrupt.interrupted()) return interrupt.ExitCode();
  return ExitCodeFor(call_summary.succeeded, flags.agents);
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand(
      "demo", "Start an embedded realm, register a client, mint a DPoP-bound token per agent and call /v1/whoami");
  auto flags = std::make_shared<DemoFlags>();
  command->add_option("--agents", flags->agents, "Number of agents (1 to 1000000, default 1000)")
      ->check(CLI::Range(std::size_t{1}, kMaxAgents));
  command->add_option("--concurrency", flags->concurrency, "Maximum requests in flight (1 to 100000, default 256)")
      ->check(CLI::Range(std::size_t{1}, kMaxConcurrency));
  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(10, Setup);

}  // namespace
}  // namespace dpopfleet::cli
