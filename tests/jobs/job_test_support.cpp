#include "job_test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace checker::test {
namespace {

std::vector<char*> cArgs(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

// Forks ARGV with stdin /dev/null and stdout+stderr on OUT; -1 on failure.
pid_t spawn(const std::vector<std::string>& argv, int out) {
  std::vector<char*> args = cArgs(argv);
  pid_t pid = ::fork();
  if (pid == 0) {
    int devNull = ::open("/dev/null", O_RDONLY);
    ::dup2(devNull, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::string& logFile) {
  int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) throw std::runtime_error("cannot open " + logFile);
  pid_ = spawn(argv, log);
  ::close(log);
  if (pid_ < 0) throw std::runtime_error("fork failed for " + argv[0]);
}

Process::~Process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(pid_);
  }
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int runCommand(const std::vector<std::string>& argv, std::string* output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = spawn(argv, fds[1]);
  ::close(fds[1]);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n > 0) output->append(buffer, static_cast<size_t>(n));
    else if (errno != EINTR) break;
  }
  ::close(fds[0]);
  if (pid < 0) return -1;
  int status = reap(pid);
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot bind a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

bool waitForPort(uint16_t port, Process& server, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(port);
    bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (connected) return true;
    if (!server.running()) return false;
    ::poll(nullptr, 0, 20);  // retry interval of a bounded loop, not a synchronisation
  }
  return false;
}

Listener::Listener(int backlog) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, backlog) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(a.sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

TestPki::TestPki(const TempDir& dir) : dir_(dir), caFile_(dir.file("ca.pem")), caKey_(dir.file("ca.key")) {
  std::string out;
  int rc = runCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                       "-nodes", "-keyout", caKey_, "-out", caFile_, "-days", "3650", "-subj", "/CN=checker test CA"},
                      &out);
  if (rc != 0) throw std::runtime_error("openssl req (CA) failed: " + out);
}

TestPki::Cert TestPki::issue(const std::string& name, int days, const std::string& san) {
  Cert c{dir_.file(name + ".pem"), dir_.file(name + ".key")};
  std::string csr = dir_.file(name + ".csr");
  std::string ext = dir_.write(name + ".ext", "subjectAltName=" + san + "\n");
  std::string out;
  int rc = runCommand({"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                       "-keyout", c.keyFile, "-out", csr, "-subj", "/CN=" + name},
                      &out);
  if (rc == 0) {
    rc = runCommand({"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", caFile_, "-CAkey", caKey_, "-set_serial",
                     std::to_string(serial_++), "-days", std::to_string(days), "-extfile", ext, "-out", c.certFile},
                    &out);
  }
  if (rc != 0) throw std::runtime_error("openssl failed to issue " + name + ": " + out);
  return c;
}

TlsServer::TlsServer(const TempDir& dir, const TestPki::Cert& cert)
    : port_(freePort()),
      process_({"/usr/bin/openssl", "s_server", "-www", "-accept", "127.0.0.1:" + std::to_string(port_), "-cert",
                cert.certFile, "-key", cert.keyFile},
               dir.file("s_server-" + std::to_string(port_) + ".log")) {
  ready_ = waitForPort(port_, process_);
}

JobRunContext contextWithin(std::chrono::milliseconds timeout, std::string name) {
  JobRunContext c;
  c.jobId = "test:" + name;
  c.jobName = std::move(name);
  c.serverName = "testhost";
  c.deadline = std::chrono::steady_clock::now() + timeout;
  return c;
}

}  // namespace checker::test
