// Monit and blackbox_exporter on checker-bench-checks' targets.
#include "bench/check_others.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/bench_util.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A child running ARGV, killed with us (PR_SET_PDEATHSIG), stopped and
// reaped when this goes; with its own CPU meter.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& logPath, const std::string& cgroupName)
      : cgroup_(cgroupName) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
      int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (pid_ > 0 && cgroup_.available() && cgroup_.add(pid_)) cpuFrom_ = cgroup_.describe();
    else cpuFrom_ = "/proc/PID/stat utime+stime (" + cgroup_.describe() + ")";
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) ::usleep(10'000);
    if (::kill(pid_, SIGKILL) == 0) ::waitpid(pid_, nullptr, 0);
  }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  double cpuMs() const { return cpuFrom_.rfind("cgroup", 0) == 0 ? cgroup_.usageMs() : procCpuMs(pid_); }
  const std::string& cpuFrom() const { return cpuFrom_; }

 private:
  CgroupCpu cgroup_;
  pid_t pid_ = -1;
  std::string cpuFrom_;
};

void sleepFor(int ms) {
  for (auto until = Clock::now() + std::chrono::milliseconds(ms); Clock::now() < until && stopSignal == 0;) {
    ::usleep(20'000);
  }
}

// Watches WHAT for SECONDS after WARMUP_MS: its CPU and the checks the targets saw.
OtherFigures watch(const std::string& what, const Child& child, const LoopbackTargets& targets, size_t perSecond,
                   int seconds) {
  OtherFigures f;
  f.what = what;
  f.cpuFrom = child.cpuFrom();
  double cpu0 = child.cpuMs();
  uint64_t accepted0 = targets.accepted();
  auto start = Clock::now();
  sleepFor(seconds * 1000);
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.cpuMs = cpu0 < 0 ? -1 : child.cpuMs() - cpu0;
  f.checks = targets.accepted() - accepted0;
  f.asked = static_cast<uint64_t>(static_cast<double>(perSecond) * f.seconds);
  if (!child.alive()) f.note = "it exited during the measurement";
  return f;
}

uint16_t freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  ::close(fd);
  return -1;
}

// One keep-alive connection to the exporter: a GET, then its whole answer.
bool probeOnce(int fd, uint16_t exporterPort, uint16_t target, std::string& buffer) {
  std::string request = "GET /probe?module=tcp_connect&target=127.0.0.1:" + std::to_string(target) +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(exporterPort) + "\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return false;
  buffer.clear();
  for (char chunk[8192];;) {
    size_t head = buffer.find("\r\n\r\n");
    if (head != std::string::npos) {
      size_t at = buffer.find("Content-Length: ");
      if (at != std::string::npos && buffer.size() >= head + 4 + std::stoul(buffer.substr(at + 16))) {
        return buffer.find("probe_success 1") != std::string::npos;
      }
    }
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

// Asks the exporter for RATE probes a second over CLIENTS connections
// (threads) until STOP, each connection taking every CLIENTS-th probe.
void driveBlackbox(uint16_t exporterPort, const std::vector<uint16_t>& ports, const std::atomic<bool>& stop,
                   std::atomic<uint64_t>& failures) {
  constexpr int kClients = 8;
  std::vector<std::thread> clients;
  auto start = Clock::now();
  double interval = 1e6 / static_cast<double>(ports.size());  // us between probes
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      int fd = connectTo(exporterPort);
      std::string buffer;
      for (uint64_t k = static_cast<uint64_t>(c); !stop && fd >= 0; k += kClients) {
        auto due = start + std::chrono::microseconds(static_cast<int64_t>(static_cast<double>(k) * interval));
        std::this_thread::sleep_until(due);
        if (!probeOnce(fd, exporterPort, ports[k % ports.size()], buffer)) {
          ++failures;
          ::close(fd);
          fd = connectTo(exporterPort);
        }
      }
      if (fd >= 0) ::close(fd);
    });
  }
  for (std::thread& t : clients) t.join();
}

}  // namespace

std::string onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";
  for (size_t from = 0; from <= dirs.size();) {
    size_t to = dirs.find(':', from);
    if (to == std::string::npos) to = dirs.size();
    std::string candidate = dirs.substr(from, to - from) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    from = to + 1;
  }
  return "";
}

std::optional<OtherFigures> measureMonit(const LoopbackTargets& targets, const std::vector<uint16_t>& ports,
                                         int seconds) {
  std::string monit = onPath("monit");
  if (monit.empty()) return std::nullopt;
  ScopedTempDir temp("checker-bench-others");
  const std::string& dir = temp.path;
  {
    std::ofstream rc(dir + "/monitrc");
    rc << "set daemon 1\nset logfile " << dir << "/monit.log\nset idfile " << dir << "/monit.id\nset statefile "
       << dir << "/monit.state\nset pidfile " << dir << "/monit.pid\n";
    for (uint16_t port : ports) {
      rc << "check host t" << port << " with address 127.0.0.1\n  if failed port " << port << " then alert\n";
    }
  }
  ::chmod((dir + "/monitrc").c_str(), 0600);
  OtherFigures f;
  {
    Child child({monit, "-I", "-c", dir + "/monitrc"}, dir + "/out", "checker-bench-checks-" +
                std::to_string(::getpid()) + "-monit");
    sleepFor(3000);  // its first cycle
    f = watch("monit, set daemon 1, one check host per target", child, targets, ports.size(), seconds);
  }
  return f;
}

std::optional<OtherFigures> measureBlackbox(const LoopbackTargets& targets, const std::vector<uint16_t>& ports,
                                            int seconds) {
  std::string exporter = onPath("prometheus-blackbox-exporter");
  if (exporter.empty()) return std::nullopt;
  ScopedTempDir temp("checker-bench-others");
  const std::string& dir = temp.path;
  std::ofstream(dir + "/blackbox.yml") << "modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 5s\n";
  uint16_t port = freeLoopbackPort();
  OtherFigures f;
  {
    Child child({exporter, "--config.file=" + dir + "/blackbox.yml",
                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                dir + "/out", "checker-bench-checks-" + std::to_string(::getpid()) + "-blackbox");
    int up = -1;
    for (int i = 0; i < 250 && up < 0 && stopSignal == 0; ++i) {
      if ((up = connectTo(port)) < 0) ::usleep(20'000);
    }
    if (up < 0) {
      f.what = "blackbox_exporter";
      f.note = "did not listen on 127.0.0.1:" + std::to_string(port) + " within 5 s";
      return f;
    }
    ::close(up);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> failures{0};
    std::thread driver([&] { driveBlackbox(port, ports, stop, failures); });
    sleepFor(2000);  // warm up at the rate
    f = watch("blackbox_exporter, tcp_connect via /probe at the same rate", child, targets, ports.size(), seconds);
    stop = true;
    driver.join();
    if (failures != 0) f.note += std::to_string(failures.load()) + " probes failed or were not answered";
  }
  return f;
}

}  // namespace checker::bench
