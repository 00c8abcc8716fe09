// worker_runs/run_reply.h: what checkerd keeps of a worker's reply. The
// worker is not trusted to have cleaned or capped anything (a plugin runs
// in it): every text is made one clean line, or clean lines, here.
#include <capnp/message.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

// A job's numbers are the worker's word: the supervisor keeps at most 32,
// each text one clean line within its cap, finite values, no name twice.
TEST(RunReply, WhatAJobMeasuredIsBoundedAndCleaned) {
  capnp::MallocMessageBuilder builder;
  auto result = builder.initRoot<ipc::WorkerReply>().initResult();
  result.setOutcome(ipc::Outcome::OK);
  result.setLatencyUs(-77);
  auto list = result.initMeasurements(40);
  for (unsigned i = 0; i < 40; ++i) list[i].setName("m" + std::to_string(i));
  list[0].setName(std::string(200, 'n') + "\nsecond");
  list[0].setUnit(std::string(100, 'u'));
  list[1].setValue(std::numeric_limits<double>::quiet_NaN());
  list[2].setValue(std::numeric_limits<double>::infinity());
  list[3].setName("");
  list[4].setName("m5");  // the later m5 (list[5]) is dropped
  list[6].setValue(-2.5);
  list[6].setWarn("10:\x1b");
  WorkerRunReport report;
  report.observation.reply = ReplyState::ok;
  report.reply = ipc::decode(ipc::encode(builder));
  ReplyFacts facts = interpretReply(report);
  EXPECT_EQ(facts.measured.latencyUs, -1) << "a negative latency is none";
  ASSERT_EQ(facts.measured.named.size(), 32u);
  EXPECT_EQ(facts.measured.named[0].name, std::string(64, 'n'));
  EXPECT_EQ(facts.measured.named[0].unit, std::string(32, 'u'));
  EXPECT_EQ(facts.measured.named[1].name, "m5");
  EXPECT_EQ(facts.measured.named[2].name, "m6");
  EXPECT_EQ(facts.measured.named[2].value, -2.5);
  EXPECT_EQ(facts.measured.named[2].warn, "10:\\x1b");
  for (const RunMeasurement& m : facts.measured.named) {
    EXPECT_TRUE(std::isfinite(m.value)) << m.name;
    EXPECT_NE(m.name, "m3") << "NaN and infinity are dropped";
  }
  EXPECT_EQ(facts.measured.named.back().name, "m35") << "32 kept: m1, m2, m3 and the second m5 were dropped";
}

}  // namespace
}  // namespace checker
