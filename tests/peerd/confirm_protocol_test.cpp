// The confirm protocol's wire (peering/confirm_request.h,
// peering/confirm_document.h): what the asker writes the peer reads back;
// a signed answer verifies for its asker only, and one for another nonce,
// job, asker or responder, an old one replayed, or one with any field
// altered is refused with a reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "peering/confirm_document.h"
#include "peering/confirm_request.h"
#include "peering/status_document.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;

const std::string kNonce = "00112233445566778899aabbccddeeff";
const std::string kSecret = "pair-secret";
constexpr int64_t kNow = 1'764'040'000;

std::string refusal(const std::string& query) {
  auto parsed = parseConfirmRequest(query);
  EXPECT_FALSE(parsed.ok()) << query;
  return parsed.ok() ? "" : parsed.error();
}

TEST(ConfirmRequest, WhatTheAskerWritesThePeerReads) {
  for (const std::string& job : {std::string("tcp:127.0.0.1:9"), std::string("http:http://h/a?b=c&d=e"),
                                 std::string("exec:/bin/check --x 'a b' %s"), std::string(1024, 'j')}) {
    ConfirmRequest asked{{kNonce, "0123456789abcdef", "alpha"}, job, 1'764'040'000'123, 30'000};
    std::string query = confirmRequestQuery(asked);
    auto parsed = parseConfirmRequest(query);
    ASSERT_TRUE(parsed.ok()) << query << ": " << parsed.error();
    EXPECT_EQ(parsed->jobId, job);
    EXPECT_EQ(parsed->afterUnixMs, 1'764'040'000'123);
    EXPECT_EQ(parsed->waitMs, 30'000u);
    EXPECT_EQ(parsed->asker.nonce, kNonce);
    EXPECT_EQ(parsed->asker.keyId, "0123456789abcdef");
    EXPECT_EQ(parsed->asker.requester, "alpha");
  }
  auto noWait = parseConfirmRequest("job=tcp%3Ah%3A1&after=0&nonce=" + kNonce + "&key=k&from=a");
  ASSERT_TRUE(noWait.ok()) << noWait.error();
  EXPECT_EQ(noWait->waitMs, 0u);  // absent: answer from the state as it is
}

TEST(ConfirmRequest, WhatIsWrongIsNamed) {
  std::string asker = "&nonce=" + kNonce + "&key=k&from=a";
  EXPECT_THAT(refusal("after=1" + asker), HasSubstr("'job' must name a job"));
  EXPECT_THAT(refusal("job=&after=1" + asker), HasSubstr("'job' must name a job"));
  EXPECT_THAT(refusal("job=" + std::string(1025, 'j') + "&after=1" + asker), HasSubstr("'job' must name a job"));
  EXPECT_THAT(refusal("job=a%0Ab&after=1" + asker), HasSubstr("'job' must name a job"));
  EXPECT_THAT(refusal("job=a&job=b&after=1" + asker), HasSubstr("'job' given twice"));
  EXPECT_THAT(refusal("job=a" + asker), HasSubstr("no failure time ('after')"));
  EXPECT_THAT(refusal("job=a&after=-1" + asker), HasSubstr("'after' must be a whole number"));
  EXPECT_THAT(refusal("job=a&after=1x" + asker), HasSubstr("'after' must be a whole number"));
  EXPECT_THAT(refusal("job=a&after=99999999999999999999" + asker), HasSubstr("'after' must be"));
  EXPECT_THAT(refusal("job=a&after=1&wait=30001" + asker), HasSubstr("'wait' must be a whole number from 0 to 30000"));
  EXPECT_THAT(refusal("job=a&after=1&nonce=" + kNonce + "&key=k"), HasSubstr("'from' must name the asker"));
  EXPECT_THAT(refusal("job=a&after=1&nonce=xyz&key=k&from=a"), HasSubstr("nonce must be"));
  EXPECT_THAT(refusal("job=a&after=1&nonce=" + kNonce + "&from=a"), HasSubstr("no key id"));
}

ConfirmDocument failingView() {
  ConfirmDocument d;
  d.responder = "bravo";
  d.requester = "alpha";
  d.job = "tcp:127.0.0.1:9";
  d.known = true;
  d.state = "failing";
  d.lastRunUnixMs = kNow * 1000 - 12;
  d.outcome = "failed";
  d.message = "connection refused";
  d.ranNow = true;
  d.unixTime = kNow;
  d.nonce = kNonce;
  return d;
}

ConfirmExpectation expectation() { return ConfirmExpectation{"alpha", "bravo", kNonce, "tcp:127.0.0.1:9"}; }

std::string signedBody(const ConfirmDocument& d, const std::string& secret = kSecret) {
  Result<std::string> body = signedConfirmJson(secret, d);
  EXPECT_TRUE(body.ok()) << body.error();
  return body.ok() ? *body : "";
}

std::string rejection(const std::string& body, ConfirmExpectation expected = expectation(), int64_t now = kNow) {
  auto verified = verifyConfirmAnswer(body, kSecret, expected, now);
  EXPECT_FALSE(verified.ok()) << body;
  return verified.ok() ? "" : verified.error();
}

TEST(ConfirmAnswer, ASignedViewVerifiesForItsAsker) {
  auto verified = verifyConfirmAnswer(signedBody(failingView()), kSecret, expectation(), kNow);
  ASSERT_TRUE(verified.ok()) << verified.error();
  EXPECT_TRUE(verified->known);
  EXPECT_EQ(verified->state, "failing");
  EXPECT_EQ(verified->lastRunUnixMs, kNow * 1000 - 12);
  EXPECT_EQ(verified->outcome, "failed");
  EXPECT_EQ(verified->message, "connection refused");
  EXPECT_TRUE(verified->ranNow);
  ConfirmDocument unknown;
  unknown.responder = "bravo";
  unknown.requester = "alpha";
  unknown.job = "tcp:127.0.0.1:9";
  unknown.unixTime = kNow;
  unknown.nonce = kNonce;
  auto notKnown = verifyConfirmAnswer(signedBody(unknown), kSecret, expectation(), kNow);
  ASSERT_TRUE(notKnown.ok()) << notKnown.error();
  EXPECT_FALSE(notKnown->known);
}

TEST(ConfirmAnswer, AnswersForAnotherQuestionAreRejected) {
  std::string body = signedBody(failingView());
  ConfirmExpectation otherNonce = expectation();
  std::string nonce2 = "ffeeddccbbaa99887766554433221100";
  otherNonce.nonce = nonce2;  // a replay of an answer to an earlier question
  EXPECT_THAT(rejection(body, otherNonce), HasSubstr("nonce differs"));
  ConfirmExpectation otherJob = expectation();
  otherJob.job = "tcp:127.0.0.1:10";
  EXPECT_THAT(rejection(body, otherJob), HasSubstr("about another job"));
  ConfirmExpectation otherAsker = expectation();
  otherAsker.self = "charlie";  // handed from one asker to another
  EXPECT_THAT(rejection(body, otherAsker), HasSubstr("asked for by 'alpha', not by this instance"));
  ConfirmExpectation otherResponder = expectation();
  otherResponder.peer = "charlie";  // bravo answering for charlie
  EXPECT_THAT(rejection(body, otherResponder), HasSubstr("names 'bravo' as who answered, not 'charlie'"));
  ConfirmExpectation reflected{"bravo", "alpha", kNonce, "tcp:127.0.0.1:9"};
  EXPECT_THAT(rejection(body, reflected), HasSubstr("signed as this instance itself"));
  EXPECT_THAT(rejection(body, expectation(), kNow + 61), HasSubstr("61 s behind ours"));
  EXPECT_THAT(rejection(signedBody(failingView(), "another secret")), HasSubstr("signature does not match"));
}

TEST(ConfirmAnswer, EveryAlteredFieldBreaksTheSignature) {
  nlohmann::json original = nlohmann::json::parse(signedBody(failingView()));
  for (auto& [name, value] : original.items()) {
    if (name == "signature" || name == "responder" || name == "requester") continue;
    nlohmann::json altered = original;
    if (value.is_string()) altered[name] = value.get<std::string>() + "x";
    else if (value.is_boolean()) altered[name] = !value.get<bool>();
    else altered[name] = value.get<int64_t>() + 1;
    std::string why = rejection(altered.dump());
    if (name == "nonce" || name == "job") continue;  // also refused, by the signature first
    EXPECT_THAT(why, HasSubstr("signature does not match")) << name;
  }
  // The status answer's signature never passes for a confirm answer.
  StatusDocument status{"bravo", "alpha", "True", kNow, kNonce, {}};
  Result<std::string> statusSignature = signatureOf(kSecret, status);
  ASSERT_TRUE(statusSignature.ok());
  nlohmann::json crossed = original;
  crossed["signature"] = *statusSignature;
  EXPECT_THAT(rejection(crossed.dump()), HasSubstr("signature does not match"));
}

TEST(ConfirmAnswer, MalformedOrInconsistentDocumentsAreRejected) {
  EXPECT_THAT(rejection("JobProblem"), HasSubstr("not a confirm document"));
  nlohmann::json doc = nlohmann::json::parse(signedBody(failingView()));
  doc.erase("ranNow");
  EXPECT_THAT(rejection(doc.dump()), HasSubstr("no boolean member \"ranNow\""));
  std::string twice = signedBody(failingView());
  twice.insert(1, "\"job\":\"x\",");
  EXPECT_THAT(rejection(twice), HasSubstr("\"job\" appears twice"));
  ConfirmDocument badState = failingView();
  badState.state = "down";
  EXPECT_THAT(rejection(signedBody(badState)), HasSubstr("is not ok, failing or never_run"));
  ConfirmDocument unknownButFailing = failingView();
  unknownButFailing.known = false;
  EXPECT_THAT(rejection(signedBody(unknownButFailing)), HasSubstr("unknown but gives a view"));
  ConfirmDocument longMessage = failingView();
  longMessage.message = std::string(kConfirmMessageMaxBytes + 1, 'm');
  EXPECT_THAT(rejection(signedBody(longMessage)), HasSubstr("longer than 512 bytes"));
}

}  // namespace
}  // namespace checker::peerd
