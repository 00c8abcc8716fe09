// Worker runs in their sandbox, forked by the worker launcher.
#include "supervisor/worker_run_launcher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"
#include "common/sys_error.h"
#include "worker_runs/builtin_network_types.h"
#include "worker_runs/probe_request.h"
#include "worker_runs/run_request.h"

namespace checker {

WorkerRunLauncher::WorkerRunLauncher(uv_loop_t* loop, const Config& config, std::string workerPath, JobUser jobUser)
    : loop_(loop), config_(config), workerPath_(std::move(workerPath)), jobUser_(std::move(jobUser)) {}

WorkerRunLauncher::~WorkerRunLauncher() = default;

Result<> WorkerRunLauncher::start() {
  // An empty, root-owned working directory for every run.
  workDir_ = config_.general.stateDir + "/empty";
  if (::mkdir(workDir_.c_str(), 0555) != 0 && errno != EEXIST) return Error{describeErrno("mkdir", workDir_, errno)};
  if (jobUser_.drop) CHECKER_LOG_INFO("sandbox: jobs run as %s", jobUser_.describe().c_str());
  cgroups_ = std::make_unique<RunCgroups>(RunCgroups::detect());
  if (cgroups_->mode() == RunCgroups::Mode::none) {
    CHECKER_LOG_WARN("per-run cgroups unavailable (%s): limits fall back to rlimits (RLIMIT_NPROC per user)",
                     cgroups_->whyNot().c_str());
  } else {
    int stale = cgroups_->sweepStale();
    CHECKER_LOG_INFO("sandbox: %s%s", cgroups_->describe().c_str(),
                     stale > 0 ? (", removed " + std::to_string(stale) + " stale run cgroup(s)").c_str() : "");
  }
  uv_timer_init(loop_, &cleanupTimer_);
  cleanupTimer_.data = this;
  timerOpen_ = true;
  launcher_ = std::make_unique<WorkerLauncher>(loop_, workerPath_);
  return launcher_->start();
}

void WorkerRunLauncher::setOnReady(std::function<void()> onReady) { launcher_->setOnReady(std::move(onReady)); }

bool WorkerRunLauncher::ready() const { return launcher_ && launcher_->ready(); }

Result<> WorkerRunLauncher::launch(const JobDefinition& job, uint64_t runId, int64_t startUnixMs, Done done) {
  WorkerRunSpec spec;
  spec.workerPath = workerPath_;
  spec.timeoutMs = static_cast<uint32_t>(job.limits().timeout.count()) + kSupervisorDeadlineGraceMs;
  spec.spareKind = spareKindFor(job.type());
  spec.request = buildRunRequest(job, config_.general.serverName, config_.general.pluginDir,
                                 startUnixMs + job.limits().timeout.count(),
                                 planSandbox(cgroups_.get(), job, runId, workDir_, jobUser_));
  Result<WorkerRun*> run = WorkerRun::launch(
      loop_, *launcher_, runId, spec,
      [this, runId, done = std::move(done)](WorkerRunReport&& report) { onRunDone(runId, done, std::move(report)); });
  if (!run) {
    releaseSandbox(runId);
    return Error{run.error()};
  }
  runs_[runId] = *run;
  return {};
}

Result<ProbeWorker*> WorkerRunLauncher::launchProbeWorker(uint64_t runId, ProbeWorker::Listener* listener) {
  if (!ready()) return Error{"the worker launcher is restarting"};
  JobSectionSettings settings;
  settings.type = "probes";
  settings.name = "probe worker";
  settings.system = true;
  settings.limits = probeWorkerLimits();
  JobDefinition worker("system:probe-worker", std::make_shared<const JobSectionSettings>(std::move(settings)));
  SandboxPlan plan = planSandbox(cgroups_.get(), worker, runId, workDir_, jobUser_);
  Result<ProbeWorker*> launched =
      ProbeWorker::launch(loop_, *launcher_, runId, buildProbeSessionRequest(plan, kProbesInFlight), listener);
  if (!launched) releaseSandbox(runId);
  return launched;
}

bool WorkerRunLauncher::releaseProbeWorker(uint64_t runId) {
  WorkerRunReport report;
  releaseSandbox(runId, &report);
  return report.observation.memoryLimitHit;
}

void WorkerRunLauncher::kill(uint64_t runId) {
  auto found = runs_.find(runId);
  if (found != runs_.end()) found->second->killNow();
}

void WorkerRunLauncher::onRunDone(uint64_t runId, const Done& done, WorkerRunReport&& report) {
  runs_.erase(runId);
  releaseSandbox(runId, &report);
  done(std::move(report));
}

void WorkerRunLauncher::releaseSandbox(uint64_t runId, WorkerRunReport* report) {
  if (!cgroups_ || cgroups_->mode() == RunCgroups::Mode::none) return;
  if (report != nullptr) report->observation.memoryLimitHit = cgroups_->runHitMemoryLimit(runId);
  if (cgroups_->cleanupRun(runId).removed) return;
  pendingCleanups_.push_back(runId);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&cleanupTimer_))) {
    uv_timer_start(&cleanupTimer_, [](uv_timer_t* t) { static_cast<WorkerRunLauncher*>(t->data)->retryCleanups(); },
                   50, 0);
  }
}

void WorkerRunLauncher::retryCleanups() {
  std::vector<uint64_t> still;
  for (uint64_t runId : pendingCleanups_) {
    if (!cgroups_->cleanupRun(runId).removed) still.push_back(runId);
  }
  pendingCleanups_ = std::move(still);
  if (!pendingCleanups_.empty() && timerOpen_) {
    uv_timer_start(&cleanupTimer_, [](uv_timer_t* t) { static_cast<WorkerRunLauncher*>(t->data)->retryCleanups(); },
                   100, 0);
  }
}

void WorkerRunLauncher::finishCleanups() {
  for (int attempt = 0; attempt < 200 && !pendingCleanups_.empty(); ++attempt) {
    ::usleep(10'000);
    retryCleanups();
  }
}

void WorkerRunLauncher::stop() {
  if (timerOpen_) {
    timerOpen_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&cleanupTimer_), nullptr);
  }
  if (launcher_) launcher_->stop();
}

}  // namespace checker
