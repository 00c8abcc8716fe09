#pragma once
// Delivering the outbox (data flow step 6): every notification is an LMDB
// outbox entry before anything is sent; this hands due entries to the
// mailer, and on its answer has the state writer delete the entry (the
// server accepted it), or record the failed attempt and the next one
// (exponential backoff while the server is down or answers 4xx), or keep it
// for good, visible in `checker status`, when the server refused it with a
// 5xx. Nothing is dropped: an entry the mailer did not answer (it died, or
// the supervisor did) is sent again. Delivery is at least once.
//
// Each result is also its channel's health (state/channel_health.h: last
// success, last error), written in the same transaction. A test notice
// (`checker test-channel`, OutboxStatus::test) gets one attempt: it is
// deleted whatever the answer, which goes to whoever watches it; one
// found at start (its checkerd stopped while it waited) is deleted unsent.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ipc/mailer.capnp.h"
#include "supervisor/helper_channel.h"
#include "state/state_writer.h"

namespace checker {

// The wait before attempt N+1 after N failed attempts: 1 s, doubling, at
// most 5 minutes.
int64_t outboxRetryDelayMs(uint32_t failedAttempts);

class OutboxDelivery {
 public:
  // At most this many entries of one channel with the mailer at once (mail
  // is one channel): a receiver that hangs until its timeout holds up its
  // own entries only, never mail's or another channel's.
  static constexpr size_t kMaxInFlightPerChannel = 16;

  // A channel's entries sent as one notice (its group_wait): at most this
  // many, and this many bytes of them, so a group fits the mailer's
  // control message.
  static constexpr size_t kMaxGroupEntries = 50;
  static constexpr size_t kMaxGroupBytes = 256 << 10;

  // How long CHANNEL's notices wait, from the oldest, to go as one (ms);
  // 0: each alone. Mail ("") is never grouped.
  using GroupWait = std::function<int64_t(const std::string& channel)>;

  // REQUEST_FLUSH: called when a delivery result was queued in WRITER.
  OutboxDelivery(uv_loop_t* loop, StateWriter& writer, std::function<void()> requestFlush);
  // The mailer to send through (set before start()).
  void setMailer(HelperChannel* mailer) { mailer_ = mailer; }
  void setGroupWait(GroupWait groupWait) { groupWait_ = std::move(groupWait); }
  // Takes the entries the writer has (from its load at first) and starts.
  void start();
  // Entries the last flush committed.
  void takeNew();
  void stop();

  size_t pending() const { return entries_.size(); }
  // Where every entry stands (for the mail health peers are told).
  std::vector<OutboxStatus> statuses() const;
  size_t inFlight() const { return inFlight_; }
  // For each (job id, channel) whose channel notice a receiver refused for
  // good: the newest such entry's creation time (mail is not counted).
  const std::map<std::pair<std::string, std::string>, int64_t>& lastRefusedNotices() const {
    return lastRefusedCreatedMs_;
  }

  // The first delivery result of entry ID (a test notice), once: accepted,
  // refused for good, and the receiver's answer.
  using Watcher = std::function<void(bool accepted, bool permanent, const std::string& reply)>;
  void watch(uint64_t id, Watcher watcher) { watchers_[id] = std::move(watcher); }
  void unwatch(uint64_t id) { watchers_.erase(id); }
  // Nobody waits for entry ID any more: its watcher is dropped, and the
  // entry deleted unsent unless the mailer has it (then its answer deletes it).
  void abandon(uint64_t id);

  // What the mailer says, passed on by the supervisor.
  void onMailerReady();
  void onSendResult(ipc::SendResult::Reader result);
  void onMailerLost();

 private:
  struct Entry {
    OutboxStatus status;
    bool inFlight = false;
  };
  void dispatch();
  void noteRefused(const OutboxStatus& status);
  // Sends the entries IDS (one, or a group of one channel); false when the
  // mailer's channel is full. Entries gone from the state, or unreadable
  // there, go into FORGET, to be forgotten here (an unreadable one stays in
  // the state).
  bool send(const std::vector<uint64_t>& ids, std::vector<uint64_t>& forget);
  // The group that entry AT (due, of a grouped channel) starts at NOW:
  // it and every later entry of its channel that is due, within the limits.
  std::vector<uint64_t> groupFrom(std::map<uint64_t, Entry>::iterator at, int64_t now);
  int64_t groupWaitOf(const OutboxStatus& status) const;
  void armTimer();
  void applyResult(uint64_t id, Entry& entry, bool accepted, bool permanent, const std::string& reply);

  uv_loop_t* loop_;
  StateWriter& writer_;
  std::function<void()> requestFlush_;
  HelperChannel* mailer_ = nullptr;
  GroupWait groupWait_;
  std::map<std::pair<std::string, std::string>, int64_t> lastRefusedCreatedMs_;
  std::map<uint64_t, Entry> entries_;  // by id: oldest first
  size_t inFlight_ = 0;
  std::map<std::string, size_t> inFlightByChannel_;  // "" : mail
  std::map<uint64_t, Watcher> watchers_;             // by entry id
  uv_timer_t timer_{};
  bool stopped_ = false;
};

}  // namespace checker
