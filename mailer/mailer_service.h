#pragma once
// checker-mailer's loop: reads ToMailer messages from the supervisor on the
// control socket, sends each outbox entry over SMTP (libcurl multi on
// libuv, mailer/smtp_sender.h) or to its webhook, Slack or ntfy channel on
// the same loop (mailer/channel_sender.h), and answers with one SendResult
// per entry, after the receiver's answer; never before. With `nomail` it
// logs what mail it would send and answers "not sent (nomail)" as
// accepted, sending no mail (channels other than email are still sent).
// It also runs the email self-check when asked (mailer/self_check.h).
#include <uv.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "process/child_control.h"
#include "ipc/mailer.capnp.h"
#include "common/curl_on_uv.h"
#include "mailer/channel_sender.h"
#include "mailer/imap_client.h"
#include "mailer/self_check.h"
#include "mailer/smtp_sender.h"

namespace checker::mailer {

class MailerService {
 public:
  MailerService(uv_loop_t* loop, const Config& config, int controlFd);
  // Starts reading the control socket. The loop ends when the supervisor
  // closes it or asks to shut down (transfers in flight are aborted: their
  // entries are not acked, so the supervisor sends them again).
  void start();

 private:
  void handle(ipc::ToMailer::Reader message);
  void send(ipc::OutboxEntry::Reader entry);
  // Entries of one channel as one notice (checkerd's group); each answered.
  void sendGroup(capnp::List<ipc::OutboxEntry>::Reader entries);
  void sendMailGroup(capnp::List<ipc::OutboxEntry>::Reader entries);
  // One mail to RECIPIENTS; its outcome answers each of IDS.
  void sendMail(const std::vector<uint64_t>& ids, capnp::List<capnp::Text>::Reader recipients,
                const std::string& subject, const std::string& body);
  void answer(uint64_t entryId, const SmtpOutcome& outcome);
  void selfCheck(ipc::SelfCheckRequest::Reader request);
  void write(std::string bytes);
  void stop(const char* why);

  const Config& config_;
  ipc::ChildControl control_;
  CurlOnUv curl_;
  SmtpSender smtp_;
  ChannelSender channels_;
  ImapClient imap_;
  SelfCheck selfCheck_;
  bool stopping_ = false;
};

}  // namespace checker::mailer
