// Command registration for the dpopfleet CLI.
//
// Each tools/cli/cmd_<name>.cpp defines a static CommandRegistrar that adds its subcommand
// to the root CLI11 app. The subcommand's callback stores its exit code in |*exit_code|.

#ifndef DPOPFLEET_TOOLS_CLI_COMMAND_H_
#define DPOPFLEET_TOOLS_CLI_COMMAND_H_

#include <CLI/CLI.hpp>

namespace dpopfleet::cli {

// Exit codes, the same for every command and listed in `dpopfleet --help`.
inline constexpr int kExitOk = 0;             // everything succeeded
inline constexpr int kExitFailure = 1;        // nothing succeeded, or a single task failed
inline constexpr int kExitUsage = 2;          // bad flag, value or input file
inline constexpr int kExitPartialFailure = 3; // some agents succeeded, some failed
inline constexpr int kExitEnrollmentPending = 4; // register: enrollment started, finish it with
                                                 // the printed command and the mailed code

// CommandSetup adds one subcommand to |root|.
using CommandSetup = void (*)(CLI::App& root, int* exit_code);

// RegisterCommand records |setup|; commands appear in --help sorted by |order|.
void RegisterCommand(int order, CommandSetup setup);

// SetupCommands calls every registered CommandSetup in order.
void SetupCommands(CLI::App& root, int* exit_code);

struct CommandRegistrar {
  CommandRegistrar(int order, CommandSetup setup) { RegisterCommand(order, setup); }
};

// UsageError is thrown by a command callback for an invalid flag value or input file; main
// prints its message and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_COMMAND_H_
