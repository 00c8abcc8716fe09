// Peering's protocol as pure logic: the signed status document (sign,
// parse, verify; a wrong secret, a replayed answer, a stale or future time,
// every tampered field, an answer naming a third party, one asked for by
// another instance and one reflected back to its signer are rejected), the
// direction keys against a vector computed apart (RFC 5869 in Python and
// `openssl kdf`), how the asking side reads plain and signed answers, and
// what peerd answers each request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "peering/peer_client.h"
#include "peerd/peerd_service.h"
#include "peering/status_document.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'764'000'000;
const std::string kSecret = "correct horse battery staple";
const std::string kNonce = "00112233445566778899aabbccddeeff";
// The asker is web2; the peer it asks is web1.
const std::string kSelf = "web2", kPeer = "web1";
const AnswerExpectation kExpected{kSelf, kPeer, kNonce};

// The value of a step that must not fail here (a failure is reported).
template <typename T>
T valueOf(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.error();
  return result ? std::move(*result) : T{};
}
std::string keyIdOf(std::string_view secret) { return valueOf(peerKeyId(secret)); }
std::string keyOf(std::string_view secret, std::string_view responder, std::string_view requester) {
  return valueOf(directionKey(secret, responder, requester));
}

struct Answer {
  std::string status = "True";
  int64_t time = kNow;
  std::string nonce = kNonce;
  std::string secret = kSecret;
  std::string responder = kPeer;
  std::string requester = kSelf;
  std::string json() const {
    return valueOf(signedStatusJson(secret, StatusDocument{responder, requester, status, time, nonce, {}}));
  }
};

std::string signedAnswer(const std::string& status = "True") { return Answer{status}.json(); }

std::string replaceOnce(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string toHex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) (out += digits[c >> 4]) += digits[c & 0xf];
  return out;
}

TEST(StatusDocument, ASignedAnswerVerifies) {
  for (const char* status : {"True", "MailProblem", "JobProblem"}) {
    Result<Verified> v = verifyStatusAnswer(signedAnswer(status), kSecret, kExpected, kNow);
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->status, status);
    EXPECT_EQ(v->responder, "web1");
  }
}

TEST(StatusDocument, TheDocumentNamesBothSides) {
  nlohmann::json json = nlohmann::json::parse(signedAnswer());
  EXPECT_EQ(json["responder"], "web1");
  EXPECT_EQ(json["requester"], "web2");
  EXPECT_EQ(json["nonce"], kNonce);
  EXPECT_EQ(json["time"], kNow);
  EXPECT_FALSE(json.contains("server"));
}

// Pins the key derivation and the signed bytes: a vector computed apart
// (HKDF-SHA256 of RFC 5869 in Python's hmac, and `openssl kdf ... HKDF`).
TEST(StatusDocument, DirectionKeysAndSignaturesMatchAVectorComputedApart) {
  EXPECT_EQ(toHex(keyOf(kSecret, "web1", "web2")),
            "e6cd3da23c0ea8de4aca480b97d6c8cb5b480cade852b01d764715fd93dc5e58");
  EXPECT_EQ(valueOf(signatureOf(kSecret, StatusDocument{"web1", "web2", "True", kNow, kNonce, {}})),
            "9ee9cb3fa974b9214a8b7ed627235afc8144720f170e1d8163c5bce17ef223e3");
}

TEST(StatusDocument, EachDirectionHasItsOwnKey) {
  std::string there = keyOf(kSecret, "web1", "web2"), back = keyOf(kSecret, "web2", "web1");
  EXPECT_EQ(there.size(), 32u);
  EXPECT_NE(there, back);
  EXPECT_NE(there, keyOf(kSecret + "!", "web1", "web2"));
  // The length prefixes keep ("ab","c") and ("a","bc") apart.
  EXPECT_NE(keyOf(kSecret, "ab", "c"), keyOf(kSecret, "a", "bc"));
  EXPECT_EQ(there.find(kSecret.substr(0, 4)), std::string::npos);
}

