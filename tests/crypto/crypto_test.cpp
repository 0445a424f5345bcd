// Tests of P-256 keys, ES256 signatures, SHA-256 and randomness against the linked backend.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dpopfleet/crypto.h"
#include "dpopfleet/crypto_baseline.h"

namespace dpopfleet {
namespace {

std::string Hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 15]);
  }
  return hex;
}

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(Sha256, KnownAnswers) {
  // FIPS 180-2 appendix B.1 and the empty string.
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256(Bytes("abc")), Sha256("abc"));
}

TEST(RandomBytes, FillsAndDiffers) {
  std::array<std::uint8_t, 32> first{};
  std::array<std::uint8_t, 32> second{};
  ASSERT_EQ(RandomBytes(first), ErrorCode::kOk);
  ASSERT_EQ(SystemRandomSource().Fill(second), ErrorCode::kOk);
  EXPECT_NE(first, second);
}

constexpr std::array<std::uint8_t, 32> kNoBytes{};

// DrawInChildAndParent forks after |draw| has run once in this process, then runs |draw|
// once more in the child and once in the parent, and returns both 32-byte results, or kNoBytes twice if a step failed. Each
// per-thread reserve of random bytes is therefore filled before the fork.
template <typename Draw>
std::pair<std::array<std::uint8_t, 32>, std::array<std::uint8_t, 32>> DrawInChildAndParent(Draw draw) {
  std::array<std::uint8_t, 32> parent_bytes{};
  std::array<std::uint8_t, 32> child_bytes{};
  if (!draw(&parent_bytes)) return {};

  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t child = fork();
  if (child == 0) {
    bool ok = draw(&child_bytes) &&
              write(fds[1], child_bytes.data(), child_bytes.size()) == static_cast<ssize_t>(child_bytes.size());
    _exit(ok ? 0 : 1);
  }
  bool drawn = child > 0 && draw(&parent_bytes) &&
               read(fds[0], child_bytes.data(), child_bytes.size()) == static_cast<ssize_t>(child_bytes.size());
  int status = 0;
  if (child > 0) waitpid(child, &status, 0);
  close(fds[0]);
  close(fds[1]);
  if (!drawn || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return {parent_bytes, child_bytes};
}

TEST(SystemRandomSource, ForkedChildGetsFreshBytes) {
  auto [parent, child] = DrawInChildAndParent([](std::array<std::uint8_t, 32>* out) {
    return SystemRandomSource().Fill(std::span(*out).first(16)) == ErrorCode::kOk;
  });
  ASSERT_NE(parent, kNoBytes) << "the draw or the fork failed";
  EXPECT_NE(parent, child);
}

TEST(P256Key, ForkedChildGeneratesADifferentKey) {
  // New scalars also come from a per-thread reserve, whose bytes a child must not reuse.
  auto [parent, child] = DrawInChildAndParent([](std::array<std::uint8_t, 32>* out) {
    Result<P256Key> key = P256Key::Generate();
    if (!key.ok()) return false;
    *out = key->public_key().x;
    return true;
  });
  ASSERT_NE(parent, kNoBytes) << "key generation or the fork failed";
  EXPECT_NE(parent, child);
}

TEST(P256Key, ForkedChildSignsWithAFreshNonce) {
  // With OpenSSL, nonces are prepared in per-thread batches. A child that signed with its
  // parent's next nonce would produce the parent's R, and the two signatures would reveal d.
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  auto [parent, child] = DrawInChildAndParent([&key](std::array<std::uint8_t, 32>* out) {
    Es256Signature signature;
    if (key->Sign("same message", &signature) != ErrorCode::kOk) return false;
    std::copy_n(signature.begin(), out->size(), out->begin());
    return true;
  });
  ASSERT_NE(parent, kNoBytes) << "signing or the fork failed";
  EXPECT_NE(parent, child);
}

TEST(BackendName, NamesTheLibrary) {
  std::string name = CryptoBackendName();
#if defined(DPOPFLEET_CRYPTO_OPENSSL)
  EXPECT_TRUE(name.starts_with("OpenSSL 3.")) << name;
#else
  EXPECT_TRUE(name.starts_with("BoringSSL")) << name;
#endif
}

TEST(P256Key, SignVerifyRoundTrip) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok()) << key.error().ToString();

  Es256Signature signature;
  ASSERT_EQ(key->Sign("hello", &signature), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("hello"), signature), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("hellp"), signature),
            ErrorCode::kSignatureMismatch);

  signature[10] ^= 1;
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("hello"), signature),
            ErrorCode::kSignatureMismatch);
}

