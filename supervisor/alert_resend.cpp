// A failing job's Alertmanager alert, queued again every `resend`.
#include "supervisor/alert_resend.h"

#include <algorithm>

#include "supervisor/alerting.h"

namespace checker {
namespace {

// How often the rounds are looked at: the shortest resend is 5 s, so a
// round starts at most this late.
constexpr uint64_t kLookEveryMs = 1'000;

}  // namespace

std::vector<const JobAlertView*> resendsDue(const std::string& channel, const std::vector<JobAlertView>& jobs,
                                            const OutboxHolds& holds) {
  std::vector<const JobAlertView*> due;
  for (const JobAlertView& view : jobs) {
    const PolicyState& policy = view.record->policy;
    if (policy.health != JobHealth::failing || !policy.notifiedFailure) continue;
    if (std::find(view.channels.begin(), view.channels.end(), channel) == view.channels.end()) continue;
    JobChannel key{view.job->id(), channel};
    if (holds.pending.count(key) != 0) continue;
    auto refused = holds.lastRefusedCreatedMs.find(key);
    if (refused != holds.lastRefusedCreatedMs.end() && refused->second >= policy.firstFailureUnixMs) continue;
    due.push_back(&view);
  }
  return due;
}

AlertResend::AlertResend(uv_loop_t* loop, Clock& clock, const Config& config, StateWriter& writer, Sources sources)
    : clock_(clock), config_(config), writer_(writer), sources_(std::move(sources)) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

void AlertResend::start() {
  uv_timer_start(&timer_, [](uv_timer_t* t) {
    auto* self = static_cast<AlertResend*>(t->data);
    self->queueDue(self->clock_.wallMs());
  }, kLookEveryMs, kLookEveryMs);
}

void AlertResend::stop() { uv_timer_stop(&timer_); }

void AlertResend::close() { uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr); }

size_t AlertResend::queueDue(int64_t nowUnixMs) {
  std::vector<const ChannelSettings*> round;
  std::map<std::string, int64_t> next;
  for (const ChannelSettings& channel : config_.channels) {
    if (channel.type != ChannelType::alertmanager) continue;
    auto known = nextRoundMs_.find(channel.name);
    int64_t at = known == nextRoundMs_.end() ? nowUnixMs + channel.resendEvery.count() : known->second;
    // A round is due, or the clock stepped back past an interval.
    if (at <= nowUnixMs || at > nowUnixMs + channel.resendEvery.count()) {
      round.push_back(&channel);
      at = nowUnixMs + channel.resendEvery.count();
    }
    next[channel.name] = at;
  }
  nextRoundMs_ = std::move(next);  // a channel a reload removed is forgotten
  if (round.empty()) return 0;

  OutboxHolds holds;
  for (const OutboxStatus& status : sources_.outbox()) {
    if (!status.channel.empty() && !status.permanentFailure) holds.pending.insert({status.jobId, status.channel});
  }
  holds.lastRefusedCreatedMs = sources_.refused();
  std::vector<JobAlertView> jobs;
  sources_.forEachJob([&](const JobDefinition& job, const JobRecord& record) {
    if (record.policy.health == JobHealth::failing) jobs.push_back({&job, &record, sources_.channelsOf(job)});
  });
  size_t queued = 0;
  for (const ChannelSettings* channel : round) {
    for (const JobAlertView* view : resendsDue(channel->name, jobs, holds)) {
      const PolicyState& policy = view->record->policy;
      OutboxMail notice;
      notice.kind = ipc::MailKind::ALERT;
      notice.to = {channelLabel(*channel)};
      notice.subject = "alert re-sent: " + view->job->name() + " still failing";
      notice.channel = channel->name;
      notice.facts = channelNoticeFacts(config_, *view->job, "failing", view->record->lastOutcome,
                                        view->record->lastMessage, policy.firstFailureUnixMs,
                                        policy.consecutiveFailures, nowUnixMs);
      writer_.queueNotice(view->job->id(), std::move(notice));
      ++queued;
    }
  }
  if (queued != 0) sources_.requestFlush();
  return queued;
}

}  // namespace checker
