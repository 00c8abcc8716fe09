// The package's programs where the package puts them, unpacked under a
// directory instead of / (fixture: stage_package.sh; in a sanitizer build
// the same layout from `cmake --install`): they find each other there
// (checkerd and checker: ../lib/checker; the launcher: the job API library
// in ../<multiarch>), the shipped config is valid, a plugin built against
// the installed headers and pkg-config file loads, and checkerd starts as
// its unit starts it (as root: within the unit's capability bounding set
// and no_new_privs): READY=1, jobs run as --job-user, SIGHUP reloads,
// STOPPING=1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/daemon_process.h"
#include "support/notify_socket.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kRoot = CHECKER_PACKAGE_ROOT;
const std::string kCheckerd = kRoot + "/usr/sbin/checkerd";
const std::string kChecker = kRoot + "/usr/bin/checker";
const std::string kLibDir = kRoot + "/usr/" CHECKER_INSTALL_LIBDIR;

test::CommandResult run(const std::string& commandLine) { return test::runCommand(commandLine); }

// ExampleCheck built from the package's example against its headers and
// library, found with its pkg-config file, into DIR/plugins. The RUNPATH
// stands in for the loader's search of /usr/lib/<multiarch> when installed.
std::string buildExamplePlugin(const test::TempDir& dir) {
  std::string plugins = dir.file("plugins");
  ::mkdir(plugins.c_str(), 0755);
  test::CommandResult built = run(
      "PKG_CONFIG_PATH=" + kLibDir + "/pkgconfig; export PKG_CONFIG_PATH; "
      "c++ -std=c++20 -fPIC -shared -Wl,--no-undefined -o " + plugins + "/ExampleCheck.so " + kRoot +
      "/usr/share/doc/checker/examples/ExampleCheck.cpp $(pkg-config --cflags --libs checker-job-api) "
      "-Wl,-rpath," + kLibDir);
  EXPECT_EQ(built.exitCode, 0) << built.output;
  return plugins;
}

// The unit's CapabilityBoundingSet= in setpriv's words: "-all,+setuid,...".
std::string unitBoundingSetForSetpriv() {
  std::ifstream unit(kRoot + "/lib/systemd/system/checker.service");
  std::string line;
  while (std::getline(unit, line)) {
    if (line.rfind("CapabilityBoundingSet=", 0) != 0) continue;
    std::istringstream words(line.substr(line.find('=') + 1));
    std::string result = "-all", word;
    while (words >> word) {
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result += ",+" + (word.rfind("cap_", 0) == 0 ? word.substr(4) : word);
    }
    return result;
  }
  return "";
}

std::string configWith(const test::TempDir& dir, const std::string& rest) {
  return dir.write("settings.cfg", "[general]\nservername = package-test\nalertcontact = admin@example.org\n"
                                   "statefile = " + dir.file("state") + "\n" + rest +
                                   "[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n");
}

TEST(UnpackedPackage, ProgramsRunAndTheShippedConfigIsValid) {
  test::CommandResult version = run(kCheckerd + " --version");
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_EQ(version.output, "checkerd " CHECKER_VERSION "\n");
  test::CommandResult help = run(kCheckerd + " --help");
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_THAT(help.output, HasSubstr("--job-user USER"));
  version = run(kChecker + " --version");
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_EQ(version.output, "checker " CHECKER_VERSION "\n");

  test::CommandResult checked = run(kChecker + " check-config -c " + kRoot + "/etc/checker/settings.cfg");
  EXPECT_EQ(checked.exitCode, 0) << checked.output;
  EXPECT_THAT(checked.output, HasSubstr("is valid"));
  EXPECT_THAT(checked.output, HasSubstr("http:http://127.0.0.1:5000/"));

  test::CommandResult badUser = run(kCheckerd + " -c " + kRoot + "/etc/checker/settings.cfg --job-user no-such-user");
  EXPECT_EQ(badUser.exitCode, 2) << badUser.output;
  EXPECT_THAT(badUser.output, HasSubstr("no such user 'no-such-user'"));
}

TEST(UnpackedPackage, APluginBuiltAgainstTheInstalledApiRuns) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // the worker loads the plugin after dropping root
  std::string plugins = buildExamplePlugin(dir);
  std::string cfg = configWith(dir, "plugindir = " + plugins +
                                        "\n[job fresh]\ntype = ExampleCheck\npath = /\nmax_age = 4000000000\n");
  // checker finds the worker in ../lib/checker; the worker describes and
  // runs the plugin.
  test::CommandResult ran = run(kChecker + " run-job -c " + cfg + " fresh");
  EXPECT_EQ(ran.exitCode, 0) << ran.output;
  EXPECT_THAT(ran.output, HasSubstr("fresh (plugin:ExampleCheck:fresh): ok"));
}

