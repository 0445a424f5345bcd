// Tests of the (thumbprint, jti) replay cache.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "dpopfleet/dpop_verify.h"

namespace dpopfleet {
namespace {

TEST(ReplayCache, RejectsSecondUseWithinLifetime) {
  ReplayCache cache(60);
  EXPECT_EQ(cache.CheckAndInsert("thumb", "jti-1", 1000), ErrorCode::kOk);
  EXPECT_EQ(cache.CheckAndInsert("thumb", "jti-1", 1059), ErrorCode::kProofReplayed);
  EXPECT_EQ(cache.CheckAndInsert("thumb", "jti-2", 1059), ErrorCode::kOk);
  EXPECT_EQ(cache.CheckAndInsert("other", "jti-1", 1059), ErrorCode::kOk);
  EXPECT_EQ(cache.CheckAndInsert("thumb", "jti-1", 1060), ErrorCode::kOk);
}

TEST(ReplayCache, SweepsExpiredEntries) {
  ReplayCache cache(10);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(cache.CheckAndInsert("t", "jti-" + std::to_string(i), 1000), ErrorCode::kOk);
  }
  EXPECT_EQ(cache.size(), 100u);
  EXPECT_EQ(cache.CheckAndInsert("t", "late", 1011), ErrorCode::kOk);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ReplayCache, ConcurrentInsertsAcceptEachPairOnce) {
  ReplayCache cache(60);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (cache.CheckAndInsert("t", std::to_string(i), 1000) == ErrorCode::kOk) ++accepted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 1000);
}

}  // namespace
}  // namespace dpopfleet
