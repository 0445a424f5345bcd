// Pooled easy handles keep their options between attempts. Requests of different methods
// that reuse one handle must each go out with their own method and body.

#include <gtest/gtest.h>

#include "dpopfleet/transport.h"
#include "test_server.h"
#include "transport_test_support.h"

namespace dpopfleet {
namespace {

using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::TestServer;

TEST(TransportReuse, MethodsAlternateOnOneHandle) {
  auto server = TestServer::Start([](const ReceivedRequest&, int) { return ScriptedReply{}; });
  ASSERT_NE(server, nullptr);
  auto created = Transport::Create(testing::FastRetryOptions());
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Transport& transport = **created;

  // One request at a time, so every attempt takes the handle the one before released.
  struct Case {
    std::string method;
    std::string body;
  };
  const std::vector<Case> cases = {{"POST", "a=1"}, {"GET", ""},    {"HEAD", ""},
                                   {"PUT", "b=2"},  {"POST", "c=3"}, {"GET", ""},
                                   {"DELETE", ""},  {"GET", ""}};
  for (const Case& item : cases) {
    std::string url = server->Url("/reuse");
    RequestFactory factory = [item, url](const AttemptContext&) -> Result<HttpRequest> {
      HttpRequest request;
      request.method = item.method;
      request.url = url;
      request.body = item.body;
      return request;
    };
    auto future = transport.Submit(std::move(factory));
    TransferResult result = testing::AwaitResult(future);
    ASSERT_TRUE(result.response.has_value()) << item.method;
    EXPECT_EQ(result.response->status, 200) << item.method;
    std::string expected_body = item.method == "HEAD" ? "" : "ok";
    EXPECT_EQ(result.response->body, expected_body) << item.method;
  }

  std::vector<ReceivedRequest> received = server->received();
  ASSERT_EQ(received.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(received[i].method, cases[i].method) << "request " << i;
    EXPECT_EQ(received[i].body, cases[i].body) << "request " << i;
  }
}

}  // namespace
}  // namespace dpopfleet
