// A plugin built for another job ABI: what CHECKER_PLUGIN(WrongAbi) would
// define, with a different ABI tag. Loading it must be refused.
#include "jobs/job_base.h"

class WrongAbi : public checker::JobBase {
 public:
  using JobBase::JobBase;
  bool execute() override { return true; }
};

extern "C" __attribute__((visibility("default"))) uint32_t checker_plugin_abi_WrongAbi() {
  return ((checker::kJobAbiVersion + 41) << 8) | 1;
}
extern "C" __attribute__((visibility("default"))) checker::JobBase* checker_plugin_create_WrongAbi(
    const checker::JobParams* params, const checker::JobRunContext* context) {
  return new WrongAbi(*params, *context);
}
