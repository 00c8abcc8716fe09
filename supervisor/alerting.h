#pragma once
// The alerting path of a finished run: the notification policy decides
// whether it is news (state/policy.h), the notice is composed
// (supervisor/alert_text.h) for the job's recipients, and the run, the
// job's new record and any notice go to the state in one batch: the notice
// as an outbox entry, which the mail link delivers.
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "state/notice_gate.h"
#include "state/state_writer.h"
#include "supervisor/run_clock.h"
#include "supervisor/run_engine.h"

namespace checker {

// What a channel's notice about JOB says (channels/notice.h), from
// CONFIG's [general]: STATE failing or recovered, the episode's start
// SINCE, its FAILURES and the run's OUTCOME and MESSAGE, made at NOW.
ChannelNoticeFacts channelNoticeFacts(const Config& config, const JobDefinition& job, const char* state,
                                      ipc::Outcome outcome, const std::string& message, int64_t sinceUnixMs,
                                      uint32_t failures, int64_t nowUnixMs);

class Alerting final : public RunRecorder {
 public:
  // What the notice gate (supervisor/notice_gate.h) knows of JOB's
  // surroundings now; and what it does once JOB's run is recorded (its
  // dependants may be blocked or free now).
  struct Gate {
    std::function<GateFacts(const JobDefinition& job, const JobRecord& record, bool failing, int64_t nowUnixMs)>
        factsOf;
    std::function<void(const JobDefinition& job)> recorded;
    // JOB's failure notice waits for its peers' confirmation: ask them.
    std::function<void(const JobDefinition& job, const JobRecord& record)> askPeers;
  };

  // CONFIG is the supervisor's, replaced in place by a reload.
  // REQUEST_FLUSH: a finished run is waiting in WRITER.
  Alerting(Clock& clock, const Config& config, StateWriter& writer, std::function<void()> requestFlush)
      : clock_(clock), config_(config), writer_(writer), requestFlush_(std::move(requestFlush)) {}
  void setGate(Gate gate) { gate_ = std::move(gate); }

  void record(const JobDefinition& job, JobRecord& record, const RunResult& result) override;
  // Between runs, FACTS changed for JOB (a window ended, a parent
  // recovered): its hold is updated, and a failure notice the gate held
  // goes out now if nothing holds it any more and it is still failing.
  void release(const JobDefinition& job, JobRecord& record, const GateFacts& facts);
  // A notice about this instance itself to its own admin (alertcontact, by
  // mail), queued as an outbox entry of job "system:confirm".
  void tellOwnAdmin(const std::string& subject, const std::string& body);

  // Who is told about JOB: a peer check's admin, else [general] alert contacts.
  std::vector<std::string> recipientsOf(const JobDefinition& job) const;
  // The channels JOB's notices go to: its notify_to, else [general]'s (the
  // self-check's: [email] notify_to); a peer check's go to the peer's admin
  // by mail (the original's rule), and to [peerd] notify_to's channels.
  std::vector<std::string> channelsOf(const JobDefinition& job) const;
  // MAIL (composed for the built-in email channel) as the notice each of
  // JOB's channels gets: a mail for `email` and email channels, the facts
  // for the others. BEFORE/AFTER: the job's record around this run.
  std::vector<OutboxMail> noticesFor(const JobDefinition& job, const OutboxMail& mail, const JobRecord& before,
                                     const JobRecord& after, const ClassifiedRun& run, int64_t now) const;

 private:
  Clock& clock_;
  const Config& config_;
  StateWriter& writer_;
  std::function<void()> requestFlush_;
  Gate gate_;
};

}  // namespace checker
