#pragma once
// One outbox entry to a webhook, Slack, ntfy or Alertmanager channel: a
// POST (one to each member of an Alertmanager cluster, at once) with
// libcurl on the mailer's loop (CurlOnUv, shared with SMTP: no thread, no
// blocking call), and what the receiver's answer means for the outbox
// (mailer/channel_request.h). The channel is looked up by name in the
// mailer's own config, so its secret and token never travel over IPC and
// are never logged; an entry naming a channel the config no longer has is
// refused for good.
#include <functional>

#include "common/curl_on_uv.h"
#include "config/config.h"
#include "ipc/state.capnp.h"
#include "mailer/channel_request.h"
#include "mailer/smtp_sender.h"

namespace checker::mailer {

class ChannelSender {
 public:
  using Done = std::function<void(SmtpOutcome)>;
  // CONFIG outlives the sender (the mailer's, loaded once).
  ChannelSender(CurlOnUv& curl, const Config& config) : curl_(curl), config_(config) {}

  // Sends ENTRY (its channel not empty, not an email channel) to its
  // channel. DONE is called once: from the loop when the receiver answered
  // or the transfer failed, or before send returns when the entry cannot
  // be sent at all (unknown channel, bad notice).
  void send(ipc::OutboxEntry::Reader entry, Done done);

  // Sends ENTRIES (two or more, of one channel) as one notice; DONE as for
  // send, its outcome each entry's. An entry whose notice cannot be read
  // is answered on its own through REFUSEONE (entry id, why) and left out.
  using RefuseOne = std::function<void(uint64_t entryId, SmtpOutcome)>;
  void sendGroup(capnp::List<ipc::OutboxEntry>::Reader entries, const RefuseOne& refuseOne, Done done);

 private:
  // POSTs REQUEST (or refuses, when it could not be made) to each of its URLs.
  void post(const ChannelSettings& channel, Result<ChannelRequest> request, Done done);

  CurlOnUv& curl_;
  const Config& config_;
};

// True when an entry for the channel named NAME goes out as mail: the
// built-in "email", or a [channel NAME] of type email.
bool isMailChannel(const Config& config, const std::string& name);

}  // namespace checker::mailer
