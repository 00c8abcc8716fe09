// checker-bench-schedule: the scheduler under load, and the supervisor's size.
//   1. lateness: 1,000 no-op jobs every 6 s (10,000 runs/min) in a real
//      Supervisor with real sandboxed workers for SECONDS seconds; prints
//      p50/p99/max of (start - due) and the run rate achieved.
//   2. memory: a real checkerd with 10,000 jobs configured (daily, so none
//      runs during the measurement); prints its VmRSS once it is scheduling.
// Prints its figures; asserts nothing.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

void lateness(int seconds) {
  std::string dir = makeTempDir();
  Config config;
  config.path = dir + "/bench.cfg";
  config.general.serverName = "bench";
  config.general.alertContacts = {"bench@localhost"};
  config.general.stateDir = dir + "/state";
  config.general.pluginDir = selfDir() + "/../bench-plugins";
  std::vector<JobDefinition> jobs;
  for (int i = 0; i < 1000; ++i) {
    JobDefinition job;
    job.id = "plugin:NoopCheck:job" + std::to_string(i);
    job.name = "job" + std::to_string(i);
    job.type = "NoopCheck";
    job.schedule = Schedule{Schedule::Kind::interval, Milliseconds(6000)};
    jobs.push_back(std::move(job));
  }
  std::vector<double> late;
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
  std::printf("lateness at 10,000 runs/min over %d s: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu runs, %.0f runs/min, "
              "%llu overruns, %llu spawn failures)\n",
              seconds, percentile(late, 50), percentile(late, 99), percentile(late, 100), late.size(),
              static_cast<double>(late.size()) * 60.0 / seconds, static_cast<unsigned long long>(s.overruns),
              static_cast<unsigned long long>(s.spawnFailures));
  std::system(("rm -rf " + dir).c_str());
}

void memory() {
  std::string dir = makeTempDir();
  std::ofstream cfg(dir + "/settings.cfg");
  cfg << "[general]\nservername = bench\nalertcontact = bench@localhost\nstatefile = " << dir << "/state\n"
      << "[email]\nnomail = yes\n";
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
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 30;
  checker::log::setMinimumLevel(checker::log::Level::error);
  checker::bench::memory();
  checker::bench::lateness(seconds);
  return 0;
}
