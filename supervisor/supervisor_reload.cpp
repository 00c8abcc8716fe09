// Reloading the config while checkerd runs (SIGHUP, `checker reload`). A
// job's identity is its id (DESIGN: type, section and target), so a job
// whose id is in the new config is the same job: it keeps its state, its
// schedule phase and any run in progress, and takes the new settings from
// its next run. Jobs are never moved in jobs_ (runs and queries refer to
// them by index): a removed job is retired in place and its slot reused
// once it is idle (RunEngine::replaceJobs).
#include "common/log.h"
#include "supervisor/supervisor.h"

namespace checker {
namespace {

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

Supervisor::ReloadResult Supervisor::refuseReload(const std::string& trigger, const std::string& why) {
  CHECKER_LOG_ERROR("reload (%s) refused, the running config stays:\n%s", trigger.c_str(), why.c_str());
  ReloadResult result;
  result.message = "the running config stays: " + why;
  writer_.recordReload(clock_.wallMs(), false, result.message);
  return result;
}

void Supervisor::reload(const char* trigger, ReloadDone done) {
  if (stopping_ || !options_.reloadConfig) {
    ReloadResult refused = refuseReload(trigger, stopping_ ? "checkerd is stopping" : "this checkerd cannot reload");
    scheduleFlush();
    if (done) done(refused);
    return;
  }
  if (reloadRead_.inFlight) {
    reloadRead_.again = true;
    reloadRead_.nextTrigger = trigger;
    if (done) reloadRead_.next.push_back(std::move(done));
    return;
  }
  reloadRead_.trigger = trigger;
  if (done) reloadRead_.waiting.push_back(std::move(done));
  startReloadRead();
}

void Supervisor::startReloadRead() {
  CHECKER_LOG_INFO("reload (%s): reading %s", reloadRead_.trigger.c_str(), config_.path.c_str());
  reloadRead_.inFlight = true;
  reloadRead_.loaded = LoadedConfig{};
  reloadRead_.failure.clear();
  reloadRead_.work.data = this;
  int rc = uv_queue_work(
      loop_, &reloadRead_.work,
      [](uv_work_t* w) {
        // Pool thread: touches nothing but reloadRead_.loaded and .failure.
        auto* self = static_cast<Supervisor*>(w->data);
        try {
          self->reloadRead_.loaded = self->options_.reloadConfig();
        } catch (const std::exception& e) {
          self->reloadRead_.failure = e.what();
        }
      },
      [](uv_work_t* w, int) { static_cast<Supervisor*>(w->data)->onReloadRead(); });
  if (rc != 0) {
    reloadRead_.failure = std::string("could not start reading the config: ") + uv_strerror(rc);
    onReloadRead();
  }
}

void Supervisor::onReloadRead() {
  reloadRead_.inFlight = false;
  ReloadResult result;
  if (stopping_) {
    result = refuseReload(reloadRead_.trigger, "checkerd is stopping");
  } else if (!reloadRead_.failure.empty()) {
    result = refuseReload(reloadRead_.trigger, reloadRead_.failure);
  } else {
    result = applyReload(reloadRead_.trigger, reloadRead_.loaded);
  }
  scheduleFlush();
  reloadRead_.loaded = LoadedConfig{};
  std::vector<ReloadDone> answered = std::move(reloadRead_.waiting);
  reloadRead_.waiting.clear();
  if (reloadRead_.again) {
    reloadRead_.again = false;
    reloadRead_.trigger = reloadRead_.nextTrigger;
    reloadRead_.waiting = std::move(reloadRead_.next);
    reloadRead_.next.clear();
    if (stopping_) {
      ReloadResult refused = refuseReload(reloadRead_.trigger, "checkerd is stopping");
      for (ReloadDone& done : reloadRead_.waiting) done(refused);
      reloadRead_.waiting.clear();
    } else {
      startReloadRead();
    }
  }
  for (ReloadDone& done : answered) done(result);
}

Supervisor::ReloadResult Supervisor::applyReload(const std::string& trigger, LoadedConfig& loaded) {
  if (!loaded.ok()) return refuseReload(trigger, joinLines(loaded.errors));
  for (const std::string& w : loaded.warnings) CHECKER_LOG_WARN("%s", w.c_str());
  if (loaded.config.general.stateDir != config_.general.stateDir) {
    return refuseReload(trigger, "statefile changed from " + config_.general.stateDir + " to " +
                                     loaded.config.general.stateDir +
                                     ": the state cannot move under a running checkerd; restart it");
  }
  RunEngine::Reconciled jobs = engine_.replaceJobs(
      std::move(loaded.jobs), [this](const std::string& id) { return writer_.readJobRecord(id); });
  writeJobList();
  Config before = std::move(config_);
  config_ = std::move(loaded.config);
  writer_.setRetention(config_.general.history);
  // Each reads the config file itself: a restart is how it sees the change.
  mail_.restartIfChanged(before);
  peers_.restartIfChanged(before);
  peers_.pushJobList();
  engine_.chooseRunners([this](const JobDefinition& job) { return runnerFor(job); });
  armTimer(engine_.schedule());
  gate_.jobsChanged();  // who depends on whom, and what a window covers, may differ
  ReloadResult result;
  result.ok = true;
  result.message = std::to_string(jobs.active) + " job(s): " + std::to_string(jobs.added) + " added, " +
                   std::to_string(jobs.removed) + " removed, " + std::to_string(jobs.active - jobs.added) +
                   " kept (" + std::to_string(jobs.changed) + " with a new schedule or policy)";
  CHECKER_LOG_INFO("reload (%s): %s", trigger.c_str(), result.message.c_str());
  writer_.recordReload(clock_.wallMs(), true, result.message);
  return result;
}

}  // namespace checker
