#include "peerd/confirm_answers.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/utf8_text.h"
#include "state/run_outcome.h"
#include "state/state_view.h"

namespace checker::peerd {
namespace {

// Waiting questions are looked at this often for their deadline.
constexpr uint64_t kSweepEveryMs = 100;

HttpResponse jsonError(int status, const std::string& what) {
  nlohmann::json body{{"error", what}};
  return HttpResponse{status, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

const char* stateName(ipc::Health health) {
  switch (health) {
    case ipc::Health::OK: return "ok";
    case ipc::Health::FAILING: return "failing";
    case ipc::Health::NEVER_RUN: break;
  }
  return "never_run";
}

bool runsJob(const std::vector<LiveJob>& jobs, const std::string& id) {
  for (const LiveJob& job : jobs) {
    if (job.id == id) return true;
  }
  return false;
}

}  // namespace

ConfirmAnswers::ConfirmAnswers(uv_loop_t* loop, Context context) : loop_(loop), context_(std::move(context)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

std::optional<HttpResponse> ConfirmAnswers::answer(std::string_view query, StatusServer::Later later) {
  Result<ConfirmRequest> asked = parseConfirmRequest(query);
  if (!asked) return jsonError(400, asked.error());
  if (context_.secretsByKeyId->find(asked->asker.keyId) == context_.secretsByKeyId->end()) {
    return jsonError(403, "no secret with this key id");
  }
  const std::vector<LiveJob>* jobs = context_.liveJobs();
  if (jobs == nullptr) return jsonError(503, "checkerd has not said which jobs it runs yet");
  if (!runsJob(*jobs, asked->jobId) || asked->waitMs == 0 || closed_) return answerFromState(*asked, nullptr);
  Result<ReadTransaction> txn = context_.state->beginRead();
  if (txn) {
    std::optional<JobStatus> status = readJobStatus(*txn, asked->jobId);
    if (status && !status->unreadable && status->lastRunUnixMs >= asked->afterUnixMs) {
      return answerFromState(*asked, nullptr);  // fresh enough: no run
    }
  }
  std::string asker = asked->asker.keyId + "\n" + asked->asker.requester;
  if (waiting_.size() >= kMaxWaiting || waitingPerAsker_[asker] >= kMaxWaitingPerAsker) {
    CHECKER_LOG_WARN("confirm from %s: too many questions waiting; answered from the state without a run",
                     asked->asker.requester.c_str());
    return answerFromState(*asked, nullptr);
  }
  uint64_t requestId = nextRequestId_++;
  if (!context_.runNow(requestId, asked->jobId)) return answerFromState(*asked, nullptr);
  ++waitingPerAsker_[asker];
  uint64_t wait = std::min<uint64_t>(asked->waitMs, kMaxConfirmWaitMs);
  waiting_[requestId] = Waiting{std::move(*asked), asker, uv_now(loop_) + wait, std::move(later)};
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<ConfirmAnswers*>(t->data)->onTimer(); }, kSweepEveryMs,
                   kSweepEveryMs);
  }
  return std::nullopt;
}

void ConfirmAnswers::onRunNowDone(ipc::RunNowDone::Reader done) {
  if (done.getRan() || done.getLastRunUnixMs() > 0) return finish(done.getRequestId(), &done);
  finish(done.getRequestId(), nullptr);
}

void ConfirmAnswers::finish(uint64_t requestId, const ipc::RunNowDone::Reader* fresh) {
  auto found = waiting_.find(requestId);
  if (found == waiting_.end()) return;  // answered at its deadline already
  Waiting waiting = std::move(found->second);
  waiting_.erase(found);
  if (--waitingPerAsker_[waiting.asker] == 0) waitingPerAsker_.erase(waiting.asker);
  if (waiting_.empty() && !closed_) uv_timer_stop(&timer_);
  waiting.later(answerFromState(waiting.request, fresh));
}

void ConfirmAnswers::onTimer() {
  uint64_t now = uv_now(loop_);
  std::vector<uint64_t> due;
  for (const auto& [id, waiting] : waiting_) {
    if (waiting.deadlineMonoMs <= now) due.push_back(id);
  }
  for (uint64_t id : due) finish(id, nullptr);
}

HttpResponse ConfirmAnswers::answerFromState(const ConfirmRequest& request, const ipc::RunNowDone::Reader* fresh) {
  ConfirmDocument d;
  d.responder = context_.serverName;
  d.requester = request.asker.requester;
  d.job = request.jobId;
  d.unixTime = wallClockNowMs() / 1000;
  d.nonce = request.asker.nonce;
  const std::vector<LiveJob>* jobs = context_.liveJobs();
  d.known = jobs != nullptr && runsJob(*jobs, request.jobId);
  if (d.known && fresh != nullptr) {
    d.state = stateName(fresh->getHealth());
    d.lastRunUnixMs = fresh->getLastRunUnixMs();
    d.outcome = outcomeName(fresh->getOutcome());
    capnp::Text::Reader message = fresh->getMessage();
    d.message = cleanLine(std::string_view(message.cStr(), message.size()), kConfirmMessageMaxBytes);
    d.ranNow = fresh->getRan();
  } else if (d.known) {
    Result<ReadTransaction> txn = context_.state->beginRead();
    if (!txn) return jsonError(503, "the state cannot be read: " + txn.error());
    std::optional<JobStatus> status = readJobStatus(*txn, request.jobId);
    if (status && status->unreadable) return jsonError(503, "this job's state cannot be read: " + status->message);
    if (status && status->runs > 0) {
      d.state = stateName(status->health);
      d.lastRunUnixMs = status->lastRunUnixMs;
      d.outcome = outcomeName(status->lastOutcome);
      d.message = cleanLine(status->message, kConfirmMessageMaxBytes);
    }
  }
  auto secret = context_.secretsByKeyId->find(request.asker.keyId);
  if (secret == context_.secretsByKeyId->end()) return jsonError(403, "no secret with this key id");
  Result<std::string_view> key =
      context_.directionKeys->keyFor(request.asker.keyId, secret->second, request.asker.requester);
  Result<std::string> json = key ? signedConfirmJsonWithKey(*key, std::move(d)) : Result<std::string>(Error{key.error()});
  // Only when OpenSSL fails: an answer that cannot be signed is not sent unsigned.
  if (!json) return jsonError(500, "cannot sign the answer: " + json.error());
  return HttpResponse{200, "application/json", std::move(*json)};
}

void ConfirmAnswers::close() {
  if (closed_) return;
  std::vector<uint64_t> all;
  for (const auto& [id, waiting] : waiting_) all.push_back(id);
  for (uint64_t id : all) finish(id, nullptr);
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace checker::peerd
