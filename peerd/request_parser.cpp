#include "peerd/request_parser.h"

#include <strings.h>

#include <climits>

namespace checker::peerd {

RequestParser::RequestParser(size_t maxHeaderBytes) : maxHeaderBytes_(maxHeaderBytes) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

const http_parser_settings& RequestParser::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings v{};
    v.on_message_begin = [](http_parser* p) { return of(p)->onMessageBegin(); };
    v.on_url = [](http_parser* p, const char* at, size_t n) { return of(p)->keep(&of(p)->request_.url, at, n); };
    v.on_header_field = [](http_parser* p, const char* at, size_t n) {
      RequestParser* r = of(p);
      if (r->inValue_) r->commitHeader();
      r->inValue_ = false;
      return r->keep(&r->field_, at, n);
    };
    v.on_header_value = [](http_parser* p, const char* at, size_t n) {
      RequestParser* r = of(p);
      r->inValue_ = true;
      return r->keep(&r->value_, at, n);
    };
    v.on_headers_complete = [](http_parser* p) { return of(p)->onHeadersComplete(); };
    v.on_body = [](http_parser*, const char*, size_t) { return 0; };  // never reached: bodies are refused
    v.on_message_complete = [](http_parser* p) { return of(p)->onMessageComplete(); };
    return v;
  }();
  return s;
}

std::vector<RequestEvent> RequestParser::feed(const char* data, size_t n) {
  std::vector<RequestEvent> events;
  if (finished_ || n == 0) return events;  // 0 bytes would tell http-parser the stream ended
  events_ = &events;
  size_t parsed = http_parser_execute(&parser_, &settings(), data, n);
  if (!finished_ && (parsed != n || HTTP_PARSER_ERRNO(&parser_) != HPE_OK || parser_.upgrade)) refuse(400);
  events_ = nullptr;
  return events;
}

int RequestParser::onMessageBegin() {
  request_ = HttpRequest{};
  field_.clear();
  value_.clear();
  inValue_ = false;
  headerBytes_ = 0;
  events_->push_back({RequestEvent::Kind::kStarted, {}, false, 0});
  return 0;
}

int RequestParser::keep(std::string* to, const char* at, size_t n) {
  if (n > maxHeaderBytes_ - headerBytes_) {
    refuse(431);
    return 1;  // a data callback's non-zero stops the parser
  }
  headerBytes_ += n;
  to->append(at, n);
  return 0;
}

void RequestParser::commitHeader() {
  if (strcasecmp(field_.c_str(), "accept") == 0) {
    request_.accept = value_;
  } else if (strcasecmp(field_.c_str(), "authorization") == 0) {
    request_.authorizationRepeated = request_.authorizationRepeated || !request_.authorization.empty();
    request_.authorization = value_;
  }
  field_.clear();
  value_.clear();
}

// Refusals return -1: to http-parser, 1 from on_headers_complete means "no
// body, go on", which would complete the refused request.
int RequestParser::onHeadersComplete() {
  if (inValue_) commitHeader();
  if (parser_.http_major != 1 || parser_.http_minor > 1) {
    refuse(400);  // HTTP/1.0 and 1.1 only: a peer speaks nothing else
    return -1;
  }
  if ((parser_.flags & F_CHUNKED) != 0 || (parser_.content_length > 0 && parser_.content_length != ULLONG_MAX)) {
    refuse(413);
    return -1;
  }
  return 0;
}

int RequestParser::onMessageComplete() {
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  request_.versionMajor = parser_.http_major;
  request_.versionMinor = parser_.http_minor;
  // An Upgrade (or CONNECT) is answered as a plain request and the
  // connection closed: http-parser stops reading HTTP after one.
  bool keepAlive = http_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0;
  events_->push_back({RequestEvent::Kind::kRequest, request_, keepAlive, 0});
  if (!keepAlive) finished_ = true;
  return finished_ ? 1 : 0;  // nothing is read after "Connection: close"
}

void RequestParser::refuse(int status) {
  if (finished_) return;
  finished_ = true;
  events_->push_back({RequestEvent::Kind::kRefused, request_, false, status});
}

}  // namespace checker::peerd
