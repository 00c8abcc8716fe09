#include "bench/slow_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "common/unique_fd.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kAskEvery = 50ms;
constexpr auto kAnswerWithin = 5s;  // a peer's default `timeout`
constexpr auto kFloorFor = 5s;
constexpr auto kReconnectEvery = 100ms;
constexpr auto kTrickleEvery = 2s;
constexpr auto kRampUpWithin = 15s;
const char kPartial[] = "GET / HTTP/1.1\r\nHost: slow\r\n";
const char kMore[] = "X-Slow: 1\r\n";
const char kAsk[] = "GET / HTTP/1.1\r\nHost: peerd\r\nConnection: close\r\n\r\n";

sockaddr_in loopback(int lastByte, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000000u | static_cast<uint32_t>(lastByte));
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

// A non-blocking TCP socket from 127.0.0.FROM, its connect to PORT on
// 127.0.0.1 started; an invalid one with errno when that fails.
UniqueFd startConnect(int from, int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  int one = 1;  // the port is picked at connect, by the whole 4-tuple: more of them
  ::setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in source = loopback(from, 0), target = loopback(1, port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&source), sizeof source) != 0 ||
      (::connect(fd.get(), reinterpret_cast<sockaddr*>(&target), sizeof target) != 0 && errno != EINPROGRESS)) {
    int err = errno;
    fd.reset();
    errno = err;
  }
  return fd;
}

// Closes FD with a reset: no TIME_WAIT left behind by the attack.
void abortConnection(UniqueFd& fd) {
  linger now{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &now, sizeof now);
  fd.reset();
}

// The attackers, on a thread of their own (one epoll loop).
class SlowAttack {
 public:
  SlowAttack(int port, const SlowClientsOptions& options)
      : port_(port), addresses_(options.addresses), slots_(static_cast<size_t>(options.attackers)) {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  }
  SlowAttack(const SlowAttack&) = delete;
  SlowAttack& operator=(const SlowAttack&) = delete;
  ~SlowAttack() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (Slot& s : slots_) {
      if (s.fd.valid()) abortConnection(s.fd);
    }
  }

  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  long holding() const { return holding_; }
  long everConnected() const { return everConnected_; }
  long opened() const { return opened_; }
  long closedByServer() const { return closedByServer_; }
  long failedToConnect() const { return failed_; }

 private:
  struct Slot {
    UniqueFd fd;
    bool connected = false;
    bool everConnected = false;
    Clock::time_point nextLine;
  };

  void loop() {
    auto nextSweep = Clock::now();
    epoll_event events[256];
    while (!stop_) {
      auto now = Clock::now();
      if (now >= nextSweep) {
        sweep(now);
        nextSweep = now + kReconnectEvery;
      }
      int n = ::epoll_wait(epoll_.get(), events, 256, 20);
      for (int k = 0; k < n; ++k) onEvent(static_cast<size_t>(events[k].data.u64), events[k].events);
    }
  }

  // Reconnects every dropped attacker; sends a header line where one is due.
  void sweep(Clock::time_point now) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      if (!s.fd.valid()) {
        connect(i);
      } else if (s.connected && now >= s.nextLine) {
        if (::send(s.fd.get(), kMore, sizeof kMore - 1, MSG_NOSIGNAL | MSG_DONTWAIT) <= 0 && errno != EAGAIN) {
          drop(i, true);
        } else {
          s.nextLine = now + kTrickleEvery;
        }
      }
    }
  }

  void connect(size_t i) {
    Slot& s = slots_[i];
    s.fd = startConnect(2 + static_cast<int>(i % static_cast<size_t>(addresses_)), port_);
    if (!s.fd.valid()) {
      ++failed_;
      return;
    }
    ++opened_;
    s.connected = false;
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = i;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s.fd.get(), &event);
  }

  void onEvent(size_t i, uint32_t events) {
    Slot& s = slots_[i];
    if (!s.fd.valid()) return;
    if (s.connected) return drop(i, true);  // an answer (408) or a close: either ends it
    int err = 0;
    socklen_t length = sizeof err;
    ::getsockopt(s.fd.get(), SOL_SOCKET, SO_ERROR, &err, &length);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
      ++failed_;
      return drop(i, false);
    }
    s.connected = true;
    ++holding_;
    if (!s.everConnected) {
      s.everConnected = true;
      ++everConnected_;
    }
    s.nextLine = Clock::now() + kTrickleEvery;
    if (::send(s.fd.get(), kPartial, sizeof kPartial - 1, MSG_NOSIGNAL | MSG_DONTWAIT) <= 0) return drop(i, true);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = i;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, s.fd.get(), &event);
  }

  void drop(size_t i, bool byServer) {
    Slot& s = slots_[i];
    if (s.connected) --holding_;
    if (byServer) ++closedByServer_;
    abortConnection(s.fd);  // also leaves the epoll set
    s.connected = false;
  }

  int port_;
  int addresses_;
  std::vector<Slot> slots_;
  UniqueFd epoll_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<long> holding_{0}, everConnected_{0}, opened_{0}, closedByServer_{0}, failed_{0};
};

