// A trivial HTTP/1.1 server on 127.0.0.1 for throughput measurements: every request gets
// "200 ok". It runs libmicrohttpd's epoll loop on a fixed number of threads.

#ifndef DPOPFLEET_BENCH_HTTP_LOOPBACK_SERVER_H_
#define DPOPFLEET_BENCH_HTTP_LOOPBACK_SERVER_H_

#include <cstdint>
#include <memory>

struct MHD_Daemon;
struct MHD_Response;

namespace dpopfleet::bench {

class LoopbackServer {
 public:
  // Start listens on 127.0.0.1:|port| (0 picks a free port) with |threads| epoll threads.
  // It returns nullptr if libmicrohttpd fails, for example because the port is taken.
  static std::unique_ptr<LoopbackServer> Start(std::uint16_t port, unsigned threads);
  ~LoopbackServer();

  std::uint16_t port() const { return port_; }

 private:
  LoopbackServer() = default;

  MHD_Daemon* daemon_ = nullptr;
  MHD_Response* response_ = nullptr;
  std::uint16_t port_ = 0;
};

}  // namespace dpopfleet::bench

#endif  // DPOPFLEET_BENCH_HTTP_LOOPBACK_SERVER_H_
