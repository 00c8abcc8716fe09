// A plugin with a spawner: one section, one job per comma-separated item of
// `items`; each job succeeds when its `item` is not "bad".
#include "jobs/plugin.h"

class SpawningCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;
  bool execute() override {
    std::string item = paramOr("item", "");
    return item == "bad" ? fail("item " + item + " is bad") : succeed("item " + item + " is fine");
  }
};

class SpawningCheckTargets : public checker::JobSpawner {
 public:
  std::vector<checker::JobParams> getSubJobs(const checker::JobParams& section) override {
    std::vector<checker::JobParams> jobs;
    for (const auto& [key, value] : section) {
      if (key != "items") continue;
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        jobs.push_back({{"item", value.substr(start, comma - start)}});
        start = comma + 1;
      }
    }
    return jobs;
  }
};

CHECKER_PLUGIN(SpawningCheck)
CHECKER_PLUGIN_SPAWNER(SpawningCheck, SpawningCheckTargets)
