// peerd's request reading without I/O (peerd/request_parser.h): the same
// events whatever the pieces the bytes come in, pipelined requests in
// order, keep-alive by HTTP/1.0 and 1.1 rules, and each refusal (400, 413,
// 431) once, with nothing read after it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "peerd/http_response.h"
#include "peerd/request_parser.h"

namespace checker::peerd {
namespace {

// One line per event: "started", "GET /a 1.1 [accept] keep|close", "refused 431 1.1".
std::vector<std::string> describe(const std::vector<RequestEvent>& events) {
  std::vector<std::string> lines;
  for (const RequestEvent& e : events) {
    std::string version = std::to_string(e.request.versionMajor) + "." + std::to_string(e.request.versionMinor);
    switch (e.kind) {
      case RequestEvent::Kind::kStarted: lines.push_back("started"); break;
      case RequestEvent::Kind::kRequest:
        lines.push_back(e.request.method + " " + e.request.url + " " + version + " [" + e.request.accept + "] " +
                        (e.keepAlive ? "keep" : "close"));
        break;
      case RequestEvent::Kind::kRefused: lines.push_back("refused " + std::to_string(e.status) + " " + version); break;
    }
  }
  return lines;
}

// BYTES fed CHUNK bytes at a time (0: all at once).
std::vector<std::string> parse(const std::string& bytes, size_t chunk = 0, size_t maxHeaderBytes = 8 * 1024) {
  RequestParser parser(maxHeaderBytes);
  std::vector<RequestEvent> all;
  if (chunk == 0) chunk = bytes.size();
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    for (RequestEvent& e : parser.feed(bytes.data() + at, std::min(chunk, bytes.size() - at))) {
      all.push_back(std::move(e));
    }
    EXPECT_LE(parser.headerBytes(), maxHeaderBytes);
  }
  return describe(all);
}

using Lines = std::vector<std::string>;

TEST(RequestParser, AGetWithItsAcceptHeader) {
  EXPECT_EQ(parse("GET /status?x=1 HTTP/1.1\r\nHost: peer\r\naCCept: application/json\r\n\r\n"),
            (Lines{"started", "GET /status?x=1 1.1 [application/json] keep"}));
  EXPECT_EQ(parse("HEAD / HTTP/1.0\r\n\r\n"), (Lines{"started", "HEAD / 1.0 [] close"}));
  // A folded value is one value; the last Accept wins; CRLFs before a request are skipped.
  EXPECT_EQ(parse("\r\n\r\nGET / HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n c\r\n\r\n"),
            (Lines{"started", "GET / 1.1 [b c] keep"}));
}

// The page password's header is kept as sent; a second one is flagged,
// not merged or silently preferred.
TEST(RequestParser, KeepsTheAuthorizationHeaderAndFlagsASecond) {
  RequestParser parser(8 * 1024);
  std::string once = "GET / HTTP/1.1\r\nauthorization: Bearer  abc \r\n\r\n";
  std::vector<RequestEvent> events = parser.feed(once.data(), once.size());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].request.authorization, "Bearer  abc ");  // trailing space: http-parser keeps it
  EXPECT_FALSE(events[1].request.authorizationRepeated);
  std::string twice = "GET / HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n";
  events = parser.feed(twice.data(), twice.size());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[1].request.authorizationRepeated);
  std::string none = "GET / HTTP/1.1\r\n\r\n";  // nothing carried over from the last request
  events = parser.feed(none.data(), none.size());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].request.authorization, "");
  EXPECT_FALSE(events[1].request.authorizationRepeated);
}

TEST(RequestParser, KeepAliveFollowsHttpOneZeroAndOneOneRules) {
  EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n")[1], "GET / 1.0 [] close");
  EXPECT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")[1], "GET / 1.0 [] keep");
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r\n")[1], "GET / 1.1 [] keep");
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")[1], "GET / 1.1 [] close");
  // An Upgrade or CONNECT is answered as a plain request that closes.
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
            (Lines{"started", "GET / 1.1 [] close"}));
  EXPECT_EQ(parse("CONNECT peer:443 HTTP/1.1\r\n\r\n"), (Lines{"started", "CONNECT peer:443 1.1 [] close"}));
}

TEST(RequestParser, PipelinedRequestsComeOutInOrderAndNothingAfterAClose) {
  std::string three =
      "GET /a HTTP/1.1\r\nAccept: x\r\n\r\n"
      "HEAD /b HTTP/1.1\r\n\r\n"
      "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n"
      "GET /d HTTP/1.1\r\n\r\n";  // after the close: not read
  Lines expected{"started", "GET /a 1.1 [x] keep", "started", "HEAD /b 1.1 [] keep",
                 "started", "GET /c 1.1 [] close"};
  EXPECT_EQ(parse(three), expected);
  RequestParser parser(8 * 1024);
  parser.feed(three.data(), three.size());
  EXPECT_TRUE(parser.finished());
  EXPECT_TRUE(parser.feed("GET / HTTP/1.1\r\n\r\n", 18).empty());
}

