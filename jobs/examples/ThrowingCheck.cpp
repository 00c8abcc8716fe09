// ThrowingCheck: a job whose execute() throws, for the tests of hostile
// jobs. The worker must turn this into a failed run "job threw: boom".
#include <stdexcept>

#include "jobs/plugin.h"

class ThrowingCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;
  bool execute() override { throw std::runtime_error("boom"); }
};

CHECKER_PLUGIN(ThrowingCheck)