// Nothing is signed without a key: an Error says so, where an empty string
// once stood for it, and an answer cannot verify against no secret.
TEST(StatusDocument, WithoutASecretNothingIsSignedOrVerified) {
  StatusDocument document{"web1", "web2", "True", kNow, kNonce, {}};
  Result<std::string> key = directionKey("", "web1", "web2");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error(), "direction key: no secret");
  EXPECT_EQ(signatureOf("", document).error(), "direction key: no secret");
  EXPECT_EQ(signatureWithKey("", document).error(), "signature: no key");
  EXPECT_FALSE(signedStatusJson("", document).ok());
  EXPECT_EQ(signedStatusJsonWithKey("", document).error(), "signature: no key");
  DirectionKeys keys("web1");
  EXPECT_EQ(keys.keyFor("id", "", "web2").error(), "direction key: no secret");
  EXPECT_EQ(keys.size(), 0u) << "a key that could not be made is not kept";
  Result<Verified> v = verifyStatusAnswer(signedAnswer(), "", kExpected, kNow);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.error(), HasSubstr("signature does not match"));
}

TEST(StatusDocument, AWrongSecretIsRejected) {
  Answer wrong;
  wrong.secret = "another secret";
  Result<Verified> v = verifyStatusAnswer(wrong.json(), kSecret, kExpected, kNow);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.error(), HasSubstr("signature does not match"));
}

TEST(StatusDocument, AnAnswerReplayedWithAnotherNonceIsRejected) {
  // A genuine answer to an earlier request: its own nonce, validly signed.
  Answer earlier;
  earlier.time = kNow - 5;
  earlier.nonce = "ffeeddccbbaa99887766554433221100";
  Result<Verified> v = verifyStatusAnswer(earlier.json(), kSecret, kExpected, kNow);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.error(), HasSubstr("nonce differs"));
}

// The relay: our own question handed to our own peerd; it answers as us, for us.
TEST(StatusDocument, AnAnswerThisInstanceSignedItselfIsRejected) {
  for (const std::string& requester : {kSelf, kPeer, std::string("someone")}) {
    Answer reflected;
    reflected.responder = kSelf;
    reflected.requester = requester;
    Result<Verified> v = verifyStatusAnswer(reflected.json(), kSecret, kExpected, kNow);
    EXPECT_FALSE(v.ok()) << requester;
    EXPECT_THAT(v.error(), HasSubstr("signed as this instance itself ('web2')")) << requester;
  }
}

TEST(StatusDocument, AnAnswerNamingAThirdPartyIsRejected) {
  // web3 holds the same secret (one secret for a fleet) and answered us.
  Answer third;
  third.responder = "web3";
  Result<Verified> v = verifyStatusAnswer(third.json(), kSecret, kExpected, kNow);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.error(), HasSubstr("names 'web3' as who answered, not 'web1'"));
}

TEST(StatusDocument, AnAnswerAskedForByAnotherInstanceIsRejected) {
  Answer theirs;
  theirs.requester = "web4";
  Result<Verified> v = verifyStatusAnswer(theirs.json(), kSecret, kExpected, kNow);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.error(), HasSubstr("asked for by 'web4', not by this instance ('web2')"));
}

TEST(StatusDocument, NamesRewrittenIntoAnotherDirectionsAnswerDoNotVerify) {
  // Genuine answers for other directions, their names rewritten to ours:
  // the signature (and its key) name the original sides.
  Answer otherAsker;
  otherAsker.requester = "web4";
  std::string rewritten = replaceOnce(otherAsker.json(), "\"web4\"", "\"web2\"");
  EXPECT_THAT(verifyStatusAnswer(rewritten, kSecret, kExpected, kNow).error(), HasSubstr("signature does not match"));
  Answer backwards;
  backwards.responder = kSelf;
  backwards.requester = kPeer;
  nlohmann::json swapped = nlohmann::json::parse(backwards.json());
  swapped["responder"] = kPeer;
  swapped["requester"] = kSelf;
  EXPECT_THAT(verifyStatusAnswer(swapped.dump(), kSecret, kExpected, kNow).error(),
              HasSubstr("signature does not match"));
}

TEST(StatusDocument, AStaleOrFutureTimeIsRejected) {
  auto at = [](int64_t time) {
    Answer a;
    a.time = time;
    return verifyStatusAnswer(a.json(), kSecret, kExpected, kNow);
  };
  EXPECT_TRUE(at(kNow - kAnswerTimeWindowSeconds).ok());
  Result<Verified> stale = at(kNow - kAnswerTimeWindowSeconds - 1);
  EXPECT_FALSE(stale.ok());
  EXPECT_THAT(stale.error(), HasSubstr("61 s behind ours"));
  Result<Verified> future = at(kNow + 3600);
  EXPECT_FALSE(future.ok());
  EXPECT_THAT(future.error(), HasSubstr("3600 s ahead of ours"));
  EXPECT_THAT(at(INT64_MIN).error(), HasSubstr("nowhere near ours"));
  EXPECT_THAT(at(INT64_MAX).error(), HasSubstr("ahead of ours"));
}

