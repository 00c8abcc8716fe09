// checker-bench-checks [SECONDS=30] [RATE=1000]: the cost of a TCP check
// (issue 16), next to the floors measured in the same run.
//   - a real in-process Supervisor (launcher, sandboxed workers, LMDB
//     state) with RATE `tcp` jobs every second against loopback listeners
//     served by a child process outside the measured cgroup, for SECONDS,
//     with isolation = run, then batch, then batch with 3 in 10 targets
//     hanging (their SYNs dropped; connect_timeout 2 s);
//   - CPU per check of the whole tree (this process, the launcher, the
//     workers) from a cgroup of its own, split supervisor / the rest;
//     checks/s done vs asked; lateness p50/p99/max; overruns;
//   - the floors: a tight connect+close loop, posix_spawn of a static binary;
//   - Monit and blackbox_exporter on the same targets when installed.
// Prints figures beside issue 16's targets; asserts nothing.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "bench/bench_util.h"
#include "bench/check_others.h"
#include "bench/check_targets.h"
#include "common/log.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/state_keys.h"
#include "supervisor/supervisor.h"

namespace checker::bench {
namespace {

struct Phase {
  std::string name;
  Isolation isolation = Isolation::run;
  std::vector<uint16_t> healthy, hanging;
  int seconds = 30;
  int connectTimeoutMs = 10'000;
};

struct Outcomes {
  uint64_t runs = 0;
  std::map<std::string, uint64_t> byOutcome;  // "ok" -> n
  std::string example;                        // a message of a run that was not ok
};

struct PhaseFigures {
  double cpuMs = -1, selfMs = 0, seconds = 0;
  uint64_t finished = 0, asked = 0, overruns = 0, spawnFailures = 0, accepted = 0;
  std::vector<double> lateHealthy, lateHanging;
  Outcomes healthy, hanging;
};

std::vector<JobDefinition> tcpJobs(const Phase& phase) {
  JobSectionSettings settings;
  settings.type = "tcp";
  settings.section = settings.name = "bench";
  settings.schedule = Schedule{Schedule::Kind::interval, Milliseconds(1000)};
  settings.isolation = phase.isolation;
  settings.targetIdPrefix = "tcp:";
  settings.targetInName = true;
  settings.targetParams = TargetParams::hostPort;
  settings.params = {{"connect_timeout_ms", std::to_string(phase.connectTimeoutMs)}};
  auto shared = std::make_shared<const JobSectionSettings>(std::move(settings));
  std::vector<JobDefinition> jobs;
  for (const auto* ports : {&phase.healthy, &phase.hanging}) {
    for (uint16_t port : *ports) jobs.emplace_back("tcp:127.0.0.1:" + std::to_string(port), shared);
  }
  return jobs;
}

// Every run of JOBS as the state's history has it.
void countOutcomes(StateStore& store, const std::vector<JobDefinition>& jobs, size_t from, size_t to, Outcomes& out) {
  ReadTransaction txn = store.beginRead();
  for (size_t i = from; i < to; ++i) {
    txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(jobs[i].id()), [&](auto, std::string_view value) {
      auto decoded = ipc::decode(value);
      auto run = decoded->root<ipc::RunRecord>();
      ++out.runs;
      ++out.byOutcome[outcomeName(run.getOutcome())];
      if (run.getOutcome() != ipc::Outcome::OK && out.example.empty()) out.example = run.getMessage().cStr();
      return true;
    });
  }
}

struct StopTimers {
  uv_timer_t over{}, poll{};
  uv_signal_t signals[3]{};  // beside the supervisor's own: a stop signal ends the benchmark too
  Supervisor* supervisor = nullptr;
  bool timeUp = false;
};

void closeStopTimers(StopTimers& s) {
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&s.over), reinterpret_cast<uv_handle_t*>(&s.poll),
                         reinterpret_cast<uv_handle_t*>(&s.signals[0]), reinterpret_cast<uv_handle_t*>(&s.signals[1]),
                         reinterpret_cast<uv_handle_t*>(&s.signals[2])}) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
}

