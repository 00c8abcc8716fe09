// The checker command as an operator meets it, the real binary each time:
// help for every command and the exit codes it documents; `checker status`
// as a table (plain in a pipe; coloured and cut to the width on a terminal,
// through a pseudo-terminal from openpty) and as JSON; check-config's names.
// The state is written here with the supervisor's own encoding, and held
// open for writing with a fresh heartbeat as a running checkerd holds it,
// so no checkerd is needed.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "state/state_store.h"
#include "state/state_writer.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

extern char** environ;

namespace checker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kChecker = std::string(CHECKER_BIN_DIR) + "/checker";

test::CommandResult checker(const std::string& args) { return test::runCommand(kChecker + " " + args); }

// A config of three tcp jobs (nothing is connected to: no checkerd runs).
std::string writeConfig(const test::TempDir& dir) {
  return dir.write("settings.cfg", "[general]\nservername = cmd-test\nalertcontact = admin@example.org\nstatefile = " +
                                       dir.file("state") + "\n[email]\nnomail = yes\n"
                                       "[job up]\ntype = tcp\ntarget = 127.0.0.1:1\n"
                                       "[job down]\ntype = tcp\ntarget = 127.0.0.1:2\n"
                                       "[job later]\ntype = tcp\ntarget = 127.0.0.1:3\n");
}

// Job states as checkerd writes them, through the same encoding. The store
// is returned open, with a fresh heartbeat: while the caller keeps it,
// `checker status` sees checkerd running.
[[nodiscard]] StateStore seed(const test::TempDir& dir, bool downFailing) {
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter heartbeat(store);
  heartbeat.beat();
  heartbeat.flush(static_cast<int64_t>(::time(nullptr)) * 1000);
  WriteTransaction txn = store.beginWrite();
  int64_t now = static_cast<int64_t>(::time(nullptr)) * 1000;
  FinishedRun up;
  up.jobId = "tcp:127.0.0.1:1";
  up.jobName = "up";
  up.jobType = "tcp";
  up.record.policy.health = JobHealth::ok;
  up.record.runs = 3;
  up.startedUnixMs = now - 5'000;
  txn.put(StateDb::jobs, up.jobId, encodeState(up));
  FinishedRun down = up;
  down.jobId = "tcp:127.0.0.1:2";
  down.jobName = "down";
  if (downFailing) {
    down.record.policy = {JobHealth::failing, 4, 0, now - 3'600'000, now - 3'000'000, true};
    down.outcome = ipc::Outcome::FAILED;
    down.message = "could not connect to 127.0.0.1:2: Connection refused, and this message goes on well past "
                   "the edge of any terminal that is sixty columns wide";
  }
  txn.put(StateDb::jobs, down.jobId, encodeState(down));
  txn.commit();
  return store;
}

// PROGRAM ARGS with stdout and stderr on a pseudo-terminal COLUMNS wide, and
// NO_COLOR as given (unset when null); what it wrote, and its exit code.
struct PtyRun {
  std::string output;
  int exitCode = -1;
};
PtyRun runOnTerminal(const std::vector<std::string>& argv, unsigned short columns, const char* noColor) {
  PtyRun result;
  int master = -1, slave = -1;
  winsize size{};
  size.ws_row = 40;
  size.ws_col = columns;
  if (::openpty(&master, &slave, nullptr, nullptr, &size) != 0) {
    ADD_FAILURE() << "openpty: " << std::strerror(errno);
    return result;
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "NO_COLOR=", 9) != 0 && std::strncmp(*e, "COLUMNS=", 8) != 0) env.emplace_back(*e);
  }
  if (noColor != nullptr) env.push_back(std::string("NO_COLOR=") + noColor);
  std::vector<char*> envp, args;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, slave, 1);
  posix_spawn_file_actions_adddup2(&actions, slave, 2);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(slave);
  if (rc != 0) {
    ::close(master);
    ADD_FAILURE() << "posix_spawn: " << std::strerror(rc);
    return result;
  }
  char buffer[4096];
  for (;;) {  // until the last holder of the terminal's other end is gone (EIO)
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n > 0) result.output.append(buffer, static_cast<size_t>(n));
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// --- help and exit codes --------------------------------------------------

