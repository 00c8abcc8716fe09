// checker-bench-channels: notices through one webhook channel of a real
// checkerd (its real mailer, libcurl on libuv) to a loopback receiver
// (bench/webhook_receiver.h), next to what a plain HTTP POST to the same
// receiver costs (bench/http_floor.h). Three figures:
//   1. latency: a few http jobs on a closed port, every 1 s, notify = every,
//      their schedule phases spread over the second so each notice travels
//      alone; from the payload's "at" (the wall-clock ms at which checkerd
//      recorded the failing result and made the notice) to the receiver
//      having read the whole POST;
//   2. burst: many http jobs fail in their first run (within one 1 s
//      period): every job's notice counted (lost, duplicated), first to last
//      arrival, and the same latency under that load;
//   3. backlog: the receiver holds its answers while those jobs recover,
//      so all their recovery notices wait in the outbox; then it answers,
//      and the drain is timed: the channel's own notices per second.
// Prints its figures; asserts nothing. Options: --quick, --notices N (1),
// --jobs N (2 and 3).
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/http_floor.h"
#include "bench/webhook_receiver.h"
#include "supervisor/scheduler.h"
#include "support/daemon_process.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  int notices = 60;    // latency samples
  int latencyJobs = 6;
  int burstJobs = 300;
};

// One webhook POST as the receiver saw it.
struct Notice {
  std::string job, state;
  int64_t atMs = 0;
  Arrival arrival;
  double latencyMs() const { return static_cast<double>(arrival.wallMicros) / 1000.0 - static_cast<double>(atMs); }
};

// Unix ms of "2026-12-07T20:24:51.123Z"; 0 if it is not that.
int64_t utcMs(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

std::vector<Notice> parse(const std::vector<Arrival>& arrivals, size_t* unreadable) {
  std::vector<Notice> notices;
  for (const Arrival& arrival : arrivals) {
    nlohmann::json body = nlohmann::json::parse(arrival.body, nullptr, false);
    if (body.is_discarded() || !body.contains("job") || !body.contains("at")) {
      ++*unreadable;
      continue;
    }
    notices.push_back(Notice{body["job"].value("id", ""), body.value("state", ""), utcMs(body.value("at", "")), arrival});
  }
  return notices;
}

// A loopback port nothing listens on (bound, then closed).
uint16_t closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Answers every HTTP request on PORT with 200 from construction on: the
// http jobs' target coming back (one thread, a connection at a time; each
// probe sends its request at once).
class PortListener {
 public:
  explicit PortListener(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4096) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
    }
    thread_ = std::thread([this] {
      for (int c; (c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0 || errno == EINTR || errno == ECONNABORTED;) {
        if (c >= 0) answer(c);
      }
    });
  }
  ~PortListener() {
    ::shutdown(fd_, SHUT_RDWR);  // accept() returns: the thread ends
    thread_.join();
    ::close(fd_);
  }
  PortListener(const PortListener&) = delete;
  PortListener& operator=(const PortListener&) = delete;

 private:
  static void answer(int connection) {
    timeval limit{1, 0};
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      request.append(buffer, static_cast<size_t>(got));
    }
    static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::send(connection, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
    ::close(connection);
  }

  int fd_ = -1;
  std::thread thread_;
};

std::string config(const std::string& dir, const std::string& name, const WebhookReceiver& receiver,
                   const std::string& jobs) {
  return "[general]\nservername = bench\nalertcontact = admin@example.org\nstatefile = " + dir + "/" + name +
         ".state\nnotify_to = hook\n[email]\nnomail = yes\n[peerd]\nlisten = 127.0.0.1:0\ncheck_every = day\n"
         "[channel hook]\ntype = webhook\nurl = " + receiver.url() + "\ntimeout = 60s\n" + jobs;
}

// A job's identity is its type and target (docs/configuration.md): each
// job gets a path of its own on the one port.
std::string jobUrl(uint16_t port, const std::string& name) {
  return "http://127.0.0.1:" + std::to_string(port) + "/" + name;
}

