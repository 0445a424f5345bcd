// Over many signatures some R or S values are shorter than 32 bytes; every one must still
// come out as 64 bytes that verify. The same run checks that no nonce signs twice: with
// OpenSSL, nonces are prepared in per-thread batches, and a repeated R would reveal the key.

#include <gtest/gtest.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "dpopfleet/crypto.h"

namespace dpopfleet {
namespace {

#if defined(DPOPFLEET_SANITIZED_BUILD)
constexpr int kSignatures = 10'000;
#else
constexpr int kSignatures = 100'000;
#endif

TEST(SignaturePadding, ManySignaturesVerify) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());

  std::vector<Es256Signature> signatures(kSignatures);
  std::atomic<int> sign_failures{0};
  std::atomic<int> verify_failures{0};
  std::atomic<int> short_halves{0};

  tbb::parallel_for(0, kSignatures, [&](int i) {
    std::string message = "message " + std::to_string(i);
    if (key->Sign(message, &signatures[i]) != ErrorCode::kOk) {
      sign_failures.fetch_add(1);
      return;
    }
    const Es256Signature& signature = signatures[i];
    if (signature[0] == 0) short_halves.fetch_add(1);
    if (signature[32] == 0) short_halves.fetch_add(1);
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(message.data()),
                                        message.size());
    if (VerifyEs256(key->public_key(), bytes, signature) != ErrorCode::kOk) {
      verify_failures.fetch_add(1);
    }
  });

  EXPECT_EQ(sign_failures.load(), 0);
  EXPECT_EQ(verify_failures.load(), 0);
  // Each half starts with a zero byte with probability 1/256, so about 2 * N / 256 are
  // expected. Zero would mean the padding path was never exercised.
  EXPECT_GT(short_halves.load(), 0);

  std::vector<std::array<std::uint8_t, 32>> r_values(kSignatures);
  for (int i = 0; i < kSignatures; ++i) {
    std::copy_n(signatures[i].begin(), 32, r_values[i].begin());
  }
  std::sort(r_values.begin(), r_values.end());
  EXPECT_EQ(std::adjacent_find(r_values.begin(), r_values.end()), r_values.end())
      << "two signatures share R, so they share a nonce";
  std::printf("signatures: %d, halves with a leading zero byte: %d\n", kSignatures,
              short_halves.load());
}

}  // namespace
}  // namespace dpopfleet
