// Peering's protocol as pure logic: the signed status document (sign,
// parse, verify; a wrong secret, a replayed answer, a stale or future time
// and every tampered field are rejected), how the asking side reads plain
// and signed answers, and what peerd answers each request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "peerd/peer_client.h"
#include "peerd/peerd_service.h"
#include "peerd/status_document.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'764'000'000;
const std::string kSecret = "correct horse battery staple";
const std::string kNonce = "00112233445566778899aabbccddeeff";

std::string signedAnswer(const std::string& status = "True", int64_t time = kNow, const std::string& nonce = kNonce,
                         const std::string& secret = kSecret) {
  return signedStatusJson(secret, StatusDocument{"web1", status, time, nonce, {}});
}

std::string replaceOnce(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(StatusDocument, ASignedAnswerVerifies) {
  for (const char* status : {"True", "MailProblem", "JobProblem"}) {
    Verified v = verifyStatusAnswer(signedAnswer(status), kSecret, kNonce, kNow);
    EXPECT_TRUE(v.ok) << v.error;
    EXPECT_EQ(v.status, status);
    EXPECT_EQ(v.server, "web1");
  }
}

TEST(StatusDocument, AWrongSecretIsRejected) {
  Verified v = verifyStatusAnswer(signedAnswer("True", kNow, kNonce, "another secret"), kSecret, kNonce, kNow);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.error, HasSubstr("signature does not match"));
}

TEST(StatusDocument, AReplayedAnswerIsRejected) {
  // A genuine answer to an earlier request: its own nonce, validly signed.
  std::string earlier = signedAnswer("True", kNow - 5, "ffeeddccbbaa99887766554433221100");
  Verified v = verifyStatusAnswer(earlier, kSecret, kNonce, kNow);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.error, HasSubstr("nonce differs"));
}

TEST(StatusDocument, AStaleOrFutureTimeIsRejected) {
  EXPECT_TRUE(verifyStatusAnswer(signedAnswer("True", kNow - kAnswerTimeWindowSeconds), kSecret, kNonce, kNow).ok);
  Verified stale = verifyStatusAnswer(signedAnswer("True", kNow - kAnswerTimeWindowSeconds - 1), kSecret, kNonce, kNow);
  EXPECT_FALSE(stale.ok);
  EXPECT_THAT(stale.error, HasSubstr("61 s behind ours"));
  Verified future = verifyStatusAnswer(signedAnswer("True", kNow + 3600), kSecret, kNonce, kNow);
  EXPECT_FALSE(future.ok);
  EXPECT_THAT(future.error, HasSubstr("3600 s ahead of ours"));
}

TEST(StatusDocument, EveryTamperedFieldIsRejected) {
  std::string genuine = signedAnswer("JobProblem");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"JobProblem\"", "\"True\""},
           {"\"web1\"", "\"web2\""},
           {std::to_string(kNow), std::to_string(kNow + 1)}}) {
    std::string tampered = replaceOnce(genuine, from, to);
    Verified v = verifyStatusAnswer(tampered, kSecret, kNonce, kNow);
    EXPECT_FALSE(v.ok) << tampered;
    EXPECT_THAT(v.error, HasSubstr("signature does not match")) << tampered;
  }
  // An old answer with its nonce rewritten to the one we sent.
  std::string otherNonce = "ffeeddccbbaa99887766554433221100";
  std::string rewritten = replaceOnce(signedAnswer("True", kNow, otherNonce), otherNonce, kNonce);
  EXPECT_THAT(verifyStatusAnswer(rewritten, kSecret, kNonce, kNow).error, HasSubstr("signature does not match"));
  // A signature of the right length but altered.
  std::string sig = genuine.substr(genuine.find("\"signature\":\"") + 13, 64);
  std::string flipped = sig;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  EXPECT_FALSE(verifyStatusAnswer(replaceOnce(genuine, sig, flipped), kSecret, kNonce, kNow).ok);
}

TEST(StatusDocument, WhatIsNotADocumentSaysSo) {
  for (const std::string bad : {"", "True", "{", "{}", "[1,2]", "{\"server\":\"a\"}",
                                "{\"server\":\"a\",\"server\":\"b\",\"status\":\"True\",\"time\":1,\"nonce\":\"n\","
                                "\"signature\":\"s\"}",
                                "{\"server\":\"a\",\"status\":\"True\",\"time\":\"1\",\"nonce\":\"n\",\"signature\":\"s\"}",
                                "{\"server\":\"a\\q\"}", "{\"server\":\"a\"} trailing", "{\"time\":99999999999999999999}"}) {
    Verified v = verifyStatusAnswer(bad, kSecret, kNonce, kNow);
    EXPECT_FALSE(v.ok) << bad;
    EXPECT_THAT(v.error, StartsWith("not a status document")) << bad;
  }
}