std::string httpJob(const std::string& name, uint16_t port, const std::string& notify) {
  return "[job " + name + "]\ntype = http\nurl = " + jobUrl(port, name) +
         "\nevery = 1s\nisolation = batch\nnotify = " + notify + "\n";
}

// COUNT job names whose phases in the 1 s schedule (supervisor/scheduler.h,
// a hash of the job's identity) are at least ~60% of an even spacing
// apart, so their notices do not meet.
std::vector<std::string> spreadNames(int count, uint16_t port) {
  Schedule everySecond{Schedule::Kind::interval, Milliseconds(1000)};
  int64_t gap = 600 / count;
  std::vector<std::string> ids;
  std::vector<int64_t> phases;
  for (int k = 0; static_cast<int>(ids.size()) < count && k < 100000; ++k) {
    std::string id = "lat" + std::to_string(k);
    int64_t phase = phaseForJob("http:" + jobUrl(port, id), everySecond);
    bool apart = true;
    for (int64_t other : phases) {
      int64_t d = std::abs(phase - other);
      apart = apart && std::min(d, 1000 - d) >= gap;
    }
    if (!apart) continue;
    ids.push_back(id);
    phases.push_back(phase);
  }
  return ids;
}

// Waits up to TIMEOUT for COUNT arrivals in all, reading checkerd's log
// meanwhile (a full pipe would stop it).
size_t awaitArrivals(test::DaemonProcess& daemon, WebhookReceiver& receiver, size_t count, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t got = 0;
  while ((got = receiver.waitFor(count, 50ms)) < count && Clock::now() < deadline) {
    interrupted();
    daemon.drain();
  }
  daemon.drain();
  if (got < count) {  // say why: checkerd's last words
    std::fprintf(stderr, "only %zu of %zu notices arrived in %lld s; checkerd's log ends:\n", got, count,
                 static_cast<long long>(timeout.count()));
    const std::vector<std::string>& lines = daemon.lines();
    for (size_t i = lines.size() > 12 ? lines.size() - 12 : 0; i < lines.size(); ++i) {
      std::fprintf(stderr, "  %s\n", lines[i].c_str());
    }
  }
  return got;
}

void printLatency(const char* what, const std::vector<double>& ms) {
  std::printf("%s: %zu notices, median %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, min %.1f ms\n", what, ms.size(),
              percentile(ms, 50), percentile(ms, 90), percentile(ms, 99), percentile(ms, 100), percentile(ms, 0));
}

// When each job's notices were committed to the outbox: the times of
// checkerd's "job NAME: failure notice queued as outbox entry" lines,
// written by the state writer right after the commit (state/state_writer.cpp).
std::map<std::string, std::vector<int64_t>> queuedTimes(const std::vector<std::string>& lines) {
  std::map<std::string, std::vector<int64_t>> times;
  const std::string before = "info: job ", after = ": failure notice queued as outbox entry";
  for (const std::string& line : lines) {
    size_t from = line.find(before), to = line.find(after);
    if (from == std::string::npos || to == std::string::npos || to < from) continue;
    times[line.substr(from + before.size(), to - from - before.size())].push_back(utcMs(line));
  }
  return times;
}

// Splits each notice's latency at its commit: result -> committed (the
// flush timer and the LMDB commit), committed -> the receiver has it.
void printSplit(const std::vector<Notice>& notices, const std::vector<std::string>& lines) {
  std::map<std::string, std::vector<int64_t>> queued = queuedTimes(lines);
  std::vector<double> toCommit, toReceiver;
  for (const Notice& n : notices) {
    std::string name = n.job.substr(n.job.rfind('/') + 1);  // the section's name is the URL's path
    for (int64_t& at : queued[name]) {
      if (at < n.atMs) continue;
      toCommit.push_back(static_cast<double>(at - n.atMs));
      toReceiver.push_back(static_cast<double>(n.arrival.wallMicros) / 1000.0 - static_cast<double>(at));
      at = -1;  // matched: each commit line is one notice
      break;
    }
  }
  std::printf("   split at checkerd's \"queued as outbox entry\" log line (ms resolution), %zu matched:\n", toCommit.size());
  printLatency("   result -> committed to the outbox", toCommit);
  printLatency("   committed -> read by the receiver", toReceiver);
}

