// The notice gate (state/notice_gate.h) and flap detection
// (state/flapping.h): sequences of runs through the real policy and the
// gate, with quiet windows, a failing parent and flapping, and what is sent.
// Time is a number the test hands in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "state/flapping.h"
#include "state/notice_gate.h"
#include "state/policy.h"
#include "supervisor/peer_confirmation.h"

namespace checker {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMinute = 60'000;

// A job as the supervisor keeps it: the policy's state and the gate's.
struct GatedJob {
  NotifySettings notify;
  PolicyState policy;
  GateRecord gate;
  std::vector<GateNotice> sent;
  std::string lastNote;
  int64_t now = kT0;

  void run(bool ok, const GateFacts& facts = {}) {
    now += kMinute;
    PolicyDecision decision = applyPolicy(policy, ok, now, notify);
    GateDecision d = gateRun(policy, decision, !ok, gate, facts, notify.flap, now);
    policy = d.policy;
    gate = d.gate;
    lastNote = d.note;
    if (d.notice != GateNotice::none) sent.push_back(d.notice);
  }
  void release(const GateFacts& facts = {}) {
    GateDecision d = gateRelease(policy, gate, facts, notify, now);
    policy = d.policy;
    gate = d.gate;
    lastNote = d.note;
    if (d.notice != GateNotice::none) sent.push_back(d.notice);
  }
};

GateFacts quiet(const std::string& why = "maintenance nightly until 03:00") {
  GateFacts facts;
  facts.quiet = why;
  return facts;
}

GateFacts blockedBy(const std::string& parent) {
  GateFacts facts;
  facts.blockedBy = parent;
  return facts;
}

using N = GateNotice;

TEST(Flapping, AlternatingRunsAreAHundredPercentAndSteadyOnesZero) {
  RecentRuns alternating, steady;
  for (uint32_t i = 0; i < kFlapWindowRuns; ++i) {
    alternating = withRun(alternating, i % 2 == 0);
    steady = withRun(steady, true);
  }
  EXPECT_NEAR(percentStateChange(alternating), 100.0, 1e-9);
  EXPECT_EQ(percentStateChange(steady), 0.0);
  EXPECT_EQ(alternating.count, kFlapWindowRuns);
}

TEST(Flapping, NewerChangesWeighMoreThanOlderOnes) {
  RecentRuns newest, oldest;
  // One change at the newest end: ok x20 then a failure.
  for (uint32_t i = 0; i < 20; ++i) newest = withRun(newest, false);
  newest = withRun(newest, true);
  // One change at the oldest end: a failure then ok x20.
  oldest = withRun(oldest, true);
  for (uint32_t i = 0; i < 20; ++i) oldest = withRun(oldest, false);
  EXPECT_NEAR(percentStateChange(newest), 1.2 * 100 / 20, 1e-9);
  EXPECT_NEAR(percentStateChange(oldest), 0.8 * 100 / 20, 1e-9);
}

TEST(Flapping, OnlyTheLastTwentyOneRunsCount) {
  RecentRuns runs;
  for (int i = 0; i < 40; ++i) runs = withRun(runs, i % 2 == 0);  // flapping long ago
  for (uint32_t i = 0; i < kFlapWindowRuns; ++i) runs = withRun(runs, false);
  EXPECT_EQ(percentStateChange(runs), 0.0);
}

TEST(Flapping, TheThresholdsHaveAGapBetweenThem) {
  FlapSettings flap;  // 50 / 25
  EXPECT_FALSE(flappingAfter(false, 49.9, flap));
  EXPECT_TRUE(flappingAfter(false, 50.0, flap));
  EXPECT_TRUE(flappingAfter(true, 30.0, flap));
  EXPECT_FALSE(flappingAfter(true, 24.9, flap));
  flap.enabled = false;
  EXPECT_FALSE(flappingAfter(true, 100.0, flap));
}

TEST(NoticeGate, WithNothingInTheWayItSendsWhatThePolicySays) {
  GatedJob job;
  job.run(false);
  job.run(false);
  job.run(true);
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure, N::recovery}));
  EXPECT_EQ(job.gate.hold, NoticeHold::none);
}

