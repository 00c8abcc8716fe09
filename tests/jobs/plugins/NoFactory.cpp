// A shared object in the plugin directory that is no plugin: it defines a
// job class but forgets CHECKER_PLUGIN. Loading it must say so.
#include "jobs/job_base.h"

class NoFactory : public checker::JobBase {
 public:
  using JobBase::JobBase;
  bool execute() override { return true; }
};

extern "C" __attribute__((visibility("default"))) checker::JobBase* make_no_factory() {
  return new NoFactory({}, {});
}
