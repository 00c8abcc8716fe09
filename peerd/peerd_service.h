#pragma once
// checker-peerd's loop: the status server on `[peerd] listen` (plain answer
// on any path, the signed answer on /v2/status, the status page and
// /metrics: peerd/routes.h), the health the supervisor pushes over the
// control socket, and the peer queries it asks for, each answered with what
// the peer said (peering/peer_client.h).
//
// Health here is only what the supervisor last said and when: a supervisor
// that stops talking (SIGSTOP, a wedged loop) turns the answer into
// JobProblem after `[peerd] jobproblem_after`, measured on peerd's own
// monotonic clock.
#include <uv.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "common/curl_on_uv.h"
#include "process/child_control.h"
#include "ipc/peerd.capnp.h"
#include "peering/direction_keys.h"
#include "peering/peer_client.h"
#include "peerd/confirm_answers.h"
#include "peerd/page_guard.h"
#include "peerd/uptime_cache.h"
#include "peerd/plain_answer.h"
#include "peerd/state_source.h"
#include "peerd/status_server.h"

namespace checker::peerd {

// What the status server answers REQUEST, given this instance's VIEW.
// Pure (tested without sockets): routes (peerd/routes.h), query parsing,
// key lookup. The page and /metrics bodies come from the callbacks, called
// only when the route is theirs.
struct AnswerContext {
  const InstanceView& view;
  int64_t nowMonoMs;
  int64_t nowUnixSeconds;
  int64_t jobProblemAfterMs;
  const std::string& serverName;
  const std::map<std::string, std::string>& secretsByKeyId;
  Exposure statusPage = Exposure::off;
  Exposure metrics = Exposure::off;
  std::function<std::string()> statusPageBody = nullptr;
  std::function<std::string()> metricsBody = nullptr;
  // The responder's keys per asker; nullptr: derived for each answer.
  DirectionKeys* directionKeys = nullptr;
  std::function<HttpResponse(std::string_view url)> apiAnswer = nullptr;  // /api/v1/...
  std::function<HttpResponse(std::string_view url)> jobPage = nullptr;    // /job/ID
  // The page's password (peerd/page_guard.h) for the page, job pages and
  // API; nullptr: none asked.
  PageGuard* pageGuard = nullptr;
};
HttpResponse answerRequest(const HttpRequest& request, const AnswerContext& context);

class PeerdService {
 public:
  PeerdService(uv_loop_t* loop, const Config& config, int controlFd, ServerLimits limits = {});
  // Binds (retrying every few seconds while the address is taken) and reads
  // the control socket. The loop ends when the supervisor goes away.
  void start();

 private:
  void handle(ipc::ToPeerd::Reader message);
  void query(ipc::PeerQuery::Reader query);
  // checkerd's confirmation: every peer named asked at once, one Confirmed
  // with a view per peer when the last has answered (or timed out).
  void confirm(ipc::ConfirmAsk::Reader ask);
  bool askForRunNow(uint64_t requestId, const std::string& jobId);
  void tryListen();
  void reportListening(bool ok, const std::string& text);
  void stop(const char* why);
  // The page's and /metrics' input, read now (peerd/status_snapshot.h).
  StatusSnapshot snapshot();
  // BODY's text made by RENDER, made again when older than a second: a
  // client asking in a loop costs one state read a second, not one each.
  struct Rendered {
    uint64_t madeMonoMs = 0;
    bool made = false;
    std::string body;
  };
  const std::string& renderedAt(Rendered& body, std::string (*render)(const StatusSnapshot&));
  // The jobs checkerd runs, as it last said; before it has, every stored job.
  std::vector<LiveJob> jobsShown(ReadTransaction& txn) const;
  HttpResponse answerApiRequest(std::string_view url);
  HttpResponse answerJobPage(std::string_view url);

  uv_loop_t* loop_;
  const Config& config_;
  ipc::ChildControl control_;
  CurlOnUv curl_;
  PeerClient client_;
  StatusServer server_;
  uv_timer_t bindRetry_{};
  InstanceView view_;
  StateSource state_;
  std::optional<std::vector<LiveJob>> liveJobs_;     // nullopt until the supervisor says
  std::optional<SupervisorCounters> counters_;       // from the last heartbeat that had them
  Rendered page_, metrics_;
  std::map<std::string, std::string> secretsByKeyId_;
  DirectionKeys directionKeys_;
  PageGuard pageGuard_;
  UptimeCache uptimes_;  // /api/v1/jobs's uptime windows
  ConfirmAnswers confirms_;  // /v2/confirm
  std::string lastBindError_;
  bool stopping_ = false;
};

}  // namespace checker::peerd
