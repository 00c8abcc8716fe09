#pragma once
// Live processes whose command line contains a marker: how tests prove that
// nothing of a run is left behind (every test process carries a unique
// marker in its arguments).
#include <dirent.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace checker::test {

inline std::vector<std::string> processesWith(const std::string& marker) {
  std::vector<std::string> found;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(marker) != std::string::npos) found.push_back(std::string(e->d_name) + ": " + cmdline);
  }
  if (proc) ::closedir(proc);
  return found;
}

}  // namespace checker::test
