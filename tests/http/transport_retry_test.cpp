// Transport against the scripted loopback server: status handling, Retry-After, backoff,
// connection failures, timeouts, deadlines and shutdown.

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <ctime>
#include <mutex>

#include "dpopfleet/transport.h"
#include "test_process.h"
#include "test_server.h"
#include "transport_test_support.h"

namespace dpopfleet {
namespace {

using std::chrono::milliseconds;
using testing::AwaitResult;
using testing::FastRetryOptions;
using testing::FetchOnce;
using testing::FetchRun;
using testing::RecordingFactory;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::TestServer;

std::unique_ptr<Transport> MakeTransport(TransportOptions options = FastRetryOptions()) {
  auto transport = Transport::Create(std::move(options));
  EXPECT_TRUE(transport.ok()) << transport.error().ToString();
  return std::move(*transport);
}

// ScriptedSequence replies with |replies| in order, then with the last one.
testing::Handler ScriptedSequence(std::vector<ScriptedReply> replies) {
  return [replies](const ReceivedRequest&, int index) {
    return replies[std::min<std::size_t>(index, replies.size() - 1)];
  };
}

ScriptedReply Reply(unsigned status, std::vector<std::pair<std::string, std::string>> headers = {},
                    std::string body = "ok") {
  ScriptedReply reply;
  reply.status = status;
  reply.headers = std::move(headers);
  reply.body = std::move(body);
  return reply;
}

ScriptedReply Action(ScriptedReply::Action action) {
  ScriptedReply reply;
  reply.action = action;
  return reply;
}

// HttpDate formats |unix_seconds| as an IMF-fixdate.
std::string HttpDate(std::time_t unix_seconds) {
  std::tm utc{};
  gmtime_r(&unix_seconds, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

TEST(Transport, GetReturnsResponse) {
  auto server = TestServer::Start(ScriptedSequence({Reply(200, {{"X-Test", "yes"}}, "hello")}));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url("/hello"));
  const TransferResult& result = run.result;

  ASSERT_FALSE(result.error.has_value()) << result.error->ToString();
  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  EXPECT_EQ(result.response->body, "hello");
  EXPECT_EQ(result.response->http_version, 11);
  ASSERT_NE(result.response->Header("x-test"), nullptr);
  EXPECT_EQ(*result.response->Header("x-test"), "yes");
  ASSERT_EQ(result.attempts.size(), 1u);
  EXPECT_EQ(result.attempts[0].reason, "200");
  EXPECT_EQ(server->received()[0].path, "/hello");
}

TEST(Transport, PostSendsBodyAndHeaders) {
  auto server = TestServer::Start(ScriptedSequence({Reply(201)}));
  ASSERT_NE(server, nullptr);
  auto transport = MakeTransport();

  auto future = transport->Submit([&](const AttemptContext&) -> Result<HttpRequest> {
    HttpRequest request;
    request.method = "POST";
    request.url = server->Url("/token");
    request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    request.headers.push_back({"DPoP", "proof-value"});
    request.body = "grant_type=client_credentials";
    return request;
  });
  TransferResult result = AwaitResult(future);

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 201);
  std::vector<ReceivedRequest> received = server->received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].body, "grant_type=client_credentials");
  EXPECT_EQ(received[0].HeaderOr("dpop"), "proof-value");
}

