// `dpopfleet register` and the verification code: a wrong code typed on a terminal is asked
// for again while the realm allows attempts; otherwise the run prints how to resume, with a
// finish= command that a shell runs as printed, and a locked or expired enrollment says so.

#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <vector>

#include "cli_fixture.h"
#include "dpopfleet/clock.h"

namespace dpopfleet {
namespace {

// Terminal runs the command on a pseudo-terminal, as a person at a terminal would.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& arguments) {
    std::vector<char*> argv;
    for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (master_ >= 0) close(master_);
    if (pid_ > 0 && !reaped_) waitpid(pid_, nullptr, 0);
  }

  bool started() const { return pid_ > 0; }

  // WaitFor reads the terminal until |text| has appeared |count| times or 30 s pass, and
  // returns whether it did.
  bool WaitFor(const std::string& text, int count = 1) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (Count(text) < count && std::chrono::steady_clock::now() < deadline) {
      if (!ReadSome(100)) break;
    }
    return Count(text) >= count;
  }

  void Type(const std::string& line) { ASSERT_EQ(write(master_, line.data(), line.size()), static_cast<ssize_t>(line.size())); }

  // Finish reads until the command closes the terminal and returns its exit code.
  int Finish() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && ReadSome(100)) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  const std::string& text() const { return text_; }

 private:
  int Count(const std::string& text) const {
    int count = 0;
    for (std::size_t at = text_.find(text); at != std::string::npos; at = text_.find(text, at + 1)) ++count;
    return count;
  }

  // ReadSome waits up to |timeout_ms| for output and returns false once the terminal is closed.
  bool ReadSome(int timeout_ms) {
    pollfd fd{master_, POLLIN, 0};
    if (poll(&fd, 1, timeout_ms) <= 0) return fd.revents == 0;
    char buffer[4096];
    ssize_t n = read(master_, buffer, sizeof(buffer));
    if (n <= 0) return false;
    text_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  int master_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string text_;
};

class RegisterCodeTest : public CliRealmTest {
 protected:
  RealmOptions Options() override {
    RealmOptions options;
    clock_.SetUnixMillis(SystemClock().NowUnixMillis());
    options.clock = &clock_;
    return options;
  }

  // StartWithoutTerminal starts an enrollment for |email| with empty standard input and a
  // config dir whose name has a space, a quote and a tilde, and returns the printed
  // key=value lines.
  std::map<std::string, std::string> StartWithoutTerminal(const std::string& email) {
    spaced_config_ = dir_ + "/it's my ~config";
    CommandOutput started = RunShell(std::string(DPOPFLEET_BINARY) + " register --issuer " + realm_->issuer() +
                                      " --email " + email + " --name n --ca-file " + realm_->ca_file() +
                                      " --config-dir \"" + spaced_config_ + "\"",
                                  dir_ + "/err.txt");
    EXPECT_EQ(started.exit_code, 4) << started.out << started.err;
    return KeyValueLines(started.out);
  }

  // FinishWith runs the printed finish= command with |code| in place of XXXX-XXXX.
  CommandOutput FinishWith(std::string finish, const std::string& code) {
    finish.replace(finish.find("XXXX-XXXX"), 9, "'" + code + "'");
    return RunShell(finish, dir_ + "/err.txt");
  }

  FakeClock clock_;
  std::string spaced_config_;
};

TEST_F(RegisterCodeTest, TerminalAsksAgainAfterWrongCode) {
  std::string email = "tty@test.invalid";
  Terminal terminal({DPOPFLEET_BINARY, "register", "--issuer", realm_->issuer(), "--email", email, "--name", "t",
                     "--ca-file", realm_->ca_file(), "--config-dir", config_});
  ASSERT_TRUE(terminal.started());
  ASSERT_TRUE(terminal.WaitFor("Verification code sent to")) << terminal.text();
  terminal.Type("WRONG-CODE\n");
  ASSERT_TRUE(terminal.WaitFor("Verification code sent to", 2)) << terminal.text();
  EXPECT_NE(terminal.text().find("4 attempts left; try again"), std::string::npos) << terminal.text();

  std::optional<std::string> code = realm_->LatestVerificationCode(email);
  ASSERT_TRUE(code.has_value());
  terminal.Type("  " + *code + " \n");
  EXPECT_EQ(terminal.Finish(), 0) << terminal.text();
  EXPECT_NE(terminal.text().find("/client.json (mode 0600"), std::string::npos) << terminal.text();
  EXPECT_EQ(realm_->counters().enrollments, 1U);
  EXPECT_EQ(realm_->counters().registrations, 1U);
}

