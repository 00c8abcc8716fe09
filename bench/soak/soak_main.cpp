// checker-bench-soak: thousands of hostile job runs, mixed with healthy
// ones, through a real checkerd, and what they leave behind.
//
// Starts checkerd (nomail, peerd on loopback) in a temporary directory with
// one job section per copy of every kind in soak_kinds.cpp: commands and
// plugins that crash, abort, spin past their CPU limit, sleep or ignore
// SIGTERM past their timeout, eat memory up to their cgroup, fork bombs,
// leftover children, double-forked daemons holding the run's pipes, fd
// exhaustion, 100 MiB of output, junk, oversize, truncated or lost replies,
// a closed result channel, a throwing job; beside them healthy exec, plugin
// and tcp checks. Every `every` is 1-20 s. It runs until HOSTILE_RUNS
// hostile runs have been recorded (default 10,000), and checks:
//   - supervisor crashes: checkerd exiting before it is told to stop, a
//     stop that is not clean (exit 0 within 60 s), a restart of the worker
//     launcher, the mailer or peerd (their "restarting" log lines), or no
//     run recorded for 60 s;
//   - leaked processes (soak_procs.h): a process of a job run alive after
//     its run ended (two more runs of the job recorded), a worker older than
//     any run may last, anything of the jobs left when no job is configured,
//     and anything of the jobs or of checkerd's programs after checkerd
//     stopped;
//   - leaked fds: checkerd's /proc/PID/fd count at rest after a warm-up and
//     at rest at the end. "At rest": the jobs are removed by a reload (a
//     config without jobs, SIGHUP) and every run in progress has finished,
//     then they are put back by another reload; both counts are taken the
//     same way. checkerd's own counts (its "idle after the first runs" and
//     "stopped" log lines) are printed beside them;
//   - misclassified runs (soak_runs.h): every run recorded in the LMDB
//     state, compared with the outcome its kind must produce;
//   - checkerd's VmRSS at start, at rest after the warm-up and at the end,
//     its peak sampled, and VmHWM.
// Prints progress every 10 s and a summary; exits 1 if any of crashes,
// leaked processes, fd growth, misclassified or unverified runs is not 0,
// 2 when it cannot run (no per-run cgroups: run it as root).
//
// Usage: checker-bench-soak [HOSTILE_RUNS]
// Loopback only. Not a test: it takes minutes (docs: BENCHMARKS.md).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench/bench_util.h"
#include "bench/soak/soak_kinds.h"
#include "bench/soak/soak_procs.h"
#include "bench/soak/soak_runs.h"
#include "common/unique_fd.h"
#include "state/run_outcome.h"
#include "support/daemon_process.h"
#include "support/temp_dir.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kPollMs = 200;
constexpr int kProgressEveryS = 10;
constexpr int kStallS = 60;

double mib(long kib) { return static_cast<double>(kib) / 1024; }

// Job J's processes carry markerBase() + J in their command lines.
std::string markerBase() { return "soak-marker-" + std::to_string(::getpid()) + "-"; }

// A listening socket on 127.0.0.1 (the tcp-ok jobs' target), or a port
// bound and released, which nothing listens on (tcp-refused).
struct Loopback {
  UniqueFd fd;
  int port = 0;
  explicit Loopback(bool listening) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        (listening && ::listen(fd.get(), 128) != 0) ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error(std::string("loopback socket: ") + std::strerror(errno));
    }
    port = ntohs(address.sin_port);
    if (!listening) fd.reset();  // bound and released: nothing listens there
  }
  void acceptAll() const {
    while (fd.valid()) {
      UniqueFd accepted(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!accepted.valid()) break;
    }
  }
};

// What checkerd's log says, read as it comes.
struct LogFacts {
  size_t next = 0;
  uint64_t restarts = 0, deadlineKills = 0, overruns = 0, reloads = 0;
  uint64_t retiredRunning = 0, retiredFinished = 0;
  int idleFds = -1, stoppedFds = -1;
  std::string sandbox;  // "sandbox: cgroup v1 ..." or the line saying there are none
  std::vector<std::string> restartLines;

