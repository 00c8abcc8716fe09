#pragma once
// peerd's HTTP/1.x answers, as bytes: the status line in the request's
// version (HTTP/1.0 when the request was, else HTTP/1.1), then
//   Content-Type: <contentType>
//   Content-Length: <bytes of the body>
//   Connection: keep-alive | close
//   Cache-Control: no-store
// then its own headers (a 401's challenge, a 429's Retry-After), and the body, left out for HEAD (its Content-Length stays).
#include <string>
#include <utility>
#include <vector>

#include "peerd/request_parser.h"

namespace checker::peerd {

struct HttpResponse {
  int status = 200;
  std::string contentType = "text/html; charset=utf-8";  // ours: never a client's bytes
  std::string body;
  // Name and value, both ours (never a client's bytes: no CR or LF).
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// "OK", "Bad Request", ...; "Unknown" for a status peerd does not send.
const char* reasonPhrase(int status);

std::string formatResponse(const HttpResponse& response, const HttpRequest& request, bool keepAlive);

}  // namespace checker::peerd
