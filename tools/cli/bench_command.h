// The `dpopfleet bench` command, parent of one subcommand per benchmark.

#ifndef DPOPFLEET_TOOLS_CLI_BENCH_COMMAND_H_
#define DPOPFLEET_TOOLS_CLI_BENCH_COMMAND_H_

#include <CLI/CLI.hpp>

namespace dpopfleet::cli {

// BenchCommand returns the `bench` subcommand of |root|, creating it on first use, so that
// each cmd_bench_*.cpp file can add its own subcommand (`bench sign`, `bench http`).
CLI::App* BenchCommand(CLI::App& root);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_BENCH_COMMAND_H_
