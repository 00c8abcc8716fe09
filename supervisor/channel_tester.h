#pragma once
// `checker test-channel NAME` inside checkerd: a test notice for channel
// NAME goes into the outbox (the state writer's next flush) and through
// the mailer like any notice; the first delivery result of that entry, or
// the deadline, answers the operator. A test notice gets one attempt: the
// outbox delivery deletes it whatever the answer (an operator testing a
// channel wants an answer now, not the test arriving hours later after
// retries), and one still unsent at the deadline is deleted unsent.
//   email, and email channels: a test mail (kind test) to their recipients;
//   the others: a notice of state "test" (channels/notice.h).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "config/config.h"
#include "state/state_writer.h"
#include "supervisor/outbox_delivery.h"

namespace checker {

// How long past the channel's own timeout the answer may take (the queue
// of its channel, the flush, the mailer's round trip).
inline constexpr int64_t kTestAnswerMarginMs = 10'000;
// A mail's deadline: SMTP has no per-channel timeout.
inline constexpr int64_t kTestMailDeadlineMs = 120'000;

// The deadline of a test of CHANNEL (a name CONFIG knows, or "email"):
// its timeout plus MARGIN_MS, or kTestMailDeadlineMs for a mail.
int64_t testDeadlineMs(const Config& config, const std::string& channel, int64_t marginMs = kTestAnswerMarginMs);

class ChannelTester {
 public:
  struct Answer {
    bool accepted = false;
    std::string message;  // the receiver's answer, or why there is none
  };
  using Done = std::function<void(const Answer&)>;

  // CONFIG is the supervisor's, replaced in place by a reload.
  // REQUEST_FLUSH: a notice waits in WRITER. MARGIN_MS: past the
  // channel's timeout (a test's own, shorter).
  ChannelTester(uv_loop_t* loop, const Config& config, StateWriter& writer, OutboxDelivery* outbox,
                std::function<void()> requestFlush, int64_t marginMs = kTestAnswerMarginMs)
      : loop_(loop),
        config_(config),
        writer_(writer),
        outbox_(outbox),
        requestFlush_(std::move(requestFlush)),
        marginMs_(marginMs) {}
  ~ChannelTester() { stop(); }
  ChannelTester(const ChannelTester&) = delete;
  ChannelTester& operator=(const ChannelTester&) = delete;

  // Sends the test notice for CHANNEL; DONE is called once, from the loop.
  void test(const std::string& channel, Done done);
  // Answers every test still waiting ("checkerd stops") and closes.
  void stop();

 private:
  struct Pending;
  void finish(Pending* pending, const Answer& answer);

  uv_loop_t* loop_;
  const Config& config_;
  StateWriter& writer_;
  OutboxDelivery* outbox_;  // null: no mailer
  std::function<void()> requestFlush_;
  int64_t marginMs_;
  Pending* pending_ = nullptr;  // tests waiting for their answer (a list)
};

}  // namespace checker
