#include "config/sandbox_keys.h"

#include <sys/stat.h>

#include <algorithm>

#include "config/config_values.h"

namespace checker {
namespace {

// Paths the sandbox itself provides per run, or that no job may write.
bool isReserved(const std::string& path) {
  static const std::vector<std::string> kReserved = {"/proc", "/sys", "/dev", "/tmp", "/var/tmp"};
  for (const std::string& r : kReserved) {
    if (path == r || path.rfind(r + "/", 0) == 0) return true;
  }
  return false;
}

// Whether PATH may be granted; if not, why.
Result<> grantablePath(const std::string& path) {
  if (path.empty() || path.front() != '/') return Error{"'" + path + "' is not an absolute path"};
  if (path == "/") return Error{"'/' would make the whole file system writable"};
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return Error{"'" + path + "' is not a normalised path (no //, . or ..)"};
    start = end + 1;
  }
  if (isReserved(path)) return Error{"'" + path + "' is under /proc, /sys, /dev, /tmp or /var/tmp (the run's own)"};
  return {};
}

void readWritablePaths(SectionReader& reader, ConfigReporter& reporter, JobSandboxSettings& out) {
  const IniEntry* entry = reader.take("writable_paths");
  if (entry == nullptr) return;
  for (const std::string& path : splitList(entry->value)) {
    if (Result<> grantable = grantablePath(path); !grantable) {
      reader.error(*entry, grantable.error());
      continue;
    }
    if (std::find(out.writablePaths.begin(), out.writablePaths.end(), path) != out.writablePaths.end()) {
      reader.error(*entry, "'" + path + "' is listed twice");
      continue;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      reporter.warning(entry->line, "[" + reader.section().name + "] writable_paths: " + path +
                                        " does not exist (yet): runs fail until it does");
    }
    out.writablePaths.push_back(path);
  }
}

void readCapabilities(SectionReader& reader, JobSandboxSettings& out) {
  const IniEntry* entry = reader.take("capabilities");
  if (entry == nullptr) return;
  for (const std::string& name : splitList(entry->value)) {
    const std::vector<std::string>& known = knownCapabilities();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      reader.error(*entry, "unknown capability '" + name + "' (a job may ask only for net_raw)");
    } else if (std::find(out.capabilities.begin(), out.capabilities.end(), name) == out.capabilities.end()) {
      out.capabilities.push_back(name);
    }
  }
}

}  // namespace

const std::vector<std::string>& sandboxKeyNames() {
  static const std::vector<std::string> kNames = {"writable_paths", "scratch_size", "capabilities"};
  return kNames;
}

const std::vector<std::string>& knownCapabilities() {
  static const std::vector<std::string> kKnown = {"net_raw"};
  return kKnown;
}

void readSandboxKeys(SectionReader& reader, ConfigReporter& reporter, JobSandboxSettings& out) {
  readWritablePaths(reader, reporter, out);
  if (const IniEntry* entry = reader.take("scratch_size")) {
    Result<uint64_t> size = parseSize(entry->value);
    if (!size) reader.error(*entry, size.error());
    else if (*size < (1ull << 20)) reader.error(*entry, "the scratch must be at least 1M");
    else out.scratchBytes = *size;
  }
  readCapabilities(reader, out);
}

}  // namespace checker
