#include "supervisor/outbox_delivery.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <memory>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "ipc/framing.h"

namespace checker {
namespace {

constexpr int64_t kFirstRetryMs = 1000;
constexpr int64_t kMaxRetryMs = 5 * 60'000;

}  // namespace

int64_t outboxRetryDelayMs(uint32_t failedAttempts) {
  int64_t delay = kFirstRetryMs;
  for (uint32_t i = 1; i < failedAttempts && delay < kMaxRetryMs; ++i) delay *= 2;
  return std::min(delay, kMaxRetryMs);
}

OutboxDelivery::OutboxDelivery(uv_loop_t* loop, StateWriter& writer, std::function<void()> requestFlush)
    : loop_(loop), writer_(writer), requestFlush_(std::move(requestFlush)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

void OutboxDelivery::start() {
  // A test notice from before: the operator who asked for it is gone. The
  // supervisor's first flush (its heartbeat, at once) deletes it.
  std::vector<OutboxStatus> loaded = writer_.takeNewOutbox();
  for (const OutboxStatus& status : loaded) {
    if (status.test) {
      CHECKER_LOG_INFO("outbox entry %llu: a test notice for channel %s from before; deleted unsent",
                       static_cast<unsigned long long>(status.id), status.channel.empty() ? "email" : status.channel.c_str());
      writer_.outboxRemoved(status.id);
    } else if (!status.permanentFailure) {
      entries_[status.id] = Entry{status, false};
    } else {
      noteRefused(status);
    }
  }
  size_t refused = 0;
  for (const OutboxStatus& status : loaded) refused += status.permanentFailure ? 1 : 0;
  if (!entries_.empty() || refused > 0) {
    CHECKER_LOG_INFO("outbox: %zu entr%s to deliver from before%s", entries_.size(),
                     entries_.size() == 1 ? "y" : "ies",
                     refused > 0 ? (", " + std::to_string(refused) + " refused for good (see checker status)").c_str() : "");
  }
  dispatch();
}

void OutboxDelivery::noteRefused(const OutboxStatus& status) {
  if (status.channel.empty() || status.mail) return;
  int64_t& newest = lastRefusedCreatedMs_[{status.jobId, status.channel}];
  newest = std::max(newest, status.createdUnixMs);
}

void OutboxDelivery::takeNew() {
  for (const OutboxStatus& status : writer_.takeNewOutbox()) {
    if (status.permanentFailure) continue;  // kept in the state for people, never retried
    entries_[status.id] = Entry{status, false};
  }
  dispatch();
}

int64_t OutboxDelivery::groupWaitOf(const OutboxStatus& status) const {
  // The mail to alertcontact is never grouped (one mail per job, as the
  // original); a test notice's sender waits for its answer.
  return status.channel.empty() || status.test || !groupWait_ ? 0 : groupWait_(status.channel);
}

void OutboxDelivery::dispatch() {
  if (stopped_ || mailer_ == nullptr || !mailer_->ready()) return;
  int64_t now = wallClockNowMs();
  std::set<std::string> holding;  // grouped channels whose oldest due entry waits out group_wait
  std::vector<uint64_t> forget;    // gone from the state, or unreadable there
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    auto& [id, entry] = *it;
    const std::string& channel = entry.status.channel;
    if (entry.inFlight || entry.status.nextAttemptUnixMs > now || (holding.count(channel) != 0 && !entry.status.test) ||
        inFlightByChannel_[channel] >= kMaxInFlightPerChannel) {
      continue;
    }
    std::vector<uint64_t> ids{id};
    if (int64_t wait = groupWaitOf(entry.status); wait > 0) {
      if (entry.status.createdUnixMs + wait > now && entry.status.attempts == 0) {
        holding.insert(channel);  // the channel's group starts with this one
        continue;
      }
      ids = groupFrom(it, now);
    }
    if (!send(ids, forget)) break;
  }
  for (uint64_t id : forget) entries_.erase(id);
  armTimer();
}

std::vector<uint64_t> OutboxDelivery::groupFrom(std::map<uint64_t, Entry>::iterator at, int64_t now) {
  const std::string channel = at->second.status.channel;
  std::vector<uint64_t> ids;
  for (auto it = at; it != entries_.end() && ids.size() < kMaxGroupEntries; ++it) {
    const OutboxStatus& status = it->second.status;
    if (!it->second.inFlight && status.channel == channel && !status.test && status.nextAttemptUnixMs <= now) {
      ids.push_back(it->first);
    }
  }
  return ids;
}

bool OutboxDelivery::send(const std::vector<uint64_t>& ids, std::vector<uint64_t>& forget) {
  std::vector<uint64_t> sent;
  std::vector<std::unique_ptr<ipc::DecodedMessage>> decoded;  // own what the message refers to
  size_t bytes = 0;
  for (uint64_t id : ids) {
    std::optional<std::string> stored = writer_.readOutboxEntry(id);
    try {
      if (!stored) throw ipc::FrameError("gone from the state");
      if (!sent.empty() && bytes + stored->size() > kMaxGroupBytes) break;  // the rest: the next group
      decoded.push_back(ipc::decode(*stored));
      bytes += stored->size();
      sent.push_back(id);
    } catch (const ipc::FrameError& e) {
      if (stored) {
        CHECKER_LOG_ERROR("outbox entry %llu is unreadable (%s); it stays, unsent", static_cast<unsigned long long>(id),
                          e.what());
      }
      forget.push_back(id);
    }
  }
  if (sent.empty()) return true;
  capnp::MallocMessageBuilder message;
  if (sent.size() == 1) {
    message.initRoot<ipc::ToMailer>().setSend(decoded.front()->root<ipc::OutboxEntry>());
  } else {
    auto group = message.initRoot<ipc::ToMailer>().initSendGroup(static_cast<unsigned>(sent.size()));
    for (unsigned i = 0; i < sent.size(); ++i) group.setWithCaveats(i, decoded[i]->root<ipc::OutboxEntry>());
  }
  if (!mailer_->send(message)) return false;
  for (uint64_t id : sent) {
    Entry& entry = entries_.at(id);
    entry.inFlight = true;
    ++inFlight_;
    ++inFlightByChannel_[entry.status.channel];
  }
  if (sent.size() > 1) {
    CHECKER_LOG_INFO("outbox: %zu entries for channel %s sent as one notice", sent.size(),
                     entries_.at(sent.front()).status.channel.c_str());
  }
  return true;
}

void OutboxDelivery::armTimer() {
  if (stopped_) return;
  int64_t next = INT64_MAX;
  for (const auto& [id, entry] : entries_) {
    // An entry whose channel is full waits for a result, which dispatches again.
    auto channel = inFlightByChannel_.find(entry.status.channel);
    bool full = channel != inFlightByChannel_.end() && channel->second >= kMaxInFlightPerChannel;
    if (entry.inFlight || full) continue;
    int64_t due = entry.status.nextAttemptUnixMs;
    if (entry.status.attempts == 0) due = std::max(due, entry.status.createdUnixMs + groupWaitOf(entry.status));
    next = std::min(next, due);
  }
  if (next == INT64_MAX) {
    uv_timer_stop(&timer_);
    return;
  }
  int64_t delay = std::max<int64_t>(next - wallClockNowMs(), 0);
  // Capped so a stepped wall clock is not waited out.
  delay = std::min<int64_t>(delay, 1000);
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<OutboxDelivery*>(t->data)->dispatch(); },
                 static_cast<uint64_t>(delay), 0);
}

