// Transport against the scripted loopback server: DPoP nonces in both RFC 9449 forms,
// nonce rotation, clock offsets from Date, and TLS with a CA made at test time.

#include <gtest/gtest.h>

#include "dpopfleet/clock.h"
#include "dpopfleet/transport.h"
#include "test_process.h"
#include "test_server.h"
#include "transport_test_support.h"

namespace dpopfleet {
namespace {

using testing::AwaitResult;
using testing::FastRetryOptions;
using testing::FetchOnce;
using testing::FetchRun;
using testing::RecordingFactory;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::TestServer;

constexpr const char* kNonceErrorBody = R"({"error":"use_dpop_nonce","error_description":"x"})";

std::unique_ptr<Transport> MakeTransport(TransportOptions options = FastRetryOptions()) {
  auto transport = Transport::Create(std::move(options));
  EXPECT_TRUE(transport.ok()) << transport.error().ToString();
  return std::move(*transport);
}

std::string OriginOf(const TestServer& server) {
  return server.Url("");
}

// NonceServer demands |nonce| in X-Nonce and rejects other requests in the authorization
// server form (400 + JSON) or the resource server form (401 + WWW-Authenticate).
testing::Handler NonceServer(std::string nonce, bool resource_server) {
  return [nonce, resource_server](const ReceivedRequest& request, int) {
    ScriptedReply reply;
    if (request.HeaderOr("x-nonce") == nonce) return reply;

    reply.headers.push_back({"DPoP-Nonce", nonce});
    if (resource_server) {
      reply.status = 401;
      reply.headers.push_back(
          {"WWW-Authenticate", R"(DPoP error="use_dpop_nonce", error_description="nonce")"});
    } else {
      reply.status = 400;
      reply.body = kNonceErrorBody;
      reply.headers.push_back({"Content-Type", "application/json"});
    }
    return reply;
  };
}

TEST(TransportNonce, AuthorizationServerFormRetriesWithNonce) {
  auto server = TestServer::Start(NonceServer("n1", /*resource_server=*/false));
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url("/token"));
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(result.attempts.size(), 2u);
  EXPECT_EQ(result.attempts[0].reason, "400 use_dpop_nonce");
  std::vector<AttemptContext> contexts = run.factory->contexts();
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[0].nonce, "");
  EXPECT_EQ(contexts[1].nonce, "n1");
  EXPECT_EQ(run.transport->CachedNonce(OriginOf(*server), NonceScope::kAuthorizationServer), "n1");
  EXPECT_EQ(run.transport->CachedNonce(OriginOf(*server), NonceScope::kResourceServer), "");
  EXPECT_EQ(run.transport->counters().retries_nonce, 1u);
}

TEST(TransportNonce, ResourceServerFormRetriesWithNonce) {
  auto server = TestServer::Start(NonceServer("r1", /*resource_server=*/true));
  ASSERT_NE(server, nullptr);
  RequestOptions request_options;
  request_options.nonce_scope = NonceScope::kResourceServer;

  FetchRun run = FetchOnce(server->Url("/resource"), FastRetryOptions(), request_options);
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(result.attempts.size(), 2u);
  EXPECT_EQ(result.attempts[0].status, 401);
  EXPECT_EQ(run.transport->CachedNonce(OriginOf(*server), NonceScope::kResourceServer), "r1");
  EXPECT_EQ(run.transport->CachedNonce(OriginOf(*server), NonceScope::kAuthorizationServer), "");
}

TEST(TransportNonce, SameNonceIsNotRetriedTwice) {
  auto server = TestServer::Start([](const ReceivedRequest&, int) {
    ScriptedReply reply;
    reply.status = 400;
    reply.body = kNonceErrorBody;
    reply.headers.push_back({"DPoP-Nonce", "stuck"});
    return reply;
  });
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url("/token"));
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 400);
  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.attempts.size(), 2u);
  EXPECT_EQ(server->requests(), 2);
}

TEST(TransportNonce, RotatedNonceRetriedAgain) {
  // Each challenge carries a fresh nonce until the third one is accepted.
  auto server = TestServer::Start([](const ReceivedRequest& request, int index) {
    ScriptedReply reply;
    if (request.HeaderOr("x-nonce") == "n3") return reply;
    reply.status = 400;
    reply.body = kNonceErrorBody;
    reply.headers.push_back({"DPoP-Nonce", "n" + std::to_string(index + 1)});
    return reply;
  });
  ASSERT_NE(server, nullptr);
  FetchRun run = FetchOnce(server->Url("/token"));
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  EXPECT_EQ(result.attempts.size(), 4u);
}

TEST(TransportNonce, NonceOnSuccessIsCachedForNextRequest) {
  auto server = TestServer::Start([](const ReceivedRequest& request, int) {
    ScriptedReply reply;
    reply.headers.push_back({"DPoP-Nonce", request.HeaderOr("x-nonce") == "" ? "a" : "b"});
    return reply;
  });
  ASSERT_NE(server, nullptr);
  auto transport = MakeTransport();
  RecordingFactory factory(server->Url("/token"));
  RequestOptions request_options;
  request_options.url_hint = server->Url("/token");

  auto first = transport->Submit(factory.factory(), request_options);
  AwaitResult(first);
  EXPECT_EQ(transport->CachedNonce(OriginOf(*server), NonceScope::kAuthorizationServer), "a");
  auto second = transport->Submit(factory.factory(), request_options);
  AwaitResult(second);

  std::vector<AttemptContext> contexts = factory.contexts();
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[1].nonce, "a");
  EXPECT_EQ(transport->CachedNonce(OriginOf(*server), NonceScope::kAuthorizationServer), "b");
}

