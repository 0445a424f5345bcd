// Orderly handling of SIGINT and SIGTERM for the fleet commands. The first signal cancels
// the run, so every agent still gets a record. A second signal, one second or more after
// the first, ends the process at once.

#ifndef DPOPFLEET_TOOLS_CLI_INTERRUPT_H_
#define DPOPFLEET_TOOLS_CLI_INTERRUPT_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace dpopfleet::cli {

// InterruptWatcher installs SIGINT and SIGTERM handlers for its lifetime and restores the
// previous ones on destruction. The handler writes the first signal's number to a
// self-pipe. It ignores repeats within one second, which timeout(1) produces by signalling
// the process and then its group. A later signal kills the process with that signal.
// A watcher thread reads the pipe and runs |on_signal| once, off the signal handler. Only
// one InterruptWatcher may exist at a time. Its accessors are safe from any thread.
class InterruptWatcher {
 public:
  // InterruptWatcher installs the handlers. |on_signal| runs on the watcher thread with
  // the signal number; it typically calls Transport::Shutdown. Failure throws
  // std::runtime_error.
  explicit InterruptWatcher(std::function<void(int signal)> on_signal);
  ~InterruptWatcher();

  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // signal returns the first signal received, or 0 when none arrived.
  int signal() const { return signal_.load(); }

  // interrupted returns true once a signal arrived.
  bool interrupted() const { return signal() != 0; }

  // ExitCode returns 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
  int ExitCode() const { return 128 + signal(); }

  // Reason returns "cancelled by SIGINT" or "cancelled by SIGTERM".
  std::string Reason() const;

 private:
  void Watch();

  std::function<void(int)> on_signal_;
  std::atomic<int> signal_{0};
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_INTERRUPT_H_
