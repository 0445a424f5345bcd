// The HTTP layer's defences against slow and oversized requests: a per-address connection
// cap, so one client holding connections leaves room for others, a deadline for a whole
// request, which a client cannot extend by sending one header line at a time, and a 413
// sent as soon as a body is known to exceed the limit. Raw sockets, because
// the slow client must send partial requests, and the slow client connects from 127.0.0.2
// so the per-address cap counts it apart from the normal client on 127.0.0.1.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dpopfleet/realm.h"
#include "http_server.h"

namespace dpopfleet::realm {
namespace {

// Socket is a connected TCP socket, closed on destruction.
class Socket {
 public:
  // Connect opens a connection from |source| (any port) to 127.0.0.1:|port|, or returns an
  // invalid socket.
  static Socket Connect(const char* source, std::uint16_t port) {
    Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (::bind(socket.fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        ::connect(socket.fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
      return Socket(-1);
    }
    return socket;
  }

  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool valid() const { return fd_ >= 0; }

  bool Send(const std::string& text) { return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()); }

  // ClosedByPeer waits up to |timeout_ms| and returns true if the server closed the
  // connection (end of stream or reset) without sending anything.
  bool ClosedByPeer(int timeout_ms) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, timeout_ms) <= 0) return false;
    char byte = 0;
    return ::recv(fd_, &byte, 1, MSG_DONTWAIT) <= 0;
  }

  // ReadHead returns what the server sends up to the end of the response head, or what
  // arrived before |timeout_ms| passed without data.
  std::string ReadHead(int timeout_ms) {
    std::string text;
    char buffer[4096];
    while (text.find("\r\n\r\n") == std::string::npos) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, timeout_ms) <= 0) break;
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

  // ReadUntilClosed returns everything the server sends until it closes the connection or
  // |timeout_ms| passes without data.
  std::string ReadUntilClosed(int timeout_ms) {
    std::string text;
    char buffer[4096];
    for (;;) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, timeout_ms) <= 0) return text;
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return text;
      text.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  explicit Socket(int fd) : fd_(fd) {}

  int fd_ = -1;
};

class SlowClientTest : public ::testing::Test {
 protected:
  void Start(unsigned max_connections, unsigned connections_per_ip, int request_timeout_seconds) {
    HttpServerOptions options;
    options.threads = 2;
    options.max_connections = max_connections;
    options.connections_per_ip = connections_per_ip;
    options.request_timeout_seconds = request_timeout_seconds;
    options.handler = [](const HttpExchange&) { return JsonReply(200, "{\"ok\":true}"); };
    Result<std::unique_ptr<HttpServer>> started = HttpServer::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    server_ = std::move(*started);
  }

  // NormalRequest sends one whole request from 127.0.0.1 and returns the response.
  std::string NormalRequest() {
    Socket socket = Socket::Connect("127.0.0.1", server_->port());
    EXPECT_TRUE(socket.valid());
    EXPECT_TRUE(socket.Send("GET /jwks HTTP/1.1\r\nHost: realm.test\r\nConnection: close\r\n\r\n"));
    return socket.ReadUntilClosed(10000);
  }

  std::unique_ptr<HttpServer> server_;
};

constexpr const char* kPartialRequest = "GET /jwks HTTP/1.1\r\nHost: realm.test\r\n";

TEST_F(SlowClientTest, PerAddressCapLeavesRoomForOthers) {
  constexpr unsigned kTotal = 16, kPerAddress = 8;
  Start(kTotal, kPerAddress, 60);

  // The slow client tries to take every connection the server allows.
  std::vector<Socket> slow;
  for (unsigned i = 0; i < kTotal; ++i) {
    slow.push_back(Socket::Connect("127.0.0.2", server_->port()));
    ASSERT_TRUE(slow.back().valid()) << "connection " << i;
    ASSERT_TRUE(slow.back().Send(kPartialRequest));
  }
  // Wait, up to 10 s, until the server has closed the connections over the cap.
  std::vector<bool> closed(slow.size(), false);
  unsigned closed_count = 0;
  for (int round = 0; round < 100 && closed_count < kTotal - kPerAddress; ++round) {
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (!closed[i] && slow[i].ClosedByPeer(round == 0 ? 0 : 100 / static_cast<int>(kTotal))) {
        closed[i] = true;
        ++closed_count;
      }
    }
  }
  EXPECT_EQ(closed_count, kTotal - kPerAddress) << "connections over the per-address cap must be closed";

  std::string response = NormalRequest();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200")) << "response: '" << response << "'";
}

