#pragma once
// The answer the original Checker gives a peer, byte for byte: "True",
// "MailProblem" or "JobProblem", mail checked first. JobProblem when the
// supervisor's scheduler heartbeat (pushed to peerd) is older than
// JOB_PROBLEM_AFTER_MS, or never came: peerd is up but the scheduler is
// stopped, wedged or gone.
#include <cstdint>
#include <string>

namespace checker::peerd {

struct InstanceView {
  bool mailProblem = false;
  int64_t heartbeatUnixMs = 0;  // 0: the supervisor has not reported yet
};

std::string plainAnswer(const InstanceView& view, int64_t nowUnixMs, int64_t jobProblemAfterMs);

}  // namespace checker::peerd
