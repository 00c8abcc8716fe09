// settings.cfg is hostile input (issue 14): any bytes must give either a
// config or errors naming FILE:LINE, never a crash, and what is accepted
// must be what the rest of checker relies on.
//
// Input: the whole input is parsed as a config file's text; it is also
// parsed as a URL (the parser peers and http jobs go through).
// Invariants:
//   - every error and warning starts with "PATH:" (the operator can find it);
//   - an accepted config has absolute paths, peer URLs that parse again,
//     and names and values free of control characters but tab;
//   - an accepted URL has a host without spaces or controls, a port in
//     1..65535, and a target that starts with '/', '?' or '#'.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/http_url.h"

namespace {

constexpr const char* kPath = "/fuzz/settings.cfg";

void require(bool condition) {
  if (!condition) std::abort();
}

bool hasControl(std::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) return true;
  }
  return false;
}

bool absoluteOrEmpty(const std::string& path) { return path.empty() || path.front() == '/'; }

void checkConfig(std::string_view text) {
  checker::ConfigLoad load = checker::parseConfigText(text, kPath);
  for (const std::string& e : load.errors) require(e.rfind(std::string(kPath) + ":", 0) == 0);
  for (const std::string& w : load.warnings) require(w.rfind(std::string(kPath) + ":", 0) == 0);
  if (!load.ok()) return;
  const checker::Config& c = load.config;
  require(absoluteOrEmpty(c.general.stateDir) && absoluteOrEmpty(c.general.logFile) &&
          absoluteOrEmpty(c.general.pluginDir) && absoluteOrEmpty(c.email.caFile));
  require(!hasControl(c.general.serverName));
  for (const checker::PeerSettings& p : c.peers) {
    require(checker::parseHttpUrl(p.url).ok());
    require(!hasControl(p.name) && !hasControl(p.secret));
  }
  for (const checker::JobSection& j : c.jobs) {
    require(!hasControl(j.name));
    for (const checker::IniEntry& e : j.params) require(!hasControl(e.key) && !hasControl(e.value));
  }
}

void checkUrl(std::string_view text) {
  checker::Result<checker::HttpUrl> parsed = checker::parseHttpUrl(text);
  if (!parsed) return;
  const checker::HttpUrl& url = *parsed;
  require(!url.host.empty() && url.port != 0);
  for (unsigned char c : url.host) require(c > 0x20 && c < 0x7f);
  require(url.target.front() == '/' || url.target.front() == '?' || url.target.front() == '#');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  checkConfig(text);
  checkUrl(text);
  return 0;
}
