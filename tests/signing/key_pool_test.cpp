// Tests of parallel key pool generation.

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <set>

#include "dpopfleet/base64url.h"
#include "dpopfleet/jwk.h"
#include "dpopfleet/key_pool.h"

namespace dpopfleet {
namespace {

TEST(KeyPool, GeneratesDistinctKeys) {
  Result<KeyPool> pool = KeyPool::Generate(200);
  ASSERT_TRUE(pool.ok()) << pool.error().ToString();
  ASSERT_EQ(pool->size(), 200u);

  std::set<std::string> thumbprints;
  for (std::size_t i = 0; i < pool->size(); ++i) {
    const ProofKey& key = pool->key(i);
    EXPECT_EQ(key.thumbprint(), JwkThumbprint(key.key().public_key()));
    std::string header;
    ASSERT_EQ(Base64UrlDecode(key.header_b64(), &header), ErrorCode::kOk);
    EXPECT_NE(header.find(PublicJwkJson(key.key().public_key())), std::string::npos);
    thumbprints.insert(key.thumbprint());
  }
  EXPECT_EQ(thumbprints.size(), 200u);
}

TEST(KeyPool, GeneratesInsideOneThreadArena) {
  tbb::task_arena arena(1);
  Result<KeyPool> pool = arena.execute([] { return KeyPool::Generate(5); });
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool->size(), 5u);
}

TEST(KeyPool, EmptyPool) {
  Result<KeyPool> pool = KeyPool::Generate(0);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool->size(), 0u);
}

TEST(KeyPool, FromKeysKeepsOrder) {
  std::vector<ProofKey> keys;
  std::vector<std::string> thumbprints;
  for (int i = 0; i < 3; ++i) {
    Result<P256Key> key = P256Key::Generate();
    ASSERT_TRUE(key.ok());
    keys.push_back(ProofKey::Create(std::move(*key)));
    thumbprints.push_back(keys.back().thumbprint());
  }
  KeyPool pool = KeyPool::FromKeys(std::move(keys));
  ASSERT_EQ(pool.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(pool.key(i).thumbprint(), thumbprints[i]);
}

}  // namespace
}  // namespace dpopfleet
