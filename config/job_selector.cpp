#include "config/job_selector.h"

#include <fnmatch.h>

#include <algorithm>

namespace checker {

bool globMatches(const std::string& glob, std::string_view name) {
  if (glob == name) return true;
  std::string text(name);  // fnmatch needs a terminated string
  return ::fnmatch(glob.c_str(), text.c_str(), 0) == 0;
}

bool selectsJob(const JobSelector& selector, std::string_view jobName, std::string_view section,
                const std::vector<std::string>& tags) {
  if (selector.all) return true;
  for (const std::string& glob : selector.jobGlobs) {
    if (globMatches(glob, jobName) || (!section.empty() && globMatches(glob, section))) return true;
  }
  for (const std::string& tag : selector.tags) {
    if (std::find(tags.begin(), tags.end(), tag) != tags.end()) return true;
  }
  return false;
}

bool isTagName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

}  // namespace checker