TEST(CheckerHelp, ListsEveryCommandAndTheExitCodes) {
  test::CommandResult help = checker("--help");
  EXPECT_EQ(help.exitCode, 0);
  for (const char* command : {"check-config", "run-job", "status", "peers", "test-email", "import-state"}) {
    EXPECT_THAT(help.output, HasSubstr("\n  " + std::string(command) + " ")) << command;
  }
  EXPECT_THAT(help.output, HasSubstr("checker help COMMAND"));
  for (const char* code : {"\n  0    ", "\n  1    ", "\n  2    ", "\n  3    ", "\n  100  ", "\n  111  "}) {
    EXPECT_THAT(help.output, HasSubstr(code));
  }
  EXPECT_EQ(checker("help").output, help.output);
  EXPECT_EQ(checker("-h").exitCode, 0);
}

TEST(CheckerHelp, EachCommandHasItsOwnHelpWithOptionsAndExitCodes) {
  for (const char* command : {"check-config", "run-job", "status", "peers", "test-email", "import-state"}) {
    test::CommandResult help = checker(std::string("help ") + command);
    EXPECT_EQ(help.exitCode, 0) << command;
    EXPECT_THAT(help.output, HasSubstr("usage: checker " + std::string(command) + " [-c FILE]")) << command;
    EXPECT_THAT(help.output, HasSubstr("-c, --config FILE")) << command;
    EXPECT_THAT(help.output, HasSubstr("\nexit codes:\n  0    ")) << command;
    EXPECT_THAT(help.output, HasSubstr("\n  2    bad usage")) << command;
    // `checker COMMAND --help` is the same page, whatever else is on the line.
    test::CommandResult dashed = checker(std::string(command) + " -c /nonexistent --help");
    EXPECT_EQ(dashed.exitCode, 0) << command;
    EXPECT_EQ(dashed.output, help.output) << command;
  }
  test::CommandResult status = checker("status -h");
  EXPECT_THAT(status.output, HasSubstr("  --json "));
  EXPECT_THAT(status.output, HasSubstr("  1    a job or peer is failing"));
  EXPECT_THAT(status.output, HasSubstr("  3    checkerd is not running, or its heartbeat is stale"));
  test::CommandResult import = checker("help import-state");
  EXPECT_THAT(import.output, HasSubstr("usage: checker import-state [-c FILE] OLD_STATEFILE [--dry-run] [--force]"));
  EXPECT_THAT(import.output, HasSubstr("  111  checkerd"));
}

TEST(CheckerHelp, BadUsageExitsTwo) {
  EXPECT_EQ(checker("").exitCode, 2);
  EXPECT_EQ(checker("frobnicate").exitCode, 2);
  EXPECT_EQ(checker("help frobnicate").exitCode, 2);
  EXPECT_EQ(checker("status -c").exitCode, 2);
  EXPECT_EQ(checker("status --bogus").exitCode, 2);
  EXPECT_EQ(checker("peers --bogus").exitCode, 2);
  EXPECT_EQ(checker("import-state").exitCode, 2);
  EXPECT_EQ(checker("status -c /nonexistent/settings.cfg").exitCode, 2);
  test::CommandResult typo = checker("stauts -c /nonexistent");
  EXPECT_EQ(typo.exitCode, 2);
  EXPECT_THAT(typo.output, ::testing::StartsWith("checker: unknown command 'stauts'; did you mean 'status'?\n"));
  EXPECT_THAT(checker("help chek-config").output, HasSubstr("no command 'chek-config'; did you mean 'check-config'?"));
  EXPECT_THAT(checker("frobnicate").output, Not(HasSubstr("did you mean")));
  EXPECT_THAT(checker("status -c").output, HasSubstr("checker status: -c needs a FILE (the config)"));
  test::CommandResult version = checker("--version");
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_THAT(version.output, ::testing::StartsWith("checker "));
}

