#pragma once
// peerd's HTTP/1.x requests, read without I/O: bytes go in as they arrive,
// in pieces of any size (one byte at a time, or several pipelined requests
// at once), and what they complete comes out, in order, as events. Parsed
// by Debian's http-parser (never by hand). The rules, each a refusal that
// is to be answered and the connection closed:
//   - 431: a request's URL, header names and header values together are
//     over maxHeaderBytes (bytes the parser skips, such as the whitespace
//     around a value, are not kept and not counted);
//   - 400: not HTTP/1.0 or 1.1, or anything http-parser refuses;
//   - 413: a body (Content-Length over 0, or chunked): GET has none.
// Keep-alive follows HTTP/1.0 and 1.1 rules (http_should_keep_alive); an
// Upgrade or CONNECT request is answered as a plain one that closes. After
// a refusal, or a request that closes, nothing more is read: feed() then
// returns no events. Of the headers only Accept and Authorization are kept
// (a repeated Authorization is flagged, never merged). The client's
// address is not the parser's to know: the server fills it in.
#include <http_parser.h>

#include <cstddef>
#include <string>
#include <vector>

namespace checker::peerd {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string url;     // as sent: path and query
  std::string accept;  // the Accept header, "" when absent
  int versionMajor = 1, versionMinor = 1;
  // The client's IP address as text ("127.0.0.1", "::1", "::ffff:10.0.0.5"),
  // set by the server from the connection; "" when unknown.
  std::string clientAddress;
  // The Authorization header, "" when absent: a secret, never logged.
  std::string authorization;
  bool authorizationRepeated = false;  // sent twice: which one counts is ambiguous
};

struct RequestEvent {
  enum class Kind {
    kStarted,  // a request's first byte: the time it has to be whole starts
    kRequest,  // a whole request, to be answered
    kRefused,  // answer `status`, then close
  };
  Kind kind = Kind::kRequest;
  // kRequest: the request. kRefused: what was read of it; its version is
  // the one to answer in (1.1 unless a finished one said otherwise).
  HttpRequest request;
  bool keepAlive = false;  // kRequest: the connection stays open after the answer
  int status = 0;          // kRefused: 400, 413 or 431
};

class RequestParser {
 public:
  explicit RequestParser(size_t maxHeaderBytes);
  RequestParser(const RequestParser&) = delete;  // http-parser points back at it
  RequestParser& operator=(const RequestParser&) = delete;

  // Reads N bytes of the stream (N may be 0). The events they complete.
  std::vector<RequestEvent> feed(const char* data, size_t n);

  // A refusal or a request that closes was reported: nothing more is read.
  bool finished() const { return finished_; }
  // URL, header name and value bytes of the request being read: never over
  // maxHeaderBytes.
  size_t headerBytes() const { return headerBytes_; }

 private:
  static const http_parser_settings& settings();
  static RequestParser* of(http_parser* p) { return static_cast<RequestParser*>(p->data); }

  int onMessageBegin();
  int keep(std::string* to, const char* at, size_t n);
  void commitHeader();
  int onHeadersComplete();
  int onMessageComplete();
  void refuse(int status);

  http_parser parser_{};
  size_t maxHeaderBytes_;
  HttpRequest request_;
  std::string field_, value_;
  bool inValue_ = false;
  size_t headerBytes_ = 0;
  bool finished_ = false;
  std::vector<RequestEvent>* events_ = nullptr;  // feed()'s, while it runs
};

}  // namespace checker::peerd
