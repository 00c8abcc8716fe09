#pragma once
// Which answer a request to peerd's port gets. Pure: the request (method,
// URL, Accept, client address) and the `[peerd] status_page` and `metrics`
// settings in, the route out.
//
//   method other than GET/HEAD            405
//   /v2/status?nonce=&key=&from=          the signed JSON (peering/status_document.h)
//   /v2/confirm?job=&after=&...           a peer's question about a job (signed JSON,
//                                         answered by peerd/confirm_answers.h)
//   /v1/status                            410: the retired protocol 1
//   /metrics                              Prometheus text, when metrics allows this
//                                         client; else 404
//   /api/v1/...                           the JSON API (peerd/history_api.h), when
//                                         status_page allows this client; else 404
//   /job/ID                               a job's page (peerd/job_page.h), when
//                                         status_page allows this client; else the plain word
//   /  with an Accept that takes text/html the HTML status page, when status_page
//                                         allows this client; else the plain word
//   any other request                     the original's plain word, byte for byte
//
// The original Checker's client (Python's urllib) sends no Accept, curl
// sends */*: both get the plain word. A browser's Accept names text/html.
// "loopback" allows clients from 127.0.0.0/8 and ::1 (and 127.0.0.0/8
// written as IPv4-mapped IPv6, ::ffff:127.x.y.z, which is how a dual-stack
// listener on [::] sees a local IPv4 client).
#include <string_view>

#include "config/config.h"
#include "peerd/request_parser.h"

namespace checker::peerd {

inline constexpr std::string_view kMetricsPath = "/metrics";
inline constexpr std::string_view kApiPath = "/api/v1/";
inline constexpr std::string_view kJobPagePath = "/job/";

enum class Route { methodNotAllowed, plain, signedStatus, confirm, retiredStatus, statusPage, jobPage, metrics, api, notFound };

Route routeRequest(const HttpRequest& request, Exposure statusPage, Exposure metrics);

// ACCEPT (an Accept header) lists text/html (any case, parameters allowed)
// without refusing it with q=0.
bool acceptsHtml(std::string_view accept);
// ADDRESS (numeric text, IPv4 or IPv6) is on this host's loopback.
bool isLoopbackAddress(std::string_view address);
// EXPOSURE lets the client at ADDRESS see it.
bool exposedTo(Exposure exposure, std::string_view address);

}  // namespace checker::peerd
