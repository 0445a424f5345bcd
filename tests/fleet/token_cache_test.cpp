// TokenCache refresh timing and single-flight fetching, driven by a fake clock.

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/token_cache.h"

namespace dpopfleet {
namespace {

// FixedRandom fills every byte with one value: 0x00 gives no jitter, 0xFF nearly the maximum.
class FixedRandom : public RandomSource {
 public:
  explicit FixedRandom(std::uint8_t byte) : byte_(byte) {}
  ErrorCode Fill(std::span<std::uint8_t> out) override {
    std::memset(out.data(), byte_, out.size());
    return ErrorCode::kOk;
  }

 private:
  std::uint8_t byte_;
};

TokenResponse Token(std::string value, std::int64_t expires_in) {
  TokenResponse token;
  token.access_token = std::move(value);
  token.token_type = "DPoP";
  token.expires_in = expires_in;
  return token;
}

class TokenCacheTest : public ::testing::Test {
 protected:
  TokenCacheOptions Options(RandomSource* random) {
    TokenCacheOptions options;
    options.clock = &clock_;
    options.random = random;
    return options;
  }

  FakeClock clock_;
  FixedRandom no_jitter_{0x00};
  FixedRandom max_jitter_{0xFF};
};

TEST_F(TokenCacheTest, RefreshesAtEightyPercent) {
  TokenCache cache(Options(&no_jitter_));
  int fetches = 0;
  auto fetch = [&]() -> Result<TokenResponse> { return Token("token-" + std::to_string(++fetches), 1000); };

  auto first = cache.Get("agent-1", fetch);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->access_token, "token-1");
  EXPECT_EQ((*first)->ath, AccessTokenHash("token-1"));