TEST(NoticeGate, AQuietJobStillFailingGetsOneNoticeWhenTheWindowEnds) {
  GatedJob job;
  job.run(true);
  for (int i = 0; i < 5; ++i) job.run(false, quiet());
  EXPECT_TRUE(job.sent.empty());
  EXPECT_EQ(job.gate.hold, NoticeHold::quiet);
  EXPECT_EQ(job.gate.holdReason, "maintenance nightly until 03:00");
  EXPECT_FALSE(job.policy.notifiedFailure);
  EXPECT_EQ(job.policy.consecutiveFailures, 5u);  // history goes on
  job.release(quiet());                          // still quiet: nothing
  EXPECT_TRUE(job.sent.empty());
  job.release();  // the window ended
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure}));
  EXPECT_EQ(job.gate.hold, NoticeHold::none);
  EXPECT_NE(job.lastNote.find("maintenance nightly"), std::string::npos) << job.lastNote;
  job.release();  // once
  job.run(false);  // state_change: no reminder
  job.run(true);   // and its recovery is told, since its failure was
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure, N::recovery}));
}

TEST(NoticeGate, AQuietJobThatRecoveredGetsNothing) {
  GatedJob job;
  job.run(false, quiet());
  job.run(true, quiet());
  job.release();
  job.run(true);
  EXPECT_TRUE(job.sent.empty());
}

TEST(NoticeGate, ARecoveryDueWhileQuietIsDropped) {
  GatedJob job;
  job.run(false);           // told
  job.run(true, quiet());   // recovered inside the window: not told
  EXPECT_EQ(job.lastNote, "recovery notice not sent: maintenance nightly until 03:00");
  job.release();
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure}));
  EXPECT_EQ(job.policy.health, JobHealth::ok);
}

TEST(NoticeGate, RemindersHeldWhileQuietGoOnAfterIt) {
  GatedJob job;
  job.notify.mode = NotifyMode::every;
  job.run(false);
  job.run(false, quiet());
  job.run(false, quiet());
  job.release();  // already told this episode: no extra notice at the end
  job.run(false);
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure, N::failure}));
}

TEST(NoticeGate, TheThresholdStillCountsAtTheRelease) {
  GatedJob job;
  job.notify.failuresBeforeNotify = 3;
  job.run(false, quiet());
  job.run(false, quiet());
  job.release();  // 2 failures of 3: not news yet
  EXPECT_TRUE(job.sent.empty());
  job.run(false);
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure}));
}

TEST(NoticeGate, ABlockedChildIsToldOnlyIfItStillFailsAfterItsParent) {
  GatedJob child, other;
  child.run(false, blockedBy("router"));
  other.run(false, blockedBy("router"));
  EXPECT_EQ(child.gate.hold, NoticeHold::blocked);
  EXPECT_EQ(child.gate.holdReason, "blocked by router");
  EXPECT_NE(child.lastNote.find("blocked by router"), std::string::npos) << child.lastNote;
  other.run(true, blockedBy("router"));  // came back with the router
  child.release();
  other.release();
  EXPECT_EQ(child.sent, (std::vector<N>{N::failure}));
  EXPECT_TRUE(other.sent.empty());
}