  static int fdsIn(const std::string& line) {
    size_t at = line.find("open fds: ");
    return at == std::string::npos ? -1 : std::atoi(line.c_str() + at + 10);
  }

  void read(const std::vector<std::string>& lines) {
    for (; next < lines.size(); ++next) {
      const std::string& line = lines[next];
      auto has = [&line](const char* text) { return line.find(text) != std::string::npos; };
      if (has("; restarting in ") || has("; restarting it") || has("worker launcher gone")) {
        ++restarts;
        if (restartLines.size() < 10) restartLines.push_back(line);
      }
      if (has("passed, killing its process group")) ++deadlineKills;
      if (has("due again while its previous run is still going")) ++overruns;
      if (has("reload (SIGHUP): ")) ++reloads;
      if (has("removed by the reload; its run in progress finishes")) ++retiredRunning;
      if (has("run finished after the reload removed the job")) ++retiredFinished;
      if (has("idle after the first runs; open fds: ")) idleFds = fdsIn(line);
      if (has("stopped: ") && has("open fds: ")) stoppedFds = fdsIn(line);
      if (has("sandbox: cgroup") || has("per-run cgroups unavailable")) sandbox = line;
    }
  }
};

struct AtRest {
  int fds = -1;
  long rssKiB = 0, anonKiB = 0;  // VmRSS, and RssAnon (heap and stacks: not file pages)
  std::vector<std::string> processesLeft;
};

class Soak {
 public:
  explicit Soak(uint64_t hostileRuns) : wanted_(hostileRuns) {
    ::chmod(dir_.path().c_str(), 0755);  // the job user reaches the run's empty directory
    setup_.stateDir = dir_.file("state");
    setup_.pluginDir = selfDir() + "/../plugins";
    setup_.hostile = selfDir() + "/checker-test-hostile";
    setup_.markerBase = markerBase();
    setup_.listeningPort = listener_.port;
    setup_.closedPort = closed_.port;
    config_ = dir_.file("settings.cfg");
  }
  // On an early way out, a clean stop first, so checkerd empties the run
  // cgroups (the DaemonProcess then SIGKILLs whatever is left of its group).
  ~Soak() {
    if (daemon_ && !stopped_) daemon_->stop(SIGTERM, 30s);
  }
  Soak(const Soak&) = delete;
  Soak& operator=(const Soak&) = delete;

  int run() {
    writeConfig(true);
    daemon_ = std::make_unique<test::DaemonProcess>(std::vector<std::string>{selfDir() + "/checkerd", "-c", config_});
    pid_ = daemon_->pid();
    if (waitForLine("scheduling ", 30s).empty()) throw std::runtime_error("checkerd did not start:\n" + logTail());
    log_.read(daemon_->lines());
    if (log_.sandbox.find("sandbox: cgroup") == std::string::npos) {
      std::fprintf(stderr, "checker-bench-soak: needs per-run cgroups (run it as root on a machine with cgroup v1 "
                           "pids+memory or v2): the memory and daemon kinds depend on them. checkerd says:\n  %s\n",
                   log_.sandbox.c_str());
      stopped_ = true;
      daemon_->stop(SIGTERM, 30s);
      return 2;
    }
    rssAtStart_ = statusKiB(pid_, "VmRSS:");
    verifier_ = std::make_unique<RunVerifier>(setup_.stateDir);
    std::printf("checker-bench-soak: %llu hostile runs wanted; %zu kinds; about %.1f hostile + %.1f healthy runs/s; "
                "checkerd pid %d; %s\n",
                static_cast<unsigned long long>(wanted_), soakKinds().size(), wantedRunsPerSecond(true),
                wantedRunsPerSecond(false), static_cast<int>(pid_), log_.sandbox.substr(log_.sandbox.find("sandbox")).c_str());
    std::fflush(stdout);
    start_ = lastProgress_ = lastRun_ = Clock::now();

    uint64_t warmUp = std::min<uint64_t>(300, std::max<uint64_t>(wanted_ / 20, 20));
    try {  // whatever goes wrong from here, checkerd is stopped and the figures so far printed
      bool alive = soakUntil(warmUp);
      if (alive) {
        baseline_ = atRest("after the warm-up");
        alive = soakUntil(wanted_);
      }
      if (alive) end_ = atRest("at the end");
    } catch (const std::exception& e) {
      aborted_ = e.what();
    }
    hwmKiB_ = statusKiB(pid_, "VmHWM:");
    stop();
    return report();
  }

