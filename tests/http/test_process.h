// Helpers for tests that run external programs (openssl, nghttpx) and pick loopback ports.

#ifndef DPOPFLEET_TESTS_HTTP_TEST_PROCESS_H_
#define DPOPFLEET_TESTS_HTTP_TEST_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dpopfleet::testing {

// TempDir creates a fresh directory under $TMPDIR (or /tmp) and removes it with its
// contents when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// RunCommand runs |argv| with stdout and stderr appended to |log_file| and returns its exit
// status, or -1 if it could not be started.
int RunCommand(const std::vector<std::string>& argv, const std::string& log_file);

// FindProgram returns the full path of |name| on PATH, or empty.
std::string FindProgram(const std::string& name);

// ChildProcess is a program started in the background and stopped with SIGTERM (then
// waited for) when destroyed.
class ChildProcess {
 public:
  // Spawn starts |argv| with stdout and stderr appended to |log_file|; pid() is -1 on
  // failure.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Stop sends SIGTERM and waits for the process to exit. It is idempotent.
  void Stop();

 private:
  pid_t pid_ = -1;
};

// FreeLoopbackPort returns a TCP port on 127.0.0.1 that was free a moment ago, or 0.
std::uint16_t FreeLoopbackPort();

// WaitForListener returns true once something accepts TCP connections on 127.0.0.1:|port|,
// or false after 30 s (a loaded 2-core CI machine can take seconds to start nghttpx).
bool WaitForListener(std::uint16_t port);

// ReadFile returns the contents of |path|, or empty if it cannot be read.
std::string ReadFile(const std::string& path);

// TestPki is a CA and a server certificate for 127.0.0.1 and localhost, made with the
// openssl command line at test time. Files live in the TempDir given to MakeTestPki.
struct TestPki {
  std::string ca_file;
  std::string certificate_file;
  std::string private_key_file;
  std::string public_key_file;
  std::string certificate_pem;
  std::string private_key_pem;
};

// MakeTestPki writes P-256 keys and certificates into |dir|. It returns false (with
// openssl's output in dir/openssl.log) if openssl failed.
bool MakeTestPki(const TempDir& dir, TestPki* pki);

// NghttpxCommand returns the command line of an nghttpx TLS/HTTP/2 front with one worker on
// 127.0.0.1:|front_port| for the HTTP/1.1 backend on 127.0.0.1:|backend_port|, serving
// |pki|'s certificate, logging errors to dir/error.log, with |extra| options appended.
std::vector<std::string> NghttpxCommand(const std::string& nghttpx, std::uint16_t front_port,
                                        std::uint16_t backend_port, const TestPki& pki,
                                        const TempDir& dir, std::vector<std::string> extra);

}  // namespace dpopfleet::testing

#endif  // DPOPFLEET_TESTS_HTTP_TEST_PROCESS_H_
