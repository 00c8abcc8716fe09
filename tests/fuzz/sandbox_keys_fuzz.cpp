// libFuzzer target: a job section's sandbox keys (config/sandbox_keys.h) as
// an operator may write them. The input is split on its first two NUL bytes
// into the values of writable_paths, capabilities and scratch_size, put in a
// job section, and the config is read and planned as checkerd does.
//
// What must hold, whatever the bytes:
//   - nothing crashes;
//   - a plan without errors grants only absolute, normalised paths that
//     are not /, nor under /proc, /sys, /dev, /tmp or /var/tmp, each once;
//     only the capability net_raw; a scratch of at least 1 MiB.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/job_catalog.h"

namespace {

void check(bool ok, const char* what, const std::string& value) {
  if (ok) return;
  std::fprintf(stderr, "sandbox_keys_fuzz: %s: '%s'\n", what, value.c_str());
  std::abort();
}

bool under(const std::string& path, const std::string& dir) { return path == dir || path.rfind(dir + "/", 0) == 0; }

void checkPath(const std::string& path) {
  check(!path.empty() && path.front() == '/' && path != "/", "granted a path that is not absolute, or /", path);
  check(path.find("//") == std::string::npos && path.back() != '/', "granted an unnormalised path", path);
  check(path.find("/./") == std::string::npos && path.find("/../") == std::string::npos &&
            (path.size() < 2 || path.compare(path.size() - 2, 2, "/.") != 0) &&
            (path.size() < 3 || path.compare(path.size() - 3, 3, "/..") != 0),
        "granted a path with . or ..", path);
  for (const char* dir : {"/proc", "/sys", "/dev", "/tmp", "/var/tmp"}) check(!under(path, dir), "granted a reserved path", path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string values[3];
  for (int i = 0; i < 3; ++i) {
    size_t end = i < 2 ? input.find('\0') : std::string_view::npos;
    values[i] = std::string(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  }
  std::string text =
      "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n[job x]\ntype=exec\ncommand=/bin/true\n"
      "writable_paths = " + values[0] + "\ncapabilities = " + values[1] + "\nscratch_size = " + values[2] + "\n";
  checker::ConfigLoad load = checker::parseConfigText(text, "fuzz.cfg");
  if (!load.ok()) return 0;  // e.g. a newline in a value made another line
  checker::JobPlan plan = checker::planJobs(load.config);
  if (!plan.ok()) return 0;
  for (const checker::JobDefinition& job : plan.jobs) {
    const checker::JobSandboxSettings& sandbox = job.sandbox();
    std::set<std::string> seen;
    for (const std::string& path : sandbox.writablePaths) {
      checkPath(path);
      check(seen.insert(path).second, "granted a path twice", path);
    }
    for (const std::string& cap : sandbox.capabilities) check(cap == "net_raw", "granted a capability", cap);
    check(sandbox.scratchBytes >= (1u << 20), "a scratch under 1 MiB", std::to_string(sandbox.scratchBytes));
  }
  return 0;
}
