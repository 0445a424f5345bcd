// Realm::Start's rejections: each names the option and value at fault, TLS pairs are checked
// before the server starts, and the outbox and state file keep other users out.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "dpopfleet/realm.h"
#include "tls_material.h"

namespace dpopfleet {
namespace {

class StartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-realm-startup-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  // StartError starts a realm with |options| and returns its error message ("" on success).
  static std::string StartError(RealmOptions options) {
    auto realm = Realm::Start(std::move(options));
    return realm.ok() ? "" : realm.error().message();
  }

  std::string WriteFile(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    std::string path = directory_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  std::string directory_;
};

TEST_F(StartupTest, TimeWindowErrorsNameTheirFlag) {
  RealmOptions old_proofs;
  old_proofs.iat_max_age_seconds = -1;
  std::string message = StartError(old_proofs);
  EXPECT_NE(message.find("--iat-max-age -1"), std::string::npos) << message;
  EXPECT_EQ(message.find("token lifetime"), std::string::npos) << message;

  RealmOptions no_lifetime;
  no_lifetime.token_lifetime_seconds = 0;
  message = StartError(no_lifetime);
  EXPECT_NE(message.find("--token-lifetime 0"), std::string::npos) << message;
  EXPECT_EQ(message.find("negative"), std::string::npos) << message;
}

TEST_F(StartupTest, ThreadCountOutOfRangeIsNamed) {
  RealmOptions options;
  options.threads = 100000;
  std::string message = StartError(options);
  EXPECT_NE(message.find("--threads 100000"), std::string::npos) << message;
  EXPECT_EQ(message.find("port"), std::string::npos) << message;
}

TEST_F(StartupTest, MismatchedCertificateAndKeyAreNamed) {
  auto first = realm::GenerateLoopbackTls();
  auto second = realm::GenerateLoopbackTls();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  RealmOptions options;
  options.cert_file = WriteFile("cert.pem", first->cert_pem);
  options.key_file = WriteFile("other-key.pem", second->key_pem);
  std::string message = StartError(options);
  EXPECT_NE(message.find("cannot use certificate '" + options.cert_file + "' with key"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("port"), std::string::npos) << message;

  options.key_file = WriteFile("key.pem", first->key_pem);
  EXPECT_EQ(StartError(options), "");
}

TEST_F(StartupTest, CreatesOutboxPrivate) {
  RealmOptions options;
  options.outbox_dir = directory_ + "/mail/outbox";
  auto realm = Realm::Start(options);
  ASSERT_TRUE(realm.ok()) << realm.error().ToString();
  struct stat info {};
  ASSERT_EQ(::stat(options.outbox_dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
}

TEST_F(StartupTest, RefusesStateFileOthersCanRead) {
  RealmOptions first;
  first.state_file = directory_ + "/state.json";
  {
    auto realm = Realm::Start(first);
    ASSERT_TRUE(realm.ok()) << realm.error().ToString();
  }
  ASSERT_EQ(::chmod(first.state_file.c_str(), 0644), 0);
  auto rejected = Realm::Start(first);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(rejected.error().message().find("mode 0644"), std::string::npos) << rejected.error().message();
  EXPECT_NE(rejected.error().message().find("chmod 600 on it"), std::string::npos) << rejected.error().message();

  ASSERT_EQ(::chmod(first.state_file.c_str(), 0600), 0);
  EXPECT_TRUE(Realm::Start(first).ok());
}

}  // namespace
}  // namespace dpopfleet

namespace dpopfleet {
namespace {

// Two realms on one state file would each overwrite the other's clients, so the second is
// refused while the first runs, and accepted once it stopped.
TEST(StateFileLockTest, SecondRealmOnSameFileRefused) {
  char directory[] = "/tmp/dpopfleet-state-lock-XXXXXX";
  ASSERT_NE(::mkdtemp(directory), nullptr);
  RealmOptions options;
  options.state_file = std::string(directory) + "/state.json";

  {
    auto first = Realm::Start(options);
    ASSERT_TRUE(first.ok()) << first.error().ToString();
    auto second = Realm::Start(options);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(second.error().message().find("in use by another realm"), std::string::npos)
        << second.error().message();
  }

  {
    auto after_stop = Realm::Start(options);
    EXPECT_TRUE(after_stop.ok()) << after_stop.error().ToString();
  }
  std::filesystem::remove_all(directory);
}

// A public URL that clients would refuse is rejected at start. A front's https URL in
// front of a plain-HTTP loopback realm is the supported set-up.
TEST(PublicUrlTest, RejectsUrlsClientsRefuse) {
  RealmOptions plain_remote;
  plain_remote.public_url = "http://example.invalid:8443";
  auto rejected = Realm::Start(plain_remote);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code(), ErrorCode::kInsecureUrl);

  RealmOptions with_path;
  with_path.public_url = "https://127.0.0.1:8443/realms";
  auto with_path_result = Realm::Start(with_path);
  ASSERT_FALSE(with_path_result.ok());
  EXPECT_EQ(with_path_result.error().code(), ErrorCode::kInvalidUrl);

  RealmOptions front;
  front.tls = false;
  front.public_url = "https://127.0.0.1:8443";
  auto started = Realm::Start(front);
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  EXPECT_EQ((*started)->issuer(), "https://127.0.0.1:8443/realms/default");
}

}  // namespace
}  // namespace dpopfleet