TEST(P256Key, SignaturesUseFreshNonces) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Es256Signature first;
  Es256Signature second;
  ASSERT_EQ(key->Sign("same message", &first), ErrorCode::kOk);
  ASSERT_EQ(key->Sign("same message", &second), ErrorCode::kOk);
  EXPECT_NE(first, second);
}

TEST(P256Key, VerifyRejectsWrongLength) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Es256Signature signature;
  ASSERT_EQ(key->Sign("m", &signature), ErrorCode::kOk);

  std::vector<std::uint8_t> longer(signature.begin(), signature.end());
  longer.push_back(0);
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("m"), longer),
            ErrorCode::kInvalidSignatureLength);
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("m"), std::span(signature).first(63)),
            ErrorCode::kInvalidSignatureLength);
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("m"), {}), ErrorCode::kInvalidSignatureLength);
}

TEST(P256Key, VerifyRejectsZeroSignature) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Es256Signature zero{};
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("m"), zero), ErrorCode::kSignatureMismatch);
}

TEST(P256Key, VerifyRejectsPointOffCurve) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  Es256Signature signature;
  ASSERT_EQ(key->Sign("m", &signature), ErrorCode::kOk);

  P256PublicKey bad = key->public_key();
  bad.y[31] ^= 1;
  EXPECT_EQ(CheckP256PublicKey(bad), ErrorCode::kInvalidKey);
  EXPECT_EQ(VerifyEs256(bad, Bytes("m"), signature), ErrorCode::kInvalidKey);
  EXPECT_EQ(CheckP256PublicKey(P256PublicKey{}), ErrorCode::kInvalidKey);
  EXPECT_EQ(CheckP256PublicKey(key->public_key()), ErrorCode::kOk);
}

TEST(P256Key, PrivateScalarRoundTrip) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  std::array<std::uint8_t, kP256ScalarSize> scalar = key->PrivateScalar();

  Result<P256Key> copy = P256Key::FromPrivateScalar(scalar);
  ASSERT_TRUE(copy.ok()) << copy.error().ToString();
  EXPECT_EQ(copy->public_key(), key->public_key());
  EXPECT_EQ(copy->PrivateScalar(), scalar);

  Es256Signature signature;
  ASSERT_EQ(copy->Sign("m", &signature), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(key->public_key(), Bytes("m"), signature), ErrorCode::kOk);
}

