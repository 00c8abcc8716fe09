#include "peerd/peerd_service.h"

#include <capnp/message.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/percent_encoding.h"
#include "peerd/history_api.h"
#include "peerd/job_page.h"
#include "peerd/text_escape.h"
#include "peerd/metrics_text.h"
#include "peerd/routes.h"
#include "peering/status_document.h"
#include "peerd/status_page.h"

namespace checker::peerd {
namespace {

// Control messages are a few dozen bytes, but for the job list: some 80
// bytes a job, and 10,000 jobs are a config checker is built for.
constexpr size_t kMaxControlBytes = 16 << 20;
// The page and /metrics are made at most once a second.
constexpr uint64_t kRenderEveryMs = 1'000;
// While the address is taken (an old instance still stopping), try again.
constexpr uint64_t kBindRetryMs = 5'000;

HttpResponse textResponse(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
}

HttpResponse jsonError(int status, const std::string& what) {
  nlohmann::json body{{"error", what}};
  return HttpResponse{status, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

// The signed answer to the query QUERY (after '?'): signed for the asker
// it names, as this instance, with the secret of the key id it sent.
HttpResponse signedAnswer(std::string_view query, const AnswerContext& context, const std::string& status) {
  Result<StatusRequest> asked = parseStatusRequest(query);
  if (!asked) return jsonError(400, asked.error());
  auto secret = context.secretsByKeyId.find(asked->keyId);
  if (secret == context.secretsByKeyId.end()) return jsonError(403, "no secret with this key id");
  StatusDocument document{context.serverName, asked->requester, status, context.nowUnixSeconds, asked->nonce, {}};
  auto sign = [&]() -> Result<std::string> {
    if (!context.directionKeys) return signedStatusJson(secret->second, std::move(document));
    Result<std::string_view> key = context.directionKeys->keyFor(asked->keyId, secret->second, asked->requester);
    if (!key) return Error{key.error()};
    return signedStatusJsonWithKey(*key, std::move(document));
  };
  Result<std::string> json = sign();
  // Only when OpenSSL fails: an answer that cannot be signed is not sent unsigned.
  if (!json) return jsonError(500, "cannot sign the answer: " + json.error());
  return HttpResponse{200, "application/json", std::move(*json)};
}

}  // namespace

HttpResponse answerRequest(const HttpRequest& request, const AnswerContext& context) {
  auto plain = [&] { return plainAnswer(context.view, context.nowMonoMs, context.jobProblemAfterMs); };
  Route route = routeRequest(request, context.statusPage, context.metrics);
  if ((route == Route::statusPage || route == Route::jobPage || route == Route::api) && context.pageGuard) {
    if (std::optional<HttpResponse> refused = context.pageGuard->refusal(request, context.nowMonoMs)) return *refused;
  }
  switch (route) {
    case Route::methodNotAllowed:
      return textResponse(405, "Method Not Allowed\n");
    case Route::notFound:
      return textResponse(404, "Not Found\n");
    case Route::statusPage:
      if (!context.statusPageBody) break;
      return HttpResponse{200, "text/html; charset=utf-8", context.statusPageBody()};
    case Route::metrics:
      if (!context.metricsBody) return textResponse(404, "Not Found\n");
      return HttpResponse{200, std::string(kMetricsContentType), context.metricsBody()};
    case Route::api:
      if (!context.apiAnswer) return textResponse(404, "Not Found\n");
      return context.apiAnswer(request.url);
    case Route::jobPage:
      if (!context.jobPage) break;
      return context.jobPage(request.url);
    case Route::signedStatus: {
      std::string_view url = request.url;
      size_t question = url.find('?');
      return signedAnswer(question == std::string_view::npos ? std::string_view() : url.substr(question + 1), context,
                          plain());
    }
    case Route::confirm:
      // Answered by the deferrer (peerd/confirm_answers.h) before this.
      return jsonError(503, "confirm questions are not answered here");
    case Route::retiredStatus:
      // Its answers named neither side, so they could be relayed: never signed again.
      return jsonError(410, "protocol 1 is retired: ask " + std::string(kStatusPath) + " (upgrade this peer's checker)");
    case Route::plain:
      break;
  }
  // Any other request is the original's: the plain word, byte for byte.
  return textResponse(200, plain());
}

PeerdService::PeerdService(uv_loop_t* loop, const Config& config, int controlFd, ServerLimits limits)
    : loop_(loop),
      config_(config),
      control_(loop, controlFd, kMaxControlBytes,
               [this](ipc::DecodedMessage& message) { handle(message.root<ipc::ToPeerd>()); },
               [this](const char* why) { stop(why); }),
      curl_(loop),
      client_(curl_),
      server_(loop,
              [this](const HttpRequest& request) {
                AnswerContext context{view_,
                                      static_cast<int64_t>(uv_now(loop_)),
                                      wallClockNowMs() / 1000,
                                      config_.peerd.jobProblemAfter.count(),
                                      config_.general.serverName,
                                      secretsByKeyId_,
                                      config_.peerd.statusPage,
                                      config_.peerd.metrics,
                                      [this] { return renderedAt(page_, renderStatusPage); },
                                      [this] { return renderedAt(metrics_, renderMetrics); },
                                      &directionKeys_,
                                      [this](std::string_view url) { return answerApiRequest(url); },
                                      [this](std::string_view url) { return answerJobPage(url); },
                                      &pageGuard_};
                return answerRequest(request, context);
              },
              limits),
      state_(config.general.stateDir),
      directionKeys_(config.general.serverName),
      pageGuard_(config.peerd.pagePassword, config.peerd.pagePasswordOverPlainHttp,
                 "checker " + config.general.serverName),
      confirms_(loop, ConfirmAnswers::Context{config.general.serverName, &secretsByKeyId_, &directionKeys_, &state_,
                                              [this] { return liveJobs_ ? &*liveJobs_ : nullptr; },
                                              [this](uint64_t id, const std::string& job) { return askForRunNow(id, job); }}) {
  // A confirm question may wait for a run: answered later, off the handler.
  server_.setDeferrer([this](const HttpRequest& request, StatusServer::Later later) {
    if (routeRequest(request, config_.peerd.statusPage, config_.peerd.metrics) != Route::confirm) return false;
    std::string_view url = request.url;
    size_t question = url.find('?');
    std::optional<HttpResponse> now =
        confirms_.answer(question == std::string_view::npos ? std::string_view() : url.substr(question + 1), later);
    if (now) later(std::move(*now));
    return true;
  });
  for (const PeerSettings& peer : config.peers) {
    if (peer.secret.empty()) continue;
    if (Result<std::string> keyId = peerKeyId(peer.secret); keyId) {
      secretsByKeyId_[*keyId] = peer.secret;
    } else {
      CHECKER_LOG_ERROR("peer %s: %s; its signed questions get 403", peer.name.c_str(), keyId.error().c_str());
    }
  }
  uv_timer_init(loop_, &bindRetry_);
  bindRetry_.data = this;
}

void PeerdService::start() {
  control_.start();
  tryListen();
}

void PeerdService::tryListen() {
  if (stopping_) return;
  const HostPort& listen = config_.peerd.listen;
  Result<std::string> bound = server_.listen(listen.host, listen.port);
  if (bound) {
    CHECKER_LOG_INFO("listening on %s (%zu peer secret(s); JobProblem after %lld ms without a heartbeat)",
                     bound->c_str(), secretsByKeyId_.size(), static_cast<long long>(config_.peerd.jobProblemAfter.count()));
    lastBindError_.clear();
    return reportListening(true, *bound);
  }
  const std::string& error = bound.error();
  if (error != lastBindError_) {
    CHECKER_LOG_ERROR("%s; trying again every %llu s", error.c_str(),
                      static_cast<unsigned long long>(kBindRetryMs / 1000));
    lastBindError_ = error;
    reportListening(false, error);
  }
  uv_timer_start(&bindRetry_, [](uv_timer_t* t) { static_cast<PeerdService*>(t->data)->tryListen(); }, kBindRetryMs,
                 0);
}

void PeerdService::reportListening(bool ok, const std::string& text) {
  capnp::MallocMessageBuilder builder;
  auto listening = builder.initRoot<ipc::FromPeerd>().initListening();
  listening.setOk(ok);
  if (ok) listening.setAddress(text);
  else listening.setError(text);
  control_.write(ipc::encode(builder));
}

void PeerdService::handle(ipc::ToPeerd::Reader message) {
  switch (message.which()) {
    case ipc::ToPeerd::HEALTH: {
      auto health = message.getHealth();
      if (health.getMailProblem() != view_.mailProblem) {
        CHECKER_LOG_INFO("mail path now %s", health.getMailProblem() ? "broken: answering MailProblem" : "healthy");
      }
      view_.mailProblem = health.getMailProblem();
      if (health.hasMetrics()) {
        Result<SupervisorCounters> counters = readSupervisorCounters(health.getMetrics());
        if (counters) {
          counters_ = std::move(*counters);
        } else {
          counters_.reset();
          CHECKER_LOG_WARN("the supervisor's run counters are left out of /metrics: %s", counters.error().c_str());
        }
      }
      if (!health.getSchedulerOk()) return;  // the heartbeat ages: JobProblem in time
      if (view_.heartbeatMs == 0) CHECKER_LOG_INFO("first heartbeat from the supervisor");
      // Never 0, which means "no heartbeat yet".
      view_.heartbeatMs = static_cast<int64_t>(uv_now(loop_)) + 1;
      return;
    }
    case ipc::ToPeerd::QUERY:
      return query(message.getQuery());
    case ipc::ToPeerd::CONFIRM:
      return confirm(message.getConfirm());
    case ipc::ToPeerd::RUN_NOW_DONE:
      return confirms_.onRunNowDone(message.getRunNowDone());
    case ipc::ToPeerd::SHUTDOWN:
      return stop("asked to shut down");
    case ipc::ToPeerd::JOBS: {
      std::vector<LiveJob> jobs;
      for (auto job : message.getJobs().getJobs()) jobs.push_back({job.getId().cStr(), job.getName().cStr()});
      liveJobs_ = std::move(jobs);
      page_.made = metrics_.made = false;
      return;
    }
  }
}

StatusSnapshot PeerdService::snapshot() {
  StatusSnapshot s;
  int64_t nowMono = static_cast<int64_t>(uv_now(loop_));
  s.serverName = config_.general.serverName;
  s.nowUnixMs = wallClockNowMs();
  s.answer = plainAnswer(view_, nowMono, config_.peerd.jobProblemAfter.count());
  if (view_.heartbeatMs != 0) s.heartbeatAgeMs = nowMono - (view_.heartbeatMs - 1);
  s.counters = counters_;
  s.noMail = config_.email.noMail;
  state_.read(config_, liveJobs_ ? &*liveJobs_ : nullptr, &s);
  return s;
}

std::vector<LiveJob> PeerdService::jobsShown(ReadTransaction& txn) const {
  if (liveJobs_) return *liveJobs_;
  std::vector<LiveJob> jobs;  // before checkerd said which it runs: every stored job
  for (const JobStatus& job : readAllJobStatus(txn)) jobs.push_back({job.id, job.name});
  return jobs;
}

HttpResponse PeerdService::answerApiRequest(std::string_view url) {
  Result<ReadTransaction> txn = state_.beginRead();
  if (!txn) return jsonError(503, "the state cannot be read: " + txn.error());
  return answerApi(url, *txn, jobsShown(*txn), wallClockNowMs(), &uptimes_);
}

HttpResponse PeerdService::answerJobPage(std::string_view url) {
  auto page = [](int status, const std::string& why) {
    return HttpResponse{status, "text/html; charset=utf-8",
                        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + htmlEscape(why) +
                            "</title></head><body><p>" + htmlEscape(why) + "</p><p><a href=\"/\">All jobs</a></p></body></html>\n"};
  };
  size_t question = url.find('?');
  std::string_view path = url.substr(kJobPagePath.size(), question == std::string_view::npos ? std::string_view::npos
                                                                                              : question - kJobPagePath.size());
  Result<std::string> id = percentDecode(path);
  if (!id) return page(400, "The job id in the address is not percent-encoded properly.");
  ChartSpan span = ChartSpan::day;
  if (question != std::string_view::npos) {
    std::string_view query = url.substr(question + 1);
    if (query.substr(0, 6) == "range=") {
      std::optional<ChartSpan> asked = chartSpanNamed(query.substr(6, query.find('&') == std::string_view::npos
                                                                          ? std::string_view::npos
                                                                          : query.find('&') - 6));
      if (!asked) return page(400, "range is one of 24h, 7d, 30d.");
      span = *asked;
    }
  }
  Result<ReadTransaction> txn = state_.beginRead();
  if (!txn) return page(503, "The state cannot be read: " + txn.error());
  for (const LiveJob& job : jobsShown(*txn)) {
    if (job.id != *id) continue;
    JobPageData data = readJobPage(*txn, job.id, job.name, span, wallClockNowMs());
    data.serverName = config_.general.serverName;
    if (view_.heartbeatMs != 0) data.heartbeatAgeMs = static_cast<int64_t>(uv_now(loop_)) - (view_.heartbeatMs - 1);
    return HttpResponse{200, "text/html; charset=utf-8", renderJobPage(data)};
  }
  return page(404, "checkerd runs no job with the id " + *id + ".");
}

const std::string& PeerdService::renderedAt(Rendered& rendered, std::string (*render)(const StatusSnapshot&)) {
  uint64_t now = uv_now(loop_);
  if (!rendered.made || now - rendered.madeMonoMs >= kRenderEveryMs) {
    rendered.body = render(snapshot());
    rendered.madeMonoMs = now;
    rendered.made = true;
  }
  return rendered.body;
}

void PeerdService::query(ipc::PeerQuery::Reader request) {
  uint64_t id = request.getQueryId();
  std::string name = request.getName().cStr();
  auto reply = [this, id, name](const PeerAnswer& answer) {
    if (stopping_) return;  // the supervisor logs the answer, as a job's result
    capnp::MallocMessageBuilder builder;
    auto out = builder.initRoot<ipc::FromPeerd>().initAnswer();
    out.setQueryId(id);
    out.setStatus(answer.status);
    out.setMessage(answer.message);
    out.setHttpStatus(static_cast<uint32_t>(answer.httpStatus));
    out.setAuthenticated(answer.authenticated);
    control_.write(ipc::encode(builder));
  };
  for (const PeerSettings& peer : config_.peers) {
    if (peer.name != name) continue;
    return client_.query(PeerTarget{peer.name, peer.url, peer.secret, config_.general.serverName},
                         request.getTimeoutMs(), reply);
  }
  PeerAnswer unknown;
  unknown.message = "peer '" + name + "' is not in peerd's config (changed since the supervisor read it?)";
  reply(unknown);
}

bool PeerdService::askForRunNow(uint64_t requestId, const std::string& jobId) {
  if (stopping_) return false;
  capnp::MallocMessageBuilder builder;
  auto runNow = builder.initRoot<ipc::FromPeerd>().initRunNow();
  runNow.setRequestId(requestId);
  runNow.setJobId(jobId);
  control_.write(ipc::encode(builder));
  return true;
}

namespace {

ipc::ConfirmVerdict verdictMessage(PeerView::Verdict verdict) {
  switch (verdict) {
    case PeerView::Verdict::failing: return ipc::ConfirmVerdict::FAILING;
    case PeerView::Verdict::ok: return ipc::ConfirmVerdict::OK;
    case PeerView::Verdict::neverRun: return ipc::ConfirmVerdict::NEVER_RUN;
    case PeerView::Verdict::unknownJob: return ipc::ConfirmVerdict::UNKNOWN_JOB;
    case PeerView::Verdict::refused: return ipc::ConfirmVerdict::REFUSED;
    case PeerView::Verdict::unreachable: break;
  }
  return ipc::ConfirmVerdict::UNREACHABLE;
}

}  // namespace

void PeerdService::confirm(ipc::ConfirmAsk::Reader ask) {
  struct Gathering {
    uint64_t askId = 0;
    std::vector<PeerView> views;
    size_t left = 0;
  };
  auto gathering = std::make_shared<Gathering>();
  gathering->askId = ask.getAskId();
  gathering->left = ask.getPeers().size();
  gathering->views.resize(gathering->left);
  auto reply = [this, gathering] {
    if (stopping_) return;  // checkerd ends the confirmation itself
    capnp::MallocMessageBuilder builder;
    auto confirmed = builder.initRoot<ipc::FromPeerd>().initConfirmed();
    confirmed.setAskId(gathering->askId);
    auto views = confirmed.initViews(static_cast<unsigned>(gathering->views.size()));
    for (unsigned i = 0; i < gathering->views.size(); ++i) {
      const PeerView& v = gathering->views[i];
      views[i].setPeer(v.peer);
      views[i].setVerdict(verdictMessage(v.verdict));
      views[i].setLastRunUnixMs(v.lastRunUnixMs);
      views[i].setRanNow(v.ranNow);
      views[i].setMessage(v.message);
    }
    control_.write(ipc::encode(builder));
  };
  if (gathering->left == 0) return reply();
  ConfirmAsk question{ask.getJobId().cStr(), ask.getAfterUnixMs(), kMaxConfirmWaitMs};
  // The peer's [peerd] timeout for the exchange, plus the run it may wait for.
  uint32_t timeoutMs = static_cast<uint32_t>(config_.peerd.timeout.count()) + kMaxConfirmWaitMs;
  for (unsigned i = 0; i < ask.getPeers().size(); ++i) {
    std::string name = ask.getPeers()[i].cStr();
    auto done = [gathering, i, reply](PeerView view) {
      gathering->views[i] = std::move(view);
      if (--gathering->left == 0) reply();
    };
    const PeerSettings* peer = nullptr;
    for (const PeerSettings& p : config_.peers) {
      if (p.name == name) peer = &p;
    }
    if (peer == nullptr) {
      PeerView unknown{name, PeerView::Verdict::refused, 0, false,
                       "not asked: '" + name + "' is not in peerd's [peers] (changed since checkerd read it?)"};
      done(std::move(unknown));
      continue;
    }
    client_.confirm(PeerTarget{peer->name, peer->url, peer->secret, config_.general.serverName}, question, timeoutMs,
                    done);
  }
}

void PeerdService::stop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  CHECKER_LOG_INFO("stopping: %s", why);
  confirms_.close();
  curl_.close();
  server_.close();
  control_.close();
  uv_close(reinterpret_cast<uv_handle_t*>(&bindRetry_), nullptr);
}

}  // namespace checker::peerd