TEST(StatusDocument, TheParserReadsEscapesAndIgnoresUnknownMembers) {
  std::string error;
  auto doc = parseStatusJson(
      " { \"extra\" : 5 , \"server\":\"a\\\"b\\\\c\\u00e9\\n\", \"status\":\"True\",\"time\":-3,"
      "\"nonce\":\"n\",\"signature\":\"s\"}\n",
      &error);
  ASSERT_TRUE(doc.has_value()) << error;
  EXPECT_EQ(doc->server, "a\"b\\c\xc3\xa9\n");
  EXPECT_EQ(doc->unixTime, -3);
  // What signedStatusJson writes, parseStatusJson reads back.
  std::string odd = "we\"ird\\ name\x01";
  auto back = parseStatusJson(signedStatusJson(kSecret, StatusDocument{odd, "True", kNow, kNonce, {}}), &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(back->server, odd);
}

TEST(StatusDocument, KeyIdsNameSecretsWithoutShowingThem) {
  EXPECT_EQ(peerKeyId(kSecret).size(), 16u);
  EXPECT_EQ(peerKeyId(kSecret), peerKeyId(kSecret));
  EXPECT_NE(peerKeyId(kSecret), peerKeyId(kSecret + "!"));
  EXPECT_EQ(peerKeyId(kSecret).find(kSecret.substr(0, 4)), std::string::npos);
}

TEST(PeerAnswers, PlainAnswersAreTheOriginalsWords) {
  EXPECT_EQ(classifyPlainAnswer(200, "True").status, ipc::PeerStatus::HEALTHY);
  EXPECT_EQ(classifyPlainAnswer(200, "MailProblem").status, ipc::PeerStatus::MAIL_PROBLEM);
  EXPECT_EQ(classifyPlainAnswer(200, "JobProblem").status, ipc::PeerStatus::JOB_PROBLEM);
  PeerAnswer odd = classifyPlainAnswer(200, "True\n");
  EXPECT_EQ(odd.status, ipc::PeerStatus::UNEXPECTED_BODY);
  EXPECT_THAT(odd.message, HasSubstr("unexpected answer 'True?'"));
  PeerAnswer error = classifyPlainAnswer(503, "True");
  EXPECT_EQ(error.status, ipc::PeerStatus::BAD_STATUS);
  EXPECT_EQ(error.message, "HTTP status 503");
}

TEST(PeerAnswers, SignedAnswersAreVerifiedBeforeTheyCount) {
  PeerAnswer ok = classifySignedAnswer(200, signedAnswer("MailProblem"), kSecret, kNonce, kNow);
  EXPECT_EQ(ok.status, ipc::PeerStatus::MAIL_PROBLEM);
  EXPECT_TRUE(ok.authenticated);
  // A plain "True" where a signed answer was asked for: not verified.
  PeerAnswer plain = classifySignedAnswer(200, "True", kSecret, kNonce, kNow);
  EXPECT_EQ(plain.status, ipc::PeerStatus::UNVERIFIED);
  EXPECT_THAT(plain.message, StartsWith("answer could not be verified: "));
  EXPECT_EQ(classifySignedAnswer(403, "{}", kSecret, kNonce, kNow).status, ipc::PeerStatus::UNVERIFIED);
  EXPECT_EQ(classifySignedAnswer(500, "", kSecret, kNonce, kNow).status, ipc::PeerStatus::BAD_STATUS);
}

TEST(PeerAnswers, TransferErrorsAreNotResponding) {
  PeerAnswer refused = classifyTransferError(7 /* CURLE_COULDNT_CONNECT */, "", 5000);
  EXPECT_EQ(refused.status, ipc::PeerStatus::NO_ANSWER);
  EXPECT_EQ(refused.message, "not responding: connection refused or unreachable");
  EXPECT_EQ(classifyTransferError(28 /* CURLE_OPERATION_TIMEDOUT */, "", 5000).message,
            "not responding: no answer within 5000 ms");
}

TEST(PeerAnswers, TheSignedRequestGoesToTheStatusPathOfThePeer) {
  PeerTarget plain{"p", "http://192.0.2.1:5000/any/path", ""};
  EXPECT_EQ(PeerClient::requestUrl(plain, "n"), "http://192.0.2.1:5000/any/path");
  PeerTarget signedPeer{"p", "http://192.0.2.1:5000/any/path?x=1#f", kSecret};
  EXPECT_EQ(PeerClient::requestUrl(signedPeer, kNonce),
            "http://192.0.2.1:5000/v1/status?nonce=" + kNonce + "&key=" + peerKeyId(kSecret));
}

class PeerdAnswers : public ::testing::Test {
 protected:
  HttpResponse ask(const std::string& method, const std::string& url, int64_t heartbeatAgeMs = 1000) {
    InstanceView view{mailProblem, 100'000 - heartbeatAgeMs};
    std::map<std::string, std::string> secrets{{peerKeyId(kSecret), kSecret}};
    HttpRequest request;
    request.method = method;
    request.url = url;
    return answerRequest(request, AnswerContext{view, 100'000, kNow, 120'000, "web1", secrets, Exposure::off,
                                                Exposure::off, nullptr, nullptr});
  }
  bool mailProblem = false;
};

TEST_F(PeerdAnswers, AnyPathGetsThePlainWordMailFirst) {
  EXPECT_EQ(ask("GET", "/").body, "True");
  EXPECT_EQ(ask("GET", "/anything?at=all").body, "True");
  EXPECT_EQ(ask("GET", "/", 120'001).body, "JobProblem");
  mailProblem = true;
  EXPECT_EQ(ask("GET", "/", 120'001).body, "MailProblem");
  EXPECT_EQ(ask("POST", "/").status, 405);
}

TEST_F(PeerdAnswers, TheStatusPathSignsWithTheSecretOfTheKeyAsked) {
  HttpResponse r = ask("GET", "/v1/status?nonce=" + kNonce + "&key=" + peerKeyId(kSecret), 120'001);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "application/json");
  Verified v = verifyStatusAnswer(r.body, kSecret, kNonce, kNow);
  EXPECT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.status, "JobProblem");
  EXPECT_EQ(ask("GET", "/v1/status?nonce=" + kNonce + "&key=0000000000000000").status, 403);
  EXPECT_EQ(ask("GET", "/v1/status?key=" + peerKeyId(kSecret)).status, 400);
  EXPECT_EQ(ask("GET", "/v1/status?nonce=xyz&key=" + peerKeyId(kSecret)).status, 400);
}

}  // namespace
}  // namespace checker::peerd