TEST_F(SlowClientTest, DeadlineClosesDribblingConnection) {
  Start(100, 100, 1);
  Socket socket = Socket::Connect("127.0.0.2", server_->port());
  ASSERT_TRUE(socket.valid());
  ASSERT_TRUE(socket.Send(kPartialRequest));

  // Each header line restarts libmicrohttpd's idle timeout; only the request deadline
  // ends this connection. The bound of 60 lines is far beyond the 1 s deadline.
  bool closed = false;
  for (int line = 0; line < 60 && !closed; ++line) {
    if (!socket.Send("X-Slow-" + std::to_string(line) + ": 1\r\n")) {
      closed = true;
      break;
    }
    closed = socket.ClosedByPeer(250);
  }
  EXPECT_TRUE(closed) << "a client sending one header line at a time kept its connection";

  std::string response = NormalRequest();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200")) << "response: '" << response << "'";
}

TEST_F(SlowClientTest, KeptAliveConnectionServesSeveralRequests) {
  Start(100, 100, 1);
  Socket socket = Socket::Connect("127.0.0.1", server_->port());
  ASSERT_TRUE(socket.valid());
  ASSERT_TRUE(socket.Send("GET /a HTTP/1.1\r\nHost: realm.test\r\n\r\n"));
  ASSERT_TRUE(socket.Send("GET /b HTTP/1.1\r\nHost: realm.test\r\nConnection: close\r\n\r\n"));
  std::string responses = socket.ReadUntilClosed(10000);
  EXPECT_TRUE(responses.starts_with("HTTP/1.1 200")) << responses;
  EXPECT_NE(responses.find("HTTP/1.1 200", 1), std::string::npos) << "second response missing: " << responses;
}

TEST_F(SlowClientTest, FrontConnectionsAreNotCapped) {
  RealmOptions options;
  options.tls = false;
  options.threads = 2;
  options.public_url = "http://127.0.0.1:8443";
  options.connections_per_ip = 2;
  Result<std::unique_ptr<Realm>> realm = Realm::Start(options);
  ASSERT_TRUE(realm.ok()) << realm.error().ToString();

  // A front opens one connection per request it forwards, all from one address.
  std::vector<Socket> front;
  for (int i = 0; i < 4; ++i) {
    front.push_back(Socket::Connect("127.0.0.2", (*realm)->port()));
    ASSERT_TRUE(front.back().valid());
    ASSERT_TRUE(front.back().Send(kPartialRequest));
  }
  for (Socket& socket : front) {
    ASSERT_TRUE(socket.Send("Connection: close\r\n\r\n"));
    std::string head = socket.ReadHead(10000);
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << "response head: '" << head << "'";
  }
}

TEST_F(SlowClientTest, DeclaredOversizedBodyGets413First) {
  Start(100, 100, 60);
  Socket socket = Socket::Connect("127.0.0.1", server_->port());
  ASSERT_TRUE(socket.valid());
  // Only the head is sent: the 413 must not wait for 100 MB that never come.
  ASSERT_TRUE(socket.Send("POST /token HTTP/1.1\r\nHost: realm.test\r\nContent-Length: 100000000\r\n\r\n"));
  std::string head = socket.ReadHead(10000);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 413")) << "response head: '" << head << "'";
}

TEST_F(SlowClientTest, ChunkedOversizedBodyGets413) {
  Start(100, 100, 60);
  Socket socket = Socket::Connect("127.0.0.1", server_->port());
  ASSERT_TRUE(socket.valid());
  ASSERT_TRUE(socket.Send("POST /token HTTP/1.1\r\nHost: realm.test\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // One chunk past the limit and the final chunk. Without a Content-Length the 413 can only
  // follow the whole body, because libmicrohttpd 0.9.75 queues no response mid-body.
  const std::size_t chunk = kMaxRequestBodyBytes + 1;
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", chunk);
  ASSERT_TRUE(socket.Send(size + std::string(chunk, 'a') + "\r\n0\r\n\r\n"));
  std::string head = socket.ReadHead(10000);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 413")) << "response head: '" << head << "'";
}

}  // namespace
}  // namespace dpopfleet::realm
