#pragma once
// The supervisor's link to checker-mailer, the helper child that sends mail
// (mailer/). It owns the mailer's channel, hands it the outbox (outbox
// delivery: at least once), runs the email self-check as the JobRunner of
// the system job "system:email" (the mailer sends a probe and reads it back
// over IMAP), and keeps what the mail health is made of: the last self-check
// and where each outbox entry stands. Without a mailer (empty path: a
// benchmark) outbox entries wait in the state and no self-check runs.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "ipc/mailer.capnp.h"
#include "state/mail_health.h"
#include "state/state_store.h"
#include "state/state_writer.h"
#include "supervisor/helper_channel.h"
#include "supervisor/channel_tester.h"
#include "supervisor/job_runner.h"
#include "supervisor/outbox_delivery.h"
#include "supervisor/run_clock.h"

namespace checker {

class MailLink final : public JobRunner, private HelperChannel::Listener {
 public:
  struct Hooks {
    std::function<void()> requestFlush;       // something waits in the state writer
    std::function<void()> mailHealthChanged;  // a self-check result: tell the peers
  };
  // CONFIG is the supervisor's, replaced in place by a reload.
  MailLink(uv_loop_t* loop, Clock& clock, const Config& config, StateWriter& writer, RunSink& sink,
           std::string mailerPath, Hooks hooks);
  ~MailLink();

  // Reads the last self-check from the state; spawns the mailer (if any) and
  // hands it the outbox. An error when the mailer cannot be spawned at all.
  Result<> open(StateStore& store);
  // Does the mailer run "system:email" (a mailer, and [email] lets it)?
  bool runsSelfCheck() const;

  // JobRunner: one self-check at a time.
  Start start(const JobDefinition& job, uint64_t runId) override;
  void kill(uint64_t) override {}  // no process: ended at stop
  // Ends the self-check in progress, not recorded (the supervisor stops).
  void endRunUnrecorded(const char* why);

  // Outbox entries the last state flush committed: to be delivered.
  void takeNewOutbox();
  MailHealth health(int64_t nowUnixMs) const;
  // Where each outbox entry stands (empty without a mailer).
  std::vector<OutboxStatus> outboxStatuses() const;
  // OutboxDelivery::lastRefusedNotices (empty without a mailer).
  std::map<std::pair<std::string, std::string>, int64_t> lastRefusedNotices() const;
  // `checker test-channel NAME` (supervisor/channel_tester.h).
  void testChannel(const std::string& channel, ChannelTester::Done done);
  // After a reload: the mailer reads the config itself, so a change to
  // [email] or [general] restarts it.
  void restartIfChanged(const Config& before);
  void close();

 private:
  struct SelfCheckRun {
    uint64_t runId = 0;  // 0: none in progress
    std::string jobName;
    std::string token;
    int64_t startedUnixMs = 0;
    uint64_t startedMonoMs = 0;
  };
  // HelperChannel::Listener
  void onChildReady(HelperChannel& child) override;
  void onChildMessage(HelperChannel& child, ipc::DecodedMessage& message) override;
  void onChildLost(HelperChannel& child) override;

  Start notStarted(uint64_t runId, const std::string& why);
  void onGuardExpired();
  void onSelfCheckResult(ipc::SelfCheckResult::Reader result);
  // The check in progress is over: its run, or 0.
  SelfCheckRun takeRun();
  void noteSelfCheck(bool ok, const std::string& message);

  uv_loop_t* loop_;
  Clock& clock_;
  const Config& config_;
  StateWriter& writer_;
  RunSink& sink_;
  std::string mailerPath_;
  Hooks hooks_;
  std::unique_ptr<OutboxDelivery> outbox_;  // hands the outbox to the mailer
  std::unique_ptr<ChannelTester> tester_;
  std::unique_ptr<HelperChannel> mailer_;
  SelfCheckRun selfCheck_;
  uv_timer_t guard_{};  // a mailer that never answers fails the check
  std::optional<SelfCheckState> lastSelfCheck_;
};

}  // namespace checker
