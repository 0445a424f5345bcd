// dpopfleet register: the email-verified registration flow, ending with stored credentials.

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "command.h"
#include "dpopfleet/url.h"
#include "dpopfleet/credential_store.h"
#include "dpopfleet/oauth_registration.h"
#include "fleet_client.h"

namespace dpopfleet::cli {
namespace {

struct RegisterFlags {
  ClientOptions client;
  std::string email;
  std::string name;
  std::string description;
  std::vector<std::string> scopes;
  std::string code;

  // enrollment_id and poll_token resume an enrollment a previous run started.
  std::string enrollment_id;
  std::string poll_token;
};

// kExitCodePending means the enrollment was started but no code was available; the run
// printed how to finish it. Scripts test for it to read the code and run the printed command.
constexpr int kExitCodePending = kExitEnrollmentPending;

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string text;
  for (const std::string& scope : scopes) text += (text.empty() ? "" : " ") + scope;
  return text;
}

// ReadCode prompts for the verification code on the terminal, or reads a line from stdin.
// It returns "" when stdin ends without one.
std::string ReadCode(const std::string& email) {
  if (isatty(STDIN_FILENO) == 1) std::fprintf(stderr, "Verification code sent to %s: ", email.c_str());
  std::string code;
  if (!std::getline(std::cin, code)) return {};
  while (!code.empty() && (code.back() == '\r' || code.back() == ' ')) code.pop_back();
  return code;
}

// IsPlainWord returns true if |text| can be printed inside a shell command unquoted; the
// values come from the server, which must not be able to inject shell syntax.
bool IsPlainWord(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.' || c == '~';
    if (!ok) return false;
  }
  return true;
}

// PrintResumption prints, on stdout, the values and the command that finish |enrollment|
// without starting a new one. The poll token is printed because it is the only way to
// resume from another process; it authorises nothing without the mailed code.
int PrintResumption(const RegisterFlags& flags, const Enrollment& enrollment) {
  if (!IsPlainWord(enrollment.enrollment_id) || !IsPlainWord(enrollment.poll_token)) {
    return ReportError(Error(ErrorCode::kProtocolError,
                             "the realm sent an enrollment id or poll token with characters other than "
                             "letters, digits and _-.~; it cannot be resumed safely, so run register on a terminal"));
  }
  std::string command = "dpopfleet register --issuer " + flags.client.issuer + " --enrollment-id " +
                        enrollment.enrollment_id + " --poll-token " + enrollment.poll_token + " --code XXXX-XXXX";
  if (!flags.client.ca_file.empty()) command += " --ca-file " + flags.client.ca_file;
  if (!flags.client.config_dir.empty()) command += " --config-dir " + flags.client.config_dir;
  std::printf("enrollment_id=%s\n", enrollment.enrollment_id.c_str());
  std::printf("poll_token=%s\n", enrollment.poll_token.c_str());
  if (enrollment.expires_at != 0) std::printf("expires_at=%lld\n", static_cast<long long>(enrollment.expires_at));
  std::printf("finish=%s\n", command.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "no verification code on standard input; the enrollment is kept: when the code arrives, run the "
               "command printed after finish= with the code instead of XXXX-XXXX (exit code %d means this)\n",
               kExitCodePending);
  return kExitCodePending;
}

// StartOrResume returns the enrollment named by --enrollment-id and --poll-token, or starts
// a new one.
Result<Enrollment> StartOrResume(const RegisterFlags& flags, RegistrationClient& registration) {
  if (!flags.enrollment_id.empty()) {
    Enrollment enrollment;
    enrollment.enrollment_id = flags.enrollment_id;
    enrollment.poll_token = flags.poll_token;
    enrollment.status_url = JoinUrl(flags.client.issuer, "register/status/" + flags.enrollment_id);
    return enrollment;
  }

  // Agent-identity realms require at least one scope; "agent" is their basic one.
  std::vector<std::string> scopes = flags.scopes.empty() ? std::vector<std::string>{"agent"} : flags.scopes;
  auto enrollment = registration.Request(RegistrationRequest{flags.email, flags.name, flags.description, scopes});
  if (!enrollment.ok()) return enrollment.error();
  std::fprintf(stderr, "enrollment %s started; a verification code was sent to %s\n",
               enrollment->enrollment_id.c_str(), flags.email.c_str());
  return enrollment;
}

