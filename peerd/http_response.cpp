#include "peerd/http_response.h"

namespace checker::peerd {

const char* reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string formatResponse(const HttpResponse& response, const HttpRequest& request, bool keepAlive) {
  bool http10 = request.versionMajor == 1 && request.versionMinor == 0;
  std::string out = std::string(http10 ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(response.status) + " " +
                    reasonPhrase(response.status) + "\r\nContent-Type: " + response.contentType +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nConnection: " + (keepAlive ? "keep-alive" : "close") + "\r\nCache-Control: no-store\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (request.method != "HEAD") out += response.body;
  return out;
}

}  // namespace checker::peerd
