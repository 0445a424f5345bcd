// dpopfleet bench and its `sign` subcommand.

#include <cstdio>
#include <memory>
#include <string>

#include "bench_command.h"
#include "bench_sign_run.h"
#include "command.h"
#include "dpopfleet/crypto.h"

namespace dpopfleet::cli {

CLI::App* BenchCommand(CLI::App& root) {
  std::vector<CLI::App*> existing =
      root.get_subcommands([](CLI::App* app) { return app->get_name() == "bench"; });
  if (!existing.empty()) return existing.front();

  CLI::App* bench = root.add_subcommand("bench", "Measure throughput (signing, HTTP)");
  bench->require_subcommand(1);
  return bench;
}

namespace {

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* command = BenchCommand(root)->add_subcommand(
      "sign", "Measure DPoP proofs/s against the crypto library's raw ECDSA sign rate");
  auto config = std::make_shared<SignBenchConfig>();
  command->add_option("--threads", config->threads, "Signing threads (1-1024)")
      ->capture_default_str();
  command->add_option("--seconds", config->seconds, "Measurement time in seconds (1-3600)")
      ->capture_default_str();
  command->add_option("--keys", config->keys,
                      "Keys in the pool; proofs cycle through them (1-1000000). The output states the resident memory per key")
      ->capture_default_str();
  command->add_flag("--ath", config->ath, "Include an access-token hash (ath) in every proof");

  command->callback([config, exit_code] {
    Result<SignBenchReport> report = RunSignBench(*config);
    if (!report.ok()) {
      if (report.error().code() == ErrorCode::kInvalidArgument) {
        throw UsageError(report.error().message());
      }
      std::fprintf(stderr, "error: %s\n", report.error().ToString().c_str());
      *exit_code = kExitFailure;
      return;
    }

    std::printf("%-28s%s\n", "backend:", CryptoBackendName());
    std::printf("%-28s%d\n", "threads:", config->threads);
    std::printf("%-28s%zu (%.0f keys/s, %.0f resident bytes per key)\n", "keys:", config->keys,
                report->keygen_per_second, report->resident_bytes_per_key);
    std::printf("%-28s%.0f signatures/s (%.0f per CPU second)\n", "raw ECDSA sign, 1 key:",
                report->raw_signs_per_second, report->raw_signs_per_cpu_second);
    if (report->rotating_keys > 1) {
      std::string label = "raw ECDSA sign, " + std::to_string(report->rotating_keys) + " keys:";
      std::printf("%-28s%.0f signatures/s (%.0f per CPU second)\n", label.c_str(),
                  report->rotating_raw_signs_per_second, report->rotating_raw_signs_per_cpu_second);
    }
    std::printf("%-28s%.0f proofs/s (%.0f per CPU second)\n",
                config->ath ? "proofs with ath:" : "proofs:", report->proofs_per_second,
                report->proofs_per_cpu_second);
    std::printf("%-28s%.3f wall clock, %.3f CPU time\n", "proofs / raw, 1 key:",
                report->proofs_per_second / report->raw_signs_per_second,
                report->proofs_per_cpu_second / report->raw_signs_per_cpu_second);
    if (report->rotating_keys > 1) {
      std::string label = "proofs / raw, " + std::to_string(report->rotating_keys) + " keys:";
      std::printf("%-28s%.3f wall clock, %.3f CPU time\n", label.c_str(),
                  report->proofs_per_second / report->rotating_raw_signs_per_second,
                  report->proofs_per_cpu_second / report->rotating_raw_signs_per_cpu_second);
    }
    *exit_code = kExitOk;
  });
}

const CommandRegistrar kRegistrar(85, Setup);

}  // namespace
}  // namespace dpopfleet::cli
