// Proofs from ProofBuilder must verify outside dpopfleet: with python3-cryptography and
// with the OpenSSL command line, run as a child process by crosscheck_proofs.py.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include "dpopfleet/dpop_proof.h"

namespace dpopfleet {
namespace {

TEST(ProofCrossCheck, ExternalVerifierAcceptsProofs) {
  std::string python = DPOPFLEET_PYTHON;
  if (python.empty()) GTEST_SKIP() << "python3 not found at configure time";

  char path[] = "/tmp/dpopfleet-proofs-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);

  // Many keys, with and without ath and nonce, so short R or S values and both payload
  // shapes reach the external verifier.
  ProofBuilder builder;
  std::string ath = AccessTokenHash("crosscheck-token");
  {
    std::ofstream out(path);
    std::string proof;
    for (int k = 0; k < 20; ++k) {
      Result<P256Key> key = P256Key::Generate();
      ASSERT_TRUE(key.ok());
      ProofKey proof_key = ProofKey::Create(std::move(*key));
      for (int i = 0; i < 25; ++i) {
        ProofRequest request{i % 2 ? "GET" : "POST", "https://rs.example/a/b",
                             i % 3 ? std::string_view(ath) : std::string_view(),
                             i % 5 ? std::string_view() : std::string_view("n\"once")};
        ASSERT_EQ(builder.Build(proof_key, request, &proof), ErrorCode::kOk);
        out << proof << '\n';
      }
    }
  }

  std::string command = python + " " + DPOPFLEET_CROSSCHECK_SCRIPT + " " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof(buffer), pipe)) output += buffer;
  int status = pclose(pipe);
  std::remove(path);

  int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (exit_code == 77) GTEST_SKIP() << output;
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find("verified 500 proofs"), std::string::npos) << output;
}

}  // namespace
}  // namespace dpopfleet