TEST(NoticeGate, AFlappingJobIsToldOnceThenOnceMoreWhenItSettles) {
  GatedJob job;
  job.run(true);
  for (int i = 0; i < 20; ++i) job.run(i % 2 == 0);  // ok, fail, ok, fail, ...
  ASSERT_FALSE(job.sent.empty());
  // Before flapping was detected each failure and recovery was told; then one flapping notice.
  auto flapAt = std::find(job.sent.begin(), job.sent.end(), N::flapping);
  ASSERT_NE(flapAt, job.sent.end());
  EXPECT_EQ(std::count(job.sent.begin(), job.sent.end(), N::flapping), 1);
  EXPECT_EQ(flapAt + 1, job.sent.end()) << "nothing after the flapping notice while it flaps";
  EXPECT_TRUE(job.gate.flapping);
  EXPECT_EQ(job.gate.hold, NoticeHold::flapping);
  size_t told = job.sent.size();
  int runs = 0;
  while (job.gate.flapping && runs < 40) {  // settles failing
    job.run(false);
    ++runs;
  }
  EXPECT_FALSE(job.gate.flapping);
  EXPECT_LT(runs, 21);
  EXPECT_EQ(job.sent.size(), told + 1);
  EXPECT_EQ(job.sent.back(), N::failure);
  EXPECT_TRUE(job.policy.notifiedFailure);
  for (int i = 0; i < 5; ++i) job.run(false);  // state_change: quiet now
  job.run(true);
  EXPECT_EQ(job.sent.size(), told + 2);
  EXPECT_EQ(job.sent.back(), N::recovery);
}

TEST(NoticeGate, AFlappingJobThatSettlesOkGetsARecovery) {
  GatedJob job;
  for (int i = 0; i < 21; ++i) job.run(i % 2 == 0);
  ASSERT_TRUE(job.gate.flapping);
  while (job.gate.flapping) job.run(true);
  EXPECT_EQ(job.sent.back(), N::recovery);
}

TEST(NoticeGate, WithoutFlapDetectionEveryChangeIsTold) {
  GatedJob job;
  job.notify.flap.enabled = false;
  for (int i = 0; i < 21; ++i) job.run(i % 2 == 1);  // fail, ok, fail, ...
  EXPECT_EQ(job.sent.size(), 21u);
  EXPECT_FALSE(job.gate.flapping);
}

TEST(NoticeGate, QuietBeatsBlockedAndBlockedBeatsFlapping) {
  GatedJob job;
  GateFacts both = quiet();
  both.blockedBy = "router";
  job.run(false, both);
  EXPECT_EQ(job.gate.hold, NoticeHold::quiet);
  job.release(blockedBy("router"));
  EXPECT_EQ(job.gate.hold, NoticeHold::blocked);
  EXPECT_TRUE(job.sent.empty());
}

TEST(NoticeGate, TheHoldKeepsItsStartWhileItLasts) {
  GatedJob job;
  job.run(false, quiet());
  int64_t since = job.gate.holdSinceUnixMs;
  EXPECT_EQ(since, job.now);
  job.run(false, quiet());
  EXPECT_EQ(job.gate.holdSinceUnixMs, since);
  job.release();
  EXPECT_EQ(job.gate.holdSinceUnixMs, 0);
}

}  // namespace
}  // namespace checker

