// checker-bench-schedule: the scheduler under load, and the supervisor's size.
//   1. lateness: 1,000 no-op jobs every 6 s (10,000 runs/min) in a real
//      Supervisor with real sandboxed workers for SECONDS seconds; prints
//      p50/p99/max of (start - due) and the run rate achieved;
//   2. throughput: 500 to 3,000 jobs every second for 10 s each: the run
//      rate the supervisor sustains on this machine, and its lateness.
//   3. memory: a real checkerd with 10,000 jobs configured (daily, so none
//      runs during the measurement); prints its VmRSS once it is scheduling.
// Prints its figures; asserts nothing. `checker-bench-schedule memory` runs
// only part 3.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/bench_util.h"
#include "common/log.h"
#include "supervisor/supervisor.h"

extern char** environ;

namespace checker::bench {
namespace {

std::string makeTempDir() {
  char dir[] = "/tmp/checker-bench-XXXXXX";
  std::string path = ::mkdtemp(dir);
  ::chmod(path.c_str(), 0755);
  return path;
}

// JOBS no-op jobs every INTERVAL_MS in a real Supervisor for SECONDS.
void load(int jobCount, int intervalMs, int seconds) {
  std::string dir = makeTempDir();
  Config config;
  config.path = dir + "/bench.cfg";
  config.general.serverName = "bench";
  config.general.alertContacts = {"bench@localhost"};
  config.general.stateDir = dir + "/state";
  config.general.pluginDir = selfDir() + "/../bench-plugins";
  std::vector<JobDefinition> jobs;
  for (int i = 0; i < jobCount; ++i) {
    JobSectionSettings settings;
    settings.type = "NoopCheck";
    settings.section = settings.name = "job" + std::to_string(i);
    settings.schedule = Schedule{Schedule::Kind::interval, Milliseconds(intervalMs)};
    jobs.emplace_back("plugin:NoopCheck:job" + std::to_string(i),
                      std::make_shared<const JobSectionSettings>(std::move(settings)));
  }
  std::vector<double> late;
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  double selfBefore = (before.ru_utime.tv_sec + before.ru_stime.tv_sec) * 1000.0 +
                      (before.ru_utime.tv_usec + before.ru_stime.tv_usec) / 1000.0;
  getrusage(RUSAGE_CHILDREN, &before);
  double childrenBefore = (before.ru_utime.tv_sec + before.ru_stime.tv_sec) * 1000.0 +
                          (before.ru_utime.tv_usec + before.ru_stime.tv_usec) / 1000.0;
  StateStore store = StateStore::openForWriting(config.general.stateDir);
  uv_loop_t loop;
  uv_loop_init(&loop);
  SupervisorOptions options;
  options.workerPath = selfDir() + "/checker-worker";
  options.onRunStarted = [&](size_t, int64_t due, int64_t start) { late.push_back(static_cast<double>(start - due)); };
  Supervisor supervisor(&loop, config, std::move(jobs), store, options);
  supervisor.start();
  uv_timer_t stop;
  uv_timer_init(&loop, &stop);
  stop.data = &supervisor;
  uv_timer_start(&stop, [](uv_timer_t* t) {
    static_cast<Supervisor*>(t->data)->beginStop("benchmark over");
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }, static_cast<uint64_t>(seconds) * 1000, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  const SupervisorStats& s = supervisor.stats();
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto cpuMs = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000.0 + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1000.0;
  };
  double perRunSelf = (cpuMs(self) - selfBefore) / static_cast<double>(s.runsFinished);
  double perRunChildren = (cpuMs(children) - childrenBefore) / static_cast<double>(s.runsFinished);
  double wanted = jobCount * 1000.0 / intervalMs;
  std::printf("%5d jobs every %5d ms (%6.0f runs/s wanted) for %d s: %6.0f runs/s done; lateness p50 %4.0f ms, p99 %5.0f "
              "ms, max %5.0f ms; %llu overruns, %llu spawn failures\n",
              jobCount, intervalMs, wanted, seconds, static_cast<double>(s.runsFinished) / seconds, percentile(late, 50),
              percentile(late, 99), percentile(late, 100), static_cast<unsigned long long>(s.overruns),
              static_cast<unsigned long long>(s.spawnFailures));
  std::printf("      CPU per run: supervisor %.2f ms, worker and its children %.2f ms\n", perRunSelf, perRunChildren);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

void memory() {
  std::string dir = makeTempDir();
  std::ofstream cfg(dir + "/settings.cfg");
  cfg << "[general]\nservername = bench\nalertcontact = bench@localhost\nstatefile = " << dir << "/state\n"
      << "[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n";
  for (int section = 0; section < 100; ++section) {
    cfg << "[job s" << section << "]\ntype = tcp\nevery = day\ntargets = ";
    for (int t = 0; t < 100; ++t) cfg << (t ? ", " : "") << "127.0.0." << (section + 1) << ":" << (1000 + t);
    cfg << "\n";
  }
  cfg.close();
  std::string checkerd = selfDir() + "/checkerd", config = dir + "/settings.cfg";
  char* argv[] = {checkerd.data(), const_cast<char*>("-c"), config.data(), nullptr};
  pid_t pid;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, (dir + "/log").c_str(), O_WRONLY | O_CREAT, 0644);
  ::posix_spawn(&pid, checkerd.c_str(), &actions, nullptr, argv, environ);
  // Wait for "scheduling" in its log: it has loaded everything by then.
  for (int i = 0; i < 500; ++i) {
    std::ifstream log(dir + "/log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    if (text.find("scheduling") != std::string::npos) break;
    ::usleep(20'000);
  }
  long rss = rssKiB(pid);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::printf("checkerd RSS with 10,000 jobs configured: %.1f MiB\n", static_cast<double>(rss) / 1024.0);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  bool memoryOnly = argc > 1 && std::string(argv[1]) == "memory";
  int seconds = argc > 1 && !memoryOnly ? std::atoi(argv[1]) : 30;
  checker::log::setMinimumLevel(checker::log::Level::error);
  checker::bench::memory();
  if (memoryOnly) return 0;
  checker::bench::load(1000, 6000, seconds);  // 10,000 runs/min
  for (int jobs : {500, 1000, 2000, 2500, 3000}) checker::bench::load(jobs, 1000, 10);
  return 0;
}
