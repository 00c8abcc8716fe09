// checker-bench-peerd: peerd's answers under load, on loopback only.
// Starts a real checkerd (nomail, `[peerd] listen = 127.0.0.1:0`, one
// `[peers]` line whose secret peerd uses to sign; the peer itself is an
// unused loopback port asked once an hour, so no peer query runs during
// the load) in a temporary directory, then:
//   1. checks one plain answer (`True`) and verifies one signed answer with
//      verifyStatusAnswer, so what is loaded below is the real thing;
//   2. runs wrk (Debian's `wrk`: apt-get install -y wrk) for SECONDS with
//      WRK_THREADS threads and each of the keep-alive connection counts against
//      (a) `/` and (b) `/v2/status?nonce=<32 hex>&key=<key id>&from=<asker>`, parsing
//      its --latency output: answers/s, p50, p99, max, socket errors and
//      non-2xx answers;
//   3. samples peerd's VmRSS every 50 ms while wrk runs (and VmHWM), and
//      its CPU time, and prints a table.
// wrk and peerd share the machine's cores: the figures are for both on
// one host. Prints its figures; asserts nothing beyond the answers being
// right. checkerd is stopped (SIGTERM, then SIGKILL of its process group)
// on every way out, including SIGINT/SIGTERM/SIGHUP of this program.
//
// Usage: checker-bench-peerd [SECONDS [CONNECTIONS,CONNECTIONS,... [WRK_THREADS]]]
//        (defaults: 10, 50,200,1000 and 2)
//        checker-bench-peerd slow [SECONDS [ATTACKERS [ADDRESSES]]]
//        (defaults: 20, 2000 and 8): slow clients against the same peerd
//        instead of wrk (bench/slow_clients.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/slow_clients.h"
#include "common/clock.h"
#include "common/random_token.h"
#include "common/unique_fd.h"
#include "peering/status_document.h"
#include "support/daemon_process.h"
#include "support/temp_dir.h"

extern char** environ;

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSampleEveryMs = 50;
const char kSecret[] = "bench-peerd-secret-0123456789abcdef";
// Who the bench is to peerd's signed answer, and who peerd is (its servername).
const char kAsker[] = "bench-client";
const char kServerName[] = "bench";

// The first executable NAME on PATH, or "".
std::string onPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A loopback port nothing listens on (bound, then released): the peer's
// address, which peerd is never asked about during the run.
int unusedLoopbackPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error(std::string("bind(127.0.0.1:0): ") + std::strerror(errno));
  }
  return ntohs(address.sin_port);  // released as FD closes
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One GET of PATH on 127.0.0.1:PORT, Connection: close, within 5 s.
HttpAnswer get(int port, const std::string& path) {
  UniqueFd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int fd = socket.get();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  std::string where = "127.0.0.1:" + std::to_string(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("connect(" + where + "): " + std::strerror(errno));
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + where + "\r\nConnection: close\r\n\r\n";
  std::string response;
  bool ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  auto deadline = Clock::now() + 5s;
  while (ok) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      ok = false;
      break;
    }
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) ok = false;
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  socket.reset();
  interrupted();
  size_t end = response.find("\r\n\r\n");
  HttpAnswer answer;
  if (!ok || end == std::string::npos || std::sscanf(response.c_str(), "HTTP/1.%*d %d", &answer.status) != 1) {
    throw std::runtime_error("GET " + path + " on " + where + ": no whole answer within 5 s");
  }
  answer.body = response.substr(end + 4);
  return answer;
}

// Milliseconds in one of wrk's figures ("812.00us", "1.23ms", "2.00s").
double wrkMs(const std::string& text) {
  double value = std::atof(text.c_str());
  if (text.find("us") != std::string::npos) return value / 1000;
  if (text.find("ms") != std::string::npos) return value;
  if (text.find('m') != std::string::npos) return value * 60'000;
  return value * 1000;  // "s"
}