TEST(UnpackedPackage, CheckerdStartsLikeItsUnitAndRunsJobsAsTheJobUser) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string plugins = buildExamplePlugin(dir);
  // Run as root (as the unit does), jobs become --job-user daemon (uid 1 on
  // Debian); otherwise there is nothing to drop and they run as we do.
  const struct passwd* daemonUser = ::getpwnam("daemon");
  ASSERT_NE(daemonUser, nullptr);
  uid_t expectedUid = ::geteuid() == 0 ? daemonUser->pw_uid : ::geteuid();
  std::string cfg = configWith(
      dir, "plugindir = " + plugins +
               "\n[job fresh]\ntype = ExampleCheck\npath = /\nmax_age = 4000000000\nevery = 1s\n"
               "[job whoami]\ntype = exec\nshell = yes\ncommand = test \"$(id -u)\" = " +
               std::to_string(expectedUid) + "\nevery = 1s\n");

  // As root, with what the unit leaves root (CapabilityBoundingSet=,
  // NoNewPrivileges=) when setpriv(1) can impose it: the drop to the job
  // user must work within it. Without CAP_DAC_OVERRIDE checkerd makes run
  // cgroups only under a directory root owns and may write: the unit's own
  // cgroup under systemd, but not a cgroup v1 root (0555) as a test may
  // run in; then runs are limited by rlimits, and a sanitized worker cannot
  // live with RLIMIT_AS (ASan's shadow memory): not bounded there.
  std::vector<std::string> argv{kCheckerd, "-c", cfg, "--job-user", "daemon"};
  std::string bounding = unitBoundingSetForSetpriv();
  ASSERT_EQ(bounding, "-all,+setuid,+setgid,+kill,+sys_admin,+net_raw,+dac_override,+sys_chroot");
  bool bounded = ::geteuid() == 0 && ::access("/usr/bin/setpriv", X_OK) == 0 && !CHECKER_SANITIZED;
  if (bounded) argv.insert(argv.begin(), {"/usr/bin/setpriv", "--nnp", "--bounding-set", bounding});
  test::NotifySocket systemd(dir.file("notify"));
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  test::DaemonProcess daemon(argv);
  ::unsetenv("NOTIFY_SOCKET");

  std::string ready = systemd.nextStartingWith("READY=1", 30s);
  daemon.drain();
  ASSERT_THAT(ready, HasSubstr("STATUS=scheduling ")) << ::testing::PrintToString(daemon.lines());
  if (bounded) {
    std::ifstream status("/proc/" + std::to_string(daemon.pid()) + "/status");
    std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
    EXPECT_THAT(text, HasSubstr("CapBnd:\t00000000002420e2\n"))
        << "CAP_DAC_OVERRIDE, CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_NET_RAW, CAP_SYS_CHROOT, CAP_SYS_ADMIN only";
    EXPECT_THAT(text, HasSubstr("NoNewPrivs:\t1\n"));
    // The unit's set lets a built-in network run join the launcher's
    // read-only namespace (setns needs CAP_SYS_CHROOT too).
    for (const std::string& line : daemon.lines()) EXPECT_THAT(line, ::testing::Not(HasSubstr("no shared namespace")));
  } else {
    std::printf("not root, no setpriv or a sanitizer build: checkerd runs without the unit's bounding set\n");
  }
  // The launcher found libchecker_job_api.so.1 relative to itself.
  EXPECT_NE(daemon.waitForLine("launcher ready", 10s), "") << ::testing::PrintToString(daemon.lines());
  if (::geteuid() == 0) {
    EXPECT_NE(daemon.waitForLine("sandbox: jobs run as daemon (uid " + std::to_string(daemonUser->pw_uid), 1s), "");
  }
  EXPECT_NE(daemon.waitForLine("job fresh: ok after", 30s), "") << ::testing::PrintToString(daemon.lines());
  EXPECT_NE(daemon.waitForLine("job whoami: ok after", 30s), "") << ::testing::PrintToString(daemon.lines());

  // systemctl reload: the unit's ExecReload sends SIGHUP. The plugin job is
  // described again (by a worker that drops to the job user) and checkerd
  // carries on.
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  EXPECT_NE(daemon.waitForLine("reload (SIGHUP): reading", 30s), "") << ::testing::PrintToString(daemon.lines());
  EXPECT_NE(daemon.waitForLine("0 added, 0 removed", 30s), "") << ::testing::PrintToString(daemon.lines());

  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  EXPECT_THAT(systemd.nextStartingWith("STOPPING=1", 10s), HasSubstr("STATUS=stopping"));
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (const std::string& line : daemon.lines()) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("not preloaded")));
    EXPECT_THAT(line, ::testing::Not(HasSubstr("] error: ")));
  }
}

}  // namespace
}  // namespace checker