// Stops SUPERVISOR after SECONDS, or at once on a stop signal.
void armStopTimers(uv_loop_t* loop, StopTimers& timers, Supervisor& supervisor, int seconds) {
  timers.supervisor = &supervisor;
  uv_timer_init(loop, &timers.over);
  uv_timer_init(loop, &timers.poll);
  timers.over.data = timers.poll.data = &timers;
  uv_timer_start(&timers.over, [](uv_timer_t* t) {
    auto* s = static_cast<StopTimers*>(t->data);
    s->timeUp = true;
    s->supervisor->beginStop("benchmark over");
    closeStopTimers(*s);
  }, static_cast<uint64_t>(seconds) * 1000, 0);
  uv_timer_start(&timers.poll, [](uv_timer_t* t) {  // a signal that came before the handlers below
    auto* s = static_cast<StopTimers*>(t->data);
    if (stopSignal == 0) return;
    s->supervisor->beginStop("interrupted");
    closeStopTimers(*s);
  }, 100, 100);
  int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; ++i) {
    uv_signal_init(loop, &timers.signals[i]);
    timers.signals[i].data = &timers;
    uv_signal_start(&timers.signals[i], [](uv_signal_t* h, int sig) {
      stopSignal = sig;
      auto* s = static_cast<StopTimers*>(h->data);
      s->supervisor->beginStop("interrupted");
      closeStopTimers(*s);
    }, sigs[i]);
  }
}

PhaseFigures runPhase(const Phase& phase, const CgroupCpu& cgroup, const LoopbackTargets& targets) {
  ScopedTempDir temp("checker-bench-checks");
  const std::string& dir = temp.path;
  Config config;
  config.path = dir + "/bench.cfg";
  config.general.serverName = "bench";
  config.general.alertContacts = {"bench@localhost"};
  config.general.stateDir = dir + "/state";
  std::vector<JobDefinition> jobs = tcpJobs(phase);
  std::vector<JobDefinition> kept = jobs;
  PhaseFigures f;
  f.asked = jobs.size() * static_cast<uint64_t>(phase.seconds);
  StateStore store = StateStore::openForWriting(config.general.stateDir);
  uv_loop_t loop;
  uv_loop_init(&loop);
  SupervisorOptions options;
  options.workerPath = selfDir() + "/checker-worker";
  size_t healthyCount = phase.healthy.size();
  options.onRunStarted = [&](size_t job, int64_t due, int64_t start) {
    (job < healthyCount ? f.lateHealthy : f.lateHanging).push_back(static_cast<double>(start - due));
  };
  double cpu0 = cgroup.usageMs(), self0 = selfCpuMs();
  uint64_t accepted0 = targets.accepted();
  auto started = std::chrono::steady_clock::now();
  {
    Supervisor supervisor(&loop, config, std::move(jobs), store, options);
    supervisor.start();
    StopTimers timers;
    armStopTimers(&loop, timers, supervisor, phase.seconds);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    catchStopSignals();  // the supervisor's own handlers are gone with it
    if (!timers.timeUp) throw std::runtime_error("interrupted during phase " + phase.name);
    f.finished = supervisor.stats().runsFinished;
    f.overruns = supervisor.stats().overruns;
    f.spawnFailures = supervisor.stats().spawnFailures;
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  f.cpuMs = cpu0 < 0 ? -1 : cgroup.usageMs() - cpu0;
  f.selfMs = selfCpuMs() - self0;
  f.accepted = targets.accepted() - accepted0;
  countOutcomes(store, kept, 0, healthyCount, f.healthy);
  countOutcomes(store, kept, healthyCount, kept.size(), f.hanging);
  return f;
}

std::string outcomesText(const Outcomes& o) {
  std::string text;
  for (const auto& [name, n] : o.byOutcome) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + name;
  if (!o.example.empty()) text += " (e.g. \"" + o.example + "\")";
  return text.empty() ? "none" : text;
}

const char* yesNo(bool met) { return met ? "MET" : "NOT MET"; }

// All asked checks done but the few in flight when the phase stopped.
bool keptUp(const PhaseFigures& f) { return static_cast<double>(f.finished) >= 0.999 * static_cast<double>(f.asked); }

// Prints PHASE's figures; returns its CPU per check in microseconds (-1: unknown).
double report(const Phase& phase, const PhaseFigures& f, const Floor& spawn) {
  double perCheckUs = f.cpuMs < 0 || f.finished == 0 ? -1 : f.cpuMs * 1000.0 / static_cast<double>(f.finished);
  double selfUs = f.finished == 0 ? 0 : f.selfMs * 1000.0 / static_cast<double>(f.finished);
  std::printf("\n[%s] %zu jobs every 1 s (%zu hanging), %d s, wall %.1f s\n", phase.name.c_str(),
              phase.healthy.size() + phase.hanging.size(), phase.hanging.size(), phase.seconds, f.seconds);
  std::printf("  checks done %llu of %llu asked: %.0f/s of %.0f/s; %llu overruns, %llu spawn failures; "
              "connections accepted %llu\n",
              static_cast<unsigned long long>(f.finished), static_cast<unsigned long long>(f.asked),
              static_cast<double>(f.finished) / phase.seconds, static_cast<double>(f.asked) / phase.seconds,
              static_cast<unsigned long long>(f.overruns), static_cast<unsigned long long>(f.spawnFailures),
              static_cast<unsigned long long>(f.accepted));
  if (perCheckUs >= 0) {
    std::printf("  CPU per check: %.0f us (supervisor %.0f us, launcher + workers %.0f us) = %.2fx the posix_spawn "
                "floor; whole tree %.2f cores\n",
                perCheckUs, selfUs, perCheckUs - selfUs, perCheckUs / spawn.cpuUsEach, f.cpuMs / 1000.0 / f.seconds);
  } else {
    std::printf("  CPU per check: not measured (supervisor alone %.0f us)\n", selfUs);
  }
  std::printf("  lateness%s: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu starts)\n",
              phase.hanging.empty() ? "" : " of the healthy jobs", percentile(f.lateHealthy, 50),
              percentile(f.lateHealthy, 99), percentile(f.lateHealthy, 100), f.lateHealthy.size());
  if (!phase.hanging.empty()) {
    std::printf("  lateness of the hanging jobs: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", percentile(f.lateHanging, 50),
                percentile(f.lateHanging, 99), percentile(f.lateHanging, 100));
  }
  std::printf("  outcomes of the healthy jobs: %s\n", outcomesText(f.healthy).c_str());
  if (!phase.hanging.empty()) std::printf("  outcomes of the hanging jobs: %s\n", outcomesText(f.hanging).c_str());
  return perCheckUs;
}

}  // namespace
}  // namespace checker::bench

