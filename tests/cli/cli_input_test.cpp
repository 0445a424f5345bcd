// Input checks of the commands that read files and URLs from the user: token files, proof
// inputs and benchmark targets. Each bad input exits with 2 and names the fix, before any
// request is sent.

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "cli_fixture.h"

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

}  // namespace
}  // namespace dpopfleet
