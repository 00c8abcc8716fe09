#pragma once
// Keeps a failing job's alert active in Alertmanager. An Alertmanager alert
// carries an endsAt a few re-send intervals ahead (channels/
// alertmanager_alerts.h), so it resolves by itself when checker stops
// saying it fires, as Prometheus' alerts do; while a job stays failing its
// alert is therefore queued again every `resend` of the channel, as an
// outbox entry like any notice (StateWriter::queueNotice: durable, retried). Only when no entry of
// the same job for the same channel is still waiting: an Alertmanager that
// is down for a day gets one entry per failing job, not 1,440. A job that
// recovers gets its recovery notice from the policy as usual; a job that a
// reload removes (or whose notify_to no longer names the channel) is no
// longer re-sent, and its alert resolves at its endsAt.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/job_definition.h"
#include "state/state_writer.h"
#include "supervisor/run_clock.h"

namespace checker {

// (job id, channel name).
using JobChannel = std::pair<std::string, std::string>;

// What the outbox holds that stops a re-send: an entry not yet delivered,
// or one the receiver refused for good during the job's failing episode
// (a re-send would be refused too, and each refusal stays in the outbox
// for people to see: one per episode, not one a minute).
struct OutboxHolds {
  std::set<JobChannel> pending;
  std::map<JobChannel, int64_t> lastRefusedCreatedMs;  // the newest refused entry's creation
};

// The re-sends due now, for one Alertmanager CHANNEL whose interval came
// round: each job in JOBS (definition, record, the channels its notices go
// to) that is failing and was told about (policy.notifiedFailure), names
// CHANNEL, and is not held by HOLDS. Pure, for the tests.
struct JobAlertView {
  const JobDefinition* job = nullptr;
  const JobRecord* record = nullptr;
  std::vector<std::string> channels;
};
std::vector<const JobAlertView*> resendsDue(const std::string& channel, const std::vector<JobAlertView>& jobs,
                                            const OutboxHolds& holds);

class AlertResend {
 public:
  struct Sources {
    // Every live job with its record: RunEngine::forEachLiveRecord.
    std::function<void(const std::function<void(const JobDefinition&, const JobRecord&)>&)> forEachJob;
    // Where the outbox stands: OutboxDelivery::statuses (empty without a mailer).
    std::function<std::vector<OutboxStatus>()> outbox;
    // OutboxDelivery::lastRefusedNotices.
    std::function<std::map<JobChannel, int64_t>()> refused;
    // The channels JOB's notices go to: Alerting::channelsOf.
    std::function<std::vector<std::string>(const JobDefinition&)> channelsOf;
    // Something waits in the state writer.
    std::function<void()> requestFlush;
  };
  // CONFIG is the supervisor's, replaced in place by a reload (a channel's
  // resend takes effect at its next round).
  AlertResend(uv_loop_t* loop, Clock& clock, const Config& config, StateWriter& writer, Sources sources);
  void start();
  void stop();   // no more rounds (the supervisor stops)
  void close();

  // Queues what is due at NOW (the timer's work; public for the tests).
  // Returns how many re-sends it queued.
  size_t queueDue(int64_t nowUnixMs);

 private:
  uv_timer_t timer_{};
  Clock& clock_;
  const Config& config_;
  StateWriter& writer_;
  Sources sources_;
  std::map<std::string, int64_t> nextRoundMs_;  // by channel name
};

}  // namespace checker
