#include "peerd/plain_answer.h"

namespace checker::peerd {

std::string plainAnswer(const InstanceView& view, int64_t nowMs, int64_t jobProblemAfterMs) {
  if (view.mailProblem) return "MailProblem";
  if (view.heartbeatMs == 0 || nowMs - view.heartbeatMs > jobProblemAfterMs) return "JobProblem";
  return "True";
}

}  // namespace checker::peerd