struct WrkResult {
  double requestsPerSecond = 0;
  long requests = 0;
  double p50Ms = 0, p99Ms = 0, maxMs = 0;
  long socketErrors = 0;  // connect + read + write + timeout
  long non2xx = 0;
  std::string output;
};

WrkResult parseWrk(const std::string& output) {
  WrkResult r;
  r.output = output;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == "Latency" && line.find("Distribution") == std::string::npos) {  // "Latency avg stdev max +/-"
      std::string avg, stdev, max;
      words >> avg >> stdev >> max;
      r.maxMs = wrkMs(max);
    } else if (first == "50%" || first == "99%") {
      std::string value;
      words >> value;
      (first == "50%" ? r.p50Ms : r.p99Ms) = wrkMs(value);
    } else if (first == "Requests/sec:") {
      words >> r.requestsPerSecond;
    } else if (line.find(" requests in ") != std::string::npos) {
      r.requests = std::atol(first.c_str());
    } else if (first == "Socket") {  // "Socket errors: connect 0, read 0, write 0, timeout 0"
      long connect = 0, read = 0, write = 0, timeout = 0;
      std::sscanf(line.c_str(), " Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &connect, &read,
                  &write, &timeout);
      r.socketErrors = connect + read + write + timeout;
    } else if (first == "Non-2xx") {  // "Non-2xx or 3xx responses: 12"
      r.non2xx = std::atol(line.substr(line.rfind(':') + 1).c_str());
    }
  }
  if (r.requestsPerSecond <= 0) throw std::runtime_error("could not read wrk's output:\n" + output);
  return r;
}

struct ProcSample {
  long rssKiB = 0, hwmKiB = 0, anonKiB = 0, fileKiB = 0;
  double cpuSeconds = 0;  // user + system
};

ProcSample sample(pid_t pid) {
  ProcSample s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string key; status >> key;) {
    if (key == "VmRSS:") status >> s.rssKiB;
    if (key == "VmHWM:") status >> s.hwmKiB;
    if (key == "RssAnon:") status >> s.anonKiB;
    if (key == "RssFile:") status >> s.fileKiB;
    status.ignore(1 << 16, '\n');
  }
  std::ifstream statFile("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren != std::string::npos) {
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 13 && fields >> field; ++i) {  // state .. cmajflt
    }
    fields >> utime >> stime;
    s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return s;
}

struct LoadResult {
  WrkResult wrk;
  long peakRssKiB = 0, peakAnonKiB = 0;
  double peerdCpuSeconds = 0, wrkCpuSeconds = 0, wallSeconds = 0;
};

// Runs wrk against URL with CONNECTIONS for SECONDS, sampling peerd
// meanwhile. wrk is killed and reaped on every way out.
LoadResult runWrk(const std::string& wrk, test::DaemonProcess& daemon, pid_t peerd, const std::string& url,
                  int threads, int connections, int seconds) {
  std::vector<std::string> args = {wrk,
                                   "-t" + std::to_string(threads),
                                   "-c" + std::to_string(connections),
                                   "-d" + std::to_string(seconds) + "s",
                                   "--timeout",
                                   "5s",
                                   "--latency",
                                   url};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), 2);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, wrk.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  writeEnd.reset();  // wrk's copies only: its end is the pipe's end
  if (rc != 0) throw std::runtime_error("posix_spawn(" + wrk + "): " + std::strerror(rc));
  struct Reap {  // wrk does not outlive this function
    pid_t pid;
    UniqueFd fd;  // closed after wrk is reaped
    int status = 0;
    rusage usage{};
    bool reaped = false;
    void wait() {
      reaped = ::wait4(pid, &status, 0, &usage) == pid;
    }
    ~Reap() {
      if (!reaped) {
        ::kill(pid, SIGKILL);
        wait();
      }
    }
  } child{pid, std::move(readEnd)};

  LoadResult result;
  ProcSample before = sample(peerd);
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(seconds + 30);
  std::string output;
  for (;;) {  // until wrk closes its output: its end is the event awaited
    pollfd p{child.fd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, kSampleEveryMs);
    interrupted();
    if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (ready > 0) {
      char buffer[4096];
      ssize_t n = ::read(child.fd.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<size_t>(n));
    }
    ProcSample now = sample(peerd);
    result.peakRssKiB = std::max(result.peakRssKiB, now.rssKiB);
    result.peakAnonKiB = std::max(result.peakAnonKiB, now.anonKiB);
    daemon.drain();  // checkerd and peerd never block on a full log pipe
    if (Clock::now() > deadline) throw std::runtime_error("wrk did not finish within " + std::to_string(seconds + 30) + " s");
  }
  child.wait();
  result.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.peerdCpuSeconds = sample(peerd).cpuSeconds - before.cpuSeconds;
  result.wrkCpuSeconds = static_cast<double>(child.usage.ru_utime.tv_sec + child.usage.ru_stime.tv_sec) +
                         static_cast<double>(child.usage.ru_utime.tv_usec + child.usage.ru_stime.tv_usec) / 1e6;
  if (!child.reaped || !WIFEXITED(child.status) || WEXITSTATUS(child.status) != 0) {
    throw std::runtime_error("wrk failed:\n" + output);
  }
  result.wrk = parseWrk(output);
  return result;
}

