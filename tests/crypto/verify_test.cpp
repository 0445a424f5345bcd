// Tests of public key checks and ES256 verification at the edges of their input ranges:
// coordinates that are not reduced modulo p, signature values at the group order, and the
// per-thread state the verifier reuses between calls.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "dpopfleet/crypto.h"

namespace dpopfleet {
namespace {

// The P-256 field prime p and group order n, big-endian.
constexpr std::array<std::uint8_t, 32> kFieldPrime = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::array<std::uint8_t, 32> kGroupOrder = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

// (0, kZeroXPointY) is on P-256, because b is a square modulo p.
constexpr std::array<std::uint8_t, 32> kZeroXPointY = {
    0x66, 0x48, 0x5c, 0x78, 0x0e, 0x2f, 0x83, 0xd7, 0x24, 0x33, 0xbd, 0x5d, 0x84, 0xa0, 0x6b, 0xb6,
    0x54, 0x1c, 0x2a, 0xf3, 0x1d, 0xae, 0x87, 0x17, 0x28, 0xbf, 0x85, 0x6a, 0x17, 0x4f, 0x93, 0xf4};

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

P256Key NewKey() {
  Result<P256Key> key = P256Key::Generate();
  EXPECT_TRUE(key.ok());
  return std::move(*key);
}

TEST(PublicKeyCheck, AcceptsPointWithZeroX) {
  P256PublicKey point;
  point.y = kZeroXPointY;
  EXPECT_EQ(CheckP256PublicKey(point), ErrorCode::kOk);
}

// x = p names the same field element as x = 0, so accepting it would give one point two
// encodings and two JWK thumbprints.
TEST(PublicKeyCheck, RejectsCoordinateNotReducedModP) {
  P256PublicKey point;
  point.x = kFieldPrime;
  point.y = kZeroXPointY;
  EXPECT_EQ(CheckP256PublicKey(point), ErrorCode::kInvalidKey);

  P256Key key = NewKey();
  Es256Signature signature;
  ASSERT_EQ(key.Sign("m", &signature), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(point, Bytes("m"), signature), ErrorCode::kInvalidKey);
}

TEST(Es256Verify, RejectsSignatureValuesAtTheGroupOrder) {
  P256Key key = NewKey();
  Es256Signature good;
  ASSERT_EQ(key.Sign("m", &good), ErrorCode::kOk);

  Es256Signature r_is_n = good;
  std::copy(kGroupOrder.begin(), kGroupOrder.end(), r_is_n.begin());
  EXPECT_EQ(VerifyEs256(key.public_key(), Bytes("m"), r_is_n), ErrorCode::kSignatureMismatch);

  Es256Signature s_is_n = good;
  std::copy(kGroupOrder.begin(), kGroupOrder.end(), s_is_n.begin() + kP256ScalarSize);
  EXPECT_EQ(VerifyEs256(key.public_key(), Bytes("m"), s_is_n), ErrorCode::kSignatureMismatch);

  Es256Signature all_ones;
  all_ones.fill(0xff);
  EXPECT_EQ(VerifyEs256(key.public_key(), Bytes("m"), all_ones), ErrorCode::kSignatureMismatch);
}

// The verifier keeps its key object between calls, so a rejected key must not stay in it.
TEST(Es256Verify, FailedCallsLeaveNoKeyBehind) {
  P256Key first = NewKey();
  P256Key second = NewKey();
  Es256Signature by_first;
  ASSERT_EQ(first.Sign("m", &by_first), ErrorCode::kOk);

  EXPECT_EQ(VerifyEs256(first.public_key(), Bytes("m"), by_first), ErrorCode::kOk);
  P256PublicKey off_curve = second.public_key();
  off_curve.y[31] ^= 1;
  EXPECT_EQ(VerifyEs256(off_curve, Bytes("m"), by_first), ErrorCode::kInvalidKey);
  EXPECT_EQ(VerifyEs256(second.public_key(), Bytes("m"), by_first), ErrorCode::kSignatureMismatch);
  EXPECT_EQ(VerifyEs256(first.public_key(), Bytes("m"), by_first), ErrorCode::kOk);
}

// A key check loads the key for the verification that usually follows it, which must still
// use the key it is given.
TEST(Es256Verify, UsesItsOwnKeyAfterACheck) {
  P256Key first = NewKey();
  P256Key second = NewKey();
  Es256Signature by_first;
  ASSERT_EQ(first.Sign("m", &by_first), ErrorCode::kOk);

  ASSERT_EQ(CheckP256PublicKey(second.public_key()), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(first.public_key(), Bytes("m"), by_first), ErrorCode::kOk);
  ASSERT_EQ(CheckP256PublicKey(first.public_key()), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(second.public_key(), Bytes("m"), by_first), ErrorCode::kSignatureMismatch);

  P256PublicKey off_curve = first.public_key();
  off_curve.y[31] ^= 1;
  EXPECT_EQ(CheckP256PublicKey(off_curve), ErrorCode::kInvalidKey);
  EXPECT_EQ(VerifyEs256(off_curve, Bytes("m"), by_first), ErrorCode::kInvalidKey);
  EXPECT_EQ(VerifyEs256(first.public_key(), Bytes("m"), by_first), ErrorCode::kOk);
}

TEST(Es256Verify, ThreadsVerifyWithAlternatingKeys) {
  constexpr int kKeys = 8;
  std::vector<P256Key> keys;
  std::vector<Es256Signature> signatures(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(NewKey());
    ASSERT_EQ(keys.back().Sign("m", &signatures[i]), ErrorCode::kOk);
  }

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        int i = (round + t) % kKeys;
        if (VerifyEs256(keys[i].public_key(), Bytes("m"), signatures[i]) != ErrorCode::kOk) ++wrong;
        int other = (i + 1) % kKeys;
        if (VerifyEs256(keys[other].public_key(), Bytes("m"), signatures[i]) != ErrorCode::kSignatureMismatch) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace dpopfleet
