#pragma once
// The jobs checkerd runs, as the state keeps them for `checker status`
// (meta "job_list", ipc::RunningJobs): what a status row names, and the
// settings a job's page shows (timeout, notification, isolation); not the
// job's parameters, which may hold secrets. checkerd writes the list at start and after each
// reload it applies (StateWriter::setJobList); status reads it
// (readJobList in state/state_view.h) instead of expanding plugin sections
// itself, which would mean running plugin code in a worker.
#include <cstdint>
#include <string>
#include <vector>

#include "config/job_definition.h"

namespace checker {

struct ListedJob {
  std::string id, name, type;
  std::string section;   // the [job NAME] it came from; "" for a system job
  std::string schedule;  // as the config says it: "30s", "minute", ...
  bool system = false;
  int64_t timeoutMs = 0;  // 0: not said (a list written before this field)
  // "hour, after 2 failures; recovery notice; ok again after 1 run"
  std::string notify = {};
  std::string isolation = {};  // "run" or "batch"; "" when not said
};

ListedJob listedJob(const JobDefinition& job);

}  // namespace checker
