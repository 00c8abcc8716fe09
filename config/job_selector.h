#pragma once
// Which jobs a maintenance window ([maintenance NAME] jobs / tags) or a
// silence (`checker silence JOB | --tag T | --all`) covers. Shared by the
// config and the state, so both mean the same by a glob and a tag.
//
//   all       every job, system jobs included
//   jobGlobs  fnmatch(3) patterns (no flags), each tried against the job's
//             name as the CLI shows it ("ssh[10.0.0.5:22]") and against its
//             [job NAME] section; a pattern equal to either matches too, so
//             a name holding '[' needs no escaping
//   tags      a job with any of these tags (`tags = ...` in its section)
#include <string>
#include <string_view>
#include <vector>

namespace checker {

struct JobSelector {
  bool all = false;
  std::vector<std::string> jobGlobs = {};
  std::vector<std::string> tags = {};
  bool operator==(const JobSelector&) const = default;
};

bool selectsJob(const JobSelector& selector, std::string_view jobName, std::string_view section,
                const std::vector<std::string>& tags);

// Whether one glob matches NAME (equal, or fnmatch).
bool globMatches(const std::string& glob, std::string_view name);

// A tag name: 1..64 of letters, digits, '_', '.', '-'.
bool isTagName(std::string_view name);

}  // namespace checker
