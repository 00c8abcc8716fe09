#include "peerd/routes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <cstdlib>
#include <string>

#include "peering/confirm_request.h"
#include "peering/status_document.h"

namespace checker::peerd {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The q parameter of a media range's PARAMETERS (";q=0.5;..."), 1 when absent.
double qualityOf(std::string_view parameters) {
  while (!parameters.empty()) {
    size_t semicolon = parameters.find(';', 1);
    std::string_view parameter = trim(parameters.substr(1, semicolon == std::string_view::npos ? std::string_view::npos
                                                                                                : semicolon - 1));
    if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
      return std::strtod(std::string(parameter.substr(2)).c_str(), nullptr);
    }
    if (semicolon == std::string_view::npos) break;
    parameters.remove_prefix(semicolon);
  }
  return 1;
}

}  // namespace

bool acceptsHtml(std::string_view accept) {
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    size_t semicolon = range.find(';');
    std::string_view type = trim(range.substr(0, semicolon));
    if (equalsNoCase(type, "text/html")) {
      return semicolon == std::string_view::npos || qualityOf(range.substr(semicolon)) > 0;
    }
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

bool isLoopbackAddress(std::string_view address) {
  std::string text(address);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool exposedTo(Exposure exposure, std::string_view address) {
  switch (exposure) {
    case Exposure::on: return true;
    case Exposure::loopback: return isLoopbackAddress(address);
    case Exposure::off: return false;
  }
  return false;
}

Route routeRequest(const HttpRequest& request, Exposure statusPage, Exposure metrics) {
  if (request.method != "GET" && request.method != "HEAD") return Route::methodNotAllowed;
  std::string_view url = request.url;
  std::string_view path = url.substr(0, url.find('?'));
  if (path == kStatusPath) return Route::signedStatus;
  if (path == kConfirmPath) return Route::confirm;
  if (path == kRetiredStatusPath) return Route::retiredStatus;
  if (path == kMetricsPath) return exposedTo(metrics, request.clientAddress) ? Route::metrics : Route::notFound;
  if (path.substr(0, kApiPath.size()) == kApiPath) {
    return exposedTo(statusPage, request.clientAddress) ? Route::api : Route::notFound;
  }
  if (path.substr(0, kJobPagePath.size()) == kJobPagePath && exposedTo(statusPage, request.clientAddress)) {
    return Route::jobPage;
  }
  if (path == "/" && acceptsHtml(request.accept) && exposedTo(statusPage, request.clientAddress)) {
    return Route::statusPage;
  }
  return Route::plain;
}

}  // namespace checker::peerd