TEST(RequestParser, BytesSplitAnywhereGiveTheSameEvents) {
  const std::string streams[] = {
      "GET /a HTTP/1.1\r\nAccept: text/plain\r\nHost: p\r\n\r\nGET /b?q=1 HTTP/1.1\r\n\r\nGET /c HTTP/1.0\r\n\r\n",
      "GET /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      "GET / HTTP/1.1\r\nX-Fill: " + std::string(200, 'f') + "\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nBad Header\r\n\r\n",
  };
  for (const std::string& stream : streams) {
    Lines whole = parse(stream, 0, 128);
    for (size_t chunk : {1, 2, 3, 7, 16}) EXPECT_EQ(parse(stream, chunk, 128), whole) << stream << " by " << chunk;
  }
  // A request trickled in byte by byte starts once and completes once.
  EXPECT_EQ(parse("GET /slow HTTP/1.1\r\nAccept: */*\r\n\r\n", 1), (Lines{"started", "GET /slow 1.1 [*/*] keep"}));
}

TEST(RequestParser, EachRefusalOnceThenNothing) {
  const std::pair<std::string, std::string> refused[] = {
      {"GARBAGE\r\n\r\n", "refused 400 1.1"},
      {"GET / HTTP/9.9\r\n\r\n", "refused 400 1.1"},
      {"GET / HTTP/2.0\r\n\r\n", "refused 400 1.1"},
      {"GET / HTTP/0.9\r\n\r\n", "refused 400 1.1"},
      {"GET /\r\n\r\n", "refused 400 1.1"},  // HTTP/0.9's form
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "refused 400 1.1"},
      {"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "refused 400 1.1"},
      {"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "refused 413 1.1"},
      {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "refused 413 1.1"},
      {"GET / HTTP/1.1\r\nX: " + std::string(9000, 'x') + "\r\n\r\n", "refused 431 1.1"},
  };
  for (const auto& [bytes, refusal] : refused) {
    for (size_t chunk : {0, 1}) {
      Lines lines = parse(bytes + "GET / HTTP/1.1\r\n\r\n", chunk);
      ASSERT_FALSE(lines.empty()) << bytes;
      EXPECT_EQ(lines.back(), refusal) << bytes << " by " << chunk;
      EXPECT_EQ(std::count(lines.begin(), lines.end(), refusal), 1) << bytes;
      EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l[0] == 'G'; }), 0)
          << "a refused request was reported as one: " << bytes;
    }
  }
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), (Lines{"started", "GET / 1.1 [] keep"}));
}

TEST(RequestParser, ARefusalAfterAnHttpOneZeroRequestIsInHttpOneZero) {
  EXPECT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n\x01"),
            (Lines{"started", "GET / 1.0 [] keep", "refused 400 1.0"}));
}

TEST(RequestParser, TheHeaderBoundIsExactlyMaxHeaderBytes) {
  // Counted: the URL, header names and values ("/" + "Accept" + value).
  for (size_t bound : {size_t{64}, size_t{8 * 1024}}) {
    std::string atBound(bound - 1 - 6, 'v');
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nAccept: " + atBound + "\r\n\r\n", 0, bound),
              (Lines{"started", "GET / 1.1 [" + atBound + "] keep"}))
        << bound;
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nAccept: " + atBound + "v\r\n\r\n", 0, bound),
              (Lines{"started", "refused 431 1.1"}))
        << bound;
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nAccept: " + atBound + "v\r\n\r\n", 1, bound),
              (Lines{"started", "refused 431 1.1"}))
        << bound;
  }
  // The bound is per request: a second one as large is fine.
  std::string full = "GET / HTTP/1.1\r\nAccept: " + std::string(57, 'v') + "\r\n\r\n";
  EXPECT_EQ(parse(full + full, 1, 64).size(), 4u);
  // A URL alone can fill it.
  EXPECT_EQ(parse("GET /" + std::string(64, 'u') + " HTTP/1.1\r\n\r\n", 0, 64), (Lines{"started", "refused 431 1.1"}));
}

TEST(RequestParser, NoBytesAreNotTheEndOfTheStream) {
  RequestParser parser(8 * 1024);
  EXPECT_EQ(describe(parser.feed("GET / HT", 8)), (Lines{"started"}));
  EXPECT_TRUE(parser.feed("", 0).empty());
  EXPECT_FALSE(parser.finished());
  EXPECT_EQ(describe(parser.feed("TP/1.1\r\n\r\n", 10)), (Lines{"GET / 1.1 [] keep"}));
}

TEST(FormatResponse, StatusLineInTheRequestsVersionAndNoBodyForHead) {
  HttpRequest get;
  get.method = "GET";
  get.url = "/";
  get.versionMinor = 0;
  HttpResponse response{200, "text/plain; charset=utf-8", "True"};
  EXPECT_EQ(formatResponse(response, get, false),
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n"
            "Connection: close\r\nCache-Control: no-store\r\n\r\nTrue");
  HttpRequest head;
  head.method = "HEAD";
  head.url = "/";
  EXPECT_EQ(formatResponse({431, "text/plain", "x"}, head, true),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n"
            "Connection: keep-alive\r\nCache-Control: no-store\r\n\r\n");
  HttpResponse challenge{401, "text/plain", "x", {{"WWW-Authenticate", "Basic realm=\"c\""}, {"Retry-After", "3"}}};
  EXPECT_EQ(formatResponse(challenge, head, false),
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n"
            "Connection: close\r\nCache-Control: no-store\r\nWWW-Authenticate: Basic realm=\"c\"\r\n"
            "Retry-After: 3\r\n\r\n");
}

}  // namespace
}  // namespace checker::peerd