// CheckFlags rejects combinations that cannot work: a resumption needs its poll token and
// code, and a new enrollment needs --email and --name.
void CheckFlags(const RegisterFlags& flags) {
  bool resuming = !flags.enrollment_id.empty() || !flags.poll_token.empty();
  if (resuming && (flags.enrollment_id.empty() || flags.poll_token.empty() || flags.code.empty())) {
    throw UsageError("resuming an enrollment needs --enrollment-id, --poll-token and --code together; "
                     "pass all three as printed by the run that started it");
  }
  if (!resuming && (flags.email.empty() || flags.name.empty())) {
    throw UsageError("--email and --name are required to start an enrollment; pass both, or resume one with "
                     "--enrollment-id, --poll-token and --code");
  }
}

int Run(const RegisterFlags& flags) {
  CheckFlags(flags);
  auto root = CredentialStore::DefaultRoot(flags.client.config_dir);
  if (!root.ok()) return ReportError(root.error());
  auto transport = MakeTransport(flags.client);
  RegistrationClient registration(*transport, flags.client.issuer);

  auto enrollment = StartOrResume(flags, registration);
  if (!enrollment.ok()) return ReportError(enrollment.error());

  std::string code = flags.code.empty() ? ReadCode(flags.email) : flags.code;
  if (code.empty()) return PrintResumption(flags, *enrollment);
  auto client = registration.Confirm(*enrollment, code);
  if (!client.ok()) return ReportError(client.error());

  std::string token_endpoint = client->token_endpoint.empty() ? enrollment->token_endpoint : client->token_endpoint;
  if (token_endpoint.empty()) token_endpoint = JoinUrl(flags.client.issuer, "token");
  StoredClient stored{client->client_id, client->client_secret, token_endpoint,
                      client->issuer.empty() ? flags.client.issuer : client->issuer,
                      JoinScopes(client->granted_scopes)};
  auto path = CredentialStore(*root).Save(stored);
  if (!path.ok()) return ReportError(path.error());

  std::printf("client_id       %s\n", stored.client_id.c_str());
  std::printf("granted_scopes  %s\n", stored.scope.c_str());
  std::printf("token_endpoint  %s\n", stored.token_endpoint.c_str());
  std::printf("credentials     %s (mode 0600; the secret is not shown)\n", path->c_str());
  return kExitOk;
}

void Setup(CLI::App& root, int* exit_code) {
  auto* command = root.add_subcommand("register", "Register a client through the email-verified flow and store it");
  auto flags = std::make_shared<RegisterFlags>();
  command->add_option("--issuer", flags->client.issuer, "Realm issuer URL, such as https://127.0.0.1:8443/realms/default")
      ->required();
  command->add_option("--email", flags->email, "Owner's email address; the verification code is sent there");
  command->add_option("--name", flags->name, "Client name (required with --email)");
  command->add_option("--description", flags->description, "Client description");
  command->add_option("--scope", flags->scopes, "Requested scope (repeatable; default: agent)");
  command->add_option("--code", flags->code, "Verification code, instead of asking on the terminal");
  command->add_option("--enrollment-id", flags->enrollment_id,
                      "Finish this enrollment instead of starting one (with --poll-token and --code)");
  command->add_option("--poll-token", flags->poll_token, "Poll token printed with the enrollment id");
  command->add_option("--config-dir", flags->client.config_dir,
                      "Directory of stored clients (default: $XDG_CONFIG_HOME/strongdmid or ~/.config/strongdmid)");
  AddTransportOptions(command, &flags->client);
  command->footer(
      "Without a terminal and without --code, register starts the enrollment, prints enrollment_id=, "
      "poll_token= and finish= (the command to run with the mailed code) on stdout and exits with 4.");

  command->callback([=] { RunGuarded(exit_code, [&] { return Run(*flags); }); });
}

const CommandRegistrar kRegistrar(30, Setup);

}  // namespace
}  // namespace dpopfleet::cli
