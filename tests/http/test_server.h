// A scripted HTTP/1.1 server on 127.0.0.1 for transport tests, built on libmicrohttpd with
// one thread per connection, so a stalled reply blocks only its own connection.

#ifndef DPOPFLEET_TESTS_HTTP_TEST_SERVER_H_
#define DPOPFLEET_TESTS_HTTP_TEST_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

struct MHD_Daemon;

namespace dpopfleet::testing {

// ReceivedRequest is what the server saw; header names are lower-cased.
struct ReceivedRequest {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;

  // HeaderOr returns the header |name| or |fallback|.
  std::string HeaderOr(const std::string& name, const std::string& fallback = "") const;
};

// ScriptedReply is what the handler wants sent back.
struct ScriptedReply {
  enum class Action { kRespond, kResetConnection, kStall };

  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "ok";

  // kResetConnection closes the socket with SO_LINGER 0, so the client sees a TCP RST.
  // kStall holds the reply until ReleaseStalled or the server stops, then responds.
  Action action = Action::kRespond;
};

// Handler scripts replies; |index| counts requests from 0. It runs on server threads.
using Handler = std::function<ScriptedReply(const ReceivedRequest& request, int index)>;

struct TestServerOptions {
  // When both are set, the server speaks TLS with this PEM certificate chain and key.
  std::string certificate_pem;
  std::string private_key_pem;
};

class TestServer {
 public:
  // Start listens on 127.0.0.1 on a free port; it returns nullptr if libmicrohttpd fails.
  static std::unique_ptr<TestServer> Start(Handler handler, TestServerOptions options = {});
  ~TestServer();

  std::uint16_t port() const { return port_; }

  // Url returns "http[s]://127.0.0.1:<port><path>".
  std::string Url(const std::string& path = "/") const;

  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }
  std::vector<ReceivedRequest> received() const;

  // WaitForRequests blocks until at least |count| requests arrived or 10 s passed, and
  // returns whether they arrived.
  bool WaitForRequests(int count);

  // ReleaseStalled lets every stalled reply go out.
  void ReleaseStalled();

 private:
  TestServer(Handler handler, bool tls);

  // TestServerAccess contains libmicrohttpd's access-handler callback. It is defined in the
  // .cpp file so that this header does not need microhttpd.h.
  friend struct TestServerAccess;

  Handler handler_;
  bool tls_;
  std::string certificate_pem_;
  std::string private_key_pem_;
  MHD_Daemon* daemon_ = nullptr;
  std::uint16_t port_ = 0;

  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReceivedRequest> received_;
  bool released_ = false;
};

}  // namespace dpopfleet::testing

#endif  // DPOPFLEET_TESTS_HTTP_TEST_SERVER_H_