TEST(Transport, RateLimitedWaitsRetryAfterSeconds) {
  auto server = TestServer::Start(
      ScriptedSequence({Reply(429, {{"Retry-After", "1"}}), Reply(200)}));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url());
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(result.attempts.size(), 2u);
  EXPECT_EQ(result.attempts[0].status, 429);
  EXPECT_EQ(result.attempts[0].reason, "429 Retry-After 1s");
  EXPECT_EQ(result.attempts[1].wait_before, milliseconds(1'000));
  EXPECT_EQ(run.transport->counters().retries_429, 1u);
}

TEST(Transport, RateLimitedWaitsRetryAfterHttpDate) {
  auto server = TestServer::Start([](const ReceivedRequest&, int index) {
    if (index > 0) return Reply(200);
    return Reply(429, {{"Retry-After", HttpDate(std::time(nullptr) + 2)}});
  });
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url());
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(result.attempts.size(), 2u);

  // The date has one-second resolution, so the delay is 1 or 2 s depending on when the
  // second ticked.
  EXPECT_GE(result.attempts[1].wait_before, milliseconds(1'000));
  EXPECT_LE(result.attempts[1].wait_before, milliseconds(2'000));
}

TEST(Transport, ServiceUnavailableThenSuccess) {
  auto server = TestServer::Start(ScriptedSequence({Reply(503), Reply(503), Reply(200)}));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url());
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(result.attempts.size(), 3u);
  EXPECT_EQ(result.attempts[0].status, 503);
  EXPECT_EQ(result.attempts[1].status, 503);
  EXPECT_GE(result.attempts[1].wait_before, milliseconds(5));
  EXPECT_LE(result.attempts[2].wait_before, milliseconds(20));
  EXPECT_EQ(run.transport->counters().retries_5xx, 2u);

  // Every attempt was built afresh by the factory.
  std::vector<AttemptContext> contexts = run.factory->contexts();
  ASSERT_EQ(contexts.size(), 3u);
  EXPECT_EQ(contexts[0].attempt, 1);
  EXPECT_EQ(contexts[2].attempt, 3);
}

TEST(Transport, ConnectionResetIsRetried) {
  auto server = TestServer::Start(
      ScriptedSequence({Action(ScriptedReply::Action::kResetConnection), Reply(200)}));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url());
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value()) << result.error->ToString();
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(result.attempts.size(), 2u);
  EXPECT_EQ(result.attempts[0].status, 0);
  EXPECT_EQ(result.attempts[0].error, ErrorCode::kConnectFailed);
  EXPECT_EQ(run.transport->counters().retries_connection, 1u);
}

TEST(Transport, ConnectionResetGivesUpAfterThreeRetries) {
  auto server =
      TestServer::Start(ScriptedSequence({Action(ScriptedReply::Action::kResetConnection)}));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url());
  const TransferResult& result = run.result;

  EXPECT_FALSE(result.response.has_value());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kConnectFailed);
  EXPECT_EQ(result.attempts.size(), 4u);
}

TEST(Transport, RefusedConnectionFails) {
  std::uint16_t port = testing::FreeLoopbackPort();
  ASSERT_NE(port, 0);
  FetchRun run = FetchOnce("http://127.0.0.1:" + std::to_string(port) + "/");
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kConnectFailed);
  EXPECT_NE(result.error->message().find(std::to_string(port)), std::string::npos);
  EXPECT_EQ(result.attempts.size(), 4u);
}

TEST(Transport, SlowResponseTimesOut) {
  auto server = TestServer::Start(ScriptedSequence({Action(ScriptedReply::Action::kStall)}));
  ASSERT_NE(server, nullptr);
  TransportOptions options = FastRetryOptions();
  options.attempt_timeout = milliseconds(200);
  options.retry.max_connection_retries = 1;
  FetchRun run = FetchOnce(server->Url(), options);
  const TransferResult& result = run.result;
  server->ReleaseStalled();

  EXPECT_FALSE(result.response.has_value());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kTimedOut);
  EXPECT_NE(result.error->message().find("attempt_timeout"), std::string::npos);
  ASSERT_EQ(result.attempts.size(), 2u);
  EXPECT_EQ(result.attempts[0].error, ErrorCode::kTimedOut);
}

TEST(Transport, ClientErrorIsFinal) {
  auto server = TestServer::Start(ScriptedSequence({Reply(404, {}, "missing")}));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url());
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 404);
  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.attempts.size(), 1u);
}

TEST(Transport, DeadlineStopsLongRetryAfter) {
  auto server = TestServer::Start(ScriptedSequence({Reply(429, {{"Retry-After", "30"}})}));
  ASSERT_NE(server, nullptr);
  RequestOptions request_options;
  request_options.deadline = milliseconds(5'000);

  FetchRun run = FetchOnce(server->Url(), FastRetryOptions(), request_options);
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 429);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kRetriesExhausted);
  EXPECT_EQ(result.attempts.size(), 1u);
}

TEST(Transport, AttemptCapStopsRetries) {
  auto server = TestServer::Start(ScriptedSequence({Reply(500)}));
  ASSERT_NE(server, nullptr);
  RequestOptions request_options;
  request_options.max_attempts = 3;

  FetchRun run = FetchOnce(server->Url(), FastRetryOptions(), request_options);
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kRetriesExhausted);
  EXPECT_EQ(result.attempts.size(), 3u);
  EXPECT_EQ(server->requests(), 3);
}

TEST(Transport, FactoryErrorEndsRequest) {
  auto transport = MakeTransport();

  auto future = transport->Submit([](const AttemptContext&) -> Result<HttpRequest> {
    return Error(ErrorCode::kCryptoFailure, "signing failed");
  });
  TransferResult result = AwaitResult(future);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kCryptoFailure);
  EXPECT_TRUE(result.attempts.empty());
}