// The first three figures of /proc/loadavg: others' work on a shared machine shows here.
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// "... peerd started (pid 123)" -> 123; "... answering peers on 127.0.0.1:4567" -> 4567.
long numberAfter(const std::string& line, const std::string& marker) {
  size_t at = line.find(marker);
  return at == std::string::npos ? 0 : std::atol(line.c_str() + at + marker.size());
}

struct RunningPeerd {
  pid_t pid = 0;
  int port = 0;
};

// Waits for checkerd's peerd: its pid, its port on loopback, and the
// supervisor's first heartbeat (until then peerd answers JobProblem; it is
// sent as soon as peerd is started).
RunningPeerd waitForPeerd(test::DaemonProcess& daemon) {
  auto waitFor = [&daemon](const std::string& needle) {
    std::string line = daemon.waitForLine(needle, 20s);
    interrupted();
    return line;
  };
  const std::string started = "peerd started (pid ", answering = "peerd: answering peers on 127.0.0.1:";
  RunningPeerd peerd;
  peerd.pid = static_cast<pid_t>(numberAfter(waitFor(started), started));
  peerd.port = static_cast<int>(numberAfter(waitFor(answering), answering));
  bool heartbeat = !waitFor("first heartbeat from the supervisor").empty();
  if (peerd.pid <= 0 || peerd.port <= 0 || !heartbeat) {
    std::string log;
    for (const std::string& line : daemon.lines()) log += "  " + line + "\n";
    throw std::runtime_error("checkerd did not start peerd on loopback with a heartbeat within 20 s; its log:\n" + log);
  }
  return peerd;
}

// The key id of kSecret, as every asker sends it.
std::string keyId() {
  Result<std::string> id = peerd::peerKeyId(kSecret);
  if (!id) throw std::runtime_error(id.error());
  return *id;
}

// What the load asks for, checked once by hand: the plain word, and a
// signed answer that verifies. Returns the signed answer's path and query.
std::string checkedStatusPath(const RunningPeerd& peerd) {
  std::string nonce = randomHex(16);
  std::string statusPath = std::string(peerd::kStatusPath) + "?" +
                           peerd::statusRequestQuery(peerd::StatusRequest{nonce, keyId(), kAsker});
  HttpAnswer plain = get(peerd.port, "/");
  if (plain.status != 200 || plain.body != "True") {
    throw std::runtime_error("GET / answered " + std::to_string(plain.status) + " '" + plain.body + "', not 200 True");
  }
  HttpAnswer signedAnswer = get(peerd.port, statusPath);
  Result<peerd::Verified> verified = peerd::verifyStatusAnswer(
      signedAnswer.body, kSecret, peerd::AnswerExpectation{kAsker, kServerName, nonce}, wallClockNowMs() / 1000);
  if (signedAnswer.status != 200 || !verified || verified->status != "True") {
    throw std::runtime_error("signed answer not verified (HTTP " + std::to_string(signedAnswer.status) + "): " +
                             (verified ? std::string() : verified.error()) + "\n" + signedAnswer.body);
  }
  std::printf("peerd pid %d on 127.0.0.1:%d; GET / -> 200 \"%s\"; GET %s -> 200, %zu bytes, verified "
              "(responder \"%s\", status \"%s\")\n",
              static_cast<int>(peerd.pid), peerd.port, plain.body.c_str(), statusPath.c_str(), signedAnswer.body.size(),
              verified->responder.c_str(), verified->status.c_str());
  return statusPath;
}