 private:
  void writeConfig(bool withJobs) { dir_.write("settings.cfg", soakConfig(setup_, withJobs)); }

  std::string waitForLine(const std::string& needle, std::chrono::milliseconds timeout) {
    std::string line = daemon_->waitForLine(needle, timeout, log_.next);
    interrupted();
    return line;
  }

  std::string logTail() const {
    std::string text;
    const auto& lines = daemon_->lines();
    for (size_t i = lines.size() > 40 ? lines.size() - 40 : 0; i < lines.size(); ++i) text += "  " + lines[i] + "\n";
    return text;
  }

  // One turn of watching: log, liveness, recorded runs, memory, processes.
  bool watch() {
    interrupted();
    listener_.acceptAll();
    daemon_->drain();
    log_.read(daemon_->lines());
    if (!alive(pid_)) {
      crashed_ = "checkerd exited while running";
      return false;
    }
    uint64_t before = verifier_->hostileRuns() + verifier_->healthyRuns();
    verifier_->poll();
    if (verifier_->hostileRuns() + verifier_->healthyRuns() != before) lastRun_ = Clock::now();
    peakRssKiB_ = std::max(peakRssKiB_, statusKiB(pid_, "VmRSS:"));
    if (Clock::now() - lastScan_ >= 1s) {
      lastScan_ = Clock::now();
      leaks_.scan(pid_, [this](const std::string& section) { return verifier_->runsOfSection(section); });
    }
    return true;
  }

  // Watches until TARGET hostile runs are recorded; false when checkerd died or stalled.
  bool soakUntil(uint64_t target) {
    while (verifier_->hostileRuns() < target) {
      ::usleep(kPollMs * 1000);
      if (!watch()) return false;
      if (Clock::now() - lastRun_ > std::chrono::seconds(kStallS)) {
        crashed_ = "no run recorded for " + std::to_string(kStallS) + " s";
        return false;
      }
      if (Clock::now() - lastProgress_ >= std::chrono::seconds(kProgressEveryS)) {
        lastProgress_ = Clock::now();
        progress();
      }
    }
    return true;
  }

  void progress() const {
    std::printf("soak: %llu / %llu hostile runs (+%llu healthy), %.0f s; checkerd RSS %.1f MiB, %d fds; "
                "misclassified %llu, leaked processes %zu, restarts %llu\n",
                static_cast<unsigned long long>(verifier_->hostileRuns()), static_cast<unsigned long long>(wanted_),
                static_cast<unsigned long long>(verifier_->healthyRuns()), elapsedSeconds(),
                mib(statusKiB(pid_, "VmRSS:")), openFds(pid_),
                static_cast<unsigned long long>(verifier_->misclassified()), leaks_.leaked(),
                static_cast<unsigned long long>(log_.restarts));
    std::fflush(stdout);
  }

