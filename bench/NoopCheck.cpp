// A job that does nothing and succeeds: what remains of a run is checker's
// own cost (spawn, sandbox, request, reply). Used by the benchmarks.
#include "jobs/plugin.h"

class NoopCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;
  bool execute() override { return true; }
};

CHECKER_PLUGIN(NoopCheck)