void OutboxDelivery::onMailerReady() { dispatch(); }

std::vector<OutboxStatus> OutboxDelivery::statuses() const {
  std::vector<OutboxStatus> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(entry.status);
  return out;
}

void OutboxDelivery::onSendResult(ipc::SendResult::Reader result) {
  auto found = entries_.find(result.getEntryId());
  if (found == entries_.end() || !found->second.inFlight) return;  // not ours to answer
  Entry& entry = found->second;
  entry.inFlight = false;
  --inFlight_;
  --inFlightByChannel_[entry.status.channel];
  std::string reply(result.getServerReply().cStr(), result.getServerReply().size());
  applyResult(found->first, entry, result.getAccepted(), result.getPermanent(), reply);
  requestFlush_();
  dispatch();
}

void OutboxDelivery::applyResult(uint64_t id, Entry& entry, bool accepted, bool permanent, const std::string& reply) {
  int64_t now = wallClockNowMs();
  if (auto watcher = watchers_.find(id); watcher != watchers_.end()) {
    Watcher told = std::move(watcher->second);
    watchers_.erase(watcher);
    told(accepted, permanent, reply);
  }
  if (entry.status.test) {
    CHECKER_LOG_INFO("outbox entry %llu (a test notice) %s, deleted: %s", static_cast<unsigned long long>(id),
                     accepted ? "accepted" : "not accepted", reply.c_str());
    writer_.outboxTestAnswered(entry.status, accepted, reply, now);
    entries_.erase(id);
  } else if (accepted) {
    CHECKER_LOG_INFO("outbox entry %llu delivered: %s", static_cast<unsigned long long>(id), reply.c_str());
    writer_.outboxDelivered(entry.status, reply, now);
    entries_.erase(id);
  } else if (permanent) {
    ++entry.status.attempts;
    entry.status.permanentFailure = true;
    noteRefused(entry.status);
    CHECKER_LOG_ERROR("outbox entry %llu REFUSED for good after %u attempt(s), kept in the state (checker status): %s",
                      static_cast<unsigned long long>(id), entry.status.attempts, reply.c_str());
    writer_.outboxAttemptFailed(entry.status, reply, now);
    entries_.erase(id);
  } else {
    ++entry.status.attempts;
    int64_t delay = outboxRetryDelayMs(entry.status.attempts);
    entry.status.nextAttemptUnixMs = now + delay;
    CHECKER_LOG_WARN("outbox entry %llu not delivered (attempt %u): %s; next attempt in %lld ms",
                     static_cast<unsigned long long>(id), entry.status.attempts, reply.c_str(),
                     static_cast<long long>(delay));
    writer_.outboxAttemptFailed(entry.status, reply, now);
  }
}

void OutboxDelivery::abandon(uint64_t id) {
  watchers_.erase(id);
  auto found = entries_.find(id);
  if (found != entries_.end() && found->second.inFlight) return;  // its answer deletes it
  if (found != entries_.end()) entries_.erase(found);
  writer_.outboxRemoved(id);
  requestFlush_();
}

void OutboxDelivery::onMailerLost() {
  // Whatever the mailer had not answered is sent again, now or when it is back.
  size_t lost = 0;
  for (auto& [id, entry] : entries_) {
    if (!entry.inFlight) continue;
    entry.inFlight = false;
    ++lost;
  }
  inFlight_ = 0;
  inFlightByChannel_.clear();
  if (lost > 0) CHECKER_LOG_WARN("outbox: mailer gone with %zu entr%s unanswered; they are sent again", lost, lost == 1 ? "y" : "ies");
  armTimer();
}

void OutboxDelivery::stop() {
  if (stopped_) return;
  stopped_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace checker