struct Asked {
  bool ok = false;
  double ms = 0;
  std::string why;  // when not ok
};

// Waits until FD is ready for EVENTS or DEADLINE passes.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
    interrupted();
  }
}

// One normal question from 127.0.0.1, timed from connect to the answer's end.
Asked askOnce(int port) {
  auto start = Clock::now(), deadline = start + kAnswerWithin;
  Asked asked;
  UniqueFd socket = startConnect(1, port);
  if (!socket.valid()) return {false, 0, std::string("connect: ") + std::strerror(errno)};
  int fd = socket.get();
  std::string response;
  int err = 0;
  socklen_t length = sizeof err;
  if (!waitFor(fd, POLLOUT, deadline)) {
    asked.why = "no connection within 5 s";
  } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0 || err != 0) {
    asked.why = std::string("connect: ") + std::strerror(err);
  } else if (::send(fd, kAsk, sizeof kAsk - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof kAsk - 1)) {
    asked.why = std::string("send: ") + std::strerror(errno);
  } else {
    for (;;) {
      if (!waitFor(fd, POLLIN, deadline)) {
        asked.why = "no whole answer within 5 s";
        break;
      }
      char buffer[4096];
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EAGAIN) continue;
      if (n < 0) asked.why = std::string("read: ") + std::strerror(errno);
      if (n <= 0) break;
      response.append(buffer, static_cast<size_t>(n));
    }
  }
  socket.reset();
  asked.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!asked.why.empty()) return asked;
  if (response.empty()) return {false, asked.ms, "closed without an answer"};
  if (response.rfind("HTTP/1.1 200 ", 0) != 0) return {false, asked.ms, response.substr(0, response.find('\r'))};
  asked.ok = true;
  return asked;
}