// 1. Returns one body as checkerd sent it, for the floor.
std::string latency(const Options& options, const std::string& dir, WebhookReceiver& receiver) {
  uint16_t port = closedPort();
  std::string jobs;
  for (const std::string& name : spreadNames(options.latencyJobs, port)) jobs += httpJob(name, port, "every");
  std::string path = dir + "/latency.cfg";
  std::ofstream(path) << config(dir, "latency", receiver, jobs);
  receiver.clear();
  int connectionsBefore = receiver.connections();
  test::DaemonProcess daemon({selfDir() + "/checkerd", "-c", path});
  size_t got = awaitArrivals(daemon, receiver, static_cast<size_t>(options.notices),
                             std::chrono::seconds(20 + options.notices / options.latencyJobs * 2));
  daemon.stop(SIGTERM, 20s);
  size_t unreadable = 0;
  std::vector<Notice> notices = parse(receiver.arrivals(), &unreadable);
  std::vector<double> ms;
  for (const Notice& notice : notices) ms.push_back(notice.latencyMs());
  std::printf("1. latency, %d http jobs (isolation = batch) failing every 1 s, notify = every, phases spread over the second;"
              " from the payload's \"at\" (checkerd recorded the failing result) to the whole POST read by the receiver"
              " (%zu of %d wanted arrived, %zu unreadable, over %d connection(s)):\n",
              options.latencyJobs, got, options.notices, unreadable, receiver.connections() - connectionsBefore);
  printLatency("   latency", ms);
  printSplit(notices, daemon.lines());
  return notices.empty() ? std::string("{}") : notices.front().arrival.body;
}

// How many notices of STATE each job got: lost (none) and duplicated (more than one).
void countPerJob(const std::vector<Notice>& notices, const std::string& state, int jobs) {
  std::map<std::string, int> perJob;
  for (const Notice& n : notices) {
    if (n.state == state) ++perJob[n.job];
  }
  int duplicates = 0;
  for (const auto& [job, count] : perJob) duplicates += count - 1;
  std::printf("   %s notices: %zu of %d jobs got theirs (%d lost), %d duplicate(s)\n", state.c_str(), perJob.size(), jobs,
              jobs - static_cast<int>(perJob.size()), duplicates);
}

// The outbox entries waiting in checkerd's state (checker status --json).
long pendingInOutbox(const std::string& path) {
  std::string command = selfDir() + "/checker status --json -c " + path + " 2>/dev/null";
  FILE* out = ::popen(command.c_str(), "r");
  if (out == nullptr) return -1;
  std::string text;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;) text.append(buffer, n);
  ::pclose(out);
  nlohmann::json status = nlohmann::json::parse(text, nullptr, false);
  if (status.is_discarded() || !status.contains("outbox")) return -1;
  return status["outbox"].value("pending", -1L);
}

// 2: the failing burst as it comes.
void burstFigures(const std::vector<Notice>& notices, int jobs) {
  std::vector<double> ms;
  int64_t firstAt = INT64_MAX, lastAt = 0;
  for (const Notice& n : notices) {
    ms.push_back(n.latencyMs());
    firstAt = std::min(firstAt, n.atMs);
    lastAt = std::max(lastAt, n.atMs);
  }
  double span = notices.empty() ? 0
                                : std::chrono::duration<double, std::milli>(notices.back().arrival.steady -
                                                                            notices.front().arrival.steady).count();
  std::printf("2. burst: %d http jobs fail in their first run; their failing results were made over %lld ms, the notices"
              " arrived over %.0f ms (first to last arrival: %.0f notices/s, bounded by the results' own spread):\n",
              jobs, static_cast<long long>(lastAt - firstAt), span, span > 0 ? 1000.0 * static_cast<double>(notices.size()) / span : 0.0);
  printLatency("   latency under the burst", ms);
  countPerJob(notices, "failing", jobs);
}

