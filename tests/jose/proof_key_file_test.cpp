// Tests of the key file loader behind `dpopfleet proof --key`.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "dpopfleet/jwk.h"
#include "proof_key_file.h"

namespace dpopfleet::cli {
namespace {

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/dpopfleet-keyfile-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    for (const std::string& path : written_) std::remove(path.c_str());
    rmdir(dir_.c_str());
  }

  std::string Write(const std::string& name, const std::string& content, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    chmod(path.c_str(), mode);
    written_.push_back(path);
    return path;
  }

  std::string dir_;
  std::vector<std::string> written_;
};

TEST_F(KeyFileTest, LoadsPrivateJwk) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  // Surrounding whitespace, as an editor may leave it, must not matter.
  std::string content = PrivateJwkJson(*key);
  content.insert(0, 1, '\n');
  content.push_back('\n');
  std::string path = Write("key.jwk", content, 0600);
  Result<P256Key> loaded = LoadProofKeyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->public_key(), key->public_key());
}

TEST_F(KeyFileTest, RejectsGroupOrOtherAccess) {
  Result<P256Key> key = P256Key::Generate();
  ASSERT_TRUE(key.ok());
  for (mode_t mode : {0640, 0604, 0660, 0620}) {
    std::string path = Write("open.jwk", PrivateJwkJson(*key), mode);
    Result<P256Key> loaded = LoadProofKeyFile(path);
    ASSERT_FALSE(loaded.ok()) << std::oct << mode;
    EXPECT_EQ(loaded.error().code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(loaded.error().message().find("chmod 600 " + path), std::string::npos)
        << loaded.error().message();
  }
}

TEST_F(KeyFileTest, ReportsMissingAndInvalidFiles) {
  Result<P256Key> missing = LoadProofKeyFile(dir_ + "/absent.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIoError);
  EXPECT_NE(missing.error().message().find("absent.pem"), std::string::npos);

  std::string garbage = Write("garbage.pem", "not a key", 0600);
  Result<P256Key> invalid = LoadProofKeyFile(garbage);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), ErrorCode::kInvalidKey);
  EXPECT_NE(invalid.error().message().find(garbage), std::string::npos);

  std::string public_only = Write("public.jwk", R"({"kty":"EC"})", 0600);
  Result<P256Key> no_private = LoadProofKeyFile(public_only);
  ASSERT_FALSE(no_private.ok());
  EXPECT_EQ(no_private.error().code(), ErrorCode::kInvalidJwk);
}

}  // namespace
}  // namespace dpopfleet::cli