// Open descriptors of PID (its connections, and a few of its own).
long openDescriptors(pid_t pid) {
  std::error_code error;
  long count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  for (int i = 3; i <= 13 && fields >> skip; ++i) {  // state .. cmajflt
  }
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Phase {
  std::vector<double> okMs;
  std::map<std::string, int> failures;
  int asked = 0;
  long heldMin = -1, heldMax = 0, fdMin = -1, fdMax = 0;
  double peerdCpu = 0, wallSeconds = 0;
};

// The normal client asks every 50 ms for FOR; the attack (if any) sampled meanwhile.
Phase askFor(int port, pid_t peerd, Clock::duration length, const SlowAttack* attack,
             const std::function<void()>& between) {
  Phase phase;
  auto start = Clock::now(), end = start + length, next = start;
  double cpuBefore = cpuSeconds(peerd);
  while (Clock::now() < end) {
    std::this_thread::sleep_until(next);  // the pace of the questions, not a wait for an event
    interrupted();
    next += kAskEvery;
    Asked asked = askOnce(port);
    ++phase.asked;
    if (asked.ok) {
      phase.okMs.push_back(asked.ms);
    } else {
      ++phase.failures[asked.why];
    }
    if (attack != nullptr) {
      long held = attack->holding();
      phase.heldMin = phase.heldMin < 0 ? held : std::min(phase.heldMin, held);
      phase.heldMax = std::max(phase.heldMax, held);
    }
    if (phase.asked % 10 == 0) {
      long fds = openDescriptors(peerd);
      phase.fdMin = phase.fdMin < 0 ? fds : std::min(phase.fdMin, fds);
      phase.fdMax = std::max(phase.fdMax, fds);
    }
    between();
    if (Clock::now() > next) next = Clock::now();  // a slow answer delays the next, never a burst
  }
  phase.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  phase.peerdCpu = cpuSeconds(peerd) - cpuBefore;
  return phase;
}

void printRow(const char* name, const Phase& p, const std::string& attackers) {
  size_t failed = static_cast<size_t>(p.asked) - p.okMs.size();
  double maxMs = p.okMs.empty() ? 0 : *std::max_element(p.okMs.begin(), p.okMs.end());
  std::printf("| %s | %d | %zu | %.2f ms | %.2f ms | %.1f ms | %s | %ld..%ld | %.0f%% |\n", name, p.asked, failed,
              percentile(p.okMs, 50), percentile(p.okMs, 99), maxMs, attackers.c_str(), p.fdMin, p.fdMax,
              100 * p.peerdCpu / p.wallSeconds);
  for (const auto& [why, count] : p.failures) std::printf("  %s: %d failed: %s\n", name, count, why.c_str());
  std::fflush(stdout);
}

}  // namespace

int runSlowClients(int port, pid_t peerd, const SlowClientsOptions& options, const std::function<void()>& between) {
  std::printf("slow clients: %d attackers from 127.0.0.2..127.0.0.%d (%d address(es)), each \"%s\" then a header "
              "line every %lld s, never finished, reconnected within %lld ms when closed; a normal client on "
              "127.0.0.1 asks GET / every %lld ms (a connection each, %lld s to answer)\n\n",
              options.attackers, 1 + options.addresses, options.addresses, "GET / HTTP/1.1\\r\\nHost: slow\\r\\n",
              static_cast<long long>(kTrickleEvery.count()), static_cast<long long>(kReconnectEvery.count()),
              static_cast<long long>(kAskEvery.count()), static_cast<long long>(kAnswerWithin.count()));
  std::printf("| phase | normal asks | failed | p50 | p99 | max | attackers held (min..max) | peerd fds (min..max) | "
              "peerd CPU |\n|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  Phase floor = askFor(port, peerd, kFloorFor, nullptr, between);
  printRow("alone (floor)", floor, "-");

  SlowAttack attack(port, options);
  attack.start();
  auto rampDeadline = Clock::now() + kRampUpWithin;  // every attacker connected once
  while (attack.everConnected() < options.attackers && Clock::now() < rampDeadline) {
    std::this_thread::sleep_for(50ms);  // polling a counter of the attack thread, bounded
    interrupted();
    between();
  }
  long rampedUp = attack.everConnected();
  long openedBefore = attack.opened(), closedBefore = attack.closedByServer();
  Phase underAttack = askFor(port, peerd, std::chrono::seconds(options.seconds), &attack, between);
  printRow("under attack", underAttack,
           std::to_string(underAttack.heldMin) + ".." + std::to_string(underAttack.heldMax));
  std::printf("\nattack: %ld of %d attackers connected before the timing began; during it %ld connections opened, "
              "%ld closed by peerd, %ld failed to connect (whole run)\n",
              rampedUp, options.attackers, attack.opened() - openedBefore, attack.closedByServer() - closedBefore,
              attack.failedToConnect());
  std::printf("CPU: 100%% = one core over the phase's wall time; the attacker and the normal client share the "
              "machine with peerd\n");
  return 0;
}

}  // namespace checker::bench
