// Tests of batch proof signing: correctness, error slots, reuse and allocation freedom.

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <set>
#include <thread>

#include "dpopfleet/batch_signer.h"
#include "dpopfleet/dpop_verify.h"

// Counting every operator new in the process lets a test prove that steady-state batch
// signing does not allocate in C++ code. The sanitizers supply their own operator new, so
// the count is not available there.
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

#if !defined(DPOPFLEET_SANITIZED_BUILD)
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
#endif

namespace dpopfleet {
namespace {

constexpr std::int64_t kNowMillis = 1'700'000'000'000;

class BatchSignerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<KeyPool> generated = KeyPool::Generate(8);
    ASSERT_TRUE(generated.ok());
    pool_ = new KeyPool(std::move(*generated));
  }
  static void TearDownTestSuite() {
    delete pool_;
    pool_ = nullptr;
  }

  static std::vector<BatchRequest> MakeRequests(std::size_t count, std::string_view ath) {
    std::vector<BatchRequest> requests(count);
    for (std::size_t i = 0; i < count; ++i) {
      BatchRequest& request = requests[i];
      request.key_index = static_cast<std::uint32_t>(i % pool_->size());
      request.htm = i % 2 ? "GET" : "POST";
      request.htu = i % 3 ? "https://rs.example/items" : "https://as.example/token";
      request.ath = i % 2 ? ath : std::string_view();
      request.nonce = i % 4 == 0 ? "nonce-\"1\"" : "";
    }
    return requests;
  }

  static KeyPool* pool_;
  FakeClock clock_{kNowMillis};
};

KeyPool* BatchSignerTest::pool_ = nullptr;

TEST_F(BatchSignerTest, EveryProofVerifies) {
  std::string ath = AccessTokenHash("access-token");
  std::vector<BatchRequest> requests = MakeRequests(300, ath);
  BatchSigner signer(*pool_, clock_);
  BatchOutput output;
  ASSERT_EQ(signer.Sign(requests, &output), ErrorCode::kOk);
  ASSERT_EQ(output.size(), requests.size());
  EXPECT_EQ(output.failures(), 0u);

  std::set<std::string> jtis;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const BatchRequest& request = requests[i];
    ProofExpectations expected;
    expected.htm = request.htm;
    expected.htu = request.htu;
    expected.now_unix_seconds = kNowMillis / 1000;
    expected.access_token = request.ath.empty() ? "" : "access-token";
    const std::string_view nonces[] = {request.nonce};
    if (!request.nonce.empty()) expected.accepted_nonces = nonces;

    Result<VerifiedProof> verified = VerifyProof(output.proof(i), expected);
    ASSERT_TRUE(verified.ok()) << i << ": " << verified.error().ToString();
    EXPECT_EQ(verified->thumbprint, pool_->key(request.key_index).thumbprint()) << i;
    EXPECT_EQ(verified->nonce, request.nonce) << i;
    jtis.insert(verified->jti);
  }
  EXPECT_EQ(jtis.size(), requests.size());
}

TEST_F(BatchSignerTest, ProofsAreContiguous) {
  std::vector<BatchRequest> requests = MakeRequests(20, "");
  BatchSigner signer(*pool_, clock_);
  BatchOutput output;
  ASSERT_EQ(signer.Sign(requests, &output), ErrorCode::kOk);
  for (std::size_t i = 1; i < output.size(); ++i) {
    EXPECT_LE(output.proof(i - 1).data() + output.proof(i - 1).size(), output.proof(i).data());
    EXPECT_GE(output.proof(i).data(), output.proof(0).data());
  }
}

TEST_F(BatchSignerTest, OutOfRangeKeyFailsOnlyItsSlot) {
  std::vector<BatchRequest> requests = MakeRequests(5, "");
  requests[2].key_index = 1000;
  BatchSigner signer(*pool_, clock_);
  BatchOutput output;
  EXPECT_EQ(signer.Sign(requests, &output), ErrorCode::kOutOfRange);
  EXPECT_EQ(output.failures(), 1u);
  EXPECT_EQ(output.status(2), ErrorCode::kOutOfRange);
  EXPECT_TRUE(output.proof(2).empty());
  EXPECT_EQ(output.status(3), ErrorCode::kOk);
  EXPECT_FALSE(output.proof(3).empty());
}

TEST_F(BatchSignerTest, SteadyStateMakesNoAllocation) {
#if defined(DPOPFLEET_SANITIZED_BUILD)
  GTEST_SKIP() << "operator new is the sanitizer's in this build";
#endif
  std::string ath = AccessTokenHash("t");
  std::vector<BatchRequest> requests = MakeRequests(200, ath);
  BatchSigner signer(*pool_, clock_);
  BatchOutput output;
  tbb::task_arena arena(1);

  // The first batch grows the output, the thread's scratch buffers and the signing
  // contexts; the second must reuse them all.
  arena.execute([&] { ASSERT_EQ(signer.Sign(requests, &output), ErrorCode::kOk); });
  long before = g_allocations.load();
  arena.execute([&] { ASSERT_EQ(signer.Sign(requests, &output), ErrorCode::kOk); });
  long after = g_allocations.load();
  EXPECT_EQ(after - before, 0) << "operator new calls during a steady-state batch";
}

TEST_F(BatchSignerTest, ConcurrentSignCalls) {
  BatchSigner signer(*pool_, clock_);
  std::vector<BatchRequest> requests = MakeRequests(100, "");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      BatchOutput output;
      for (int round = 0; round < 3; ++round) {
        if (signer.Sign(requests, &output) != ErrorCode::kOk) ++failures;
        ProofExpectations expected;
        expected.htm = requests[7].htm;
        expected.htu = requests[7].htu;
        expected.now_unix_seconds = kNowMillis / 1000;
        if (!VerifyProof(output.proof(7), expected).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace dpopfleet
