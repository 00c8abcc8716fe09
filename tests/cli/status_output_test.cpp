// What `checker status` prints, without processes: the aligned table, colour
// only when asked for, messages cut to a terminal's width, the exit code's
// rule, and the JSON keys scripts rely on.
#include "cli/status_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/table.h"
#include "cli/terminal.h"
#include "state/state_keys.h"

namespace checker::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'700'000'000'000;
const TerminalOutput kPipe{false, 0};

TEST(Table, ColumnsAreAlignedAndNumbersRightAligned) {
  Table t({{"NAME"}, {"N", true}, {"NOTE"}});
  t.add({{"a"}, {"7"}, {"short"}});
  t.add({{"longer"}, {"12"}, {""}});
  EXPECT_EQ(t.render(kPipe),
            "NAME     N  NOTE\n"
            "a        7  short\n"
            "longer  12\n");
}

TEST(Table, ColourWrapsTheTextNotThePadding) {
  Table t({{"STATE"}, {"X"}});
  t.add({{"ok", Style::good}, {"1"}});
  t.add({{"failing", Style::bad}, {"2"}});
  t.add({{"never", Style::dim}, {"3"}});
  std::string coloured = t.render({true, 0});
  EXPECT_THAT(coloured, HasSubstr("\x1b[32mok\x1b[0m       1\n"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[31mfailing\x1b[0m  2\n"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[2mnever\x1b[0m    3\n"));
  EXPECT_THAT(t.render(kPipe), Not(HasSubstr("\x1b")));
}

TEST(Table, TheLastColumnIsCutToTheWidthOnlyOnATerminal) {
  Table t({{"A"}, {"MESSAGE"}});
  t.add({{"x"}, {"a message much longer than the terminal is wide"}});
  EXPECT_EQ(t.render({false, 20}), "A  MESSAGE\nx  a message much...\n");  // 20 columns
  EXPECT_THAT(t.render(kPipe), HasSubstr("terminal is wide\n"));
}

TEST(Table, UnicodeCountsByCharacterAndIsNeverCutInside) {
  EXPECT_EQ(displayWidth("grün"), 4u);
  EXPECT_EQ(truncateToWidth("ääääääää", 6), "äää...");
  EXPECT_EQ(truncateToWidth("ok", 6), "ok");
  Table t({{"N"}, {"M"}});
  t.add({{"grün"}, {"line one\nline two"}});
  t.add({{"x"}, {"y"}});
  EXPECT_EQ(t.render(kPipe), "N     M\ngrün  line one line two\nx     y\n");
}

TEST(Terminal, PaintIsPlainWithoutColour) {
  EXPECT_EQ(paint("failing", Style::bad, false), "failing");
  EXPECT_EQ(paint("failing", Style::bad, true), "\x1b[31mfailing\x1b[0m");
  EXPECT_EQ(paint("x", Style::plain, true), "x");
}

JobRow job(const std::string& name, const std::string& state, uint32_t failures = 0) {
  JobRow row;
  row.id = "tcp:" + name;
  row.name = name;
  row.type = "tcp";
  row.state = state;
  row.failures = failures;
  if (state != "never run") {
    row.runs = 5;
    row.lastRunUnixMs = kNow - 4'000;
    row.outcome = failures ? "failed" : "ok";
  }
  if (failures) row.firstFailureUnixMs = kNow - 3'600'000;
  return row;
}

TEST(StatusExitCode, OkOrNeverRunWithHealthyMailIsZero) {
  StatusReport r;
  r.jobs = {job("a", "ok"), job("b", "never run")};
  EXPECT_EQ(statusExitCode(r), kExitOk);
  r.stateError = "no state at /x: has checkerd run with this config?";
  r.stateMissing = true;
  EXPECT_EQ(statusExitCode(r), kExitOk) << "a checkerd holding the lock, about to create the state";
}

TEST(StatusExitCode, CheckerdNotRunningOrStaleIsThreeWhateverTheJobsSay) {
  StatusReport r;
  r.jobs = {job("a", "ok")};
  r.daemon = kDaemonNotRunning;
  EXPECT_EQ(statusExitCode(r), kExitDaemonDown);
  r.daemon = kDaemonStale;
  EXPECT_EQ(statusExitCode(r), kExitDaemonDown);
  r.jobs = {job("a", "failing", 2)};
  EXPECT_EQ(statusExitCode(r), kExitDaemonDown) << "what is failing may be old; checkerd's absence is not";
  EXPECT_THAT(statusJson(r), HasSubstr("\"healthy\": false, \"daemon\": \"stale\""));
}

TEST(DaemonState, TheLockThenTheHeartbeatsAge) {
  const int64_t stale = state_keys::kHeartbeatStaleMs;
  EXPECT_STREQ(daemonState(false, true, kNow, kNow), kDaemonNotRunning);
  EXPECT_STREQ(daemonState(false, false, 0, kNow), kDaemonNotRunning);
  EXPECT_STREQ(daemonState(true, true, kNow - stale, kNow), kDaemonRunning);
  EXPECT_STREQ(daemonState(true, true, kNow - stale - 1, kNow), kDaemonStale);
  EXPECT_STREQ(daemonState(true, true, 0, kNow), kDaemonStale) << "held, but never a heartbeat";
  EXPECT_STREQ(daemonState(true, true, kNow + 600'000, kNow), kDaemonRunning) << "the clock was stepped back";
  EXPECT_STREQ(daemonState(true, false, 0, kNow), kDaemonRunning) << "the state unreadable: the lock decides";
  EXPECT_GE(stale, 3 * state_keys::kHeartbeatEveryMs) << "one late beat is not stale";
}

TEST(StatusText, TheFirstLineSaysWhetherCheckerdRuns) {
  StatusReport r;
  r.jobs = {job("web", "ok")};
  r.daemonPid = "42";
  EXPECT_THAT(statusText(r, kPipe, kNow), ::testing::StartsWith("checkerd: running (pid 42)\n"));
  r.daemon = kDaemonStale;
  r.heartbeatUnixMs = kNow - 300'000;
  std::string stale = statusText(r, kPipe, kNow);
  EXPECT_THAT(stale, ::testing::StartsWith("checkerd: NOT RESPONDING: a process (pid 42) has the state open, but its "
                                           "heartbeat is 5m ago (stale after 60s); what follows may be old\n"));
  EXPECT_THAT(stale, HasSubstr("\ncheckerd is stale; no job failing: 1 ok\n"));
  r.daemon = kDaemonNotRunning;
  r.daemonPid = "";
  r.stateDir = "/var/lib/checker";
  std::string down = statusText(r, {true, 0}, kNow);
  EXPECT_THAT(down, ::testing::StartsWith("\x1b[31mcheckerd: NOT RUNNING: nothing has the state at /var/lib/checker "
                                          "open; what follows is as it was left\x1b[0m\n"));
  EXPECT_THAT(down, HasSubstr("checkerd is not running; no job failing: 1 ok"));
}

// The email self-check that has not run (nomail: it never will) is counted
// as not run, never among the jobs that are ok.
TEST(StatusText, TheNeverRunSelfCheckIsNotCountedOk) {
  StatusReport r;
  JobRow selfCheck = job("email self-check", "not yet run");
  selfCheck.system = true;
  selfCheck.runs = 0;
  selfCheck.outcome = "-";
  r.jobs = {job("web", "ok"), job("db", "ok"), selfCheck};
  EXPECT_THAT(statusText(r, kPipe, kNow), HasSubstr("\nno job failing: 2 ok, 1 not run yet\n"));
}

// A plugin section checkerd has not described yet (status lists the
// config's jobs before checkerd wrote its own list): neither ok nor failing.
TEST(StatusText, APluginSectionNotDescribedIsNeitherOkNorFailing) {
  StatusReport r;
  JobRow plugin = job("many", kNotDescribed);
  plugin.runs = 0;
  plugin.lastRunUnixMs = 0;
  plugin.outcome = "-";
  r.jobs = {job("web", "ok"), plugin};
  EXPECT_EQ(statusExitCode(r), kExitOk);
  std::string text = statusText(r, kPipe, kNow);
  EXPECT_THAT(text, ::testing::ContainsRegex("\nmany +not described +- +- +-"));
  EXPECT_THAT(text, HasSubstr("\nno job failing: 1 ok, 1 plugin section(s) not described yet\n"));
}

TEST(StatusExitCode, AnythingFailingIsOne) {
  StatusReport r;
  r.jobs = {job("a", "ok"), job("b", "failing", 2)};
  EXPECT_EQ(statusExitCode(r), kExitUnhealthy);
  r.jobs = {job("a", "unreadable")};
  EXPECT_EQ(statusExitCode(r), kExitUnhealthy);
  r.jobs = {job("a", "ok")};
  r.mailProblem = true;
  EXPECT_EQ(statusExitCode(r), kExitUnhealthy);
  r.mailProblem = false;
  r.stateError = "mdb_env_open(/x): Permission denied";
  EXPECT_EQ(statusExitCode(r), kExitUnhealthy);
}

TEST(StatusText, ATableOfJobsAndASummary) {
  StatusReport r;
  r.heartbeatUnixMs = kNow - 2'000;
  r.jobs = {job("web", "ok"), job("db", "failing", 3), job("later", "never run")};
  r.jobs[1].message = "connection refused";
  r.jobs[1].outcome = "timed_out";
  r.peers = {PeerRow{"friend", "http://f/", "healthy", "", kNow - 1'000, 0}};
  std::string text = statusText(r, kPipe, kNow);
  EXPECT_THAT(text, HasSubstr("scheduler heartbeat: "));
  EXPECT_THAT(text, HasSubstr("(2s ago)\nmail: healthy\noutbox: empty\n"));
  EXPECT_THAT(text, HasSubstr("JOB    STATE      FAILS  LAST RUN  FAILING SINCE        MESSAGE\n"));
  EXPECT_THAT(text, HasSubstr("web    ok             0  4s ago    -\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("db     failing        3  4s ago    [0-9-]+ [0-9:]+  timed_out: connection refused\n"));
  EXPECT_THAT(text, HasSubstr("later  never run      -  -         -\n"));
  EXPECT_THAT(text, HasSubstr("PEER    ANSWER   ASKED   FAILING SINCE  DETAIL\nfriend  healthy  1s ago  -              (http://f/)\n"));
  EXPECT_THAT(text, HasSubstr("1 of 3 job(s) failing: db\n"));
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  std::string coloured = statusText(r, {true, 0}, kNow);
  EXPECT_THAT(coloured, HasSubstr("\x1b[31mfailing\x1b[0m"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[32mok\x1b[0m"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[2mnever run\x1b[0m"));
  EXPECT_THAT(coloured, HasSubstr("mail: \x1b[32mhealthy\x1b[0m"));
  r.jobs[1] = job("db", "ok");
  EXPECT_THAT(statusText(r, kPipe, kNow), HasSubstr("\nno job failing: 2 ok, 1 not run yet\n"));
}

// A job whose notices are held (issue 19): its state says by what, its
// message starts with why, the summary counts it, and --json has both.
TEST(StatusText, AJobWhoseNoticesAreHeldSaysSoAndWhy) {
  StatusReport r;
  r.heartbeatUnixMs = kNow - 2'000;
  r.jobs = {job("router", "failing", 2), job("nas", "failing", 2)};
  r.jobs[1].message = "connection refused";
  r.jobs[1].hold = "blocked";
  r.jobs[1].holdReason = "blocked by router";
  r.jobs[1].holdSinceUnixMs = kNow - 5'000;
  std::string text = statusText(r, kPipe, kNow);
  EXPECT_THAT(text, ::testing::ContainsRegex("nas +failing, blocked +2 .*\\[notices held: blocked by router\\] "
                                             "connection refused\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("router +failing +2 "));
  EXPECT_THAT(text, HasSubstr("2 of 2 job(s) failing: router, nas; notices held for 1\n"));
  std::string json = statusJson(r);
  EXPECT_THAT(json, HasSubstr("\"notices_held\": {\"by\": \"blocked\", \"reason\": \"blocked by router\", "
                              "\"since_unix_ms\": " + std::to_string(kNow - 5'000) + "}"));
}

TEST(StatusText, MailProblemsAndTheOutbox) {
  StatusReport r;
  r.mailProblem = true;
  r.mailProblemWhy = "the last email self-check failed: send (connect)";
  r.outbox.pending = 2;
  r.outbox.oldestPendingUnixMs = kNow - 600'000;
  r.outbox.lastError = "connect: refused";
  r.outbox.refused = {RefusedMail{4, "x@example.org", "[s] web", "550 no such user"}};
  std::string text = statusText(r, kPipe, kNow);
  EXPECT_THAT(text, HasSubstr("mail: PROBLEM: the last email self-check failed: send (connect)\n"));
  EXPECT_THAT(text, HasSubstr("outbox: 2 pending, the oldest queued 10m ago; last error: connect: refused\n"));
  EXPECT_THAT(text, HasSubstr("outbox: entry 4 to x@example.org REFUSED for good: 550 no such user ([s] web)\n"));
  r.noMail = true;
  EXPECT_THAT(statusText(r, kPipe, kNow), HasSubstr("email: nomail is set"));
}

TEST(StatusJson, KeysScriptsRelyOn) {
  StatusReport r;
  r.serverName = "alpha";
  r.heartbeatUnixMs = 5;
  r.jobs = {job("db", "failing", 3)};
  r.jobs[0].lastNotifyUnixMs = kNow - 1'000;
  r.jobs[0].notifiedFailure = true;
  r.peers = {PeerRow{"friend", "http://f/", "no answer", "refused", 7, 6}};
  r.lastReload = ReloadRow{8, false, "the running config stays: s.cfg:3: bad"};
  r.channels = {ChannelRow{"hooks", "webhook", 9, "webhook hooks: HTTP 200 from h", 10, "webhook hooks: HTTP 500 from h",
                           2, 11, 1}};
  std::string json = statusJson(r);
  EXPECT_THAT(json, ::testing::StartsWith("{\"schema\": 1, \"servername\": \"alpha\", \"healthy\": false, "
                                          "\"daemon\": \"running\", "
                                          "\"state_error\": \"\", \"heartbeat_unix_ms\": 5, \"outbox\": {\"nomail\": false, "
                                          "\"pending\": 0, \"oldest_pending_unix_ms\": 0, \"last_error\": \"\", \"refused\": []}, "
                                          "\"mail_problem\": false, \"mail_problem_why\": \"\", \"peers\": [{\"name\": \"friend\", "
                                          "\"url\": \"http://f/\", \"status\": \"no answer\", \"message\": \"refused\", "
                                          "\"last_query_unix_ms\": 7, \"failing_since_unix_ms\": 6}], "
                                          "\"last_reload\": {\"unix_ms\": 8, \"ok\": false, \"message\": "
                                          "\"the running config stays: s.cfg:3: bad\"}, \"jobs\": [\n"));
  EXPECT_THAT(json, HasSubstr("  {\"id\": \"tcp:db\", \"name\": \"db\", \"state\": \"failing\", \"consecutive_failures\": 3, "
                              "\"last_run_unix_ms\": " + std::to_string(kNow - 4'000) +
                              ", \"last_outcome\": \"failed\", \"message\": \"\", \"runs\": 5, \"type\": \"tcp\", "
                              "\"system\": false, \"first_failure_unix_ms\": " + std::to_string(kNow - 3'600'000) +
                              ", \"last_notify_unix_ms\": " + std::to_string(kNow - 1'000) +
                              ", \"notified_failure\": true, \"consecutive_successes\": 0, \"notices_held\": null, "
                              "\"flapping\": false}"));
  // Added after "jobs" (keys are only added): each channel, never a URL.
  EXPECT_THAT(json, ::testing::EndsWith("}\n], \"channels\": [{\"name\": \"hooks\", \"type\": \"webhook\", "
                                        "\"last_success_unix_ms\": 9, \"last_success_reply\": \"webhook hooks: HTTP 200 "
                                        "from h\", \"pending\": 2, \"oldest_pending_unix_ms\": 11, \"refused\": 1, "
                                        "\"last_error_unix_ms\": 10, \"last_error\": \"webhook hooks: HTTP 500 from h\"}]}\n"));
}

TEST(StatusText, EachChannelsHealthInATable) {
  StatusReport r;
  r.channels = {ChannelRow{"email", "email", kNow - 5'000, "250 ok", 0, "", 0, 0, 0},
                ChannelRow{"hooks", "webhook", 0, "", kNow - 3'000, "webhook hooks: HTTP 500 from h", 2, kNow - 60'000, 1}};
  std::string text = statusText(r, kPipe, kNow);
  EXPECT_THAT(text, HasSubstr("CHANNEL  TYPE     LAST SUCCESS  PENDING                        LAST ERROR\n"
                              "email    email    5s ago        0                              -\n"
                              "hooks    webhook  -             2 (oldest 60s ago), 1 refused  3s ago: webhook hooks: HTTP 500 from h\n"));
}

TEST(StatusTime, AgesAndLocalTimes) {
  EXPECT_EQ(ageOf(0, kNow), "-");
  EXPECT_EQ(ageOf(kNow - 119'000, kNow), "119s ago");
  EXPECT_EQ(ageOf(kNow - 120'000, kNow), "2m ago");
  EXPECT_EQ(ageOf(kNow - 3 * 3'600'000, kNow), "3h ago");
  EXPECT_EQ(ageOf(kNow - 3 * 86'400'000, kNow), "3d ago");
  EXPECT_EQ(ageOf(kNow + 5'000, kNow), "0s ago");  // a clock step back
  EXPECT_EQ(localTime(0), "-");
  EXPECT_THAT(localTime(kNow), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"));
}

}  // namespace
}  // namespace checker::cli
