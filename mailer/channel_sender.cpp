#include "mailer/channel_sender.h"

#include <algorithm>
#include <memory>
#include <vector>
#include <string>

#include "common/clock.h"
#include "mailer/channel_request.h"

namespace checker::mailer {
namespace {

// Of the receiver's answer only its first line goes into the reply: keep
// no more than this of its body.
constexpr size_t kAnswerBodyMaxBytes = 512;

// One entry's POSTs (one per URL) until the last is answered: the
// channel's answer is theirs together (combineChannelOutcomes).
struct Fanout {
  const ChannelSettings* channel = nullptr;
  ChannelRequest request;
  std::vector<SmtpOutcome> outcomes;  // by URL
  size_t unanswered = 0;
  ChannelSender::Done done;
};

// What one transfer owns until curl is done with it.
struct Transfer {
  std::shared_ptr<Fanout> fanout;
  size_t index = 0;  // of the URL in fanout->request.urls
  curl_slist* headers = nullptr;
  std::string answerBody;
  char error[CURL_ERROR_SIZE] = {};
  ~Transfer() { curl_slist_free_all(headers); }
};

size_t keepAnswer(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  size_t room = kAnswerBodyMaxBytes - std::min(kAnswerBodyMaxBytes, transfer->answerBody.size());
  transfer->answerBody.append(data, std::min(room, bytes));
  return bytes;  // the rest is read and dropped, not an error
}

SmtpOutcome refused(std::string why) {
  SmtpOutcome outcome;
  outcome.permanent = true;
  outcome.step = "send";
  outcome.serverReply = std::move(why);
  return outcome;
}

CURL* easyFor(Transfer& transfer) {
  const ChannelSettings& channel = *transfer.fanout->channel;
  const ChannelRequest& request = transfer.fanout->request;
  for (const std::string& line : request.headers) transfer.headers = curl_slist_append(transfer.headers, line.c_str());
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, request.urls[transfer.index].c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // the URL as configured, never a proxy from the environment
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "checker/" CHECKER_VERSION);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(channel.timeout.count()));
  if (!channel.caFile.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, channel.caFile.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &keepAnswer);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  return easy;
}

ChannelAnswer answerOf(CURL* easy, CURLcode result, const Transfer& transfer) {
  ChannelAnswer answer;
  answer.url = transfer.fanout->request.urls[transfer.index];
  answer.curlCode = result;
  answer.curlError = transfer.error;
  answer.body = transfer.answerBody;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &answer.httpStatus);
  char* redirect = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect != nullptr) {
    answer.redirectUrl = redirect;
  }
  return answer;
}

}  // namespace

bool isMailChannel(const Config& config, const std::string& name) {
  if (name == kBuiltInEmailChannel) return true;
  const ChannelSettings* channel = findChannel(config, name);
  return channel != nullptr && channel->type == ChannelType::email;
}

void ChannelSender::send(ipc::OutboxEntry::Reader entry, Done done) {
  std::string name(entry.getChannel().cStr(), entry.getChannel().size());
  const ChannelSettings* channel = findChannel(config_, name);
  if (channel == nullptr) {
    return done(refused("not sent: channel '" + name + "' is not in " + config_.path + " (any more)"));
  }
  Result<channels::NoticeFacts> facts = noticeFactsFrom(entry.getNotice());
  if (!facts) return done(refused("not sent: " + channelLabel(*channel) + ": " + facts.error()));
  post(*channel, buildChannelRequest(*channel, *facts, wallClockNowMs() / 1000), std::move(done));
}

void ChannelSender::sendGroup(capnp::List<ipc::OutboxEntry>::Reader entries, const RefuseOne& refuseOne, Done done) {
  std::string name(entries[0].getChannel().cStr(), entries[0].getChannel().size());
  const ChannelSettings* channel = findChannel(config_, name);
  if (channel == nullptr) {
    return done(refused("not sent: channel '" + name + "' is not in " + config_.path + " (any more)"));
  }
  std::vector<channels::NoticeFacts> notices;
  for (ipc::OutboxEntry::Reader entry : entries) {
    Result<channels::NoticeFacts> facts = noticeFactsFrom(entry.getNotice());
    if (std::string_view(entry.getChannel().cStr()) != name) {
      refuseOne(entry.getId(), refused("not sent: a group of channel " + name + " held an entry of another"));
    } else if (!facts) {
      refuseOne(entry.getId(), refused("not sent: " + channelLabel(*channel) + ": " + facts.error()));
    } else {
      notices.push_back(std::move(*facts));
    }
  }
  if (notices.empty()) return done(refused("not sent: " + channelLabel(*channel) + ": no notice in the group"));
  post(*channel, buildChannelGroupRequest(*channel, notices, wallClockNowMs() / 1000), std::move(done));
}

void ChannelSender::post(const ChannelSettings& channel, Result<ChannelRequest> request, Done done) {
  if (!request) return done(refused("not sent: " + request.error()));
  if (request->urls.empty()) return done(refused("not sent: " + channelLabel(channel) + ": no URL"));

  auto fanout = std::make_shared<Fanout>();
  fanout->channel = &channel;
  fanout->request = std::move(*request);
  fanout->outcomes.resize(fanout->request.urls.size());
  fanout->unanswered = fanout->request.urls.size();
  fanout->done = std::move(done);
  for (size_t i = 0; i < fanout->request.urls.size(); ++i) {
    auto transfer = std::make_unique<Transfer>();
    transfer->fanout = fanout;
    transfer->index = i;
    CURL* easy = easyFor(*transfer);
    Transfer* owned = transfer.release();
    curl_.add(easy, [owned](CURL* handle, CURLcode result) {
      std::unique_ptr<Transfer> finished(owned);
      Fanout& all = *finished->fanout;
      all.outcomes[finished->index] = classifyChannelAnswer(*all.channel, answerOf(handle, result, *finished));
      curl_easy_cleanup(handle);
      if (--all.unanswered == 0) all.done(combineChannelOutcomes(*all.channel, all.outcomes));
    });
  }
}

}  // namespace checker::mailer
