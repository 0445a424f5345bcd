// The transport's per-origin lanes against the scripted HTTP/1.1 server: a factory runs only
// when a connection is free to carry its attempt at once, and a nonce retry goes on the
// wire before first attempts that were waiting longer.

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "dpopfleet/transport.h"
#include "test_server.h"
#include "transport_test_support.h"

namespace dpopfleet {
namespace {

using testing::FastRetryOptions;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::TestServer;

// OutstandingBuilds counts attempts built but not yet ended, as the factory and the
// completion callback see them on the loop thread, and keeps the largest count seen.
struct OutstandingBuilds {
  std::mutex mutex;
  std::condition_variable all_done;
  int built = 0;
  int finished = 0;
  int most_outstanding = 0;
  int ok = 0;
};

TEST(TransportLanes, FactoryRunsOnlyWhenAConnectionIsFree) {
  auto server = TestServer::Start([](const ReceivedRequest&, int) { return ScriptedReply{}; });
  ASSERT_NE(server, nullptr);
  TransportOptions options = FastRetryOptions();
  options.max_host_connections = 2;
  options.max_in_flight = 1'000;
  auto created = Transport::Create(options);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Transport& transport = **created;
  std::string url = server->Url("/lanes");
  constexpr int kRequests = 200;

  // With HTTP/1.1 each connection carries one request at a time, so at most two attempts
  // may exist between their factory call and their end, although 1,000 may be in flight.
  OutstandingBuilds builds;
  RequestOptions request_options;
  request_options.url_hint = url;
  for (int i = 0; i < kRequests; ++i) {
    RequestFactory factory = [&builds, url](const AttemptContext&) -> Result<HttpRequest> {
      std::lock_guard lock(builds.mutex);
      ++builds.built;
      builds.most_outstanding = std::max(builds.most_outstanding, builds.built - builds.finished);
      HttpRequest request;
      request.url = url;
      return request;
    };
    transport.Submit(std::move(factory), request_options, [&builds](TransferResult result) {
      std::lock_guard lock(builds.mutex);
      ++builds.finished;
      if (result.response.has_value() && result.response->status == 200) ++builds.ok;
      if (builds.finished == kRequests) builds.all_done.notify_all();
    });
  }

  std::unique_lock lock(builds.mutex);
  ASSERT_TRUE(builds.all_done.wait_for(lock, std::chrono::seconds(60),
                                       [&] { return builds.finished == kRequests; }));
  EXPECT_EQ(builds.ok, kRequests);
  EXPECT_EQ(builds.built, kRequests);
  EXPECT_LE(builds.most_outstanding, 2);
  EXPECT_LE(server->connections(), 2);
}

TEST(TransportLanes, NonceRetryGoesAheadOfWaitingFirstAttempts) {
  // The first request is held until every other request waits in the lane, then answered
  // with a nonce challenge; the others carry the nonce and succeed.
  auto server = TestServer::Start([](const ReceivedRequest& request, int index) {
    ScriptedReply reply;
    if (request.HeaderOr("x-nonce") == "n1") return reply;

    reply.status = 400;
    reply.body = R"({"error":"use_dpop_nonce"})";
    reply.headers.push_back({"Content-Type", "application/json"});
    reply.headers.push_back({"DPoP-Nonce", "n1"});
    if (index == 0) reply.action = ScriptedReply::Action::kStall;
    return reply;
  });
  ASSERT_NE(server, nullptr);
  TransportOptions options = FastRetryOptions();
  options.max_host_connections = 1;
  auto created = Transport::Create(options);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Transport& transport = **created;
  testing::RecordingFactory factory(server->Url("/token"));
  constexpr int kRequests = 10;

  RequestOptions request_options;
  request_options.url_hint = server->Url("/token");
  std::vector<std::future<TransferResult>> futures;
  for (int i = 0; i < kRequests; ++i) {
    futures.push_back(transport.Submit(factory.factory(), request_options));
  }
  ASSERT_TRUE(server->WaitForRequests(1));
  server->ReleaseStalled();
  for (auto& future : futures) {
    TransferResult result = testing::AwaitResult(future);
    ASSERT_TRUE(result.response.has_value());
    EXPECT_EQ(result.response->status, 200);
  }

  std::vector<ReceivedRequest> received = server->received();
  ASSERT_EQ(received.size(), static_cast<std::size_t>(kRequests + 1));
  EXPECT_EQ(received[1].HeaderOr("x-attempt"), "2") << "the nonce retry should be sent second";
  EXPECT_EQ(received[1].HeaderOr("x-nonce"), "n1");
  EXPECT_EQ(transport.counters().retries_nonce, 1u);
}

}  // namespace
}  // namespace dpopfleet
