// Reloading the config while checkerd runs (SIGHUP, `checker reload`). A
// job's identity is its id (DESIGN: type, section and target), so a job
// whose id is in the new config is the same job: it keeps its state, its
// schedule phase and any run in progress, and takes the new settings from
// its next run. Jobs are never moved in jobs_ (runs and queries refer to
// them by index): a removed job is retired in place and its slot reused
// once it is idle.
#include <algorithm>
#include <unordered_map>

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

namespace {

Supervisor::ReloadResult refuseReload(StateWriter& writer, const std::string& trigger, const std::string& why) {
  CHECKER_LOG_ERROR("reload (%s) refused, the running config stays:\n%s", trigger.c_str(), why.c_str());
  Supervisor::ReloadResult result;
  result.message = "the running config stays: " + why;
  writer.recordReload(wallClockNowMs(), false, result.message);
  return result;
}

}  // namespace

void Supervisor::reload(const char* trigger, ReloadDone done) {
  if (stopping_ || !options_.reloadConfig) {
    ReloadResult refused = refuseReload(writer_, trigger, stopping_ ? "checkerd is stopping" : "this checkerd cannot reload");
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
    result = refuseReload(writer_, reloadRead_.trigger, "checkerd is stopping");
  } else if (!reloadRead_.failure.empty()) {
    result = refuseReload(writer_, reloadRead_.trigger, reloadRead_.failure);
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
      ReloadResult refused = refuseReload(writer_, reloadRead_.trigger, "checkerd is stopping");
      for (ReloadDone& done : reloadRead_.waiting) done(refused);
      reloadRead_.waiting.clear();
    } else {
      startReloadRead();
    }
  }
  for (ReloadDone& done : answered) done(result);
}

Supervisor::ReloadResult Supervisor::applyReload(const std::string& trigger, LoadedConfig& loaded) {
  ReloadResult result;
  int64_t now = wallClockNowMs();
  auto refuse = [&](const std::string& why) { return refuseReload(writer_, trigger, why); };
  if (!loaded.ok()) return refuse(joinLines(loaded.errors));
  for (const std::string& w : loaded.warnings) CHECKER_LOG_WARN("%s", w.c_str());
  if (loaded.config.general.stateDir != config_.general.stateDir) {
    return refuse("statefile changed from " + config_.general.stateDir + " to " + loaded.config.general.stateDir +
                  ": the state cannot move under a running checkerd; restart it");
  }
  writer_.setJobList(listedJobs(loaded.jobs));  // applied from here on: `checker status` lists these

  std::unordered_map<std::string, size_t> live;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    if (!jobs_[i].retired) live.emplace(jobs_[i].def.id(), i);
  }
  std::vector<bool> kept(jobs_.size(), false);
  size_t added = 0, removed = 0, changed = 0;
  std::vector<JobDefinition> fresh;
  for (JobDefinition& def : loaded.jobs) {
    auto found = live.find(def.id());
    if (found == live.end()) {
      fresh.push_back(std::move(def));
      continue;
    }
    Job& job = jobs_[found->second];
    kept[found->second] = true;
    if (job.def.settings().schedule != def.settings().schedule || !(job.def.notify() == def.notify())) ++changed;
    job.def = std::move(def);
    job.phaseMs = phaseForJob(job.def.id(), job.def.schedule());
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    if (!jobs_[i].retired && !kept[i]) {
      retireJob(i);
      ++removed;
    }
  }
  for (JobDefinition& def : fresh) {
    Job job(std::move(def));
    job.phaseMs = phaseForJob(job.def.id(), job.def.schedule());
    // Removed and added back: it carries on from its stored state.
    if (std::optional<JobRecord> stored = writer_.readJobRecord(job.def.id())) job.record = *stored;
    auto idle = std::find_if(jobs_.begin(), jobs_.end(), [](const Job& j) {
      return j.retired && j.phase == Phase::idle && !j.waiting && j.run == nullptr;
    });
    if (idle != jobs_.end()) {
      uint32_t generation = idle->generation;
      *idle = std::move(job);
      idle->generation = generation;  // scheduleAll moves it on: no stale queue entry applies
    } else {
      jobs_.push_back(std::move(job));
    }
    ++added;
  }
  Config before = std::move(config_);
  config_ = std::move(loaded.config);
  restartChangedHelpers(before);
  pushJobList();
  scheduleAll(now);
  armTimer(now);
  size_t active = static_cast<size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.retired; }));
  result.ok = true;
  result.message = std::to_string(active) + " job(s): " + std::to_string(added) + " added, " + std::to_string(removed) +
                   " removed, " + std::to_string(active - added) + " kept (" + std::to_string(changed) +
                   " with a new schedule or policy)";
  CHECKER_LOG_INFO("reload (%s): %s", trigger.c_str(), result.message.c_str());
  writer_.recordReload(now, true, result.message);
  return result;
}

void Supervisor::retireJob(size_t index) {
  Job& job = jobs_[index];
  job.retired = true;
  ++job.generation;
  if (job.waiting) {
    job.waiting = false;
    waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), index), waiting_.end());
  }
  if (job.phase == Phase::running) {
    CHECKER_LOG_INFO("job %s: removed by the reload; its run in progress finishes and is not recorded",
                     job.def.name().c_str());
  } else {
    CHECKER_LOG_INFO("job %s: removed by the reload", job.def.name().c_str());
  }
}

void Supervisor::restartChangedHelpers(const Config& before) {
  bool nameChanged = !(before.general == config_.general);
  // Each reads the config file itself: a restart is how it sees the change.
  // The outbox resends what the mailer had not answered (at least once).
  if (mailer_ && (nameChanged || !(before.email == config_.email))) {
    CHECKER_LOG_INFO("reload: [email] or [general] changed: restarting the mailer");
    mailer_->restart();
  }
  // peerd's page says whether nomail is set: the one [email] key it reads.
  if (peerd_ && (nameChanged || !(before.peers == config_.peers) || !(before.peerd == config_.peerd) ||
                 before.email.noMail != config_.email.noMail)) {
    CHECKER_LOG_INFO("reload: [peers], [peerd], [general] or nomail changed: restarting peerd");
    peerd_->restart();
  }
}

}  // namespace checker
