// checker import-state -c FILE OLD_STATEFILE [--dry-run] [--force]: takes
// over the original Checker's job states (format and matching rule:
// cli/original_state.h, docs/cli.md), so that a switch from the original
// does not alert again on what was already failing and notified.
//
// Refused while checkerd (or another import) has the state open for writing
// (StateStore's writer lock): checkerd keeps every job's record in memory
// and would overwrite what was imported. Everything is written in one
// transaction, and the per-line report is printed once it is committed.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/original_state.h"
#include "cli/status_report.h"
#include "state/state_store.h"
#include "common/sys_error.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "config/job_catalog.h"
#include "worker_runs/load_jobs.h"
#include "worker_runs/run_once.h"
#include "state/state_writer.h"

namespace checker::cli {
namespace {

struct Options {
  std::string oldStateFile;
  bool dryRun = false;
  bool force = false;
};

bool parseOptions(const std::vector<std::string>& args, Options& options) {
  for (const std::string& arg : args) {
    if (arg == "--dry-run") {
      options.dryRun = true;
    } else if (arg == "--force") {
      options.force = true;
    } else if (options.oldStateFile.empty() && !arg.starts_with("-")) {
      options.oldStateFile = arg;
    } else {
      std::fprintf(stderr, "checker import-state: unexpected argument '%s'\n", arg.c_str());
      return false;
    }
  }
  if (options.oldStateFile.empty()) {
    std::fprintf(stderr, "usage: checker import-state -c FILE OLD_STATEFILE [--dry-run] [--force]\n");
    return false;
  }
  return true;
}

bool readWholeFile(const std::string& path, std::string& text, std::string& error) {
  FILE* file = std::fopen(path.c_str(), "re");
  if (file == nullptr) {
    error = describeErrno("open", path, errno);
    return false;
  }
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  int err = errno;
  std::fclose(file);
  if (failed) error = describeErrno("read", path, err);
  return !failed;
}

// What happens to one line of the old file.
struct Decision {
  enum Kind { blank, malformed, noJob, superseded, kept, imported } kind = blank;
  int line = 0;
  std::string detail;  // why malformed, the name not found, ...
  OriginalEntry entry;
  const JobDefinition* job = nullptr;
  std::string via;
  int supersededBy = 0;
  uint64_t existingRuns = 0;
};

// Runs checkerd recorded for each job that already has a state (a job
// state written by an earlier import has none).
std::map<std::string, uint64_t> recordedRuns(const StateReader& txn) {
  std::map<std::string, uint64_t> runs;
  txn.forEach(StateDb::jobs, [&](std::string_view key, std::string_view value) {
    try {
      runs[std::string(key)] = ipc::decode(value)->root<ipc::JobState>().getRuns();
    } catch (const ipc::FrameError&) {
      runs[std::string(key)] = 0;  // unreadable: replacing it loses nothing
    }
    return true;
  });
  return runs;
}

std::vector<Decision> decide(const std::string& text, const std::vector<JobDefinition>& jobs,
                             const std::map<std::string, uint64_t>& runs, bool force) {
  std::vector<Decision> decisions;
  std::map<const JobDefinition*, size_t> latest;  // job -> index of the decision that imports it
  int number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    std::string_view line = std::string_view(text).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    Decision d;
    d.line = ++number;
    OriginalLine parsed = parseOriginalLine(line, number);
    if (parsed.blank()) continue;
    if (!parsed.entry) {
      d.kind = Decision::malformed;
      d.detail = parsed.error;
      decisions.push_back(std::move(d));
      continue;
    }
    d.entry = *parsed.entry;
    JobMatch match = matchOriginalName(d.entry.friendlyName, jobs);
    if (match.job == nullptr) {
      d.kind = Decision::noJob;
      d.detail = match.ambiguity;
      decisions.push_back(std::move(d));
      continue;
    }
    d.job = match.job;
    d.via = match.via;
    auto existing = runs.find(d.job->id());
    d.existingRuns = existing == runs.end() ? 0 : existing->second;
    d.kind = d.existingRuns > 0 && !force ? Decision::kept : Decision::imported;
    // The original keeps stale lines for a job whose arguments changed; the
    // later line is the one it wrote last (it appends new jobs' lines).
    if (auto earlier = latest.find(d.job); earlier != latest.end()) {
      Decision& before = decisions[earlier->second];
      before.kind = Decision::superseded;
      before.supersededBy = d.line;
    }
    latest[d.job] = decisions.size();
    decisions.push_back(std::move(d));
  }
  return decisions;
}

FinishedRun importedRun(const Decision& d, const std::string& oldStateFile) {
  FinishedRun run;
  run.jobId = d.job->id();
  run.jobName = d.job->name();
  run.jobType = d.job->type();
  run.record.policy = importedPolicy(d.entry, d.job->notify());
  run.outcome = d.entry.failing ? ipc::Outcome::FAILED : ipc::Outcome::OK;
  run.message = "imported from the original Checker's " + oldStateFile + " line " + std::to_string(d.line);
  return run;  // no run: start 0, no runs counted
}

std::string describeImport(const Decision& d) {
  PolicyState p = importedPolicy(d.entry, d.job->notify());
  std::string text = d.job->name() + (d.via == "its name" ? "" : " (matched by " + d.via + ")") + ": ";
  if (p.health != JobHealth::failing) return text + "ok";
  text += "failing since " + localTime(p.firstFailureUnixMs) + ", " + std::to_string(p.consecutiveFailures) +
          " failure(s), ";
  return text + (p.notifiedFailure ? "notified " + localTime(p.lastNotifyUnixMs) : "not notified yet");
}

void report(const std::vector<Decision>& decisions, bool dryRun) {
  for (const Decision& d : decisions) {
    std::string text = "line " + std::to_string(d.line) + ": ";
    switch (d.kind) {
      case Decision::blank: continue;
      case Decision::malformed: text += "malformed: " + d.detail; break;
      case Decision::noJob:
        text += "no configured job named '" + d.entry.friendlyName + "'" +
                (d.detail.empty() ? " (see checker check-config)" : " (" + d.detail + ")");
        break;
      case Decision::superseded:
        text += "skipped: line " + std::to_string(d.supersededBy) + " is for the same job, " + d.job->name() +
                ", and wins";
        break;
      case Decision::kept:
        text += "kept " + d.job->name() + "'s state: checkerd has run it " + std::to_string(d.existingRuns) +
                " time(s) since (--force replaces it)";
        break;
      case Decision::imported: text += (dryRun ? "would import as " : "imported as ") + describeImport(d); break;
    }
    std::printf("%s\n", text.c_str());
  }
}

}  // namespace