double mib(long kib) { return static_cast<double>(kib) / 1024; }

// The table: each path under each connection count, then peerd's memory.
void loadTable(const std::string& wrk, test::DaemonProcess& daemon, const RunningPeerd& peerd,
               const std::string& statusPath, int seconds, const std::vector<int>& connectionCounts, int threads) {
  ProcSample idle = sample(peerd.pid);
  std::printf("peerd idle: VmRSS %.1f MiB (RssAnon %.1f MiB, RssFile %.1f MiB: mostly shared-library pages)\n",
              mib(idle.rssKiB), mib(idle.anonKiB), mib(idle.fileKiB));
  std::printf("wrk: %d thread(s), %d s per row, keep-alive; wrk and peerd share this machine's %ld cores; "
              "load average before: %s\n\n",
              threads, seconds, ::sysconf(_SC_NPROCESSORS_ONLN), loadAverage().c_str());
  std::printf("| answer | connections | answers/s | p50 | p99 | max | socket errors | non-2xx | peerd CPU | wrk CPU | "
              "peerd peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  long peak = idle.rssKiB, peakAnon = idle.anonKiB;
  struct Target {
    const char* name;
    std::string path;
  };
  for (const Target& target : {Target{"plain `/`", "/"}, Target{"signed `/v2/status`", statusPath}}) {
    for (int connections : connectionCounts) {
      LoadResult r = runWrk(wrk, daemon, peerd.pid, "http://127.0.0.1:" + std::to_string(peerd.port) + target.path,
                            threads, connections, seconds);
      peak = std::max(peak, r.peakRssKiB);
      peakAnon = std::max(peakAnon, r.peakAnonKiB);
      std::printf("| %s | %d | %.0f | %.2f ms | %.2f ms | %.1f ms | %ld | %ld | %.0f%% | %.0f%% | %.1f MiB |\n",
                  target.name, connections, r.wrk.requestsPerSecond, r.wrk.p50Ms, r.wrk.p99Ms, r.wrk.maxMs,
                  r.wrk.socketErrors, r.wrk.non2xx, 100 * r.peerdCpuSeconds / r.wallSeconds,
                  100 * r.wrkCpuSeconds / r.wallSeconds, mib(r.peakRssKiB));
      std::fflush(stdout);
    }
  }
  ProcSample after = sample(peerd.pid);
  std::printf("\npeerd VmRSS: idle %.1f MiB, peak sampled under load %.1f MiB (RssAnon %.1f MiB), VmHWM %.1f MiB, "
              "after the load %.1f MiB\n",
              mib(idle.rssKiB), mib(peak), mib(peakAnon), mib(after.hwmKiB), mib(after.rssKiB));
  std::printf("CPU: 100%% = one core, over the row's wall time; load average after: %s\n", loadAverage().c_str());
}

// Starts checkerd with peerd on loopback, checks its answers, then runs
// BODY; checkerd is stopped on every way out.
int withPeerd(const std::function<int(test::DaemonProcess&, const RunningPeerd&, const std::string&)>& body) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string config = dir.write(
      "bench.cfg", "[general]\nservername = " + std::string(kServerName) +
                       "\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
                       "\n[email]\nnomail = yes\n[peerd]\nlisten = 127.0.0.1:0\ncheck_every = hour\n"
                       "[peers]\nunused = http://127.0.0.1:" + std::to_string(unusedLoopbackPort()) +
                       ",admin@example.org,secret=" + kSecret + "\n");
  test::DaemonProcess daemon({selfDir() + "/checkerd", "-c", config});
  struct Stop {  // SIGTERM, then SIGKILL of the group for whatever is left
    test::DaemonProcess& daemon;
    ~Stop() {
      daemon.stop(SIGTERM, 10s);
      ::kill(-daemon.pid(), SIGKILL);
    }
  } stop{daemon};
  RunningPeerd peerd = waitForPeerd(daemon);
  std::string statusPath = checkedStatusPath(peerd);
  return body(daemon, peerd, statusPath);
}