// Without -c the default config is read; when there is none, the error
// names the option rather than only the missing file.
TEST(CheckerHelp, AMissingDefaultConfigNamesTheOption) {
  if (::access("/etc/checker/settings.cfg", F_OK) == 0) GTEST_SKIP() << "this machine has a default config";
  for (const char* command : {"check-config", "status", "peers", "reload"}) {
    test::CommandResult run = checker(command);
    EXPECT_EQ(run.exitCode, 2) << command;
    EXPECT_EQ(run.output, std::string("checker ") + command +
                              ": missing -c FILE (the config; there is none at /etc/checker/settings.cfg)\n");
  }
  test::CommandResult daemon = test::runCommand(std::string(CHECKER_BIN_DIR) + "/checkerd");
  EXPECT_EQ(daemon.exitCode, 2);
  EXPECT_EQ(daemon.output, "checkerd: missing -c FILE (the config; there is none at /etc/checker/settings.cfg)\n");
}

// --- check-config ----------------------------------------------------------

TEST(CheckerCheckConfig, PrintsEachJobsNameFirst) {
  test::TempDir dir;
  test::CommandResult run = checker("check-config -c " + writeConfig(dir));
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("up                tcp:127.0.0.1:1  type=tcp"));
  EXPECT_THAT(run.output, HasSubstr("email self-check  system:email  type=email_selfcheck"));
}

// --- run-job ---------------------------------------------------------------

// As root, the run's worker drops to --job-user as checkerd's do (nobody
// without it), so what passes here passes under checkerd.
TEST(CheckerRunJob, RunsAsTheJobUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root drops to a job user";
  const struct passwd* daemonUser = ::getpwnam("daemon");
  ASSERT_NE(daemonUser, nullptr);
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string cfg = dir.write(
      "settings.cfg", "[general]\nservername = cmd-test\nalertcontact = admin@example.org\nstatefile = " +
                          dir.file("state") + "\n[email]\nnomail = yes\n[job whoami]\ntype = exec\nshell = yes\n"
                          "command = test \"$(id -u)\" = " + std::to_string(daemonUser->pw_uid) + "\n");
  test::CommandResult asDaemon = checker("run-job -c " + cfg + " whoami --job-user daemon");
  EXPECT_EQ(asDaemon.exitCode, 0) << asDaemon.output;
  EXPECT_THAT(asDaemon.output, HasSubstr("whoami (exec:"));
  test::CommandResult asNobody = checker("run-job -c " + cfg + " whoami");
  EXPECT_EQ(asNobody.exitCode, 1) << "ran as daemon without --job-user: " << asNobody.output;
  test::CommandResult unknown = checker("run-job -c " + cfg + " whoami --job-user checker-no-such-user");
  EXPECT_EQ(unknown.exitCode, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("--job-user: no such user 'checker-no-such-user'"));
}

// --- status ----------------------------------------------------------------

TEST(CheckerStatusOutput, APlainTableInAPipeAndExitOneWhenAJobFails) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  StateStore running = seed(dir, true);
  test::CommandResult table = checker("status -c " + cfg);
  EXPECT_EQ(table.exitCode, 1) << table.output;
  EXPECT_THAT(table.output, Not(HasSubstr("\x1b"))) << "no colour in a pipe";
  EXPECT_THAT(table.output, HasSubstr("JOB               STATE      FAILS  LAST RUN  FAILING SINCE        MESSAGE\n"));
  EXPECT_THAT(table.output, ::testing::ContainsRegex("\nup                ok             0  [0-9]+s ago +-\n"));
  EXPECT_THAT(table.output, ::testing::ContainsRegex("\ndown              failing        4  [0-9]+s ago +[0-9-]+ [0-9:]+  could"));
  EXPECT_THAT(table.output, HasSubstr("sixty columns wide\n")) << "nothing is cut in a pipe";
  EXPECT_THAT(table.output, HasSubstr("\nlater             never run      -  -         -\n"));
  EXPECT_THAT(table.output, HasSubstr("email: nomail is set"));
  // checkerd never schedules the self-check with nomail: not "not yet run" forever.
  EXPECT_THAT(table.output, HasSubstr("\nemail self-check  off            -  -         -                    not scheduled: nomail is set\n"));
  EXPECT_THAT(table.output, HasSubstr("1 of 4 job(s) failing: down\n"));
}

