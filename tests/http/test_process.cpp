#include "test_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace dpopfleet::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

bool CanConnect(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return connected;
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/dpopfleet-http-XXXXXX";
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

int RunCommand(const std::vector<std::string>& argv, const std::string& log_file) {
  pid_t pid = Spawn(argv, log_file);
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/usr/sbin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  for (const char* fallback : {"/usr/sbin/", "/usr/bin/"}) {
    std::string candidate = fallback + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_file)
    : pid_(Spawn(argv, log_file)) {}

ChildProcess::~ChildProcess() { Stop(); }

void ChildProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::uint16_t FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

bool WaitForListener(std::uint16_t port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (CanConnect(port)) return true;

    // Nothing signals readiness of an external program, so this polls.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

bool MakeTestPki(const TempDir& dir, TestPki* pki) {
  std::string log = dir.File("openssl.log");
  pki->ca_file = dir.File("ca.pem");
  pki->certificate_file = dir.File("server.pem");
  pki->private_key_file = dir.File("server.key");
  pki->public_key_file = dir.File("server.pub");
  std::string ca_key = dir.File("ca.key");
  std::string request = dir.File("server.csr");
  std::string extensions = dir.File("server.ext");

  std::ofstream(extensions) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                               "extendedKeyUsage=serverAuth\n"
                               "basicConstraints=critical,CA:FALSE\n";

  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", ca_key, "-out", pki->ca_file, "-days", "2", "-subj",
       "/CN=dpopfleet test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", pki->private_key_file, "-out", request, "-subj", "/CN=127.0.0.1"},
      {"openssl", "x509", "-req", "-in", request, "-CA", pki->ca_file, "-CAkey", ca_key,
       "-CAcreateserial", "-out", pki->certificate_file, "-days", "2", "-extfile", extensions},
      {"openssl", "pkey", "-in", pki->private_key_file, "-pubout", "-out", pki->public_key_file},
  };
  for (const auto& step : steps) {
    if (RunCommand(step, log) != 0) return false;
  }
  pki->certificate_pem = ReadFile(pki->certificate_file);
  pki->private_key_pem = ReadFile(pki->private_key_file);
  return !pki->certificate_pem.empty() && !pki->private_key_pem.empty();
}

std::vector<std::string> NghttpxCommand(const std::string& nghttpx, std::uint16_t front_port,
                                        std::uint16_t backend_port, const TestPki& pki,
                                        const TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> command = {nghttpx,
                                      "--conf=/dev/null",
                                      "--no-ocsp",
                                      "--workers=1",
                                      "--frontend=127.0.0.1," + std::to_string(front_port),
                                      "--backend=127.0.0.1," + std::to_string(backend_port),
                                      "--errorlog-file=" + dir.File("error.log")};
  for (std::string& option : extra) command.push_back(std::move(option));
  command.push_back(pki.private_key_file);
  command.push_back(pki.certificate_file);
  return command;
}

}  // namespace dpopfleet::testing