// The soft RLIMIT_NOFILE raised to the hard one (wrk and the attackers need a
// descriptor per connection).
void raiseOpenFiles() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

int run(int seconds, const std::vector<int>& connectionCounts, int threads) {
  std::string wrk = onPath("wrk");
  if (wrk.empty()) {
    std::fprintf(stderr, "checker-bench-peerd: wrk is not installed (not on PATH): apt-get install -y wrk\n");
    return 1;
  }
  return withPeerd([&](test::DaemonProcess& daemon, const RunningPeerd& peerd, const std::string& statusPath) {
    raiseOpenFiles();  // after checkerd started: it keeps the limit it was started with
    loadTable(wrk, daemon, peerd, statusPath, seconds, connectionCounts, threads);
    return 0;
  });
}

// peerd holds its 1,024 connections with the limit it is started with (the
// packaged unit gives it LimitNOFILE=65536): raised before checkerd starts.
int runSlow(const SlowClientsOptions& options) {
  raiseOpenFiles();
  return withPeerd([&](test::DaemonProcess& daemon, const RunningPeerd& peerd, const std::string&) {
    return runSlowClients(peerd.port, peerd.pid, options, [&daemon] { daemon.drain(); });
  });
}

int slowMain(int argc, char** argv) {
  SlowClientsOptions options;
  if (argc > 2) options.seconds = std::atoi(argv[2]);
  if (argc > 3) options.attackers = std::atoi(argv[3]);
  if (argc > 4) options.addresses = std::atoi(argv[4]);
  if (argc > 5 || options.seconds <= 0 || options.attackers <= 0 || options.addresses <= 0 ||
      options.addresses > 250) {
    std::fprintf(stderr, "usage: checker-bench-peerd slow [SECONDS [ATTACKERS [ADDRESSES]]]\n"
                         "  defaults: 20 s, 2000 attackers from 8 addresses (127.0.0.2 on, at most 250)\n");
    return 100;
  }
  catchStopSignals();
  try {
    return runSlow(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-peerd slow: %s\n", e.what());
    return 1;
  }
}

std::vector<int> parseCounts(const std::string& text, int threads) {
  std::vector<int> counts;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    int n = std::atoi(item.c_str());
    if (n < threads) return {};  // wrk wants a connection per thread at least
    counts.push_back(n);
  }
  return counts;
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker::bench;
  if (argc > 1 && std::string(argv[1]) == "slow") return slowMain(argc, argv);
  int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  std::vector<int> counts = parseCounts(argc > 2 ? argv[2] : "50,200,1000", std::max(threads, 1));
  if (argc > 4 || seconds <= 0 || threads <= 0 || counts.empty()) {
    std::fprintf(stderr, "usage: checker-bench-peerd [SECONDS [CONNECTIONS,CONNECTIONS,... [WRK_THREADS]]]\n"
                         "  defaults: 10 s, 50,200,1000 connections, 2 threads (each count >= the threads)\n"
                         "       checker-bench-peerd slow [SECONDS [ATTACKERS [ADDRESSES]]]\n");
    return 100;
  }
  catchStopSignals();
  try {
    return run(seconds, counts, threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-peerd: %s\n", e.what());
    return 1;
  }
}
