// Classification of a finished worker run, case by case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "state/run_outcome.h"

namespace checker {
namespace {

using ::testing::HasSubstr;
using Outcome = ipc::Outcome;

RunObservation okReply(bool jobOk, std::string message = "") {
  RunObservation o;
  o.reply = ReplyState::ok;
  o.jobOk = jobOk;
  o.jobMessage = std::move(message);
  o.timeoutMs = 5000;
  o.cpuSeconds = 3;
  return o;
}

TEST(RunOutcome, TheWorkersVerdictWhenNothingElseHappened) {
  EXPECT_EQ(classifyRun(okReply(true, "fine")).outcome, Outcome::OK);
  ClassifiedRun failed = classifyRun(okReply(false, "connection refused"));
  EXPECT_EQ(failed.outcome, Outcome::FAILED);
  EXPECT_EQ(failed.message, "connection refused");
}

TEST(RunOutcome, DeadlineBeatsEverything) {
  RunObservation o = okReply(true);
  o.killedAtDeadline = true;
  o.termSignal = SIGKILL;
  ClassifiedRun c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::TIMED_OUT);
  EXPECT_THAT(c.message, HasSubstr("no result before the deadline (5000 ms)"));
}

TEST(RunOutcome, WorkerSignals) {
  RunObservation o = okReply(true);
  o.termSignal = SIGSEGV;
  ClassifiedRun c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::CRASHED);
  EXPECT_EQ(c.signal, SIGSEGV);
  EXPECT_THAT(c.message, HasSubstr("SIGSEGV"));
  o.termSignal = SIGXCPU;
  c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::LIMIT);
  EXPECT_THAT(c.message, HasSubstr("CPU limit of 3 s"));
  o.termSignal = SIGKILL;
  EXPECT_EQ(classifyRun(o).outcome, Outcome::CRASHED);  // SIGKILL from elsewhere
  o.memoryLimitHit = true;
  c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::LIMIT);
  EXPECT_THAT(c.message, HasSubstr("memory limit"));
}

TEST(RunOutcome, TheJobsOwnProcessDyingIsCrashOrLimitToo) {
  RunObservation o = okReply(false, "check_thing: killed");
  o.jobSignal = SIGABRT;
  ClassifiedRun c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::CRASHED);
  EXPECT_EQ(c.signal, SIGABRT);
  EXPECT_THAT(c.message, HasSubstr("the job's process was killed by SIGABRT: check_thing: killed"));
  o.jobSignal = SIGXCPU;
  EXPECT_EQ(classifyRun(o).outcome, Outcome::LIMIT);
  o.jobSignal = SIGKILL;
  o.memoryLimitHit = true;
  EXPECT_EQ(classifyRun(o).outcome, Outcome::LIMIT);
}

TEST(RunOutcome, EveryBadReplyIsAProtocolError) {
  for (ReplyState state : {ReplyState::none, ReplyState::malformed, ReplyState::oversize, ReplyState::extraBytes,
                           ReplyState::wrongKind}) {
    RunObservation o = okReply(true);
    o.reply = state;
    o.replyError = "why";
    EXPECT_EQ(classifyRun(o).outcome, Outcome::PROTOCOL_ERROR) << static_cast<int>(state);
  }
  RunObservation none = okReply(true);
  none.reply = ReplyState::none;
  none.exitStatus = 101;
  none.stderrExcerpt = "checker-worker: bad request";
  ClassifiedRun c = classifyRun(none);
  EXPECT_THAT(c.message, HasSubstr("without a result (exit status 101): checker-worker: bad request"));
  RunObservation oversize = okReply(true);
  oversize.reply = ReplyState::oversize;
  oversize.replyError = "frame of 104857600 bytes";
  EXPECT_THAT(classifyRun(oversize).message, HasSubstr("oversize result: frame of 104857600 bytes"));
}

TEST(RunOutcome, NonZeroExitAfterAGoodReplyIsSuspicious) {
  RunObservation o = okReply(true);
  o.exitStatus = 3;
  EXPECT_EQ(classifyRun(o).outcome, Outcome::PROTOCOL_ERROR);
}

TEST(RunOutcome, NoWorkerAtAll) {
  RunObservation o;
  o.spawned = false;
  o.spawnError = "uv_spawn(/x): no such file or directory";
  ClassifiedRun c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::PROTOCOL_ERROR);
  EXPECT_THAT(c.message, HasSubstr("could not start the worker: uv_spawn(/x)"));
}

TEST(RunOutcome, Names) {
  EXPECT_STREQ(outcomeName(Outcome::TIMED_OUT), "timed_out");
  EXPECT_STREQ(outcomeName(Outcome::PROTOCOL_ERROR), "protocol_error");
  EXPECT_EQ(signalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signalName(200), "signal 200");
}

}  // namespace
}  // namespace checker

namespace checker {
namespace {

TEST(RunOutcome, ABadReplyWinsOverTheSigkillItEarned) {
  for (ReplyState state : {ReplyState::malformed, ReplyState::oversize, ReplyState::extraBytes}) {
    RunObservation o = okReply(true);
    o.reply = state;
    o.replyError = "garbage";
    o.termSignal = SIGKILL;  // we killed it for the reply
    EXPECT_EQ(classifyRun(o).outcome, Outcome::PROTOCOL_ERROR) << static_cast<int>(state);
  }
  RunObservation died = okReply(true);
  died.reply = ReplyState::none;
  died.termSignal = SIGSEGV;  // died before replying: a crash
  EXPECT_EQ(classifyRun(died).outcome, Outcome::CRASHED);
}

TEST(RunOutcome, AJobThatGaveUpAtItsDeadlineTimedOut) {
  RunObservation o = okReply(false, "did not finish before the run's deadline; killed after 2001 ms");
  o.jobDeadlineExceeded = true;
  ClassifiedRun c = classifyRun(o);
  EXPECT_EQ(c.outcome, Outcome::TIMED_OUT);
  EXPECT_THAT(c.message, HasSubstr("killed after 2001 ms"));
}

}  // namespace
}  // namespace checker
