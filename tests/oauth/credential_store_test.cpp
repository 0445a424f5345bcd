// The credential store's file layout and permission checks, on a temporary directory.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "dpopfleet/credential_store.h"

namespace dpopfleet {
namespace {

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-store-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ + "/strongdmid";
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  static mode_t ModeOf(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }

  StoredClient Client(std::string id) const {
    return StoredClient{std::move(id), "sec_top_secret", "https://127.0.0.1:1/realms/default/token",
                        "https://127.0.0.1:1/realms/default", "agent"};
  }

  std::string base_;
  std::string root_;
};

TEST_F(CredentialStoreTest, SavesPrivateFiles) {
  CredentialStore store(root_);
  auto path = store.Save(Client("cli_a_01"));
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  EXPECT_EQ(*path, root_ + "/cli_a_01/client.json");
  EXPECT_EQ(ModeOf(root_), 0700u);
  EXPECT_EQ(ModeOf(root_ + "/cli_a_01"), 0700u);
  EXPECT_EQ(ModeOf(*path), 0600u);

  auto loaded = store.Load("cli_a_01");
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->client_secret, "sec_top_secret");
  EXPECT_EQ(loaded->token_endpoint, "https://127.0.0.1:1/realms/default/token");
  EXPECT_EQ(loaded->issuer, "https://127.0.0.1:1/realms/default");
  EXPECT_EQ(loaded->scope, "agent");
}

TEST_F(CredentialStoreTest, SingleClientIsDefault) {
  CredentialStore store(root_);
  ASSERT_TRUE(store.Save(Client("cli_only_01")).ok());
  auto loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->client_id, "cli_only_01");
}

TEST_F(CredentialStoreTest, SeveralClientsNeedAnId) {
  CredentialStore store(root_);
  ASSERT_TRUE(store.Save(Client("cli_a_01")).ok());
  ASSERT_TRUE(store.Save(Client("cli_b_02")).ok());
  auto loaded = store.Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(loaded.error().message().find("cli_a_01, cli_b_02"), std::string::npos);
  EXPECT_NE(loaded.error().message().find("--client-id"), std::string::npos);
  EXPECT_TRUE(store.Load("cli_b_02").ok());
}

TEST_F(CredentialStoreTest, RejectsWorldReadableFile) {
  CredentialStore store(root_);
  auto path = store.Save(Client("cli_a_01"));
  ASSERT_TRUE(path.ok());
  ASSERT_EQ(chmod(path->c_str(), 0644), 0);

  auto loaded = store.Load("cli_a_01");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(loaded.error().message().find("chmod 600 " + *path), std::string::npos);
  EXPECT_NE(loaded.error().message().find("0644"), std::string::npos);
  EXPECT_EQ(loaded.error().message().find("sec_top_secret"), std::string::npos);
}

TEST_F(CredentialStoreTest, RejectsOpenDirectory) {
  CredentialStore store(root_);
  ASSERT_TRUE(store.Save(Client("cli_a_01")).ok());
  std::string directory = root_ + "/cli_a_01";
  ASSERT_EQ(chmod(directory.c_str(), 0755), 0);

  auto loaded = store.Load("cli_a_01");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(loaded.error().message().find("chmod 700 " + directory), std::string::npos);
}

TEST_F(CredentialStoreTest, SaveReplacesFileAtomically) {
  CredentialStore store(root_);
  ASSERT_TRUE(store.Save(Client("cli_a_01")).ok());
  StoredClient updated = Client("cli_a_01");
  updated.client_secret = "sec_rotated";
  ASSERT_TRUE(store.Save(updated).ok());
  EXPECT_EQ(store.Load("cli_a_01")->client_secret, "sec_rotated");

  // No temporary file is left next to client.json.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root_ + "/cli_a_01")) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "client.json");
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(CredentialStoreTest, MissingClientNamesStoredOnes) {
  CredentialStore store(root_);
  ASSERT_TRUE(store.Save(Client("cli_a_01")).ok());
  auto loaded = store.Load("cli_missing");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(loaded.error().message().find("cli_a_01"), std::string::npos);
}

TEST_F(CredentialStoreTest, RejectsPathInClientId) {
  CredentialStore store(root_);
  auto saved = store.Save(Client("../escape"));
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(CredentialStoreTest, RejectsMalformedFile) {
  CredentialStore store(root_);
  auto path = store.Save(Client("cli_a_01"));
  ASSERT_TRUE(path.ok());
  std::ofstream(*path) << "{not json";
  auto loaded = store.Load("cli_a_01");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidJson);
}

TEST(CredentialStoreRoot, FollowsXdgThenHome) {
  EXPECT_EQ(*CredentialStore::DefaultRoot("/explicit"), "/explicit");

  const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "";
  setenv("XDG_CONFIG_HOME", "/xdg", 1);
  EXPECT_EQ(*CredentialStore::DefaultRoot(), "/xdg/strongdmid");
  unsetenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (home != nullptr) EXPECT_EQ(*CredentialStore::DefaultRoot(), std::string(home) + "/.config/strongdmid");
  if (old_xdg != nullptr) setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
}

}  // namespace
}  // namespace dpopfleet