namespace checker {
namespace {

GateFacts confirmation(Confirmation phase, const std::string& text = "") {
  GateFacts facts;
  facts.confirmation = phase;
  facts.confirmationText = text;
  return facts;
}

TEST(NoticeGateConfirm, AFailureWaitsForItsPeersThenGoesOutNamingThem) {
  GatedJob job;
  // The failing run: the notice is held and the peers are to be asked.
  job.now += kMinute;
  PolicyDecision decision = applyPolicy(job.policy, false, job.now, job.notify);
  GateDecision d = gateRun(job.policy, decision, true, job.gate, confirmation(Confirmation::needed), job.notify.flap, job.now);
  EXPECT_EQ(d.notice, GateNotice::none);
  EXPECT_TRUE(d.askPeers);
  EXPECT_EQ(d.gate.hold, NoticeHold::confirming);
  EXPECT_FALSE(d.policy.notifiedFailure);
  job.policy = d.policy;
  job.gate = d.gate;
  // While they are asked, another failing run is held, and they are not asked twice.
  d = gateRun(job.policy, applyPolicy(job.policy, false, job.now + 1000, job.notify), true, job.gate,
              confirmation(Confirmation::asking, "asking b"), job.notify.flap, job.now + 1000);
  EXPECT_EQ(d.notice, GateNotice::none);
  EXPECT_FALSE(d.askPeers);
  job.policy = d.policy;
  job.gate = d.gate;
  // They confirm: the notice goes out, naming them.
  job.release(confirmation(Confirmation::confirmed, "failing from a (here) and b"));
  EXPECT_EQ(job.sent, (std::vector<N>{N::failure}));
  EXPECT_TRUE(job.policy.notifiedFailure);
  EXPECT_EQ(job.gate.hold, NoticeHold::none);
}

TEST(NoticeGateConfirm, AFailureThePeersDoNotSeeIsHeldAsUnconfirmed) {
  GatedJob job;
  std::string why = "not confirmed: this vantage point only (1 of 2 needed see it failing; b sees it ok)";
  job.run(false, confirmation(Confirmation::needed));
  job.release(confirmation(Confirmation::unconfirmed, why));
  EXPECT_TRUE(job.sent.empty());
  EXPECT_EQ(job.gate.hold, NoticeHold::unconfirmed);
  EXPECT_EQ(job.gate.holdReason, why);
  job.run(false, confirmation(Confirmation::unconfirmed, why));
  EXPECT_TRUE(job.sent.empty());
  EXPECT_EQ(job.lastNote, "failure notice not sent: " + why);
  job.run(true);  // recovered: nothing to tell
  EXPECT_TRUE(job.sent.empty());
  EXPECT_EQ(job.gate.hold, NoticeHold::none);
}

TEST(NoticeGateConfirm, QuietComesBeforeAskingThePeers) {
  GatedJob job;
  GateFacts facts = quiet();
  facts.confirmation = Confirmation::needed;
  job.now += kMinute;
  GateDecision d = gateRun(job.policy, applyPolicy(job.policy, false, job.now, job.notify), true, job.gate, facts,
                           job.notify.flap, job.now);
  EXPECT_FALSE(d.askPeers) << "nobody is asked about a job in maintenance";
  EXPECT_EQ(d.gate.hold, NoticeHold::quiet);
}

PeerView view(const std::string& peer, PeerView::Verdict verdict) {
  PeerView v;
  v.peer = peer;
  v.verdict = verdict;
  return v;
}

using V = PeerView::Verdict;

TEST(PeerConfirmation, AMajorityOfTheAskedAndItselfConfirms) {
  ConfirmSettings settings{{"b", "c"}, 2, false};
  ConfirmationOutcome out = decideConfirmation("a", {view("b", V::failing), view("c", V::ok)}, settings);
  EXPECT_TRUE(out.confirmed);
  EXPECT_EQ(out.seeingFailure, 2u);
  EXPECT_EQ(out.text, "failing from a (here) and b; c sees it ok");
  out = decideConfirmation("a", {view("b", V::ok), view("c", V::unknownJob)}, settings);
  EXPECT_FALSE(out.confirmed);
  EXPECT_EQ(out.text,
            "not confirmed: this vantage point only (1 of 2 needed see it failing; b sees it ok; c does not run it)");
}

TEST(PeerConfirmation, AnUnreachablePeerCountsAsFailingUnlessHoldIsAsked) {
  ConfirmSettings alert{{"b", "c"}, 3, false};
  ConfirmationOutcome out = decideConfirmation("a", {view("b", V::failing), view("c", V::unreachable)}, alert);
  EXPECT_TRUE(out.confirmed) << "a peer that is gone never silences an alert";
  EXPECT_EQ(out.text, "failing from a (here), b and c (unreachable, counted as failing)");
  ConfirmSettings hold{{"b", "c"}, 3, true};
  out = decideConfirmation("a", {view("b", V::failing), view("c", V::unreachable)}, hold);
  EXPECT_FALSE(out.confirmed);
  EXPECT_EQ(out.text, "not confirmed: this vantage point only (2 of 3 needed see it failing; c unreachable)");
  out = decideConfirmation("a", {view("b", V::refused), view("c", V::neverRun)}, hold);
  EXPECT_THAT(out.text, ::testing::HasSubstr("b refused to answer; c has not run it yet"));
}

}  // namespace
}  // namespace checker
