// Entry point of the dpopfleet command.

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "command.h"

namespace dpopfleet::cli {
namespace {

std::vector<std::pair<int, CommandSetup>>& Registry() {
  static std::vector<std::pair<int, CommandSetup>> registry;
  return registry;
}

constexpr const char* kExitCodeHelp =
    "Exit codes: 0 all succeeded, 1 failure at run time (nothing succeeded, or the system "
    "refused: a port already in use, a server that cannot be reached), 2 usage error (a bad "
    "flag, value or input file, found before any work starts), 3 partial failure (some agents "
    "failed), 4 registration pending (finish "
    "with the printed command and the mailed code), 130 or 143 interrupted by SIGINT or "
    "SIGTERM (mint, call and demo still write a record for every agent; a second signal ends "
    "the process at once).";

}  // namespace

void RegisterCommand(int order, CommandSetup setup) { Registry().emplace_back(order, setup); }

void SetupCommands(CLI::App& root, int* exit_code) {
  auto& registry = Registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, setup] : registry) setup(root, exit_code);
}

}  // namespace dpopfleet::cli

int main(int argc, char** argv) {
  using namespace dpopfleet::cli;

  CLI::App app{"dpopfleet: sender-constrained (DPoP, RFC 9449) identities for fleets of agents."};
  app.footer(kExitCodeHelp);
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");

  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log level on stderr: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  int exit_code = kExitOk;
  SetupCommands(app, &exit_code);

  app.parse_complete_callback([&] {
    auto logger = spdlog::stderr_color_mt("dpopfleet");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitUsage;
  }
  return exit_code;
}
