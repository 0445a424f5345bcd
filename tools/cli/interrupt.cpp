// Self-pipe signal handling for the fleet commands.

#include "interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dpopfleet::cli {
namespace {

// The handler can reach only plain globals; InterruptWatcher allows one instance at a time.
volatile sig_atomic_t g_write_fd = -1;
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

// SignalName returns the conventional name of the signals this file handles.
const char* SignalName(int signal) { return signal == SIGTERM ? "SIGTERM" : "SIGINT"; }

// OnSignal is async-signal-safe: write(2) and sigaction(2) only. Resetting both signals to
// their default action makes a second Ctrl-C end the process at once.
extern "C" void OnSignal(int signal) {
  int saved_errno = errno;
  unsigned char byte = static_cast<unsigned char>(signal);
  if (g_write_fd >= 0) (void)!write(g_write_fd, &byte, 1);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(SIGINT, &fallback, nullptr);
  sigaction(SIGTERM, &fallback, nullptr);
  errno = saved_errno;
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  if (pipe2(pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("cannot create the signal pipe: ") + std::strerror(errno));
  }
  g_write_fd = pipe_[1];
  thread_ = std::thread([this] { Watch(); });

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptWatcher::~InterruptWatcher() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
  g_write_fd = -1;

  // A zero byte signals the watcher thread to stop; no signal has number 0.
  unsigned char stop = 0;
  (void)!write(pipe_[1], &stop, 1);
  thread_.join();
  close(pipe_[0]);
  close(pipe_[1]);
}

std::string InterruptWatcher::Reason() const { return std::string("cancelled by ") + SignalName(signal()); }

void InterruptWatcher::Watch() {
  while (true) {
    unsigned char byte = 0;
    ssize_t got = read(pipe_[0], &byte, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || byte == 0) return;
    int expected = 0;
    if (signal_.compare_exchange_strong(expected, byte) && on_signal_) on_signal_(byte);
  }
}

}  // namespace dpopfleet::cli
