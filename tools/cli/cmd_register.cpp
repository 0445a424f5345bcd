// dpopfleet register: the email-verified registration flow, ending with stored credentials.

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <iostream>
#include <regex>
#include <string_view>
#include <variant>

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

  // program is the path the command was run as (argv[0]), so the printed finish= command
  // runs the same binary.
  std::string program = "dpopfleet";
};

// kExitCodePending means the enrollment was started but no code was available; the run
// printed how to finish it. Scripts test for it to read the code and run the printed command.
constexpr int kExitCodePending = kExitEnrollmentPending;

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string text;
  for (const std::string& scope : scopes) text += (text.empty() ? "" : " ") + scope;
  return text;
}

// Trimmed returns |text| without surrounding whitespace, which a pasted code often has.
std::string Trimmed(const std::string& text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  std::size_t begin = 0, end = text.size();
  while (begin < end && space(text[begin])) ++begin;
  while (end > begin && space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// ReadCode prompts for the verification code on the terminal, or reads a line from stdin.
// It returns "" when stdin ends without one.
std::string ReadCode(const std::string& email) {
  if (isatty(STDIN_FILENO) == 1) std::fprintf(stderr, "Verification code sent to %s: ", email.c_str());
  std::string code;
  if (!std::getline(std::cin, code)) return {};
  return Trimmed(code);
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

// ShellQuoted returns |word| as one shell word: unchanged when it has only characters no
// shell treats specially, else in single quotes.
std::string ShellQuoted(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("_-./:=,@+%").find(c) != std::string_view::npos;
    if (!ok) plain = false;
  }
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// PrintResumption prints, on stdout, the values and the command that finish |enrollment|
// without starting a new one, and on stderr the |reason| it stopped. The poll token is printed
// because it is the only way to resume from another process; it authorises nothing without
// the mailed code.
int PrintResumption(const RegisterFlags& flags, const Enrollment& enrollment, const std::string& reason) {
  if (!IsPlainWord(enrollment.enrollment_id) || !IsPlainWord(enrollment.poll_token)) {
    return ReportError(Error(ErrorCode::kProtocolError,
                             "the realm sent an enrollment id or poll token with characters other than "
                             "letters, digits and _-.~; it cannot be resumed safely, so run register on a terminal"));
  }
  std::vector<std::string> words = {flags.program,     "register",      "--issuer",
                                    flags.client.issuer, "--enrollment-id", enrollment.enrollment_id,
                                    "--poll-token",    enrollment.poll_token, "--code", "XXXX-XXXX"};
  if (!flags.client.ca_file.empty()) words.insert(words.end(), {"--ca-file", flags.client.ca_file});
  if (!flags.client.config_dir.empty()) words.insert(words.end(), {"--config-dir", flags.client.config_dir});
  std::string command;
  for (const std::string& word : words) command += (command.empty() ? "" : " ") + ShellQuoted(word);

  std::printf("enrollment_id=%s\n", enrollment.enrollment_id.c_str());
  std::printf("poll_token=%s\n", enrollment.poll_token.c_str());
  if (enrollment.expires_at != 0) std::printf("expires_at=%lld\n", static_cast<long long>(enrollment.expires_at));
  std::printf("finish=%s\n", command.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "%s; the enrollment is kept: when you have the mailed code, run the command printed after "
               "finish= with the code instead of XXXX-XXXX (exit code %d means this)\n",
               reason.c_str(), kExitCodePending);
  return kExitCodePending;
}

// ConfirmFailure is what a failed confirm means for the next step.
struct ConfirmFailure {
  enum class Kind { kWrongCode, kLocked, kExpired, kOther } kind = Kind::kOther;

  // attempts_left is the number of further codes the server accepts, or -1 when the message has no count.
  int attempts_left = -1;
};

// ClassifyConfirmError reads the OAuth error code the realm put in |error| ("invalid_code",
// "enrollment_locked", "expired_enrollment") and the "N attempts left" of a wrong code.
ConfirmFailure ClassifyConfirmError(const Error& error) {
  const std::string& message = error.message();
  ConfirmFailure failure;
  if (message.find("enrollment_locked") != std::string::npos) {
    failure.kind = ConfirmFailure::Kind::kLocked;
  } else if (message.find("expired_enrollment") != std::string::npos) {
    failure.kind = ConfirmFailure::Kind::kExpired;
  } else if (message.find("invalid_code") != std::string::npos) {
    failure.kind = ConfirmFailure::Kind::kWrongCode;
    static const std::regex kAttemptsLeft(R"((\d+) attempts? left)");
    std::smatch match;
    if (std::regex_search(message, match, kAttemptsLeft)) failure.attempts_left = std::stoi(match[1].str());
    if (failure.attempts_left == 0) failure.kind = ConfirmFailure::Kind::kLocked;
  }
  return failure;
}

// WrongCodeText describes a rejected code and the attempts that remain.
std::string WrongCodeText(const Enrollment& enrollment, int attempts_left) {
  std::string text = "the verification code does not match enrollment " + enrollment.enrollment_id;
  if (attempts_left < 0) return text;
  return text + "; " + std::to_string(attempts_left) + (attempts_left == 1 ? " attempt" : " attempts") + " left";
}

// ReportClosed prints why |enrollment| can no longer be confirmed and returns kExitFailure.
int ReportClosed(const Enrollment& enrollment, const ConfirmFailure& failure) {
  const char* state = failure.kind == ConfirmFailure::Kind::kExpired ? "has expired" : "is locked after too many wrong codes";
  std::fprintf(stderr,
               "error: enrollment %s %s and cannot be confirmed; start a new one with register --email and --name "
               "(the realm allows a few per email each hour)\n",
               enrollment.enrollment_id.c_str(), state);
  return kExitFailure;
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
  if (!flags.code.empty() && flags.enrollment_id.empty()) {
    throw UsageError("--code needs --enrollment-id and --poll-token: a new enrollment mails its code only once it "
                     "has started, so no code can be right before that. Run register without --code first; it asks "
                     "for the code, or prints enrollment_id=, poll_token= and finish=, the command to run with the code");
  }
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

// ConfirmWithRetries confirms |enrollment|, asking for the code again on a terminal after a
// wrong one while the realm allows more attempts. It returns the client, or the exit code
// of a run that cannot go on (the resumption lines printed when the enrollment stays open).
std::variant<RegisteredClient, int> ConfirmWithRetries(const RegisterFlags& flags, RegistrationClient& registration,
                                                       const Enrollment& enrollment) {
  bool can_ask = flags.code.empty() && isatty(STDIN_FILENO) == 1;
  std::string code = flags.code.empty() ? ReadCode(flags.email) : Trimmed(flags.code);
  if (code.empty()) return PrintResumption(flags, enrollment, "no verification code on standard input");
  while (true) {
    auto client = registration.Confirm(enrollment, code);
    if (client.ok()) return std::move(*client);

    ConfirmFailure failure = ClassifyConfirmError(client.error());
    if (failure.kind == ConfirmFailure::Kind::kOther) return ReportError(client.error());
    if (failure.kind != ConfirmFailure::Kind::kWrongCode) return ReportClosed(enrollment, failure);

    std::string wrong = WrongCodeText(enrollment, failure.attempts_left);
    if (!can_ask) return PrintResumption(flags, enrollment, "error: " + wrong);
    std::fprintf(stderr, "%s; try again\n", wrong.c_str());
    code = ReadCode(flags.email);
    if (code.empty()) return PrintResumption(flags, enrollment, "no verification code typed");
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

  auto confirmed = ConfirmWithRetries(flags, registration, *enrollment);
  if (const int* exit_code = std::get_if<int>(&confirmed)) return *exit_code;
  const RegisteredClient* client = &std::get<RegisteredClient>(confirmed);

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
      ->required()
      ->check(HttpUrl());
  command->add_option("--email", flags->email, "Owner's email address; the verification code is sent there");
  command->add_option("--name", flags->name, "Client name (required with --email)");
  command->add_option("--description", flags->description, "Client description");
  command->add_option("--scope", flags->scopes, "Requested scope (repeatable; default: agent)");
  command->add_option("--code", flags->code,
                      "Verification code of the enrollment named by --enrollment-id, instead of asking on the terminal");
  command->add_option("--enrollment-id", flags->enrollment_id,
                      "Finish this enrollment instead of starting one (with --poll-token and --code)");
  command->add_option("--poll-token", flags->poll_token, "Poll token printed with the enrollment id");
  command->add_option("--config-dir", flags->client.config_dir,
                      "Directory of stored clients (default: $XDG_CONFIG_HOME/strongdmid or ~/.config/strongdmid)");
  AddTransportOptions(command, &flags->client);
  command->footer(
      "On a terminal, register asks for the mailed code, and again after a wrong one while the realm allows "
      "more attempts. Otherwise (no terminal, or --code) it prints enrollment_id=, poll_token= and finish= (the "
      "command to run with the mailed code) on stdout and exits with 4; a locked or expired enrollment exits "
      "with 1.");

  command->callback([=] {
    if (!command->get_parent()->get_name().empty()) flags->program = command->get_parent()->get_name();
    RunGuarded(exit_code, [&] { return Run(*flags); });
  });
}

const CommandRegistrar kRegistrar(30, Setup);

}  // namespace
}  // namespace dpopfleet::cli