TEST(P256Key, SmallScalarIsLeftPadded) {
  // d = 1 gives the base point G (SEC 2 section 2.4.2), whose x starts with 0x6b.
  std::array<std::uint8_t, kP256ScalarSize> one{};
  one[31] = 1;
  Result<P256Key> key = P256Key::FromPrivateScalar(one);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(Hex(key->public_key().x),
            "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
  EXPECT_EQ(Hex(key->public_key().y),
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  EXPECT_EQ(key->PrivateScalar(), one);
}

TEST(P256Key, RejectsOutOfRangeScalars) {
  std::array<std::uint8_t, kP256ScalarSize> zero{};
  EXPECT_EQ(P256Key::FromPrivateScalar(zero).error().code(), ErrorCode::kInvalidKey);

  // n itself, and n - 1 which is the largest valid scalar.
  std::array<std::uint8_t, kP256ScalarSize> order = {
      0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
      0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  EXPECT_EQ(P256Key::FromPrivateScalar(order).error().code(), ErrorCode::kInvalidKey);
  order[31] -= 1;
  EXPECT_TRUE(P256Key::FromPrivateScalar(order).ok());

  // n + 1 and 2^256 - 1 are above n. Lowering a middle byte of n puts the value below n,
  // even though its later bytes are larger than n's.
  std::array<std::uint8_t, kP256ScalarSize> above = order;
  above[31] += 2;
  EXPECT_EQ(P256Key::FromPrivateScalar(above).error().code(), ErrorCode::kInvalidKey);
  std::array<std::uint8_t, kP256ScalarSize> all_ones;
  all_ones.fill(0xff);
  EXPECT_EQ(P256Key::FromPrivateScalar(all_ones).error().code(), ErrorCode::kInvalidKey);
  std::array<std::uint8_t, kP256ScalarSize> below = all_ones;
  below[16] = 0xbb;
  for (std::size_t i = 4; i < 8; ++i) below[i] = 0x00;
  EXPECT_TRUE(P256Key::FromPrivateScalar(below).ok());

  std::array<std::uint8_t, 31> short_scalar{};
  short_scalar[30] = 1;
  EXPECT_EQ(P256Key::FromPrivateScalar(short_scalar).error().code(), ErrorCode::kInvalidKey);
}

// A P-256 key in SEC 1 and PKCS#8 PEM, made with `openssl ecparam -genkey -name prime256v1`
// and `openssl pkcs8 -topk8 -nocrypt` for these tests only.
constexpr const char* kSec1Pem = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIExW7aUjHeXkFGyDvkr+KHRgi/43Nq3OuedmRLMg07mioAoGCCqGSM49
AwEHoUQDQgAEgMSBqptin6s8jmzsxi5DlZ1pEjO477CtW91a1kpKhkrW4zBtH0L4
RPjltaXk5kWW5/FkLLk+P4reGsV8k+l4qg==
-----END EC PRIVATE KEY-----
)";

constexpr const char* kPkcs8Pem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTFbtpSMd5eQUbIO+
Sv4odGCL/jc2rc6552ZEsyDTuaKhRANCAASAxIGqm2KfqzyObOzGLkOVnWkSM7jv
sK1b3VrWSkqGStbjMG0fQvhE+OW1peTmRZbn8WQsuT4/it4axXyT6Xiq
-----END PRIVATE KEY-----
)";

TEST(P256Key, FromPemReadsSec1AndPkcs8) {
  Result<P256Key> sec1 = P256Key::FromPem(kSec1Pem);
  ASSERT_TRUE(sec1.ok()) << sec1.error().ToString();
  EXPECT_EQ(Hex(sec1->PrivateScalar()),
            "4c56eda5231de5e4146c83be4afe2874608bfe3736adceb9e76644b320d3b9a2");

  Result<P256Key> pkcs8 = P256Key::FromPem(kPkcs8Pem);
  ASSERT_TRUE(pkcs8.ok()) << pkcs8.error().ToString();
  EXPECT_EQ(pkcs8->PrivateScalar(), sec1->PrivateScalar());
  EXPECT_EQ(pkcs8->public_key(), sec1->public_key());
}

TEST(P256Key, FromPemRejectsGarbageAndOtherCurves) {
  Result<P256Key> garbage = P256Key::FromPem("not a key");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code(), ErrorCode::kInvalidKey);

  // A secp384r1 key: parseable PEM, wrong curve.
  constexpr const char* kP384Pem = R"(-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDD96KFSvufvGoAsu7B+Y/8yNZzTkHxZc2QPQy3CvC0pvEMM8Su36Ynh
nAUqjTUvRCGgBwYFK4EEACKhZANiAASAnmDqh1S8oLgikGH7nibXSfPfcbAEI9g4
dh2+V7WrVQELKvPezrAFLEFUDamKQy44OZ+X9g2FtDTCoTlhAg7rB8J9wJO3fjEh
Q1KPYH8E4Xp/k2msnOemKrNkZU7BWUM=
-----END EC PRIVATE KEY-----
)";
  Result<P256Key> p384 = P256Key::FromPem(kP384Pem);
  ASSERT_FALSE(p384.ok());
  EXPECT_EQ(p384.error().code(), ErrorCode::kInvalidKey);
}