TEST(Transport, PlainHttpToRemoteHostRejected) {
  FetchRun run = FetchOnce("http://as.example.invalid/token");
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kInsecureUrl);
  EXPECT_NE(result.error->message().find("https://"), std::string::npos);
  EXPECT_NE(result.error->message().find("as.example.invalid"), std::string::npos);
  EXPECT_TRUE(result.attempts.empty());
}

TEST(Transport, ShutdownCancelsWaitingRequest) {
  auto server = TestServer::Start(ScriptedSequence({Reply(429, {{"Retry-After", "60"}})}));
  ASSERT_NE(server, nullptr);
  auto transport = MakeTransport();
  RecordingFactory factory(server->Url());

  auto future = transport->Submit(factory.factory());
  ASSERT_TRUE(server->WaitForRequests(1));
  transport->Shutdown();
  TransferResult result = AwaitResult(future);
  auto late = transport->Submit(factory.factory());
  TransferResult late_result = AwaitResult(late);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kCancelled);
  ASSERT_TRUE(late_result.error.has_value());
  EXPECT_EQ(late_result.error->code(), ErrorCode::kCancelled);
  EXPECT_EQ(transport->counters().requests_completed, 2u);
}

TEST(Transport, ShutdownCancelsInFlightTransfer) {
  auto server = TestServer::Start(ScriptedSequence({Action(ScriptedReply::Action::kStall)}));
  ASSERT_NE(server, nullptr);
  auto transport = MakeTransport();
  RecordingFactory factory(server->Url());

  auto future = transport->Submit(factory.factory());
  ASSERT_TRUE(server->WaitForRequests(1));
  transport->Shutdown();
  server->ReleaseStalled();
  TransferResult result = AwaitResult(future);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kCancelled);
}

TEST(Transport, ShutdownReportsEveryRequestOnce) {
  auto server = TestServer::Start(ScriptedSequence({Action(ScriptedReply::Action::kStall)}));
  ASSERT_NE(server, nullptr);
  TransportOptions options = FastRetryOptions();
  options.max_in_flight = 8;
  auto transport = MakeTransport(options);
  RecordingFactory factory(server->Url());
  constexpr int kRequests = 100;

  // Requests end up in flight, in libcurl's queue for a connection, and in the transport's
  // own queue behind max_in_flight.
  std::mutex mutex;
  std::vector<int> calls(kRequests, 0);
  std::vector<ErrorCode> codes(kRequests, ErrorCode::kOk);
  for (int i = 0; i < kRequests; ++i) {
    transport->Submit(factory.factory(), RequestOptions{}, [&, i](TransferResult result) {
      std::lock_guard lock(mutex);
      ++calls[i];
      codes[i] = result.error.has_value() ? result.error->code() : ErrorCode::kOk;
    });
  }
  ASSERT_TRUE(server->WaitForRequests(1));
  transport->Shutdown();
  server->ReleaseStalled();

  std::lock_guard lock(mutex);
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(calls[i], 1) << "request " << i;
    EXPECT_EQ(codes[i], ErrorCode::kCancelled) << "request " << i;
  }
  EXPECT_EQ(transport->counters().requests_completed, static_cast<std::uint64_t>(kRequests));
}

TEST(Transport, ConnectionsKeptBetweenBursts) {
  auto server = TestServer::Start(ScriptedSequence({Reply(200)}));
  ASSERT_NE(server, nullptr);
  TransportOptions options = FastRetryOptions();
  options.max_host_connections = 8;
  options.max_total_connections = 8;
  auto transport = MakeTransport(options);
  RecordingFactory factory(server->Url());

  // Bursts end with no transfer added to libcurl; the next burst must reuse the open
  // connections instead of opening new ones.
  for (int burst = 0; burst < 3; ++burst) {
    std::vector<std::future<TransferResult>> futures;
    for (int i = 0; i < 64; ++i) futures.push_back(transport->Submit(factory.factory()));
    for (auto& future : futures) {
      TransferResult result = AwaitResult(future);
      ASSERT_TRUE(result.response.has_value()) << "burst " << burst;
    }
  }

  EXPECT_EQ(server->requests(), 192);
  EXPECT_LE(server->connections(), 8);
  EXPECT_LE(transport->counters().connections_opened, 8u);
}

}  // namespace
}  // namespace dpopfleet
