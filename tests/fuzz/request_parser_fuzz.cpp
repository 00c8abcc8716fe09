// libFuzzer target: peerd's request reading (peerd/request_parser.h) and
// answer bytes (peerd/http_response.h) on whatever a client may send.
//
// Input layout, so that a seed is mostly a readable HTTP stream:
//   byte 0        the header bound: 8 << (byte % 11), 8 bytes to 8 KiB
//   byte 1        K = byte % 16, how many chunk sizes follow
//   K bytes       chunk sizes, used in turn until the stream is fed (a 0 is
//                 an empty feed); K = 0 feeds the stream in one piece
//   the rest      the stream
// e.g. printf '\x0a\x00GET / HTTP/1.1\r\n\r\n' (8 KiB bound, one piece).
//
// What must hold, whatever the bytes:
//   - every request was started, and nothing comes after a refusal or a
//     request that closes (in this feed or any later one); finished() says so;
//   - a refusal is 400, 413 or 431; a request is HTTP/1.0 or 1.1;
//   - the bytes kept for a request (headerBytes(), the URL, Accept) stay
//     within the bound;
//   - the same stream in one piece gives the same requests and the same
//     end (a refusal may be 431 in pieces where it is 400 in one: the
//     parser reports what it kept at each piece's end, and drops it on a
//     syntax error);
//   - every answer formatResponse makes for a request or a refusal parses
//     back (http-parser, as a response) to the status, version, body and
//     keep-alive it was made with.
#include <http_parser.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "peerd/http_response.h"
#include "peerd/request_parser.h"

