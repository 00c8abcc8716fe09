#pragma once
// The jobs checkerd runs, as the state keeps them for `checker status`
// (meta "job_list", ipc::RunningJobs): what a status row names, without
// the job's settings. checkerd writes the list at start and after each
// reload it applies (StateWriter::setJobList); status reads it
// (readJobList in state/state_view.h) instead of expanding plugin sections
// itself, which would mean running plugin code in a worker.
#include <string>
#include <vector>

#include "config/job_definition.h"

namespace checker {

struct ListedJob {
  std::string id, name, type;
  std::string section;   // the [job NAME] it came from; "" for a system job
  std::string schedule;  // as the config says it: "30s", "minute", ...
  bool system = false;
};

ListedJob listedJob(const JobDefinition& job);

}  // namespace checker
