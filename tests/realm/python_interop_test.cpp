// Proofs from an independent implementation (PyJWT + cryptography) must be accepted, and a
// tampered one rejected; the token's cnf.jkt must equal the thumbprint Python computed.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>

#include "dpopfleet/jwk.h"
#include "realm_test_util.h"

#ifndef DPOPFLEET_REALM_PYTHON_SCRIPT
#error "DPOPFLEET_REALM_PYTHON_SCRIPT must name tests/realm/python_dpop_proofs.py"
#endif

namespace dpopfleet::realm_test {
namespace {

// kPython is Debian's interpreter, which imports python3-jwt and python3-cryptography even
// when another python3 (pyenv, for example) comes first on PATH.
constexpr const char* kPython = "/usr/bin/python3";

std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  ::pclose(pipe);
  return output;
}

class PythonInteropTest : public RealmTest {
 protected:
  void SetUp() override { StartRealm(); }
};

TEST_F(PythonInteropTest, AcceptsPyJwtProofRejectsTampered) {
  std::string output = RunCommand(std::string(kPython) + " " + DPOPFLEET_REALM_PYTHON_SCRIPT + " '" + TokenUrl() + "'");
  std::optional<std::string> valid = JsonStringMember(output, "valid");
  std::optional<std::string> tampered = JsonStringMember(output, "tampered");
  std::optional<std::string> thumbprint = JsonStringMember(output, "thumbprint");
  const std::string hint = "the Python proof script printed: " + output +
                           "\nInstall python3-jwt and python3-cryptography with tools/setup.sh";
  ASSERT_TRUE(valid.has_value()) << hint;
  ASSERT_TRUE(tampered.has_value()) << hint;
  ASSERT_TRUE(thumbprint.has_value()) << hint;

  // The script's iat comes from the real clock; align the realm's clock with it.
  clock_.SetUnixMillis(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());

  HttpResult rejected = Send(TokenCall(kClientId, *tampered));
  EXPECT_EQ(rejected.status, 400);
  EXPECT_TRUE(JsonStringMember(rejected.body, "error_description").value_or("").starts_with("proof_bad_signature"))
      << rejected.body;

  HttpResult accepted = Send(TokenCall(kClientId, *valid));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  std::string payload = DecodePayload(JsonStringMember(accepted.body, "access_token").value_or(""));
  EXPECT_NE(payload.find("\"cnf\":{\"jkt\":\"" + *thumbprint + "\"}"), std::string::npos) << payload;

  HttpResult replayed = Send(TokenCall(kClientId, *valid));
  EXPECT_EQ(replayed.status, 400);
}

TEST_F(PythonInteropTest, AcceptsPyJwtResourceProof) {
  std::string token = FetchDpopToken(key_);
  ASSERT_FALSE(token.empty());
  // The key is generated for this test only, so passing it on the command line is harmless.
  std::string command = std::string(kPython) + " " + DPOPFLEET_REALM_PYTHON_SCRIPT + " --resource '" +
                        WhoamiUrl() + "' '" + token + "' '" + PrivateJwkJson(key_.key()) + "'";
  std::string output = RunCommand(command);
  std::optional<std::string> proof = JsonStringMember(output, "valid");
  ASSERT_TRUE(proof.has_value()) << "the Python proof script printed: " << output;

  clock_.SetUnixMillis(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
  HttpResult result = Send({"GET", WhoamiUrl(), {"Authorization: DPoP " + token, "DPoP: " + *proof}, ""});
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(JsonStringMember(result.body, "sub").value_or(""), kClientId);
}

}  // namespace
}  // namespace dpopfleet::realm_test