TEST_F(RegisterCodeTest, PipedWrongCodePrintsResumption) {
  std::string email = "pipe@test.invalid";
  std::string input = dir_ + "/code.txt";
  std::ofstream(input) << "WRONG-CODE\n";
  CommandOutput wrong = Run("register --issuer " + realm_->issuer() + " --email " + email + " --name p" + common_,
                            input);
  EXPECT_EQ(wrong.exit_code, 4) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("4 attempts left"), std::string::npos) << wrong.err;
  std::map<std::string, std::string> values = KeyValueLines(wrong.out);
  EXPECT_TRUE(values["enrollment_id"].starts_with("enroll_")) << wrong.out;
  EXPECT_FALSE(values["poll_token"].empty()) << wrong.out;

  std::map<std::string, std::string> spaced = StartWithoutTerminal("space@test.invalid");
  std::string finish = spaced["finish"];
  ASSERT_TRUE(finish.starts_with(std::string(DPOPFLEET_BINARY) + " register ")) << finish;
  EXPECT_NE(finish.find("--config-dir '" + dir_ + "/it'\\''s my ~config'"), std::string::npos) << finish;

  std::optional<std::string> code = realm_->LatestVerificationCode("space@test.invalid");
  ASSERT_TRUE(code.has_value());
  CommandOutput confirmed = FinishWith(finish, " " + *code + " ");
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.out << confirmed.err;
  EXPECT_TRUE(std::filesystem::is_directory(spaced_config_)) << confirmed.out;
}

TEST_F(RegisterCodeTest, WrongCodesCountDownThenSayLocked) {
  std::string finish = StartWithoutTerminal("lock@test.invalid")["finish"];
  ASSERT_FALSE(finish.empty());
  for (int left = 4; left >= 1; --left) {
    CommandOutput wrong = FinishWith(finish, "AAAA-AAAA");
    EXPECT_EQ(wrong.exit_code, 4) << wrong.err;
    std::string expected = std::to_string(left) + (left == 1 ? " attempt left" : " attempts left");
    EXPECT_NE(wrong.err.find(expected), std::string::npos) << wrong.err;
    EXPECT_NE(wrong.out.find("finish="), std::string::npos) << wrong.out;
  }
  for (int run = 0; run < 2; ++run) {
    CommandOutput locked = FinishWith(finish, "AAAA-AAAA");
    EXPECT_EQ(locked.exit_code, 1) << locked.err;
    EXPECT_NE(locked.err.find("is locked"), std::string::npos) << locked.err;
    EXPECT_EQ(locked.err.find("0 attempts"), std::string::npos) << locked.err;
    EXPECT_EQ(locked.out.find("finish="), std::string::npos) << locked.out;
  }
}

TEST_F(RegisterCodeTest, ExpiredEnrollmentSaysSo) {
  std::string finish = StartWithoutTerminal("late@test.invalid")["finish"];
  ASSERT_FALSE(finish.empty());
  std::optional<std::string> code = realm_->LatestVerificationCode("late@test.invalid");
  ASSERT_TRUE(code.has_value());
  clock_.AdvanceMillis((RealmOptions{}.enrollment_lifetime_seconds + 1) * 1000LL);
  CommandOutput late = FinishWith(finish, *code);
  EXPECT_EQ(late.exit_code, 1) << late.err;
  EXPECT_NE(late.err.find("has expired"), std::string::npos) << late.err;
}

TEST_F(RegisterCodeTest, CodeWithoutEnrollmentIdIsUsageError) {
  CommandOutput output =
      Run("register --issuer " + realm_->issuer() + " --email x@test.invalid --name x --code ABCD-EFGH" + common_);
  EXPECT_EQ(output.exit_code, 2) << output.err;
  EXPECT_NE(output.err.find("--code needs --enrollment-id"), std::string::npos) << output.err;
  EXPECT_EQ(realm_->counters().enrollments, 0U) << "no enrollment may start";
}

}  // namespace
}  // namespace dpopfleet
