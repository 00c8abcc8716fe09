// Loopback targets, cgroup CPU and the floors of checker-bench-checks.
#include "bench/check_targets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace checker::bench {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A listening socket on 127.0.0.1 with an ephemeral port.
Result<UniqueFd> listenOnLoopback(int backlog, uint16_t* port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error{std::string("socket: ") + std::strerror(errno)};
  sockaddr_in addr = loopback(0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd.get(), backlog) != 0) {
    return Error{std::string("bind/listen on 127.0.0.1: ") + std::strerror(errno)};
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// A nonblocking connect to 127.0.0.1:PORT under way (or done).
UniqueFd startConnect(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in addr = loopback(port);
  if (fd.valid()) ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  return fd;
}

// Of PORTS, those whose connect is still pending after WAIT_MS (all at once).
size_t countHanging(const std::vector<uint16_t>& ports, int waitMs) {
  std::vector<UniqueFd> fds;
  std::vector<pollfd> polls;
  for (uint16_t port : ports) {
    fds.push_back(startConnect(port));
    polls.push_back(pollfd{fds.back().get(), POLLOUT, 0});
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  size_t hanging = ports.size();
  while (std::chrono::steady_clock::now() < until) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
    if (::poll(polls.data(), polls.size(), std::max(left, 1)) < 0 && errno != EINTR) break;
  }
  ::poll(polls.data(), polls.size(), 0);
  for (const pollfd& p : polls) hanging -= (p.revents != 0);
  return hanging;
}

[[noreturn]] void serve(const std::vector<UniqueFd>& listeners, std::atomic<uint64_t>* counter) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (const UniqueFd& fd : listeners) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd.get();
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd.get(), &ev);
  }
  epoll_event events[256];
  for (;;) {
    int n = ::epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      for (int c; (c = ::accept4(events[i].data.fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
        ::close(c);
        counter->fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

}  // namespace

Result<std::unique_ptr<LoopbackTargets>> LoopbackTargets::start(int healthy, int hanging) {
  std::unique_ptr<LoopbackTargets> targets(new LoopbackTargets());
  std::vector<UniqueFd> accepting, held;  // held: hanging listeners and the connections filling them
  for (int i = 0; i < healthy; ++i) {
    uint16_t port = 0;
    Result<UniqueFd> fd = listenOnLoopback(1024, &port);
    if (!fd) return Error{fd.error()};
    accepting.push_back(std::move(*fd));
    targets->healthy_.push_back(port);
  }
  for (int i = 0; i < hanging; ++i) {
    uint16_t port = 0;
    Result<UniqueFd> fd = listenOnLoopback(0, &port);
    if (!fd) return Error{fd.error()};
    held.push_back(std::move(*fd));
    held.push_back(startConnect(port));  // completes into the accept queue (one place with backlog 0)
    targets->hanging_.push_back(port);
  }
  if (size_t n = countHanging(targets->hanging_, 300); n != targets->hanging_.size()) {
    return Error{"only " + std::to_string(n) + " of " + std::to_string(hanging) +
                 " hanging targets hang (a connect to them completed within 300 ms)"};
  }
  void* shared = ::mmap(nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return Error{std::string("mmap: ") + std::strerror(errno)};
  targets->counter_ = new (shared) std::atomic<uint64_t>(0);
  targets->pid_ = ::fork();
  if (targets->pid_ < 0) return Error{std::string("fork of the target server: ") + std::strerror(errno)};
  if (targets->pid_ == 0) serve(accepting, targets->counter_);
  return targets;  // the child holds every socket; ours close here
}

LoopbackTargets::~LoopbackTargets() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (counter_ != nullptr) ::munmap(counter_, sizeof *counter_);
}

CgroupCpu::CgroupCpu(const std::string& name) {
  struct stat st{};
  if (::stat("/sys/fs/cgroup/cpuacct/cpuacct.usage", &st) == 0) {
    root_ = "/sys/fs/cgroup/cpuacct";
  } else if (::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
    root_ = "/sys/fs/cgroup", v2_ = true;
  } else if (::stat("/sys/fs/cgroup/unified/cgroup.controllers", &st) == 0) {
    root_ = "/sys/fs/cgroup/unified", v2_ = true;
  } else {
    why_ = "no cpuacct v1 or cgroup v2 hierarchy";
    return;
  }
  std::string dir = root_ + "/" + name;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    why_ = "mkdir " + dir + ": " + std::strerror(errno);
    return;
  }
  dir_ = dir;
}

CgroupCpu::~CgroupCpu() {
  if (dir_.empty()) return;
  std::ifstream procs(dir_ + "/cgroup.procs");
  for (std::string pid; std::getline(procs, pid);) std::ofstream(root_ + "/cgroup.procs") << pid << "\n";
  ::rmdir(dir_.c_str());
}

Result<> CgroupCpu::add(pid_t pid) {
  if (dir_.empty()) return Error{why_};
  std::ofstream out(dir_ + "/cgroup.procs");
  out << pid << "\n";
  out.flush();
  if (!out) return Error{"cannot move pid " + std::to_string(pid) + " into " + dir_};
  return {};
}

double CgroupCpu::usageMs() const {
  if (dir_.empty()) return -1;
  if (!v2_) {
    std::ifstream in(dir_ + "/cpuacct.usage");
    uint64_t ns = 0;
    return in >> ns ? static_cast<double>(ns) / 1e6 : -1;
  }
  std::ifstream in(dir_ + "/cpu.stat");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "usage_usec") return static_cast<double>(value) / 1e3;
  }
  return -1;
}

std::string CgroupCpu::describe() const {
  if (dir_.empty()) return "not measured (" + why_ + ")";
  return (v2_ ? "cgroup v2 cpu.stat of " : "cgroup v1 cpuacct.usage of ") + dir_;
}

namespace {
double rusageMs(int who) {
  rusage r{};
  ::getrusage(who, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000.0 +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1000.0;
}
}  // namespace

double selfCpuMs() { return rusageMs(RUSAGE_SELF); }
double threadCpuMs() { return rusageMs(RUSAGE_THREAD); }

double procCpuMs(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 17 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);  // utime, stime, cutime, cstime
  }
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

Floor connectFloor(const std::vector<uint16_t>& ports, int millis) {
  Floor floor;
  double cpu0 = threadCpuMs();
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::milliseconds(millis);
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 100; ++i, ++floor.count) {
      UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in addr = loopback(ports[floor.count % ports.size()]);
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
  }
  double wallUs = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  floor.cpuUsEach = (threadCpuMs() - cpu0) * 1000.0 / static_cast<double>(floor.count);
  floor.wallUsEach = wallUs / static_cast<double>(floor.count);
  return floor;
}

Floor spawnFloor(const std::string& binary, int count) {
  Floor floor;
  char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
  double cpu0 = rusageMs(RUSAGE_THREAD) + rusageMs(RUSAGE_CHILDREN);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i, ++floor.count) {
    pid_t pid;
    if (::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv, environ) != 0) break;
    ::waitpid(pid, nullptr, 0);
  }
  double wallUs = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  floor.cpuUsEach = (rusageMs(RUSAGE_THREAD) + rusageMs(RUSAGE_CHILDREN) - cpu0) * 1000.0 /
                    static_cast<double>(std::max<uint64_t>(floor.count, 1));
  floor.wallUsEach = wallUs / static_cast<double>(std::max<uint64_t>(floor.count, 1));
  return floor;
}

}  // namespace checker::bench
