// Input checks of the commands that read files and URLs from the user: token files, proof
// inputs and benchmark targets. Each bad input exits with 2 and names the fix, before any
// request is sent.

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "cli_fixture.h"
#include "dpopfleet/base64url.h"
#include "dpopfleet/dpop_proof.h"

namespace dpopfleet {
namespace {

class CliInputTest : public CliRealmTest {
 protected:
  // WritePrivate writes |content| to |name| in the test folder with mode 0600 and returns
  // its path.
  std::string WritePrivate(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << content;
    EXPECT_EQ(chmod(path.c_str(), 0600), 0);
    return path;
  }
};

// A token file contains the JSON lines of `mint --out` or one token per line. Blank lines
// and failed agents' records are skipped. Anything else that is not a token stops the
// command before it sends a request.
TEST_F(CliInputTest, TokenFileLines) {
  CommandOutput registered = RegisterInteractively("tokens@test.invalid");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  std::string minted = dir_ + "/minted.jsonl";
  ASSERT_EQ(Run("mint --agents 2 --out " + minted + common_).exit_code, 0);

  for (const char* command : {"introspect", "revoke"}) {
    std::string bad = WritePrivate("bad.txt", "garbage\n\n{\"access_token\":1}\n");
    auto before = realm_->counters();
    CommandOutput rejected = Run(std::string(command) + " --token-file " + bad + common_);
    EXPECT_EQ(rejected.exit_code, 2) << command << ": " << rejected.out << rejected.err;
    EXPECT_NE(rejected.err.find(bad + " line 3: access_token is not a string; pass the file `mint --out` writes"),
              std::string::npos)
        << rejected.err;
    EXPECT_EQ(realm_->counters().introspections, before.introspections);
    EXPECT_EQ(realm_->counters().revocations, before.revocations);

    std::string broken = WritePrivate("broken.txt", "{\"access_token\":\"abc\"\n");
    CommandOutput unparsable = Run(std::string(command) + " --token-file " + broken + common_);
    EXPECT_EQ(unparsable.exit_code, 2) << unparsable.err;
    EXPECT_NE(unparsable.err.find(broken + " line 1: not a JSON object"), std::string::npos) << unparsable.err;

    CommandOutput blank = Run(std::string(command) + " --token-file " + WritePrivate("blank.txt", "\n \n") + common_);
    EXPECT_EQ(blank.exit_code, 2) << blank.err;
    EXPECT_NE(blank.err.find("contains no access token"), std::string::npos) << blank.err;
  }

  // Two minted records between blank lines, a failed agent's record and a bare token: three
  // tokens go to the server, and nothing empty.
  std::string mixed = WritePrivate("mixed.txt", "\n" + ReadFile(minted) + "\n{\"agent\":7,\"error\":\"http_status\"}\n\nbare-token\n");
  auto before = realm_->counters().introspections;
  CommandOutput introspected = Run("introspect --token-file " + mixed + common_);
  EXPECT_EQ(introspected.exit_code, 0) << introspected.err;
  EXPECT_EQ(std::count(introspected.out.begin(), introspected.out.end(), '\n'), 3) << introspected.out;
  EXPECT_EQ(realm_->counters().introspections, before + 3);
  EXPECT_NE(introspected.err.find("skipped 1 records"), std::string::npos) << introspected.err;
}

// ProofAth returns the "ath" claim of the proof printed in |output|, or "" if it has none.
std::string ProofAth(const std::string& output) {
  auto first_dot = output.find('.');
  auto second_dot = output.find('.', first_dot + 1);
  std::string payload;
  if (first_dot == std::string::npos || second_dot == std::string::npos ||
      Base64UrlDecode(std::string_view(output).substr(first_dot + 1, second_dot - first_dot - 1), &payload) !=
          ErrorCode::kOk) {
    return "";
  }
  auto key = payload.find("\"ath\":\"");
  if (key == std::string::npos) return "";
  auto start = key + 7;
  return payload.substr(start, payload.find('"', start) - start);
}

// proof takes the access token from a file or standard input, so that it stays out of the
// process list. The --access-token flag still works.
TEST_F(CliInputTest, ProofAccessTokenFile) {
  const std::string proof = "proof --htm GET --htu https://127.0.0.1/x";
  std::string expected = AccessTokenHash("token-abc");
  std::string token_file = WritePrivate("access-token.txt", "token-abc\n");

  CommandOutput from_file = Run(proof + " --access-token-file " + token_file);
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(ProofAth(from_file.out), expected) << from_file.out;
  CommandOutput from_stdin = Run(proof + " --access-token-file -", token_file);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(ProofAth(from_stdin.out), expected) << from_stdin.out;
  CommandOutput from_flag = Run(proof + " --access-token token-abc");
  ASSERT_EQ(from_flag.exit_code, 0) << from_flag.err;
  EXPECT_EQ(ProofAth(from_flag.out), expected) << from_flag.out;

  std::string empty = WritePrivate("empty-token.txt", "\n");
  CommandOutput no_token = Run(proof + " --access-token-file " + empty);
  EXPECT_EQ(no_token.exit_code, 2) << no_token.err;
  EXPECT_NE(no_token.err.find(empty), std::string::npos) << no_token.err;
  ASSERT_EQ(chmod(token_file.c_str(), 0644), 0);
  CommandOutput readable = Run(proof + " --access-token-file " + token_file);
  EXPECT_EQ(readable.exit_code, 2) << readable.err;
  EXPECT_NE(readable.err.find("chmod 600 " + token_file), std::string::npos) << readable.err;
  EXPECT_EQ(Run(proof + " --access-token-file /nonexistent/token").exit_code, 2);
  EXPECT_EQ(Run(proof + " --access-token x --access-token-file " + empty).exit_code, 2);

  CommandOutput help = Run("proof --help");
  EXPECT_NE(help.out.find("--access-token-file"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("ps"), std::string::npos) << help.out;
}

// A bad value exits with 2 before any work starts, while a port already in use is a failure
// at run time and exits with 1. The help states both.
TEST_F(CliInputTest, RealmPortInUseExitsOne) {
  CommandOutput busy = Run("realm serve --port " + std::to_string(realm_->port()));
  EXPECT_EQ(busy.exit_code, 1) << busy.out << busy.err;
  EXPECT_NE(busy.err.find("Address already in use"), std::string::npos) << busy.err;
  EXPECT_EQ(Run("realm serve --port 70000").exit_code, 2);

  CommandOutput serve_help = Run("realm serve --help");
  EXPECT_NE(serve_help.out.find("A port already in use exits with 1"), std::string::npos) << serve_help.out;
  CommandOutput help = Run("--help");
  EXPECT_NE(help.out.find("1 failure at run time"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("2 usage error (a bad flag, value or input file, found before any work starts)"),
            std::string::npos)
      << help.out;
}

// `mint --out` renames a finished file over the path, except over a device or pipe such as
// /dev/null. Those are written in place and keep their type, so a run cannot turn /dev/null
// into a regular file.
TEST_F(CliInputTest, MintOutWritesIntoPipesInPlace) {
  CommandOutput registered = RegisterInteractively("pipes@test.invalid");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  std::string fifo = dir_ + "/records.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);

  std::string received;
  std::thread reader([&] {
    std::ifstream in(fifo);
    received.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  });
  CommandOutput mint = Run("mint --agents 3 --out " + fifo + common_);
  reader.join();

  EXPECT_EQ(mint.exit_code, 0) << mint.err;
  EXPECT_EQ(std::count(received.begin(), received.end(), '\n'), 3) << received;
  EXPECT_NE(received.find("\"access_token\""), std::string::npos);
  struct stat info {};
  ASSERT_EQ(stat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));

  CommandOutput into_directory = Run("mint --agents 1 --out " + dir_ + common_);
  EXPECT_EQ(into_directory.exit_code, 2) << into_directory.err;
  EXPECT_NE(into_directory.err.find("is a directory"), std::string::npos) << into_directory.err;
}

}  // namespace
}  // namespace dpopfleet
