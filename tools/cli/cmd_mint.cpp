// dpopfleet mint: N agent keys, N DPoP-bound tokens, one JSON record per agent.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "command.h"
#include "dpopfleet/jwk.h"
#include "fleet_output.h"
#include "fleet_run.h"
#include "interrupt.h"

namespace dpopfleet::cli {
namespace {

struct MintFlags {
  ClientOptions client;
  std::size_t agents = 0;
  std::size_t concurrency = 256;
  std::string out;
  std::string export_keys;
};

// PrepareExportDirectory creates |directory| with mode 0700, or accepts an existing one
// that only its owner can enter and that this process can write. It runs before minting so
// a bad directory costs no tokens; a problem throws UsageError with the fix.
void PrepareExportDirectory(const std::string& directory) {
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    throw UsageError("cannot create --export-keys directory " + directory + ": " + std::strerror(errno) +
                     "; pass a path in a writable directory");
  }
  struct stat info {};
  if (stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw UsageError("--export-keys " + directory + " is not a directory; pass a directory path");
  }
  if ((info.st_mode & 077) != 0) {
    throw UsageError("--export-keys " + directory + " can be read by other users, and private keys would be " +
                     "exposed there; run chmod 700 " + directory + " or pass a new path");
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    throw UsageError("--export-keys " + directory + " is not writable: " + std::strerror(errno) +
                     "; pass a directory you own");
  }
}

// ExportKeys writes each agent's private JWK to <dir>/agent-<index>.jwk with mode 0600.
void ExportKeys(const std::string& directory, const KeyPool& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string path = directory + "/agent-" + std::to_string(i) + ".jwk";
    std::FILE* file = OpenPrivateFile(path);
    std::string jwk = PrivateJwkJson(keys.key(i).key());
    std::fprintf(file, "%s\n", jwk.c_str());
    std::fclose(file);
  }
}

int Run(const MintFlags& flags) {
  if (flags.agents == 0) throw UsageError("--agents must be at least 1");
  if (flags.concurrency == 0) throw UsageError("--concurrency must be at least 1");

  if (!flags.export_keys.empty()) PrepareExportDirectory(flags.export_keys);

  auto transport = MakeTransport(flags.client, flags.concurrency);
  auto client = ResolveClient(*transport, flags.client);
  if (!client.ok()) return ReportError(client.error());

  // The first SIGINT or SIGTERM cancels every transfer; the fleet then ends with a record
  // per agent, written below like those of a complete run.
  std::optional<PrivateOutputFile> out;
  if (!flags.out.empty()) out.emplace(flags.out);
  InterruptWatcher interrupt([&transport](int) { transport->Shutdown(); });
  MintedFleet fleet = MintFleet(*transport, *client, flags.client, flags.agents, flags.concurrency);
  transport->Shutdown();
  if (interrupt.interrupted()) MarkCancelled(fleet.results, interrupt.Reason());

  // Records go to --out with their tokens, or to stdout without them.
  for (const MintResult& result : fleet.results) {
    std::string record = MintRecordJson(result, out.has_value());
    std::fprintf(out ? out->file() : stdout, "%s\n", record.c_str());
  }
  if (out) out->Commit();
  if (!flags.export_keys.empty()) ExportKeys(flags.export_keys, fleet.keys);

  std::fprintf(stderr, "keys        %zu generated in %.2f s\n", fleet.keys.size(), fleet.keygen_seconds);
  std::fprintf(stderr, "%s", FormatSummary(fleet.summary, "mint " + client->metadata.token_endpoint).c_str());
  PrintFirstErrors(FailedOutcomes(fleet.results), 5);
  if (interrupt.interrupted()) return interrupt.ExitCode();
  return ExitCodeFor(fleet.summary.succeeded, fleet.summary.agents);
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand(
      "mint", "Mint one DPoP-bound token per agent for N agents; JSON lines on stdout, summary on stderr");
  auto flags = std::make_shared<MintFlags>();
  command->add_option("--agents", flags->agents, "Number of agents, each with its own P-256 key (1 to 1000000; "
                                                 "each agent holds about 1.5 KB of memory)")
      ->required()
      ->check(CLI::Range(std::size_t{1}, kMaxAgents));
  command->add_option("--concurrency", flags->concurrency, "Maximum token requests in flight (1 to 100000, default 256)")
      ->check(CLI::Range(std::size_t{1}, kMaxConcurrency));
  command->add_option("--out", flags->out,
                      "Write the records with their access tokens to this file (mode 0600) instead of stdout");
  command->add_option("--export-keys", flags->export_keys,
                      "Write each agent's private JWK to DIR/agent-N.jwk (mode 0600); keys never leave the "
                      "process otherwise");
  AddClientOptions(command, &flags->client);

  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(50, Setup);

}  // namespace
}  // namespace dpopfleet::cli