  clock_.AdvanceMillis(799'000);
  EXPECT_FALSE(cache.NeedsRefresh("agent-1"));
  EXPECT_EQ((*cache.Get("agent-1", fetch))->access_token, "token-1");
  EXPECT_EQ(fetches, 1);

  clock_.AdvanceMillis(1'000);
  EXPECT_TRUE(cache.NeedsRefresh("agent-1"));
  EXPECT_EQ((*cache.Get("agent-1", fetch))->access_token, "token-2");
  EXPECT_EQ(fetches, 2);
  EXPECT_EQ(cache.fetch_count(), 2u);
}

TEST_F(TokenCacheTest, JitterRefreshesEarlier) {
  TokenCache cache(Options(&max_jitter_));
  auto entry = cache.Put("agent-1", Token("t", 1000));
  // 0.8 - 0.05 * (0xFFFFFFFF / 2^32) of 1000 s is just over 750 s.
  EXPECT_GE(entry->refresh_at_millis - entry->obtained_at_millis, 750'000);
  EXPECT_LT(entry->refresh_at_millis - entry->obtained_at_millis, 751'000);
  clock_.AdvanceMillis(751'000);
  EXPECT_TRUE(cache.NeedsRefresh("agent-1"));
}

TEST_F(TokenCacheTest, ExpiredTokenIsNotPeeked) {
  TokenCache cache(Options(&no_jitter_));
  cache.Put("agent-1", Token("t", 10));
  EXPECT_NE(cache.Peek("agent-1"), nullptr);
  clock_.AdvanceMillis(10'000);
  EXPECT_EQ(cache.Peek("agent-1"), nullptr);
  EXPECT_EQ(cache.Peek("unknown"), nullptr);
}

// A server rounds "exp" down to whole seconds, and a fleet's tokens are stored after its
// whole mint. So when "exp" comes before the end of expires_in, "exp" sets both times.
TEST_F(TokenCacheTest, EarlierExpClaimWins) {
  TokenCache cache(Options(&no_jitter_));
  std::int64_t now = clock_.NowUnixMillis();
  std::string claims = "{\"exp\":" + std::to_string(now / 1000 + 4) + "}";
  std::string jwt = Base64UrlEncode(std::string_view("{\"alg\":\"ES256\"}")) + "." + Base64UrlEncode(claims) + ".c2ln";
  std::shared_ptr<const CachedToken> entry = cache.Put("agent-1", Token(jwt, 5));
  EXPECT_EQ(entry->expires_at_millis, now + 4'000);
  EXPECT_EQ(entry->refresh_at_millis, now + 3'200);

  // An "exp" already past reads as clock skew, so expires_in decides.
  std::string past = "{\"exp\":" + std::to_string(now / 1000 - 10) + "}";
  jwt = Base64UrlEncode(std::string_view("{\"alg\":\"ES256\"}")) + "." + Base64UrlEncode(past) + ".c2ln";
  entry = cache.Put("agent-2", Token(jwt, 5));
  EXPECT_EQ(entry->expires_at_millis, now + 5'000);
}

TEST_F(TokenCacheTest, HundredCallersOneRequest) {
  TokenCache cache(Options(&no_jitter_));
  constexpr int kCallers = 100;
  std::atomic<int> arrived{0};
  std::atomic<int> fetches{0};
  std::mutex mutex;
  std::condition_variable arrived_changed;

  // The fetch holds until every caller has arrived, so the others find it in flight (or,
  // if they were slower than the release, find its fresh token).
  auto fetch = [&]() -> Result<TokenResponse> {
    fetches.fetch_add(1);
    std::unique_lock lock(mutex);
    arrived_changed.wait(lock, [&] { return arrived.load() == kCallers; });
    return Token("shared", 3600);
  };

  std::vector<std::thread> callers;
  std::vector<std::string> seen(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      {
        std::lock_guard lock(mutex);
        arrived.fetch_add(1);
      }
      arrived_changed.notify_all();
      auto token = cache.Get("agent-1", fetch);
      if (token.ok()) seen[i] = (*token)->access_token;
    });
  }
  for (auto& caller : callers) caller.join();

  EXPECT_EQ(fetches.load(), 1);
  EXPECT_EQ(cache.fetch_count(), 1u);
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(seen[i], "shared") << "caller " << i;
}

TEST_F(TokenCacheTest, ServesOldTokenDuringRefresh) {
  TokenCache cache(Options(&no_jitter_));
  cache.Put("agent-1", Token("old", 1000));
  clock_.AdvanceMillis(900'000);

  std::mutex mutex;
  std::condition_variable changed;
  bool fetch_started = false;
  bool release = false;
  auto slow_fetch = [&]() -> Result<TokenResponse> {
    std::unique_lock lock(mutex);
    fetch_started = true;
    changed.notify_all();
    changed.wait(lock, [&] { return release; });
    return Token("new", 1000);
  };

  std::thread refresher([&] { EXPECT_EQ((*cache.Get("agent-1", slow_fetch))->access_token, "new"); });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return fetch_started; });
  }
  auto during = cache.Get("agent-1", [&]() -> Result<TokenResponse> { return Error(ErrorCode::kInternal, "unused"); });
  ASSERT_TRUE(during.ok());
  EXPECT_EQ((*during)->access_token, "old");
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  refresher.join();
  EXPECT_EQ(cache.Peek("agent-1")->access_token, "new");
}

TEST_F(TokenCacheTest, FailureIsNotCached) {
  TokenCache cache(Options(&no_jitter_));
  auto failed = cache.Get("agent-1", []() -> Result<TokenResponse> {
    return Error(ErrorCode::kHttpStatus, "token request returned HTTP 503");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kHttpStatus);
  auto retried = cache.Get("agent-1", [] { return Result<TokenResponse>(Token("t", 60)); });
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(cache.fetch_count(), 2u);
}

TEST_F(TokenCacheTest, LifetimeFromExpClaim) {
  TokenCache cache(Options(&no_jitter_));
  // Payload {"exp":1700000100}, 100 s after the fake clock's start; no expires_in.
  std::string token = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3MDAwMDAxMDB9.c2ln";
  auto entry = cache.Put("agent-1", Token(token, 0));
  EXPECT_EQ(entry->expires_at_millis - entry->obtained_at_millis, 100'000);
}

}  // namespace
}  // namespace dpopfleet