int importState(const CommonOptions& common) {
  Options options;
  if (!parseOptions(common.rest, options)) return kExitUsage;
  LoadedConfig loaded = loadJobs(common.configPath, {defaultWorkerPath()});
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  std::string text, error;
  if (!readWholeFile(options.oldStateFile, text, error)) {
    std::fprintf(stderr, "checker import-state: %s\n", error.c_str());
    return kExitUnhealthy;
  }
  const std::string& dir = loaded.config.general.stateDir;
  std::vector<Decision> decisions;
  try {
    if (options.dryRun) {
      std::map<std::string, uint64_t> runs;
      try {
        StateStore store = StateStore::openReadOnly(dir);
        runs = recordedRuns(store.beginRead());
      } catch (const StateError& e) {
        if (e.code() != ENOENT) throw;  // no state yet: nothing to keep
      }
      decisions = decide(text, loaded.jobs, runs, options.force);
    } else {
      StateStore store = StateStore::openForWriting(dir);
      WriteTransaction txn = store.beginWrite();
      decisions = decide(text, loaded.jobs, recordedRuns(txn), options.force);
      for (const Decision& d : decisions) {
        if (d.kind == Decision::imported) txn.put(StateDb::jobs, d.job->id(), encodeState(importedRun(d, options.oldStateFile)));
      }
      txn.commit();
    }
  } catch (const StateError& e) {
    std::fprintf(stderr, "checker import-state: %s\n", e.what());
    if (e.code() == StateStore::kWriterBusy) {
      std::fprintf(stderr, "checker import-state: stop checkerd, import, then start it again; nothing was imported\n");
      return kExitTemporary;
    }
    return kExitUnhealthy;
  }
  report(decisions, options.dryRun);
  std::map<Decision::Kind, int> counts;
  for (const Decision& d : decisions) ++counts[d.kind];
  std::fprintf(stderr, "checker import-state: %d %s, %d without a job, %d malformed, %d superseded, %d kept; state %s\n",
               counts[Decision::imported], options.dryRun ? "to import" : "imported", counts[Decision::noJob],
               counts[Decision::malformed], counts[Decision::superseded], counts[Decision::kept], dir.c_str());
  return kExitOk;
}

}  // namespace checker::cli
