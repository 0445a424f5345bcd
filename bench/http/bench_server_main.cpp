// dpopfleet_bench_server: the trivial loopback endpoint that bench/compare_http.sh points
// wrk, h2load and `dpopfleet bench http` at. It prints "listening on 127.0.0.1:PORT" and
// serves until SIGINT or SIGTERM.
//
// Usage: dpopfleet_bench_server [--port PORT] [--threads N]

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "loopback_server.h"

int main(int argc, char** argv) {
  unsigned long port = 0;
  unsigned long threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    char* end = nullptr;
    unsigned long value = std::strtoul(argv[i + 1], &end, 10);
    bool number = end != argv[i + 1] && *end == '\0';
    if (std::strcmp(argv[i], "--port") == 0 && number && value <= 65535) {
      port = value;
    } else if (std::strcmp(argv[i], "--threads") == 0 && number && value >= 1 && value <= 64) {
      threads = value;
    } else {
      std::fprintf(stderr,
                   "dpopfleet_bench_server: invalid option '%s %s'; use --port 0-65535 and "
                   "--threads 1-64\n",
                   argv[i], argv[i + 1]);
      return 2;
    }
  }

  // Block the stop signals before libmicrohttpd starts its threads, so only sigwait receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = dpopfleet::bench::LoopbackServer::Start(static_cast<std::uint16_t>(port),
                                                        static_cast<unsigned>(threads));
  if (server == nullptr) {
    std::fprintf(stderr, "dpopfleet_bench_server: cannot listen on 127.0.0.1:%lu; pick a free "
                         "port or pass --port 0\n", port);
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u\n", server->port());
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  return 0;
}
