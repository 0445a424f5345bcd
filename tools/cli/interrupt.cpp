// Self-pipe signal handling for the fleet commands.

#include "interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace dpopfleet::cli {
namespace {

// kRepeatGraceMillis is how long after the first signal a repeat is ignored. timeout(1),
// for one, sends SIGTERM to its child and then to its own process group, which contains the
// child, so a single request to stop can arrive twice within microseconds.
constexpr std::int64_t kRepeatGraceMillis = 1000;

// The handler can reach only globals: lock-free atomics and sig_atomic_t. InterruptWatcher
// allows one instance at a time.
volatile sig_atomic_t g_write_fd = -1;
std::atomic<std::int64_t> g_first_signal_millis{0};
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "the signal handler needs a lock-free clock");
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

// SignalName returns the conventional name of the signals this file handles.
const char* SignalName(int signal) { return signal == SIGTERM ? "SIGTERM" : "SIGINT"; }

// OnSignal is async-signal-safe: clock_gettime(2), write(2), sigaction(2) and raise(3)
// only. The first signal goes to the watcher thread. A repeat within kRepeatGraceMillis is
// ignored, and a later one restores the default action and raises the signal again, so
// that a second Ctrl-C ends the process at once.
extern "C" void OnSignal(int signal) {
  int saved_errno = errno;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::int64_t now_millis = std::int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000 + 1;

  std::int64_t first = 0;
  if (g_first_signal_millis.compare_exchange_strong(first, now_millis)) {
    unsigned char byte = static_cast<unsigned char>(signal);
    if (g_write_fd >= 0) (void)!write(g_write_fd, &byte, 1);
  } else if (now_millis - first >= kRepeatGraceMillis) {
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal, &fallback, nullptr);
    raise(signal);
  }
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
  g_first_signal_millis.store(0);

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
