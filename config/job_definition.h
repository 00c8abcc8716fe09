#pragma once
// A job as the supervisor keeps it: its id and a pointer to the settings it
// shares with the other jobs of its section. A section with 100 targets is
// 100 jobs that differ only in their target, which is part of their id; so
// a job stores its id alone, and its name and worker params are built from
// the id and the shared settings when needed (once per run), not kept.
// checkerd holds tens of thousands of jobs: each byte here counts that often.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace checker {

// What a worker receives as the job's parameters, in order.
using WorkerParams = std::vector<std::pair<std::string, std::string>>;

// Which parameters a job's target gives the worker, before the shared ones.
enum class TargetParams {
  none,      // the job has no target, or its params are all in the settings
  hostPort,  // "host" and "port", from a target "HOST:PORT" or "[IPv6]:PORT"
  url,       // "url": the target itself
};

// What a job's sandbox grants beyond the default (docs/configuration.md):
// writable paths, a scratch size, ambient capabilities.
struct JobSandboxSettings {
  std::vector<std::string> writablePaths;  // absolute, normalised
  uint64_t scratchBytes = 64ull << 20;     // /tmp, /var/tmp and /dev/shm together
  std::vector<std::string> capabilities;   // "net_raw" only
};

// What the jobs of one section have in common. A system job, and each job
// a plugin describes, has a copy of its own.
struct JobSectionSettings {
  std::string type;     // tcp, http, tls_cert, exec, email_selfcheck, peer, or a plugin class
  std::string section;  // the [job NAME] the jobs came from ("" for system jobs)
  std::string name;     // NAME, or a system job's own ("peer NAME"); see targetInName
  int line = 0;
  bool system = false;
  Schedule schedule;
  NotifySettings notify;
  JobLimits limits;
  JobSandboxSettings sandbox;
  Isolation isolation = Isolation::run;
  // depends_on: the sections whose failing jobs block this one's notices.
  std::vector<std::string> dependsOn = {};
  // Jobs with a target (tcp, http, tls_cert, a plugin's described sub-jobs)
  // have the id TARGET_ID_PREFIX + TARGET; "" for jobs without a target.
  std::string targetIdPrefix;
  bool targetInName = false;  // several jobs: each is named NAME[TARGET]
  TargetParams targetParams = TargetParams::none;
  WorkerParams params;  // the same for every job, after the target's
  std::vector<std::string> tags = {};  // the section's `tags`, for maintenance windows and silences
  ConfirmSettings confirm = {};
};

class JobDefinition {
 public:
  JobDefinition(std::string id, std::shared_ptr<const JobSectionSettings> settings)
      : id_(std::move(id)), settings_(std::move(settings)) {}

  const std::string& id() const { return id_; }  // identity; the key of the job's state
  std::string name() const;                       // for people: logs, mails, the CLI
  std::string_view target() const;                // "" when the job has none
  WorkerParams params() const;                    // what the worker receives
  std::string param(std::string_view key) const;  // one of params(); "" when absent

  const JobSectionSettings& settings() const { return *settings_; }
  const std::string& type() const { return settings_->type; }
  const std::string& section() const { return settings_->section; }
  int line() const { return settings_->line; }
  bool system() const { return settings_->system; }
  const Schedule& schedule() const { return settings_->schedule; }
  const NotifySettings& notify() const { return settings_->notify; }
  const JobLimits& limits() const { return settings_->limits; }
  const JobSandboxSettings& sandbox() const { return settings_->sandbox; }
  const std::vector<std::string>& tags() const { return settings_->tags; }
  const ConfirmSettings& confirm() const { return settings_->confirm; }

 private:
  std::string id_;
  std::shared_ptr<const JobSectionSettings> settings_;
};

}  // namespace checker
