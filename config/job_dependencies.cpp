// depends_on checks; the rules are in job_dependencies.h.
#include "config/job_dependencies.h"

#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

namespace checker {
namespace {

enum class Mark { unvisited, onPath, done };

struct Graph {
  const Config& config;
  std::unordered_map<std::string, size_t> index;  // section name -> position in config.jobs
  std::vector<Mark> marks;
};

// Depth-first from START, without recursion (a 1 MiB config may chain
// thousands of sections); returns the cycle (names, closed) when one is found.
std::vector<std::string> findCycle(Graph& g, size_t start) {
  std::vector<std::pair<size_t, size_t>> stack{{start, 0}};  // (job, next parent to look at)
  g.marks[start] = Mark::onPath;
  while (!stack.empty()) {
    auto& [at, nextParent] = stack.back();
    const std::vector<std::string>& parents = g.config.jobs[at].dependsOn;
    if (nextParent == parents.size()) {
      g.marks[at] = Mark::done;
      stack.pop_back();
      continue;
    }
    auto it = g.index.find(parents[nextParent++]);
    if (it == g.index.end()) continue;  // reported as unknown
    size_t next = it->second;
    if (g.marks[next] == Mark::onPath) {
      std::vector<std::string> cycle;
      bool in = false;
      for (const auto& frame : stack) {
        in = in || frame.first == next;
        if (in) cycle.push_back(g.config.jobs[frame.first].name);
      }
      cycle.push_back(g.config.jobs[next].name);
      return cycle;
    }
    if (g.marks[next] == Mark::unvisited) {
      g.marks[next] = Mark::onPath;
      stack.emplace_back(next, 0);
    }
  }
  return {};
}

}  // namespace

void checkJobDependencies(ConfigReporter& reporter, const Config& config) {
  Graph g{config, {}, std::vector<Mark>(config.jobs.size(), Mark::unvisited)};
  for (size_t i = 0; i < config.jobs.size(); ++i) g.index.emplace(config.jobs[i].name, i);
  bool unknown = false;
  for (const JobSection& job : config.jobs) {
    for (const std::string& parent : job.dependsOn) {
      std::string where = "[job " + job.name + "] depends_on: ";
      if (parent == job.name) {
        reporter.error(job.dependsOnLine, where + "a job cannot depend on itself");
        unknown = true;
      } else if (g.index.find(parent) == g.index.end()) {
        reporter.error(job.dependsOnLine, where + "no [job " + parent + "]");
        unknown = true;
      }
    }
  }
  if (unknown) return;
  for (size_t i = 0; i < config.jobs.size(); ++i) {
    if (g.marks[i] != Mark::unvisited) continue;
    std::vector<std::string> cycle = findCycle(g, i);
    if (cycle.empty()) continue;
    std::string loop;
    for (const std::string& name : cycle) loop += (loop.empty() ? "" : " -> ") + name;
    const JobSection& first = config.jobs[g.index.at(cycle.front())];
    reporter.error(first.dependsOnLine, "[job " + first.name + "] depends_on: a cycle: " + loop +
                                            " (each would blame the other and nobody would be told)");
    return;
  }
}

}  // namespace checker