namespace {
using namespace checker::bench;

void printFloors(const char* when, const Floor& connect, const Floor& spawn) {
  std::printf("floors (%s): TCP connect+close %.1f us CPU (%.1f us wall, n=%llu); posix_spawn+waitpid of a static "
              "binary %.0f us CPU (%.0f us wall, n=%llu)\n",
              when, connect.cpuUsEach, connect.wallUsEach, static_cast<unsigned long long>(connect.count),
              spawn.cpuUsEach, spawn.wallUsEach, static_cast<unsigned long long>(spawn.count));
}

double otherPerCheck(const std::optional<OtherFigures>& o) {
  if (!o || o->cpuMs < 0 || o->checks == 0) return -1;
  double us = o->cpuMs * 1000.0 / static_cast<double>(o->checks);
  std::printf("\n[%s] %.1f s: %llu checks done of %llu asked (%.0f/s); CPU per check %.0f us, %.2f cores (%s)%s%s\n",
              o->what.c_str(), o->seconds, static_cast<unsigned long long>(o->checks),
              static_cast<unsigned long long>(o->asked), static_cast<double>(o->checks) / o->seconds, us,
              o->cpuMs / 1000.0 / o->seconds, o->cpuFrom.c_str(), o->note.empty() ? "" : "; ", o->note.c_str());
  return us;
}

// Issue 16's targets beside the figures measured.
void printTargets(const PhaseFigures& runF, const PhaseFigures& batchF, PhaseFigures& hangF, double runUs, double batchUs,
                  double monitUs, double blackboxUs, double spawnUs, int seconds) {
  std::printf("\nissue 16's targets (figures above; a target needs RATE at least its rate):\n");
  double runRate = static_cast<double>(runF.finished) / seconds;
  bool runAsked = static_cast<double>(runF.asked) / seconds >= 999.9;
  std::printf("  run: >= 1,000 TCP checks/s on two cores, p99 lateness < 50 ms: %.0f/s, p99 %.0f ms: %s\n", runRate,
              percentile(runF.lateHealthy, 99),
              yesNo(runAsked && keptUp(runF) && percentile(runF.lateHealthy, 99) < 50));
  std::printf("  run: CPU per TCP check <= 1.5x the posix_spawn floor: %.2fx: %s\n", runUs / spawnUs,
              yesNo(runUs >= 0 && runUs <= 1.5 * spawnUs));
  double batchRate = static_cast<double>(batchF.finished) / seconds;
  double batchCores = batchF.cpuMs / 1000.0 / batchF.seconds;
  double batchAsked = static_cast<double>(batchF.asked) / seconds;
  std::printf("  batch: 100,000 TCP checks a minute (1,667/s) under half a core: %.0f/s on %.2f cores: %s\n", batchRate,
              batchCores, yesNo(batchAsked >= 1666.6 && keptUp(batchF) && batchF.cpuMs >= 0 && batchCores < 0.5));
  if (blackboxUs > 0) {
    std::printf("  batch: CPU per check below blackbox_exporter's: %.0f us vs %.0f us: %s\n", batchUs, blackboxUs,
                yesNo(batchUs >= 0 && batchUs < blackboxUs));
  } else {
    std::printf("  batch: CPU per check below blackbox_exporter's: %.0f us; blackbox not measured\n", batchUs);
  }
  if (monitUs > 0) {
    std::printf("  batch: CPU per check within 3x Monit's: %.0f us vs %.0f us (%.2fx): %s\n", batchUs, monitUs,
                batchUs / monitUs, yesNo(batchUs >= 0 && batchUs <= 3 * monitUs));
  } else {
    std::printf("  batch: CPU per check within 3x Monit's: %.0f us; Monit not measured\n", batchUs);
  }
  bool healthyOk = hangF.healthy.runs > 0 && hangF.healthy.byOutcome["ok"] == hangF.healthy.runs;
  std::printf("  batch, 3 in 10 hanging: healthy p99 lateness < 50 ms and every healthy check ok: p99 %.0f ms, %llu "
              "of %llu ok: %s\n",
              percentile(hangF.lateHealthy, 99), static_cast<unsigned long long>(hangF.healthy.byOutcome["ok"]),
              static_cast<unsigned long long>(hangF.healthy.runs),
              yesNo(healthyOk && percentile(hangF.lateHealthy, 99) < 50));
}

int benchMain(int seconds, int rate) {
  int hanging = rate * 3 / 10;
  auto started = LoopbackTargets::start(rate, hanging);
  if (!started) {
    std::fprintf(stderr, "checker-bench-checks: %s\n", started.error().c_str());
    return 1;
  }
  LoopbackTargets& targets = **started;
  CgroupCpu cgroup("checker-bench-checks-" + std::to_string(::getpid()));
  if (checker::Result<> added = cgroup.add(::getpid()); !added) std::printf("CPU of the tree: %s\n", added.error().c_str());
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  std::printf("checker-bench-checks: %d s per phase, %d tcp jobs every 1 s; CPU from %s; %ld CPUs, load %.2f %.2f "
              "%.2f; %s\n",
              seconds, rate, cgroup.describe().c_str(), ::sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2],
              ::geteuid() == 0 ? "root (workers drop privileges)" : "not root");
  std::string trivial = selfDir() + "/checker-bench-trivial";
  Floor connect = connectFloor(targets.healthyPorts(), 2000), spawn = spawnFloor(trivial, 2000);
  printFloors("start", connect, spawn);