  double elapsedSeconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  // Removes every job (a reload), waits for the runs in progress to end,
  // takes checkerd's fds and RSS, checks no job process is left, and puts
  // the jobs back (another reload).
  AtRest atRest(const char* when) {
    AtRest rest;
    uint64_t reloads = log_.reloads, retiredRunning = log_.retiredRunning;
    writeConfig(false);
    ::kill(pid_, SIGHUP);
    auto deadline = Clock::now() + 60s;
    while (log_.reloads == reloads || log_.retiredFinished < log_.retiredRunning) {
      if (Clock::now() > deadline) throw std::runtime_error(std::string("checkerd did not come to rest ") + when + ":\n" + logTail());
      ::usleep(50'000);
      if (!watch()) return rest;
    }
    // Cgroup slots are emptied on a timer and the mailer answers what is
    // outstanding: let both settle, then take the count once it holds still.
    ::usleep(500'000);
    watch();
    for (int previous = -2, tries = 0; tries < 25; ++tries) {
      rest.fds = openFds(pid_);
      if (rest.fds == previous) break;
      previous = rest.fds;
      ::usleep(200'000);
    }
    rest.rssKiB = statusKiB(pid_, "VmRSS:");
    rest.anonKiB = statusKiB(pid_, "RssAnon:");
    rest.processesLeft = leaks_.noneMayRemain({}, 3000);
    std::printf("soak: at rest %s (%llu runs in progress finished after the reload): checkerd %d fds, RSS %.1f MiB (RssAnon %.1f MiB)%s\n",
                when, static_cast<unsigned long long>(log_.retiredRunning - retiredRunning), rest.fds,
                mib(rest.rssKiB), mib(rest.anonKiB), rest.processesLeft.empty() ? "" : "; JOB PROCESSES LEFT");
    writeConfig(true);
    reloads = log_.reloads;
    ::kill(pid_, SIGHUP);
    while (log_.reloads == reloads) {
      if (Clock::now() > deadline + 60s) throw std::runtime_error("checkerd did not reload its jobs:\n" + logTail());
      ::usleep(50'000);
      if (!watch()) return rest;
    }
    lastRun_ = Clock::now();
    return rest;
  }

  void stop() {
    stopped_ = true;
    stopStatus_ = daemon_->stop(SIGTERM, 60s);
    log_.read(daemon_->lines());
    if (crashed_.empty() && !(stopStatus_ >= 0 && WIFEXITED(stopStatus_) && WEXITSTATUS(stopStatus_) == 0)) {
      crashed_ = stopStatus_ < 0 ? "checkerd did not stop within 60 s of SIGTERM"
                                 : "checkerd's stop ended with wait status " + std::to_string(stopStatus_);
    }
    if (stopStatus_ < 0) daemon_->stop(SIGKILL, 10s);
    // Runs flushed at the stop are in the state now.
    verifier_->poll();
    std::string bin = selfDir();
    afterStop_ = leaks_.noneMayRemain(
        {bin + "/checkerd", bin + "/checker-worker", bin + "/checker-mailer", bin + "/checker-peerd"}, 5000);
  }

  int report() const {
    std::printf("\n| kind | hostile | runs | expected | recorded outcomes | misclassified |\n|---|---|---|---|---|---|\n");
    for (const SoakKind& kind : soakKinds()) {
      auto tally = verifier_->byKind().find(kind.name);
      KindTally t = tally == verifier_->byKind().end() ? KindTally{} : tally->second;
      std::string outcomes;
      for (const auto& [outcome, count] : t.outcomes) {
        outcomes += (outcomes.empty() ? "" : ", ") + std::string(outcomeName(outcome)) + " " + std::to_string(count);
      }
      std::printf("| %s | %s | %llu | %s | %s | %llu |\n", kind.name.c_str(), kind.hostile ? "yes" : "no",
                  static_cast<unsigned long long>(t.runs), outcomeName(kind.expected), outcomes.c_str(),
                  static_cast<unsigned long long>(t.misclassified));
    }
    uint64_t crashes = (crashed_.empty() ? 0 : 1) + log_.restarts;
    int fdGrowth = baseline_.fds >= 0 && end_.fds >= 0 ? end_.fds - baseline_.fds : -1;
    uint64_t misclassified = verifier_->misclassified() + verifier_->foreignRuns();
    std::printf("\nsoak over after %.0f s: %llu hostile + %llu healthy runs recorded and checked; checkerd: %llu deadline "
                "kills, %llu overruns logged\n",
                elapsedSeconds(), static_cast<unsigned long long>(verifier_->hostileRuns()),
                static_cast<unsigned long long>(verifier_->healthyRuns()),
                static_cast<unsigned long long>(log_.deadlineKills), static_cast<unsigned long long>(log_.overruns));
    std::printf("supervisor crashes:    %llu%s%s (launcher/mailer/peerd restarts: %llu)\n",
                static_cast<unsigned long long>(crashes), crashed_.empty() ? "" : ": ", crashed_.c_str(),
                static_cast<unsigned long long>(log_.restarts));
    for (const std::string& line : log_.restartLines) std::printf("    %s\n", line.c_str());
    std::printf("leaked processes:      %zu (of them left after checkerd stopped: %zu)\n", leaks_.leaked(), afterStop_.size());
    for (const std::string& line : leaks_.examples()) std::printf("    %s\n", line.c_str());
    std::printf("leaked fds:            %s (checkerd /proc/PID/fd at rest: %d after the warm-up, %d at the end; its own "
                "log: %d idle after the first runs, %d at the stop)\n",
                fdGrowth < 0 ? "unknown" : std::to_string(fdGrowth).c_str(), baseline_.fds, end_.fds, log_.idleFds,
                log_.stoppedFds);
    std::printf("misclassified runs:    %llu of %llu (unverified: %llu; runs of unknown jobs: %llu)\n",
                static_cast<unsigned long long>(misclassified),
                static_cast<unsigned long long>(verifier_->hostileRuns() + verifier_->healthyRuns()),
                static_cast<unsigned long long>(verifier_->unverified()),
                static_cast<unsigned long long>(verifier_->foreignRuns()));
    for (const std::string& line : verifier_->examples()) std::printf("    %s\n", line.c_str());
    std::printf("checkerd RSS:          %.1f MiB at start, %.1f MiB at rest after the warm-up, %.1f MiB at rest at the "
                "end; peak sampled %.1f MiB, VmHWM %.1f MiB (RssAnon %.1f -> %.1f MiB; the rest is file pages: "
                "shared libraries, the state's map)\n",
                mib(rssAtStart_), mib(baseline_.rssKiB), mib(end_.rssKiB), mib(peakRssKiB_), mib(hwmKiB_),
                mib(baseline_.anonKiB), mib(end_.anonKiB));
    if (!aborted_.empty()) std::printf("SOAK ABORTED: %s\n", aborted_.c_str());
    bool failed = !aborted_.empty() || crashes != 0 || leaks_.leaked() != 0 || fdGrowth != 0 || misclassified != 0 ||
                  verifier_->unverified() != 0 || verifier_->hostileRuns() < wanted_;
    if (failed) std::printf("checkerd's log: %s\n", saveLog().c_str());
    std::printf("%s\n", failed ? "SOAK FAILED" : "soak passed");
    return failed ? 1 : 0;
  }

  // checkerd's whole log, kept past the temporary directory for a failed soak.
  std::string saveLog() const {
    const char* base = std::getenv("TMPDIR");
    std::string path = std::string(base && *base ? base : "/tmp") + "/checker-bench-soak-" + std::to_string(::getpid()) + ".log";
    FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr) return "(not saved: " + path + ": " + std::strerror(errno) + ")";
    for (const std::string& line : daemon_->lines()) std::fprintf(out, "%s\n", line.c_str());
    std::fclose(out);
    return path;
  }

  uint64_t wanted_;
  test::TempDir dir_;
  Loopback listener_{true}, closed_{false};
  SoakSetup setup_;
  std::string config_;
  std::unique_ptr<test::DaemonProcess> daemon_;
  pid_t pid_ = 0;
  std::unique_ptr<RunVerifier> verifier_;
  LogFacts log_;
  LeakWatch leaks_{markerBase(), selfDir() + "/checker-worker"};
  AtRest baseline_, end_;
  std::vector<std::string> afterStop_;
  std::string crashed_, aborted_;
  bool stopped_ = false;
  int stopStatus_ = 0;
  long rssAtStart_ = 0, peakRssKiB_ = 0, hwmKiB_ = 0;
  Clock::time_point start_, lastProgress_, lastRun_, lastScan_;
};

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker::bench;
  long long runs = argc > 1 ? std::atoll(argv[1]) : 10'000;
  if (argc > 2 || runs <= 0) {
    std::fprintf(stderr, "usage: checker-bench-soak [HOSTILE_RUNS]   (default 10000; run as root)\n");
    return 100;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  catchStopSignals();
  try {
    Soak soak(static_cast<uint64_t>(runs));
    return soak.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-soak: %s\n", e.what());
    return 1;
  }
}