TEST(StatusDocument, EveryTamperedFieldIsRejected) {
  std::string genuine = signedAnswer("JobProblem");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"JobProblem\"", "\"True\""}, {std::to_string(kNow), std::to_string(kNow + 1)}}) {
    std::string tampered = replaceOnce(genuine, from, to);
    Result<Verified> v = verifyStatusAnswer(tampered, kSecret, kExpected, kNow);
    EXPECT_FALSE(v.ok()) << tampered;
    EXPECT_THAT(v.error(), HasSubstr("signature does not match")) << tampered;
  }
  // An old answer with its nonce rewritten to the one we sent.
  Answer old;
  old.nonce = "ffeeddccbbaa99887766554433221100";
  std::string rewritten = replaceOnce(old.json(), old.nonce, kNonce);
  EXPECT_THAT(verifyStatusAnswer(rewritten, kSecret, kExpected, kNow).error(), HasSubstr("signature does not match"));
  // A signature of the right length but altered.
  std::string sig = genuine.substr(genuine.find("\"signature\":\"") + 13, 64);
  std::string flipped = sig;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  EXPECT_FALSE(verifyStatusAnswer(replaceOnce(genuine, sig, flipped), kSecret, kExpected, kNow).ok());
}

// Protocol 1's document, or any with a member missing, is no answer.
TEST(StatusDocument, ADocumentWithoutEveryFieldIsRejected) {
  std::string v1 = "{\"server\":\"web1\",\"status\":\"True\",\"time\":1764000000,\"nonce\":\"" + kNonce +
                   "\",\"signature\":\"9ee9cb3fa974b9214a8b7ed627235afc8144720f170e1d8163c5bce17ef223e3\"}";
  Result<Verified> old = verifyStatusAnswer(v1, kSecret, kExpected, kNow);
  EXPECT_FALSE(old.ok());
  EXPECT_EQ(old.error(), "not a status document (no string member \"responder\")");
  for (const char* member : {"responder", "requester", "status", "time", "nonce", "signature"}) {
    nlohmann::json json = nlohmann::json::parse(signedAnswer());
    json.erase(member);
    Result<Verified> v = verifyStatusAnswer(json.dump(), kSecret, kExpected, kNow);
    EXPECT_FALSE(v.ok()) << member;
    EXPECT_THAT(v.error(), HasSubstr(std::string("member \"") + member + "\"")) << member;
  }
}

TEST(StatusDocument, WhatIsNotADocumentSaysSo) {
  std::string full = signedAnswer();
  for (const std::string& bad :
       {std::string(), std::string("True"), std::string("{"), std::string("{}"), std::string("[1,2]"),
        std::string("{\"responder\":\"a\"}"), replaceOnce(full, "{", "{\"status\":\"True\","),
        replaceOnce(full, std::to_string(kNow), "\"" + std::to_string(kNow) + "\""),
        replaceOnce(full, std::to_string(kNow), "1.5"), replaceOnce(full, std::to_string(kNow), "99999999999999999999"),
        replaceOnce(full, std::to_string(kNow), "18446744073709551615"), std::string("{\"responder\":\"a\\q\"}"),
        full + " trailing", replaceOnce(full, "web1", "we\xff" "b1")}) {
    Result<Verified> v = verifyStatusAnswer(bad, kSecret, kExpected, kNow);
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_THAT(v.error(), StartsWith("not a status document")) << bad;
  }
}

TEST(StatusDocument, TheParserReadsEscapesAndIgnoresUnknownMembers) {
  auto doc = parseStatusJson(
      " { \"extra\" : [5, {\"responder\": 1}] , \"responder\":\"a\\\"b\\\\c\\u00e9\\n\", \"requester\":\"r\","
      "\"status\":\"True\",\"time\":-3,\"nonce\":\"n\",\"signature\":\"s\"}\n");
  ASSERT_TRUE(doc.ok()) << doc.error();
  EXPECT_EQ(doc->responder, "a\"b\\c\xc3\xa9\n");
  EXPECT_EQ(doc->requester, "r");
  EXPECT_EQ(doc->unixTime, -3);
  // What signedStatusJson writes, parseStatusJson reads back.
  std::string odd = "we\"ird\\ name\x01 \xe2\x82\xac";
  auto back =
      parseStatusJson(valueOf(signedStatusJson(kSecret, StatusDocument{odd, odd + "2", "True", kNow, kNonce, {}})));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->responder, odd);
  EXPECT_EQ(back->requester, odd + "2");
}

