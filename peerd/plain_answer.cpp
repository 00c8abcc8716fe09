#include "peerd/plain_answer.h"

namespace checker::peerd {

std::string plainAnswer(const InstanceView& view, int64_t nowUnixMs, int64_t jobProblemAfterMs) {
  if (view.mailProblem) return "MailProblem";
  if (view.heartbeatUnixMs == 0 || nowUnixMs - view.heartbeatUnixMs > jobProblemAfterMs) return "JobProblem";
  return "True";
}

}  // namespace checker::peerd
