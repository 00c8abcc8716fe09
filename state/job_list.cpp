#include "state/job_list.h"

namespace checker {

std::string notifyText(const NotifySettings& n) {
  std::string text = std::string(notifyModeName(n.mode)) + ", after " + std::to_string(n.failuresBeforeNotify) +
                     (n.failuresBeforeNotify == 1 ? " failure" : " failures");
  text += n.notifyRecovery ? "; recovery notice" : "; no recovery notice";
  text += "; ok again after " + std::to_string(n.recoverAfter) + (n.recoverAfter == 1 ? " run" : " runs");
  return text;
}

ListedJob listedJob(const JobDefinition& job) {
  ListedJob listed{job.id(), job.name(), job.type(), job.section(), job.schedule().text(), job.system()};
  listed.timeoutMs = job.limits().timeout.count();
  listed.notify = notifyText(job.notify());
  listed.isolation = isolationName(job.settings().isolation);
  return listed;
}

}  // namespace checker