  std::vector<uint16_t> healthy = targets.healthyPorts();
  Phase run{"isolation = run", checker::Isolation::run, healthy, {}, seconds};
  Phase batch{"isolation = batch", checker::Isolation::batch, healthy, {}, seconds};
  size_t keep = healthy.size() - static_cast<size_t>(hanging);
  Phase hang{"isolation = batch, 3 in 10 targets hanging", checker::Isolation::batch,
             std::vector<uint16_t>(healthy.begin(), healthy.begin() + static_cast<long>(keep)), targets.hangingPorts(),
             seconds, 2000};
  PhaseFigures runF = runPhase(run, cgroup, targets);
  double runUs = report(run, runF, spawn);
  PhaseFigures batchF = runPhase(batch, cgroup, targets);
  double batchUs = report(batch, batchF, spawn);
  PhaseFigures hangF = runPhase(hang, cgroup, targets);
  report(hang, hangF, spawn);

  double monitUs = otherPerCheck(measureMonit(targets, healthy, seconds));
  interrupted();
  double blackboxUs = otherPerCheck(measureBlackbox(targets, healthy, seconds));
  interrupted();
  Floor connect2 = connectFloor(targets.healthyPorts(), 2000), spawn2 = spawnFloor(trivial, 2000);
  printFloors("end", connect2, spawn2);

  printTargets(runF, batchF, hangF, runUs, batchUs, monitUs, blackboxUs, spawn.cpuUsEach, seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 30;
  int rate = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (seconds <= 0 || rate <= 0) {
    std::fprintf(stderr, "usage: checker-bench-checks [SECONDS=30] [RATE=1000]\n");
    return 2;
  }
  checker::log::setMinimumLevel(checker::log::Level::error);
  catchStopSignals();
  try {
    return benchMain(seconds, rate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-checks: %s\n", e.what());
    return 1;
  }
}
