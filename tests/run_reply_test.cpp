// worker_runs/run_reply.h: what checkerd keeps of a worker's reply. The
// worker is not trusted to have cleaned or capped anything (a plugin runs
// in it): every text is made one clean line, or clean lines, here.
#include <capnp/message.h>
#include <gtest/gtest.h>

#include "ipc/framing.h"
#include "ipc/job.capnp.h"
#include "worker_runs/run_reply.h"

namespace checker {
namespace {

const std::string bad = "\xEF\xBF\xBD";  // U+FFFD

WorkerRunReport reportWith(const std::string& message, const std::string& subject, const std::string& body) {
  capnp::MallocMessageBuilder builder;
  auto result = builder.initRoot<ipc::WorkerReply>().initResult();
  result.setOutcome(ipc::Outcome::FAILED);
  result.setMessage(capnp::Text::Reader(message.data(), message.size()));
  auto notice = result.initFailureNotice();
  notice.setSubject(capnp::Text::Reader(subject.data(), subject.size()));
  notice.setBody(capnp::Text::Reader(body.data(), body.size()));
  WorkerRunReport report;
  report.observation.reply = ReplyState::ok;
  report.reply = ipc::decode(ipc::encode(builder));
  return report;
}

TEST(RunReply, TheMessageIsItsFirstLineCleanedAndCapped) {
  WorkerRunReport report = reportWith("disk \xff full \x1b[1m!\r\nsecond line", "s", "b");
  interpretReply(report);
  EXPECT_EQ(report.observation.jobMessage, "disk " + bad + " full \\x1b[1m!");

  std::string euros;
  for (int i = 0; i < 400; ++i) euros += "\xE2\x82\xAC";  // 1200 bytes, 3 a character
  report = reportWith(euros, "s", "b");
  interpretReply(report);
  EXPECT_EQ(report.observation.jobMessage, euros.substr(0, 1023));  // whole characters within 1 KiB
}

TEST(RunReply, ANoticeSubjectIsOneCleanLineItsBodyCleanLines) {
  WorkerRunReport report = reportWith("m", "subject\nBcc: x@example.org \xc3", "one\r\ntwo \xc0\xaf\n\athree");
  ReplyFacts facts = interpretReply(report);
  ASSERT_TRUE(facts.failureNotice.has_value());
  EXPECT_EQ(facts.failureNotice->subject, "subject\\x0aBcc: x@example.org " + bad);
  EXPECT_EQ(facts.failureNotice->body, "one\ntwo " + bad + bad + "\n\\x07three");

  report = reportWith("m", std::string(5000, 's'), std::string(100'000, 'b'));
  facts = interpretReply(report);
  EXPECT_EQ(facts.failureNotice->subject.size(), 1024u);
  EXPECT_EQ(facts.failureNotice->body.size(), 16u * 1024);
}

TEST(RunReply, FirstLineOfStderrIsCleanToo) {
  EXPECT_EQ(firstLineOf("worker: \xff\x07oops\nmore"), "worker: " + bad + "\\x07oops");
  EXPECT_EQ(firstLineOf(std::string(3000, 'e')).size(), kMaxLineBytes);
}

}  // namespace
}  // namespace checker
