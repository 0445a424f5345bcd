// Load through the transport: 1,000 concurrent requests over HTTP/1.1 straight to the
// scripted server, and over HTTP/2 through nghttpx (TLS with ALPN h2) in front of it. Every
// request must complete exactly once, and HTTP/2 must multiplex onto a few connections.

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "dpopfleet/transport.h"
#include "test_process.h"
#include "test_server.h"

namespace dpopfleet {
namespace {

using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::TestServer;

constexpr int kRequests = 1'000;
constexpr int kSubmitThreads = 4;

// EchoId replies with the request's X-Request-Id as the body.
ScriptedReply EchoId(const ReceivedRequest& request, int) {
  ScriptedReply reply;
  reply.body = request.HeaderOr("x-request-id");
  return reply;
}

// LoadOutcome is what the callbacks of one load run saw.
struct LoadOutcome {
  std::map<std::string, int> completions;
  std::map<std::string, std::string> bodies;
  std::map<long, int> statuses;
  std::set<int> http_versions;
  int errors = 0;
  std::string first_error;
};

// RunLoad submits kRequests requests for |url| from kSubmitThreads threads at once, each
// with a unique X-Request-Id, and waits for every callback.
LoadOutcome RunLoad(Transport& transport, const std::string& url) {
  std::mutex mutex;
  std::condition_variable done;
  LoadOutcome outcome;
  int finished = 0;

  auto submit_range = [&](int first, int last) {
    for (int i = first; i < last; ++i) {
      std::string id = "req-" + std::to_string(i);
      RequestFactory factory = [url, id](const AttemptContext&) -> Result<HttpRequest> {
        HttpRequest request;
        request.url = url;
        request.headers.push_back({"X-Request-Id", id});
        return request;
      };
      transport.Submit(std::move(factory), RequestOptions{}, [&, id](TransferResult result) {
        std::lock_guard lock(mutex);
        ++outcome.completions[id];
        if (result.response.has_value()) {
          ++outcome.statuses[result.response->status];
          outcome.bodies[id] = result.response->body;
          outcome.http_versions.insert(result.response->http_version);
        }
        if (result.error.has_value()) {
          if (outcome.errors++ == 0) outcome.first_error = result.error->ToString();
        }
        if (++finished == kRequests) done.notify_all();
      });
    }
  };

  std::vector<std::thread> submitters;
  int per_thread = kRequests / kSubmitThreads;
  for (int t = 0; t < kSubmitThreads; ++t) {
    submitters.emplace_back(submit_range, t * per_thread, (t + 1) * per_thread);
  }
  for (std::thread& submitter : submitters) submitter.join();

  std::unique_lock lock(mutex);
  done.wait_for(lock, std::chrono::seconds(120), [&] { return finished == kRequests; });
  return outcome;
}

void ExpectEveryRequestOnce(const LoadOutcome& outcome, const TestServer& server) {
  EXPECT_EQ(outcome.errors, 0) << outcome.first_error;
  ASSERT_EQ(outcome.completions.size(), static_cast<std::size_t>(kRequests));
  for (const auto& [id, count] : outcome.completions) {
    EXPECT_EQ(count, 1) << id;
    auto body = outcome.bodies.find(id);
    ASSERT_NE(body, outcome.bodies.end()) << id;
    EXPECT_EQ(body->second, id);
  }
  EXPECT_EQ(outcome.statuses.at(200), kRequests);

  std::map<std::string, int> seen;
  for (const ReceivedRequest& request : server.received()) ++seen[request.HeaderOr("x-request-id")];
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kRequests));
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
}

TEST(TransportLoad, Http1ThousandConcurrentRequests) {
  auto server = TestServer::Start(&EchoId);
  ASSERT_NE(server, nullptr);
  TransportOptions options;
  options.max_host_connections = 8;
  auto transport = Transport::Create(options);
  ASSERT_TRUE(transport.ok()) << transport.error().ToString();

  LoadOutcome outcome = RunLoad(**transport, server->Url("/load"));

  ExpectEveryRequestOnce(outcome, *server);
  EXPECT_EQ(outcome.http_versions, std::set<int>{11});
  EXPECT_LE(server->connections(), 8);
  TransportCounters counters = (*transport)->counters();
  EXPECT_EQ(counters.requests_completed, static_cast<std::uint64_t>(kRequests));
  EXPECT_EQ(counters.attempts, static_cast<std::uint64_t>(kRequests));
}

// CountConnections returns the distinct client ports in an nghttpx access log whose lines
// are "<remote_port> <alpn> <status>", and whether every line used h2.
std::pair<std::size_t, bool> CountConnections(const std::string& log) {
  std::set<std::string> ports;
  bool all_h2 = true;
  std::istringstream lines(log);
  std::string port;
  std::string alpn;
  std::string status;
  while (lines >> port >> alpn >> status) {
    ports.insert(port);
    all_h2 = all_h2 && alpn == "h2";
  }
  return {ports.size(), all_h2};
}

TEST(TransportLoad, Http2ThousandRequestsShareFewConnections) {
  std::string nghttpx = testing::FindProgram("nghttpx");
  if (nghttpx.empty()) {
    GTEST_SKIP() << "nghttpx is not installed; install Debian's nghttp2-proxy (tools/setup.sh)";
  }

  testing::TempDir dir;
  testing::TestPki pki;
  ASSERT_TRUE(testing::MakeTestPki(dir, &pki)) << testing::ReadFile(dir.File("openssl.log"));
  auto backend = TestServer::Start(&EchoId);
  ASSERT_NE(backend, nullptr);
  std::uint16_t port = testing::FreeLoopbackPort();
  ASSERT_NE(port, 0);

  // 250 streams a connection on both sides, so 1,000 requests fit on 4 connections.
  std::string access_log = dir.File("access.log");
  testing::ChildProcess proxy(
      testing::NghttpxCommand(nghttpx, port, backend->port(), pki, dir,
                              {"--frontend-http2-max-concurrent-streams=250",
                               "--accesslog-file=" + access_log,
                               "--accesslog-format=$remote_port $alpn $status"}),
      dir.File("nghttpx.out"));
  ASSERT_GT(proxy.pid(), 0);
  ASSERT_TRUE(testing::WaitForListener(port))
      << "nghttpx did not listen: " << testing::ReadFile(dir.File("error.log"));

  TransportOptions options;
  options.ca_file = pki.ca_file;
  options.max_concurrent_streams = 250;

  // A burst makes libcurl 7.88 open every allowed connection even with PIPEWAIT, so the
  // limit is what keeps HTTP/2 to a handful; the test checks that all 1,000 requests share
  // them.
  options.max_host_connections = 4;
  auto transport = Transport::Create(options);
  ASSERT_TRUE(transport.ok()) << transport.error().ToString();

  LoadOutcome outcome = RunLoad(**transport, "https://127.0.0.1:" + std::to_string(port) + "/load");
  (*transport)->Shutdown();
  proxy.Stop();

  ExpectEveryRequestOnce(outcome, *backend);
  EXPECT_EQ(outcome.http_versions, std::set<int>{20});
  auto [connections, all_h2] = CountConnections(testing::ReadFile(access_log));
  EXPECT_TRUE(all_h2);
  EXPECT_GE(connections, 1u);
  EXPECT_LE(connections, 4u) << "1,000 requests should multiplex onto a handful of connections";
  RecordProperty("client_connections", static_cast<int>(connections));
  EXPECT_EQ((*transport)->counters().connections_opened, connections);
}

}  // namespace
}  // namespace dpopfleet
