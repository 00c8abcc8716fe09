#include "supervisor/channel_tester.h"

#include "common/clock.h"
#include "common/log.h"

namespace checker {
namespace {

std::string testSubject(const Config& config) { return "[" + config.general.serverName + "] checker test notice"; }

std::string testBody(const Config& config, const std::string& channel) {
  return "This is a test notice from checker on " + config.general.serverName + " for channel " + channel +
         ", sent with `checker test-channel`.\nIf you read this, alerts can reach you here.\n";
}

// The test notice for CHANNEL as an outbox entry, or why there is none.
Result<OutboxMail> testNotice(const Config& config, const std::string& channel, int64_t now) {
  OutboxMail notice;
  notice.kind = ipc::MailKind::TEST;
  notice.subject = testSubject(config);
  const ChannelSettings* settings = findChannel(config, channel);
  if (settings == nullptr && channel != kBuiltInEmailChannel) {
    return Error{"checkerd runs no channel '" + channel + "' (its config is " + config.path +
                 "; after editing that, run checker reload)"};
  }
  if (settings == nullptr || settings->type == ChannelType::email) {
    notice.to = settings == nullptr ? config.general.alertContacts : settings->to;
    notice.channel = settings == nullptr ? "" : channel;
    notice.body = testBody(config, channel);
    if (notice.to.empty()) return Error{"channel email has no recipient: [general] alertcontact is empty"};
    return notice;
  }
  notice.to = {std::string(channelTypeName(settings->type)) + " " + channel};
  notice.channel = channel;
  ChannelNoticeFacts facts;
  facts.instance = config.general.serverName;
  facts.jobId = "test-channel";
  facts.jobName = "test-channel";
  facts.jobType = "test";
  facts.state = "test";
  facts.outcome = "ok";
  facts.message = "a test notice for channel " + channel + ", sent with checker test-channel";
  facts.atUnixMs = now;
  notice.facts = std::move(facts);
  return notice;
}

}  // namespace

int64_t testDeadlineMs(const Config& config, const std::string& channel, int64_t marginMs) {
  const ChannelSettings* settings = findChannel(config, channel);
  if (settings == nullptr || settings->type == ChannelType::email) return kTestMailDeadlineMs;
  return settings->timeout.count() + marginMs;
}

struct ChannelTester::Pending {
  ChannelTester* owner = nullptr;
  uint64_t id = 0;
  std::string channel;
  int64_t deadlineMs = 0;
  Done done;
  uv_timer_t timer{};
  Pending* prev = nullptr;
  Pending* next = nullptr;
};

void ChannelTester::test(const std::string& channel, Done done) {
  if (outbox_ == nullptr) return done({false, "checkerd runs without a mailer: nothing is sent"});
  Result<OutboxMail> notice = testNotice(config_, channel, wallClockNowMs());
  if (!notice) return done({false, notice.error()});
  auto* pending = new Pending;
  pending->owner = this;
  pending->channel = channel;
  pending->deadlineMs = testDeadlineMs(config_, channel, marginMs_);
  pending->done = std::move(done);
  pending->id = writer_.queueNotice("test-channel", std::move(*notice));
  pending->next = pending_;
  if (pending_ != nullptr) pending_->prev = pending;
  pending_ = pending;
  CHECKER_LOG_INFO("checker test-channel %s: test notice is outbox entry %llu", channel.c_str(),
                   static_cast<unsigned long long>(pending->id));
  outbox_->watch(pending->id, [this, pending](bool accepted, bool permanent, const std::string& reply) {
    finish(pending, {accepted, std::string(accepted ? "accepted" : permanent ? "refused" : "not accepted") + ": " + reply});
  });
  uv_timer_init(loop_, &pending->timer);
  pending->timer.data = pending;
  uv_timer_start(&pending->timer, [](uv_timer_t* t) {
    auto* p = static_cast<Pending*>(t->data);
    p->owner->outbox_->abandon(p->id);
    p->owner->finish(p, {false, "no answer within " + std::to_string(p->deadlineMs / 1000) +
                                    " s (the mailer is down, or the channel's earlier notices are still with its "
                                    "receiver); the test notice was not sent and is deleted"});
  }, static_cast<uint64_t>(pending->deadlineMs), 0);
  requestFlush_();
}

void ChannelTester::finish(Pending* pending, const Answer& answer) {
  if (pending->prev != nullptr) pending->prev->next = pending->next;
  else pending_ = pending->next;
  if (pending->next != nullptr) pending->next->prev = pending->prev;
  outbox_->unwatch(pending->id);
  CHECKER_LOG_INFO("checker test-channel %s: %s", pending->channel.c_str(), answer.message.c_str());
  Done done = std::move(pending->done);
  uv_timer_stop(&pending->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&pending->timer),
           [](uv_handle_t* h) { delete static_cast<Pending*>(h->data); });
  done(answer);
}

void ChannelTester::stop() {
  while (pending_ != nullptr) finish(pending_, {false, "checkerd stops; the test notice is deleted at its next start"});
}

}  // namespace checker
