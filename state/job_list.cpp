#include "state/job_list.h"

namespace checker {

ListedJob listedJob(const JobDefinition& job) {
  return {job.id(), job.name(), job.type(), job.section(), job.schedule().text(), job.system()};
}

std::vector<ListedJob> listedJobs(const std::vector<JobDefinition>& jobs) {
  std::vector<ListedJob> listed;
  listed.reserve(jobs.size());
  for (const JobDefinition& job : jobs) listed.push_back(listedJob(job));
  return listed;
}

}  // namespace checker
