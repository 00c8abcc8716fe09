// `checker reload` in-process (cli/reload.cpp): every way it gives up
// closes its socket; counted in /proc/self/fd around the call.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

size_t openFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

cli::CommonOptions optionsFor(const std::string& config) {
  cli::CommonOptions options;
  options.configPath = config;
  options.configGiven = true;
  return options;
}

// A state directory whose control socket path is longer than a sockaddr_un holds.
TEST(CheckerReload, AControlSocketPathTooLongLeaksNoFd) {
  test::TempDir dir;
  std::string stateDir = dir.file(std::string(120, 's'));
  std::string config = dir.write("settings.cfg", "[general]\nservername = reload-fd\nstatefile = " + stateDir +
                                                     "\n[email]\nnomail = yes\n");
  size_t before = openFds();
  EXPECT_EQ(cli::reload(optionsFor(config)), cli::kExitTemporary);
  EXPECT_EQ(openFds(), before);
}

TEST(CheckerReload, NoCheckerdListeningLeaksNoFd) {
  test::TempDir dir;
  std::string config = dir.write("settings.cfg", "[general]\nservername = reload-fd\nstatefile = " + dir.path() +
                                                     "\n[email]\nnomail = yes\n");
  size_t before = openFds();
  EXPECT_EQ(cli::reload(optionsFor(config)), cli::kExitTemporary);
  EXPECT_EQ(openFds(), before);
}

}  // namespace
}  // namespace checker
