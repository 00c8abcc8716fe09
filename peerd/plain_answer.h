#pragma once
// The answer the original Checker gives a peer, byte for byte: "True",
// "MailProblem" or "JobProblem", mail checked first. JobProblem when the
// supervisor's heartbeat (pushed to peerd) is older than
// JOB_PROBLEM_AFTER_MS, or never came: peerd is up but the supervisor's
// loop is stopped, wedged or gone.
#include <cstdint>
#include <string>

namespace checker::peerd {

struct InstanceView {
  bool mailProblem = false;
  // When the last heartbeat arrived, on the clock NOW_MS below is read
  // from (peerd uses its monotonic clock: a wall-clock step is no outage);
  // 0: the supervisor has not reported yet.
  int64_t heartbeatMs = 0;
};

std::string plainAnswer(const InstanceView& view, int64_t nowMs, int64_t jobProblemAfterMs);

}  // namespace checker::peerd
