#include "state/job_list.h"

namespace checker {

ListedJob listedJob(const JobDefinition& job) {
  return {job.id(), job.name(), job.type(), job.section(), job.schedule().text(), job.system()};
}

}  // namespace checker