TEST(StatusDocument, KeyIdsNameSecretsWithoutShowingThem) {
  EXPECT_EQ(keyIdOf(kSecret).size(), 16u);
  EXPECT_EQ(keyIdOf(kSecret), keyIdOf(kSecret));
  EXPECT_NE(keyIdOf(kSecret), keyIdOf(kSecret + "!"));
  EXPECT_EQ(keyIdOf(kSecret).find(kSecret.substr(0, 4)), std::string::npos);
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
  PeerAnswer ok = classifySignedAnswer(200, signedAnswer("MailProblem"), kSecret, kExpected, kNow);
  EXPECT_EQ(ok.status, ipc::PeerStatus::MAIL_PROBLEM);
  EXPECT_TRUE(ok.authenticated);
  // A plain "True" where a signed answer was asked for: not verified, and
  // the admin is told what the peer probably is.
  PeerAnswer plain = classifySignedAnswer(200, "True", kSecret, kExpected, kNow);
  EXPECT_EQ(plain.status, ipc::PeerStatus::UNVERIFIED);
  EXPECT_THAT(plain.message, StartsWith("answer could not be verified: the peer answered the plain word 'True'"));
  EXPECT_FALSE(plain.authenticated);
  Answer relayed;
  relayed.responder = kSelf;
  PeerAnswer reflected = classifySignedAnswer(200, relayed.json(), kSecret, kExpected, kNow);
  EXPECT_EQ(reflected.status, ipc::PeerStatus::UNVERIFIED);
  EXPECT_THAT(reflected.message, HasSubstr("signed as this instance itself"));
  EXPECT_EQ(classifySignedAnswer(403, "{}", kSecret, kExpected, kNow).status, ipc::PeerStatus::UNVERIFIED);
  EXPECT_EQ(classifySignedAnswer(500, "", kSecret, kExpected, kNow).status, ipc::PeerStatus::BAD_STATUS);
}

TEST(PeerAnswers, TransferErrorsAreNotResponding) {
  PeerAnswer refused = classifyTransferError(7 /* CURLE_COULDNT_CONNECT */, "", 5000);
  EXPECT_EQ(refused.status, ipc::PeerStatus::NO_ANSWER);
  EXPECT_EQ(refused.message, "not responding: connection refused or unreachable");
  EXPECT_EQ(classifyTransferError(28 /* CURLE_OPERATION_TIMEDOUT */, "", 5000).message,
            "not responding: no answer within 5000 ms");
}

TEST(PeerAnswers, TheSignedRequestGoesToTheStatusPathOfThePeer) {
  PeerTarget plain{"p", "http://192.0.2.1:5000/any/path", "", "web2"};
  EXPECT_EQ(*PeerClient::requestUrl(plain, "n"), "http://192.0.2.1:5000/any/path");
  PeerTarget signedPeer{"p", "http://192.0.2.1:5000/any/path?x=1#f", kSecret, "web 2/\xc3\xa9"};
  Result<std::string> signedUrl = PeerClient::requestUrl(signedPeer, kNonce);
  ASSERT_TRUE(signedUrl.ok()) << signedUrl.error();
  EXPECT_EQ(*signedUrl, "http://192.0.2.1:5000/v2/status?nonce=" + kNonce + "&key=" + keyIdOf(kSecret) +
                            "&from=web%202%2f%c3%a9");
  // Without an identity to name, no signed question is asked.
  signedPeer.asker = "";
  Result<std::string> anonymous = PeerClient::requestUrl(signedPeer, kNonce);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_THAT(anonymous.error(), HasSubstr("our servername is not an identity"));
}