TEST(CheckerStatusOutput, ExitZeroWhenEveryJobIsOkOrNeverRun) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  test::CommandResult none = checker("status -c " + cfg);
  EXPECT_EQ(none.exitCode, 3) << none.output;  // checkerd has not run yet (status_daemon_test)
  EXPECT_THAT(none.output, HasSubstr("state: no state at " + dir.file("state")));
  StateStore running = seed(dir, false);
  test::CommandResult ok = checker("status -c " + cfg);
  EXPECT_EQ(ok.exitCode, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("\nno job failing: 2 ok, 1 not run yet, 1 off\n"));
  test::CommandResult json = checker("status --json -c " + cfg);
  EXPECT_EQ(json.exitCode, 0);
  EXPECT_THAT(json.output, HasSubstr("\"healthy\": true"));
}

TEST(CheckerStatusOutput, JsonKeepsItsKeys) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  StateStore running = seed(dir, true);
  test::CommandResult json = checker("status -c " + cfg + " --json");
  EXPECT_EQ(json.exitCode, 1);
  for (const char* key : {"\"schema\": 1", "\"servername\": \"cmd-test\"", "\"healthy\": false", "\"state_error\": \"\"",
                          "\"heartbeat_unix_ms\": ", "\"outbox\": {\"nomail\": true, \"pending\": 0",
                          "\"oldest_pending_unix_ms\": ", "\"last_error\": ", "\"refused\": []", "\"mail_problem\": false",
                          "\"mail_problem_why\": ", "\"peers\": []", "\"jobs\": ["}) {
    EXPECT_THAT(json.output, HasSubstr(key));
  }
  EXPECT_THAT(json.output, HasSubstr("{\"id\": \"tcp:127.0.0.1:2\", \"name\": \"down\", \"state\": \"failing\", "
                                     "\"consecutive_failures\": 4, \"last_run_unix_ms\": "));
  EXPECT_THAT(json.output, HasSubstr("\"last_outcome\": \"failed\", \"message\": \"could not connect"));
  EXPECT_THAT(json.output, ::testing::ContainsRegex("\"runs\": 3, \"type\": \"tcp\", \"system\": false, "
                                                    "\"first_failure_unix_ms\": [0-9]+, \"last_notify_unix_ms\": [0-9]+, "
                                                    "\"notified_failure\": true, \"consecutive_successes\": 0"));
  EXPECT_THAT(json.output, HasSubstr("\"name\": \"later\", \"state\": \"never run\", \"consecutive_failures\": 0"));
  EXPECT_THAT(json.output, HasSubstr("\"name\": \"email self-check\", \"state\": \"off\""));
}

TEST(CheckerStatusOutput, ColourAndTheWidthOnATerminal) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  StateStore running = seed(dir, true);
  PtyRun run = runOnTerminal({kChecker, "status", "-c", cfg}, 100, nullptr);
  EXPECT_EQ(run.exitCode, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("\x1b[31mfailing\x1b[0m"));
  EXPECT_THAT(run.output, HasSubstr("\x1b[32mok\x1b[0m"));
  EXPECT_THAT(run.output, HasSubstr("\x1b[2mnever run\x1b[0m"));
  EXPECT_THAT(run.output, HasSubstr("\x1b[31m1 of 4 job(s) failing: down\x1b[0m"));
  // The message is cut to the terminal's 100 columns.
  EXPECT_THAT(run.output, Not(HasSubstr("sixty columns wide")));
  std::istringstream lines(run.output);
  bool sawCut = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the terminal's CRLF
    std::string visible;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\x1b') i = line.find('m', i);
      else visible += line[i];
    }
    EXPECT_LE(visible.size(), 100u) << visible;
    sawCut = sawCut || (visible.starts_with("down ") && visible.ends_with("...") && visible.size() == 100);
  }
  EXPECT_TRUE(sawCut) << run.output;
}

TEST(CheckerStatusOutput, NoColorTurnsColourOffOnATerminal) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  StateStore running = seed(dir, true);
  PtyRun run = runOnTerminal({kChecker, "status", "-c", cfg}, 100, "1");
  EXPECT_EQ(run.exitCode, 1);
  EXPECT_THAT(run.output, HasSubstr("failing"));
  EXPECT_THAT(run.output, Not(HasSubstr("\x1b")));
  PtyRun empty = runOnTerminal({kChecker, "status", "-c", cfg}, 100, "");  // set but empty: no effect
  EXPECT_THAT(empty.output, HasSubstr("\x1b[31mfailing"));
}

}  // namespace
}  // namespace checker
