// A reused connection that dies before any response byte. libcurl 7.88 resends such a
// request on a fresh connection with the same headers. The same DPoP proof (same jti) then
// reaches the server twice, and the first send appears in no attempt record.

#include <gtest/gtest.h>

#include "dpopfleet/transport.h"
#include "test_server.h"
#include "transport_test_support.h"

namespace dpopfleet {
namespace {

using testing::AwaitResult;
using testing::FastRetryOptions;
using testing::RecordingFactory;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::TestServer;

// The server responds to the first request and leaves its connection open. The second
// request reuses that connection and is reset before any response byte. The server
// responds to every later request.
TEST(TransportResend, DeadReusedConnectionIsAnAttempt) {
  auto server = TestServer::Start([](const ReceivedRequest&, int index) {
    ScriptedReply reply;
    if (index == 1) reply.action = ScriptedReply::Action::kResetConnection;
    return reply;
  });
  ASSERT_NE(server, nullptr);
  auto transport = Transport::Create(FastRetryOptions());
  ASSERT_TRUE(transport.ok()) << transport.error().ToString();
  RecordingFactory first(server->Url("/first"));
  RecordingFactory second(server->Url("/second"));

  auto first_future = (*transport)->Submit(first.factory());
  TransferResult first_result = AwaitResult(first_future);
  ASSERT_TRUE(first_result.response.has_value()) << first_result.error->ToString();
  auto second_future = (*transport)->Submit(second.factory());
  TransferResult second_result = AwaitResult(second_future);
  ASSERT_TRUE(second_result.response.has_value()) << second_result.error->ToString();

  // Each request the server received is one attempt the client recorded.
  EXPECT_EQ(server->requests(), 3);
  ASSERT_EQ(second_result.attempts.size(), 2u);
  EXPECT_EQ(second_result.attempts[0].status, 0);
  EXPECT_EQ(second_result.attempts[0].error, ErrorCode::kConnectFailed);
  EXPECT_NE(second_result.attempts[0].reason.find("connection died"), std::string::npos)
      << second_result.attempts[0].reason;
  EXPECT_EQ(second_result.attempts[1].status, 200);

  // The factory built each send, so each carried its own proof.
  std::vector<ReceivedRequest> received = server->received();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[1].HeaderOr("x-attempt"), "1");
  EXPECT_EQ(received[2].HeaderOr("x-attempt"), "2");
  EXPECT_EQ(second.contexts().size(), 2u);
}

}  // namespace
}  // namespace dpopfleet