class PeerdAnswers : public ::testing::Test {
 protected:
  // peerd of web1 asked URL.
  HttpResponse ask(const std::string& method, const std::string& url, int64_t heartbeatAgeMs = 1000,
                   DirectionKeys* keys = nullptr) {
    InstanceView view{mailProblem, 100'000 - heartbeatAgeMs};
    std::map<std::string, std::string> secrets{{keyIdOf(kSecret), kSecret}};
    HttpRequest request;
    request.method = method;
    request.url = url;
    return answerRequest(request, AnswerContext{view, 100'000, kNow, 120'000, kPeer, secrets, Exposure::off,
                                                Exposure::off, nullptr, nullptr, keys});
  }
  static std::string question(const std::string& from, const std::string& key = keyIdOf(kSecret)) {
    return std::string(kStatusPath) + "?nonce=" + kNonce + "&key=" + key + "&from=" + from;
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

TEST_F(PeerdAnswers, TheStatusPathSignsAsThisInstanceForTheAskerNamed) {
  HttpResponse r = ask("GET", question("web2"), 120'001);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "application/json");
  Result<Verified> v = verifyStatusAnswer(r.body, kSecret, kExpected, kNow);
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_EQ(v->status, "JobProblem");
  EXPECT_EQ(v->responder, "web1");
  // Another asker's answer is of no use to web2.
  EXPECT_THAT(verifyStatusAnswer(ask("GET", question("web3")).body, kSecret, kExpected, kNow).error(),
              HasSubstr("asked for by 'web3'"));
  EXPECT_EQ(ask("GET", question("web2", "0000000000000000")).status, 403);
  EXPECT_EQ(ask("GET", std::string(kStatusPath) + "?key=" + keyIdOf(kSecret) + "&from=web2").status, 400);
  EXPECT_EQ(ask("GET", std::string(kStatusPath) + "?nonce=xyz&key=" + keyIdOf(kSecret) + "&from=web2").status, 400);
  EXPECT_EQ(ask("GET", std::string(kStatusPath) + "?nonce=" + kNonce + "&key=" + keyIdOf(kSecret)).status, 400);
  HttpResponse badName = ask("GET", question("a%0Ab"));
  EXPECT_EQ(badName.status, 400);
  EXPECT_THAT(nlohmann::json::parse(badName.body)["error"].get<std::string>(), HasSubstr("'from' must name the asker"));
}

// web1's own question, relayed to web1's peerd by whoever stands at the
// peer's address: the answer names web1 on both sides, which web1 refuses.
TEST_F(PeerdAnswers, AQuestionRelayedToItsAskerGetsAnAnswerTheAskerRefuses) {
  HttpResponse r = ask("GET", question(kPeer));
  ASSERT_EQ(r.status, 200);
  Result<Verified> v = verifyStatusAnswer(r.body, kSecret, AnswerExpectation{kPeer, "the dead peer", kNonce}, kNow);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.error(), HasSubstr("signed as this instance itself ('web1')"));
}

TEST(DirectionKeys, TheResponderKeepsAKeyPerAskerWithinABound) {
  DirectionKeys keys("web1", 2);
  std::string id = keyIdOf(kSecret);
  EXPECT_EQ(valueOf(keys.keyFor(id, kSecret, "web2")), keyOf(kSecret, "web1", "web2"));
  EXPECT_EQ(valueOf(keys.keyFor(id, kSecret, "web2")), keyOf(kSecret, "web1", "web2"));
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(valueOf(keys.keyFor(id, kSecret, "web3")), keyOf(kSecret, "web1", "web3"));
  EXPECT_EQ(keys.size(), 2u);
  // Full: a new asker starts the table afresh.
  EXPECT_EQ(valueOf(keys.keyFor(id, kSecret, "web4")), keyOf(kSecret, "web1", "web4"));
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(valueOf(keys.keyFor(id, kSecret, "web2")), keyOf(kSecret, "web1", "web2"));
}

TEST_F(PeerdAnswers, KeptKeysSignTheSameAnswers) {
  DirectionKeys keys(kPeer);
  for (const char* asker : {"web2", "web3", "web2"}) {
    HttpResponse fresh = ask("GET", question(asker));
    HttpResponse kept = ask("GET", question(asker), 1000, &keys);
    EXPECT_EQ(kept.status, 200);
    EXPECT_EQ(kept.body, fresh.body) << asker;
  }
  EXPECT_EQ(keys.size(), 2u);
}

TEST_F(PeerdAnswers, ProtocolOneIsRetired) {
  HttpResponse r = ask("GET", "/v1/status?nonce=" + kNonce + "&key=" + keyIdOf(kSecret));
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.contentType, "application/json");
  EXPECT_THAT(nlohmann::json::parse(r.body)["error"].get<std::string>(), HasSubstr("ask /v2/status"));
}

}  // namespace
}  // namespace checker::peerd