TEST(TransportNonce, WithoutUrlHintFirstAttemptStillGetsNonce) {
  auto server = TestServer::Start(NonceServer("n1", /*resource_server=*/false));
  ASSERT_NE(server, nullptr);
  auto transport = MakeTransport();
  RecordingFactory warm_up(server->Url("/token"));
  auto first = transport->Submit(warm_up.factory());
  AwaitResult(first);

  RecordingFactory factory(server->Url("/token"));
  auto second = transport->Submit(factory.factory());
  TransferResult result = AwaitResult(second);

  // The factory ran twice for one attempt: once to learn the origin, once with the nonce.
  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  EXPECT_EQ(result.attempts.size(), 1u);
  std::vector<AttemptContext> contexts = factory.contexts();
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[1].nonce, "n1");
}

TEST(TransportNonce, BlocklistRealmIsNotRetried) {
  auto server = TestServer::Start([](const ReceivedRequest&, int) {
    ScriptedReply reply;
    reply.status = 401;
    reply.headers.push_back({"DPoP-Nonce", "n1"});
    reply.headers.push_back(
        {"WWW-Authenticate", R"(DPoP realm="use_dpop_nonce_blocklist", error="invalid_token")"});
    return reply;
  });
  ASSERT_NE(server, nullptr);
  RequestOptions request_options;
  request_options.nonce_scope = NonceScope::kResourceServer;

  FetchRun run = FetchOnce(server->Url("/resource"), FastRetryOptions(), request_options);
  const TransferResult& result = run.result;

  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 401);
  EXPECT_EQ(result.attempts.size(), 1u);
  EXPECT_EQ(server->requests(), 1);
}

TEST(TransportClock, OffsetEstimatedFromDate) {
  auto server = TestServer::Start([](const ReceivedRequest&, int) { return ScriptedReply(); });
  ASSERT_NE(server, nullptr);

  // The local clock runs five minutes behind the server's.
  FakeClock behind(SystemClock().NowUnixMillis() - 300'000);
  TransportOptions options = FastRetryOptions();
  options.clock = &behind;
  auto transport = MakeTransport(options);
  RecordingFactory factory(server->Url());
  RequestOptions request_options;
  request_options.url_hint = server->Url();

  auto first = transport->Submit(factory.factory(), request_options);
  AwaitResult(first);
  auto second = transport->Submit(factory.factory(), request_options);
  AwaitResult(second);

  std::int64_t offset = transport->ClockOffsetSeconds(OriginOf(*server));
  EXPECT_GE(offset, 299);
  EXPECT_LE(offset, 301);
  std::vector<AttemptContext> contexts = factory.contexts();
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[0].clock_offset_seconds, 0);
  EXPECT_EQ(contexts[1].clock_offset_seconds, offset);
}

class TransportTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::MakeTestPki(dir_, &pki_))
        << "openssl failed; see " << dir_.File("openssl.log") << ": "
        << testing::ReadFile(dir_.File("openssl.log"));
    testing::TestServerOptions server_options;
    server_options.certificate_pem = pki_.certificate_pem;
    server_options.private_key_pem = pki_.private_key_pem;
    server_ = TestServer::Start([](const ReceivedRequest&, int) { return ScriptedReply(); },
                                server_options);
    ASSERT_NE(server_, nullptr);
  }

  TransferResult Get(TransportOptions options) {
    return FetchOnce(server_->Url("/secure"), std::move(options)).result;
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(TransportTls, TrustedCaSucceeds) {
  TransportOptions options = FastRetryOptions();
  options.ca_file = pki_.ca_file;

  TransferResult result = Get(options);

  ASSERT_TRUE(result.response.has_value()) << result.error->ToString();
  EXPECT_EQ(result.response->status, 200);
}

TEST_F(TransportTls, UnknownCaFails) {
  TransferResult result = Get(FastRetryOptions());

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kTlsFailure);
  EXPECT_NE(result.error->message().find("ca_file"), std::string::npos);
  EXPECT_EQ(result.attempts.size(), 1u);
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(TransportTls, WrongPinnedKeyFails) {
  TransportOptions options = FastRetryOptions();
  options.ca_file = pki_.ca_file;
  options.pinned_public_key = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  TransferResult result = Get(options);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kTlsFailure);
}

TEST_F(TransportTls, MatchingPinnedKeySucceeds) {
  TransportOptions options = FastRetryOptions();
  options.ca_file = pki_.ca_file;
  options.pinned_public_key = pki_.public_key_file;

  TransferResult result = Get(options);

  ASSERT_TRUE(result.response.has_value()) << result.error->ToString();
}

// Library messages reach CLI users too, so the fix names the flag as well as the field.
TEST_F(TransportTls, UnknownCaNamesCaFileFlag) {
  TransferResult result = Get(FastRetryOptions());

  ASSERT_TRUE(result.error.has_value());
  EXPECT_NE(result.error->message().find("--ca-file"), std::string::npos) << result.error->message();
  EXPECT_NE(result.error->message().find("TransportOptions.ca_file"), std::string::npos)
      << result.error->message();
}

TEST_F(TransportTls, PlainHttpToTlsServerSuggestsHttps) {
  std::string url = server_->Url("/secure");
  ASSERT_EQ(url.rfind("https://", 0), 0u) << url;
  url.replace(0, 8, "http://");

  TransferResult result = FetchOnce(url, FastRetryOptions()).result;

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), ErrorCode::kConnectFailed);
  EXPECT_NE(result.error->message().find("expects TLS, use an https:// URL"), std::string::npos)
      << result.error->message();
}

}  // namespace
}  // namespace dpopfleet