TEST(P256Key, MoveKeepsKeyUsable) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  P256PublicKey public_key = key->public_key();
  P256Key moved = std::move(*key);

  Es256Signature signature;
  ASSERT_EQ(moved.Sign("m", &signature), ErrorCode::kOk);
  EXPECT_EQ(VerifyEs256(public_key, Bytes("m"), signature), ErrorCode::kOk);
}

TEST(P256Key, MoveWipesSourceScalar) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  std::array<std::uint8_t, kP256ScalarSize> scalar = key->PrivateScalar();

  P256Key moved = std::move(*key);
  EXPECT_EQ(moved.PrivateScalar(), scalar);
  EXPECT_EQ(key->PrivateScalar(), (std::array<std::uint8_t, kP256ScalarSize>{}));

  P256Key assigned = std::move(moved);
  EXPECT_EQ(assigned.PrivateScalar(), scalar);
  EXPECT_EQ(moved.PrivateScalar(), (std::array<std::uint8_t, kP256ScalarSize>{}));
}

TEST(P256Key, FromPemRejectsForeignPublicPoint) {
  // kSec1Pem's private scalar with the public point 2G, as a damaged or tampered file
  // would carry; built with python3-cryptography for this test only.
  constexpr const char* kMismatchedPem = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIExW7aUjHeXkFGyDvkr+KHRgi/43Nq3OuedmRLMg07mioAoGCCqGSM49
AwEHoUQDQgAEfPJ7GI0DT36KUjgDBLUaw8CJaeJ38hs1pgtI/EdmmXgHd1UQ247Q
QCk9msafdDDbun2t5jzpgimeBLedInhz0Q==
-----END EC PRIVATE KEY-----
)";
  // BoringSSL rejects the pair while parsing it, and OpenSSL 3 parses it, so P256Key's
  // own comparison of the point with d·G rejects it there.
  Result<P256Key> key = P256Key::FromPem(kMismatchedPem);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code(), ErrorCode::kInvalidKey) << key.error().ToString();
}

TEST(P256Key, ThreadsSignWithAlternatingKeys) {
  // Each thread loads every key in turn into its own signing state, so a scalar left
  // behind by the previous signature would produce signatures that fail to verify.
  std::vector<P256Key> keys;
  for (int i = 0; i < 4; ++i) {
    Result<P256Key> key = P256Key::Generate();
    ASSERT_TRUE(key.ok());
    keys.push_back(std::move(*key));
  }

  std::atomic<int> failures{0};
  auto sign_all = [&] {
    for (int round = 0; round < 25; ++round) {
      for (const P256Key& key : keys) {
        Es256Signature signature;
        bool ok = key.Sign("alternating", &signature) == ErrorCode::kOk &&
                  VerifyEs256(key.public_key(), Bytes("alternating"), signature) == ErrorCode::kOk;
        if (!ok) failures.fetch_add(1);
      }
    }
  };
  std::thread first(sign_all);
  std::thread second(sign_all);
  first.join();
  second.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(EcdsaBaseline, SignsWithEveryKey) {
  Result<EcdsaBaseline> baseline = EcdsaBaseline::Create(3);
  ASSERT_TRUE(baseline.ok()) << baseline.error().ToString();
  Sha256Digest digest = Sha256("m");
  for (int i = 0; i < 7; ++i) EXPECT_EQ(baseline->SignDigest(digest), ErrorCode::kOk) << i;
  EXPECT_EQ(baseline->GenerateKey(), ErrorCode::kOk);
}

TEST(ErrorCodeName, NamesAreSnakeCase) {
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kOk), "ok");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kProofHtuMismatch), "proof_htu_mismatch");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kInsecureUrl), "insecure_url");
  EXPECT_EQ(Error(ErrorCode::kInvalidKey, "bad d").ToString(), "invalid_key: bad d");
}

}  // namespace
}  // namespace dpopfleet