// 3: the receiver holds its answers until all recoveries are in the outbox, then the drain is timed.
void backlog(test::DaemonProcess& daemon, WebhookReceiver& receiver, const std::string& path, uint16_t port, int jobs) {
  size_t before = receiver.arrivals().size();
  receiver.setGate(false);
  PortListener target(port);
  auto deadline = Clock::now() + 30s;
  long pending = 0;
  while ((pending = pendingInOutbox(path)) < jobs && Clock::now() < deadline) {
    interrupted();
    daemon.drain();
    receiver.waitFor(SIZE_MAX, 100ms);  // a bounded pause between polls of the state
  }
  size_t held = receiver.arrivals().size() - before;
  auto opened = Clock::now();
  receiver.setGate(true);
  awaitArrivals(daemon, receiver, before + static_cast<size_t>(jobs), 60s);
  std::vector<Arrival> all = receiver.arrivals();
  size_t after = 0;
  Clock::time_point last = opened;
  for (size_t i = before; i < all.size(); ++i) {
    if (all[i].steady < opened) continue;
    ++after;
    last = std::max(last, all[i].steady);
  }
  double seconds = std::chrono::duration<double>(last - opened).count();
  std::printf("3. backlog: %ld recovery notices waiting in the outbox (%zu with the receiver, held unanswered);"
              " once it answers, %zu more arrive in %.1f ms: %.0f notices/s through one channel\n",
              pending, held, after, seconds * 1000, seconds > 0 ? static_cast<double>(after) / seconds : 0.0);
  size_t unreadable = 0;
  std::vector<Notice> notices = parse(std::vector<Arrival>(all.begin() + static_cast<long>(before), all.end()), &unreadable);
  countPerJob(notices, "recovered", jobs);
}

void burst(const Options& options, const std::string& dir, WebhookReceiver& receiver) {
  uint16_t port = closedPort();
  std::string jobs;
  char id[32];
  for (int i = 0; i < options.burstJobs; ++i) {
    std::snprintf(id, sizeof id, "b%04d", i);
    jobs += httpJob(id, port, "state_change");
  }
  std::string path = dir + "/burst.cfg";
  std::ofstream(path) << config(dir, "burst", receiver, jobs);
  receiver.clear();
  int connectionsBefore = receiver.connections();
  test::DaemonProcess daemon({selfDir() + "/checkerd", "-c", path});
  size_t jobCount = static_cast<size_t>(options.burstJobs);
  awaitArrivals(daemon, receiver, jobCount, 40s);
  size_t unreadable = 0;
  burstFigures(parse(receiver.arrivals(), &unreadable), options.burstJobs);
  backlog(daemon, receiver, path, port, options.burstJobs);
  std::printf("   (%zu unreadable bodies; %d connection(s) for phases 2 and 3)\n", unreadable,
              receiver.connections() - connectionsBefore);
  daemon.stop(SIGTERM, 20s);
}

void floor(WebhookReceiver& receiver, const std::string& body, int count) {
  for (bool reuse : {false, true}) {
    FloorFigures figures = postFloor(receiver.url(), body, count, reuse);
    std::printf("floor: libcurl POST of a %zu-byte webhook body to the same receiver, %s: median %.0f µs, p99 %.0f µs"
                " (%d requests, %d failed)\n",
                body.size(), reuse ? "one kept-alive connection" : "a new connection each", percentile(figures.micros, 50),
                percentile(figures.micros, 99), count, figures.failed);
  }
}

Options parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      options.notices = 20;
      options.latencyJobs = 5;
      options.burstJobs = 50;
    } else if (arg == "--notices" && i + 1 < argc) {
      options.notices = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--jobs" && i + 1 < argc) {
      options.burstJobs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: checker-bench-channels [--quick] [--notices N] [--jobs N]\n");
      std::exit(2);
    }
  }
  return options;
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker::bench;
  Options options = parseOptions(argc, argv);
  catchStopSignals();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ScopedTempDir dir("checker-bench-channels");
  try {
    WebhookReceiver receiver;
    auto started = std::chrono::steady_clock::now();
    std::string body = latency(options, dir.path, receiver);
    burst(options, dir.path, receiver);
    receiver.clear();
    floor(receiver, body, 2000);
    std::printf("(%.1f s in all)\n", microsSince(started) / 1e6);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-channels: %s\n", e.what());
    return 1;
  }
  curl_global_cleanup();
  return 0;
}
