#pragma once
// peerd's answers to /v2/confirm (peering/confirm_request.h,
// peering/confirm_document.h): a peer asks for this instance's own view of
// one of its jobs.
//
//   - Only with a secret: a key id we hold none for is 403, as /v2/status.
//   - Only the jobs checkerd runs now (its job list, not the state's
//     records): another id is answered known=false at once. Nothing the
//     asker sends is run: at most this instance's own job, by its id.
//   - A result older than the asker's failure time (`after`), with `wait`
//     > 0, makes peerd ask checkerd to run the job once now (RunNow; checkerd
//     runs one job for peers at most once per 10 s, and joins a run going)
//     and answer when that run is recorded, or at min(wait, 30 s) with the
//     state as it is then. The job's own timeout bounds the run itself.
//   - Bounds: at most kMaxWaitingPerAsker questions waiting per asker (key
//     id and name) and kMaxWaiting in all; beyond them a question is
//     answered at once from the state, without a run.
// Every answer is signed for its asker (the direction key, kept per asker:
// peering/direction_keys.h).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/peerd.capnp.h"
#include "peering/confirm_document.h"
#include "peering/confirm_request.h"
#include "peering/direction_keys.h"
#include "peerd/http_response.h"
#include "peerd/state_source.h"
#include "peerd/status_server.h"
#include "peerd/status_snapshot.h"

namespace checker::peerd {

inline constexpr size_t kMaxWaitingPerAsker = 4;
inline constexpr size_t kMaxWaiting = 32;

class ConfirmAnswers {
 public:
  struct Context {
    std::string serverName;
    const std::map<std::string, std::string>* secretsByKeyId;
    DirectionKeys* directionKeys;
    StateSource* state;
    // The jobs checkerd runs now; nullptr before it has said.
    std::function<const std::vector<LiveJob>*()> liveJobs;
    // Asks checkerd to run JOB_ID now (RunNow); false when it cannot be asked.
    std::function<bool(uint64_t requestId, const std::string& jobId)> runNow;
  };
  ConfirmAnswers(uv_loop_t* loop, Context context);

  // Answers the question QUERY (after '?'): now (the response), or later
  // through LATER (nullopt).
  std::optional<HttpResponse> answer(std::string_view query, StatusServer::Later later);
  // checkerd's word on a RunNow.
  void onRunNowDone(ipc::RunNowDone::Reader done);
  // Every waiting question is answered from the state; the timer closes.
  void close();

 private:
  struct Waiting {
    ConfirmRequest request;
    std::string asker;  // key id and name: the per-asker bound
    uint64_t deadlineMonoMs = 0;
    StatusServer::Later later;
  };
  // The signed answer about REQUEST's job from the state (or FRESH, the run
  // that just ended here).
  HttpResponse answerFromState(const ConfirmRequest& request, const ipc::RunNowDone::Reader* fresh);
  void finish(uint64_t requestId, const ipc::RunNowDone::Reader* fresh);
  void onTimer();

  uv_loop_t* loop_;
  Context context_;
  uv_timer_t timer_{};
  bool closed_ = false;
  uint64_t nextRequestId_ = 1;
  std::map<uint64_t, Waiting> waiting_;
  std::map<std::string, size_t> waitingPerAsker_;
};

}  // namespace checker::peerd
