#pragma once
// What the mailer sends to a webhook, Slack, ntfy or Alertmanager channel for one outbox
// entry, and what the receiver's answer means for the outbox. Pure (no
// I/O), so the tests pin the request and the classification without a
// server; mailer/channel_sender.h does the transfer.
#include <cstdint>
#include <string>
#include <vector>

#include "channels/notice.h"
#include "common/result.h"
#include "config/config.h"
#include "ipc/state.capnp.h"
#include "mailer/smtp_sender.h"

namespace checker::mailer {

// The entry's notice as the channels library takes it; an error naming the
// field for a state other than failing, recovered or test (an entry from a
// newer checkerd: not retried, it would never get better).
Result<channels::NoticeFacts> noticeFactsFrom(ipc::ChannelNotice::Reader notice);

// One POST to each URL (one but for an Alertmanager cluster): the body and
// the header lines ("Name: value") are the same for each.
struct ChannelRequest {
  std::vector<std::string> urls;
  std::string body;
  std::vector<std::string> headers;
};

// The request for CHANNEL (an error for email):
//   webhook  channels::webhookBody to url; X-Checker-Timestamp (NOWSECONDS)
//            always, X-Checker-Signature when the channel has a secret,
//            then the channel's header.NAME lines (not one of those two,
//            Content-Type or Content-Length: those are checker's);
//   slack    channels::slackBody to url;
//   ntfy     channels::ntfyBody(topic, tags) to url (ntfy's JSON publish
//            goes to the server's root URL), Authorization: Bearer TOKEN
//            when the channel has a token;
//   alertmanager  channels::alertmanagerBody(labels, resend) to each of
//            urls (every cluster member gets every alert: Alertmanager's
//            members share silences and what they notified, not alerts),
//            then the channel's header.NAME lines.
// Every one is Content-Type: application/json, without "Expect:
// 100-continue" (a round trip for nothing with bodies this small).
Result<ChannelRequest> buildChannelRequest(const ChannelSettings& channel, const channels::NoticeFacts& facts,
                                           int64_t nowSeconds);

// The request for several notices of CHANNEL sent as one (its
// group_wait; FACTS holds two or more): the same URLs and headers as one
// notice's, the body channels/notice_group.h's for the type.
Result<ChannelRequest> buildChannelGroupRequest(const ChannelSettings& channel,
                                                const std::vector<channels::NoticeFacts>& facts, int64_t nowSeconds);

// How a transfer ended, as libcurl tells it.
struct ChannelAnswer {
  std::string url;           // where it went; "": the channel's url
  int curlCode = 0;          // CURLcode
  std::string curlError;     // CURLOPT_ERRORBUFFER, may be empty
  long httpStatus = 0;       // 0 when no answer came
  std::string body;          // the first bytes of the answer's body
  std::string redirectUrl;   // CURLINFO_REDIRECT_URL on a 3xx
};

// The answer for the outbox: 2xx accepted; 3xx refused for good (redirects
// are not followed: the url is to fix); 4xx refused for good but 408, 425
// and 429 (not now: retried); 5xx and every transport error (connect,
// timeout, TLS) retried. serverReply names the channel and the receiver's
// host, never the URL's path or query (a Slack URL's path is its secret):
// "webhook hooks: HTTP 503 from hooks.example.org: <its answer's first line>".
SmtpOutcome classifyChannelAnswer(const ChannelSettings& channel, const ChannelAnswer& answer);

// The entry's outcome from each URL's (in order): accepted when one
// member accepted it, refused for good only when every member refused it
// for good, else retried. serverReply: each member's, the channel named
// once ("alertmanager am: HTTP 200 from a; no answer from b: ...").
SmtpOutcome combineChannelOutcomes(const ChannelSettings& channel, const std::vector<SmtpOutcome>& outcomes);

}  // namespace checker::mailer