namespace {

using checker::peerd::formatResponse;
using checker::peerd::HttpRequest;
using checker::peerd::HttpResponse;
using checker::peerd::reasonPhrase;
using checker::peerd::RequestEvent;
using checker::peerd::RequestParser;
using Kind = RequestEvent::Kind;

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

// An answer read back by http-parser as a client would.
struct ReadBack {
  bool head = false;
  int messages = 0;
  std::string body;
};

void checkAnswer(const HttpResponse& response, const HttpRequest& request, bool keepAlive) {
  std::string bytes = formatResponse(response, request, keepAlive);
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  ReadBack back;
  back.head = request.method == "HEAD";
  parser.data = &back;
  http_parser_settings settings{};
  settings.on_headers_complete = [](http_parser* p) { return static_cast<ReadBack*>(p->data)->head ? 1 : 0; };
  settings.on_body = [](http_parser* p, const char* at, size_t n) {
    static_cast<ReadBack*>(p->data)->body.append(at, n);
    return 0;
  };
  settings.on_message_complete = [](http_parser* p) {
    auto* b = static_cast<ReadBack*>(p->data);
    ++b->messages;
    FUZZ_CHECK(b->messages == 1);
    return 0;
  };
  size_t parsed = http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
  FUZZ_CHECK(parsed == bytes.size());
  FUZZ_CHECK(HTTP_PARSER_ERRNO(&parser) == HPE_OK);
  FUZZ_CHECK(back.messages == 1);
  FUZZ_CHECK(static_cast<int>(parser.status_code) == response.status);
  bool http10 = request.versionMajor == 1 && request.versionMinor == 0;
  FUZZ_CHECK(parser.http_major == 1 && parser.http_minor == (http10 ? 0 : 1));
  FUZZ_CHECK(back.body == (back.head ? "" : response.body));
  FUZZ_CHECK((http_should_keep_alive(&parser) != 0) == keepAlive);
}

// The answers the server gives: a request's (any status, the URL as a body
// that may hold any byte) and a refusal's (as StatusServer::Connection::fail).
void checkAnswers(const RequestEvent& event) {
  if (event.kind == Kind::kRequest) {
    static const int kStatuses[] = {200, 404, 405, 503, 299};
    int status = kStatuses[event.request.url.size() % (sizeof kStatuses / sizeof kStatuses[0])];
    checkAnswer({status, "text/plain; charset=utf-8", event.request.url}, event.request, event.keepAlive);
  } else if (event.kind == Kind::kRefused) {
    HttpRequest asked = event.request;
    asked.method = "GET";
    checkAnswer({event.status, "text/plain; charset=utf-8", std::string(reasonPhrase(event.status)) + "\n"}, asked,
                false);
  }
}

struct Outcome {
  std::vector<RequestEvent> events;
  bool finished = false;
};

// Feeds STREAM in pieces of SIZES (in turn; empty: one piece), checking as it goes.
Outcome feedInPieces(const uint8_t* stream, size_t n, const std::vector<size_t>& sizes, size_t bound) {
  RequestParser parser(bound);
  Outcome out;
  bool ended = false;  // a refusal or a request that closes was reported
  bool open = false;   // a request started and not yet complete
  size_t at = 0, turn = 0, empties = 0;
  for (;;) {
    size_t piece = n - at;  // one piece, or the rest once the sizes turned out to be all 0
    if (!sizes.empty() && empties < sizes.size()) piece = std::min(sizes[turn++ % sizes.size()], n - at);
    empties = piece == 0 ? empties + 1 : 0;
    bool finishedBefore = parser.finished();
    std::vector<RequestEvent> events = parser.feed(reinterpret_cast<const char*>(stream) + at, piece);
    at += piece;
    if (finishedBefore) FUZZ_CHECK(events.empty());
    for (const RequestEvent& e : events) {
      FUZZ_CHECK(!ended);
      switch (e.kind) {
        case Kind::kStarted:
          FUZZ_CHECK(!open);
          open = true;
          break;
        case Kind::kRequest:
          FUZZ_CHECK(open);
          open = false;
          FUZZ_CHECK(e.request.versionMajor == 1 && (e.request.versionMinor == 0 || e.request.versionMinor == 1));
          FUZZ_CHECK(!e.request.method.empty());
          FUZZ_CHECK(e.request.url.size() + e.request.accept.size() <= bound);
          ended = !e.keepAlive;
          break;
        case Kind::kRefused:
          FUZZ_CHECK(e.status == 400 || e.status == 413 || e.status == 431);
          FUZZ_CHECK(e.request.url.size() + e.request.accept.size() <= bound);
          ended = true;
          break;
      }
      checkAnswers(e);
      out.events.push_back(e);
    }
    FUZZ_CHECK(parser.headerBytes() <= bound);
    FUZZ_CHECK(parser.finished() == ended);
    if (at == n) break;
  }
  out.finished = ended;
  return out;
}

bool sameRequest(const HttpRequest& a, const HttpRequest& b) {
  return a.method == b.method && a.url == b.url && a.accept == b.accept && a.versionMajor == b.versionMajor &&
         a.versionMinor == b.versionMinor;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t bound = size_t{8} << (data[0] % 11);
  size_t k = data[1] % 16;
  if (size < 2 + k) return 0;
  std::vector<size_t> sizes(data + 2, data + 2 + k);
  const uint8_t* stream = data + 2 + k;
  size_t n = size - 2 - k;

  Outcome pieces = feedInPieces(stream, n, sizes, bound);
  if (sizes.empty()) return 0;
  Outcome whole = feedInPieces(stream, n, {}, bound);

  FUZZ_CHECK(pieces.events.size() == whole.events.size());
  FUZZ_CHECK(pieces.finished == whole.finished);
  for (size_t i = 0; i < whole.events.size(); ++i) {
    const RequestEvent& p = pieces.events[i];
    const RequestEvent& w = whole.events[i];
    FUZZ_CHECK(p.kind == w.kind);
    if (w.kind == Kind::kRequest) {
      FUZZ_CHECK(sameRequest(p.request, w.request));
      FUZZ_CHECK(p.keepAlive == w.keepAlive);
    } else if (w.kind == Kind::kRefused) {
      FUZZ_CHECK(p.status == w.status || (p.status == 431 && w.status == 400));
      FUZZ_CHECK(p.request.versionMinor == w.request.versionMinor);
    }
  }
  return 0;
}
