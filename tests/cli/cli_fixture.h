// Fixtures of the command-line tests: run `dpopfleet` as a child process, as users run it,
// against a reference realm started in the test process.

#ifndef DPOPFLEET_TESTS_CLI_CLI_FIXTURE_H_
#define DPOPFLEET_TESTS_CLI_CLI_FIXTURE_H_

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dpopfleet/realm.h"

namespace dpopfleet {

struct CommandOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// EmptyFile creates an empty file at |path| and returns |path|. Commands read standard
// input from such a file rather than /dev/null, so their input is empty even on a machine
// where something has replaced /dev/null with a regular file that others write to.
inline std::string EmptyFile(const std::string& path) {
  std::ofstream(path, std::ios::trunc);
  return path;
}

// RunShell runs |command| with sh, empty standard input and stderr to |err_path|, so a
// printed command line runs exactly as a user would paste it.
inline CommandOutput RunShell(const std::string& command, const std::string& err_path) {
  CommandOutput output;
  std::string stdin_path = EmptyFile(err_path + ".stdin");
  std::FILE* pipe = popen((command + " <" + stdin_path + " 2>" + err_path).c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) output.out.append(buffer.data(), n);
  int status = pclose(pipe);
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  output.err = ReadFile(err_path);
  return output;
}

// KeyValueLines returns the "key=value" lines of |text|, such as register's enrollment_id=.
inline std::map<std::string, std::string> KeyValueLines(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::size_t equals = line.find('=');
    if (equals != std::string::npos && line.find(' ') > equals) values.emplace(line.substr(0, equals), line.substr(equals + 1));
  }
  return values;
}

inline mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dpopfleet-cli-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Run runs `dpopfleet <arguments>` with stdin from |stdin_path| (empty when not given) and
  // returns its exit code and output.
  CommandOutput Run(const std::string& arguments, std::string stdin_path = {}) {
    if (stdin_path.empty()) stdin_path = EmptyFile(dir_ + "/empty-stdin.txt");
    std::string err_path = dir_ + "/stderr.txt";
    std::string command = std::string(DPOPFLEET_BINARY) + " " + arguments + " <" + stdin_path + " 2>" + err_path;
    CommandOutput output;
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.out.append(buffer.data(), read);
    int status = pclose(pipe);
    output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    output.err = ReadFile(err_path);
    return output;
  }

  std::string dir_;
};

class CliRealmTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    auto realm = Realm::Start(Options());
    ASSERT_TRUE(realm.ok()) << realm.error().ToString();
    realm_ = std::move(*realm);
    config_ = dir_ + "/strongdmid";
    common_ = " --ca-file " + realm_->ca_file() + " --config-dir " + config_;
  }
  // Options returns the options the realm starts with. Tests override it.
  virtual RealmOptions Options() { return RealmOptions{}; }

  void TearDown() override {
    realm_.reset();
    CliTest::TearDown();
  }

  // RegisterInteractively runs `register` for |email| and types the code the realm mailed
  // into its standard input, as a person reading the mail would.
  CommandOutput RegisterInteractively(const std::string& email) {
    std::string fifo = dir_ + "/stdin.fifo";
    EXPECT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    std::thread typist([&] {
      std::ofstream input(fifo);  // opens once the command's shell opens the other end
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      std::optional<std::string> code;
      while (!(code = realm_->LatestVerificationCode(email)) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      input << code.value_or("NO-CODE") << "\n";
    });
    CommandOutput output = Run("register --issuer " + realm_->issuer() + " --email " + email +
                                   " --name cli --description 'CLI test' --scope agent" + common_,
                               fifo);
    typist.join();
    return output;
  }

  // RegisterWithWrongSecret registers a client for |email| and then alters its stored
  // secret, so every token request fails with invalid_client.
  void RegisterWithWrongSecret(const std::string& email) {
    CommandOutput registered = RegisterInteractively(email);
    ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
    std::string client_file = std::filesystem::directory_iterator(config_)->path().string() + "/client.json";
    std::string content = ReadFile(client_file);
    auto secret = content.find("sec_");
    ASSERT_NE(secret, std::string::npos);
    content.replace(secret, 4, "bad_");
    std::ofstream(client_file, std::ios::trunc) << content;
  }

  std::unique_ptr<Realm> realm_;
  std::string config_;
  std::string common_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_TESTS_CLI_CLI_FIXTURE_H_
