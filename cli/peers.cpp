// checker peers -c FILE [--json]: asks every `[peers]` line now, the way
// checker-peerd does (same client, same timeout, signed when a secret is
// set), and prints each answer. Nothing is recorded and nobody is mailed.
// Exit 0 when every peer answered healthy, 1 otherwise.
#include <curl/curl.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "config/config.h"
#include "common/curl_on_uv.h"
#include "common/json_text.h"
#include "peering/peer_client.h"

namespace checker::cli {

int peers(const CommonOptions& options) {
  bool json = false;
  for (const std::string& arg : options.rest) {
    if (arg != "--json") {
      std::fprintf(stderr, "checker peers: unexpected argument '%s' (see checker help peers)\n", arg.c_str());
      return kExitUsage;
    }
    json = true;
  }
  ConfigLoad load = loadConfigFile(options.configPath);
  if (!load.ok()) {
    for (const std::string& e : load.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  const std::vector<PeerSettings>& peers = load.config.peers;
  if (peers.empty()) {
    std::fprintf(stderr, "checker peers: %s has no [peers] lines\n", options.configPath.c_str());
    if (json) std::printf("%s\n", jsonText(Json{{"peers", Json::array()}}).c_str());
    return kExitOk;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<peerd::PeerAnswer> answers(peers.size());
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    CurlOnUv curl(&loop);
    peerd::PeerClient client(curl);
    uint32_t timeoutMs = static_cast<uint32_t>(load.config.peerd.timeout.count());
    for (size_t i = 0; i < peers.size(); ++i) {
      client.query(peerd::PeerTarget{peers[i].name, peers[i].url, peers[i].secret, load.config.general.serverName},
                   timeoutMs,
                   [&answers, &curl, i](peerd::PeerAnswer answer) {
                     answers[i] = std::move(answer);
                     if (curl.active() == 0) curl.close();
                   });
    }
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  curl_global_cleanup();

  bool allHealthy = true;
  size_t nameWidth = 4, urlWidth = 3;
  for (const PeerSettings& p : peers) {
    nameWidth = std::max(nameWidth, p.name.size());
    urlWidth = std::max(urlWidth, p.url.size());
  }
  Json rows = Json::array();
  if (!json) {
    std::printf("%-*s  %-*s  %-17s  %s\n", static_cast<int>(nameWidth), "PEER", static_cast<int>(urlWidth), "URL",
                "ANSWER", "DETAIL");
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    const peerd::PeerAnswer& a = answers[i];
    allHealthy = allHealthy && a.status == ipc::PeerStatus::HEALTHY;
    if (json) {
      rows.push_back(Json{{"name", peers[i].name},
                          {"url", peers[i].url},
                          {"status", peerd::peerStatusName(a.status)},
                          {"message", a.message},
                          {"http_status", a.httpStatus},
                          {"authenticated", a.authenticated}});
    } else {
      std::printf("%-*s  %-*s  %-17s  %s\n", static_cast<int>(nameWidth), peers[i].name.c_str(),
                  static_cast<int>(urlWidth), peers[i].url.c_str(), peerd::peerStatusName(a.status), a.message.c_str());
    }
  }
  if (json) std::printf("%s\n", jsonText(Json{{"peers", std::move(rows)}}, {"peers"}).c_str());
  return allHealthy ? kExitOk : kExitUnhealthy;
}

}  // namespace checker::cli
