// HttpServer runs libmicrohttpd (internal polling threads, a thread pool, epoll where
// available) and turns each complete request into one call of a handler.
//
// Thread safety: the handler runs on the server's threads, several at once; it must be
// thread-safe. Stop may be called from any thread other than a handler.

#ifndef DPOPFLEET_ENGINE_REALM_HTTP_SERVER_H_
#define DPOPFLEET_ENGINE_REALM_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dpopfleet/status.h"
#include "http_types.h"

struct MHD_Daemon;

namespace dpopfleet::realm {
class RequestDeadlines;
}  // namespace dpopfleet::realm

namespace dpopfleet::realm {

// kMaxRequestBodyBytes bounds request bodies; larger ones get 413 without reaching the
// handler. Registration and token bodies are far smaller.
inline constexpr std::size_t kMaxRequestBodyBytes = 64 * 1024;

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  std::uint16_t port = 0;
  unsigned threads = 1;

  // connections_per_ip caps the connections one client address may hold open (0 = no cap),
  // and max_connections those of all clients together.
  unsigned connections_per_ip = 256;
  unsigned max_connections = 10000;

  // request_timeout_seconds bounds both the idle time of a connection and the time a client
  // may take to send one whole request, headers and body; 0 leaves both unbounded.
  int request_timeout_seconds = 10;

  // cert_pem and key_pem enable TLS when both are set.
  std::string cert_pem;
  std::string key_pem;

  // handler produces the reply to one request. A reply with delay_ms > 0 is sent that many
  // milliseconds later from a suspended connection, so delays hold no server thread.
  std::function<HttpReply(const HttpExchange&)> handler;

  // delay_ms returns how long to hold the reply to |exchange| back.
  std::function<int(const HttpExchange&)> delay_ms;
};

// ClientAddress returns the address of the client behind |exchange|. With
// |behind_trusted_front| (the realm names a public URL served by a front on this machine)
// and a loopback peer, that is the last X-Forwarded-For entry, the one the front appended;
// earlier entries come from the client and prove nothing. Otherwise it is the peer address.
std::string ClientAddress(const HttpExchange& exchange, bool behind_trusted_front);

class HttpServer {
 public:
  // Start binds and starts serving. It fails with kIoError naming the address and port when
  // libmicrohttpd cannot start (port in use, bad TLS key, too many threads).
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options);

  ~HttpServer();

  std::uint16_t port() const { return port_; }
  bool tls() const { return !options_.cert_pem.empty(); }

  // connections_accepted returns how many TCP connections were accepted so far.
  std::uint64_t connections_accepted() const { return connections_.load(); }

  // Stop sends every delayed reply at once and stops the daemon. It is idempotent.
  void Stop();

  // Implementation details shared with the libmicrohttpd callbacks.
  class DelayQueue;
  struct Callbacks;

 private:
  explicit HttpServer(HttpServerOptions options);

  HttpServerOptions options_;
  ::MHD_Daemon* daemon_ = nullptr;
  std::unique_ptr<DelayQueue> delays_;
  std::unique_ptr<RequestDeadlines> deadlines_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_HTTP_SERVER_H_
