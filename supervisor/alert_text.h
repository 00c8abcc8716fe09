#pragma once
// The words of a failure or recovery notice. The subject comes from the
// job's own onFailure()/onStateChangeSuccess() when it composed one; the
// body always carries the facts an admin needs at 3 a.m.: which job, what
// happened, since when, how many failures, on which host. Every subject
// starts "[servername] " (the original's), so the outbox and `checker
// status` show what the recipient will see; the mailer adds only the RFC
// 5322 headers.
#include <optional>
#include <string>
#include <vector>

#include "config/job_catalog.h"
#include "state/run_outcome.h"
#include "state/state_writer.h"
#include "worker_runs/run_reply.h"

namespace checker {

OutboxMail composeFailureMail(const JobDefinition& job, const JobRecord& after, const ClassifiedRun& run,
                              const std::optional<ComposedNotice>& fromJob, const std::string& serverName,
                              const std::vector<std::string>& to);

OutboxMail composeRecoveryMail(const JobDefinition& job, const JobRecord& before, const ClassifiedRun& run,
                               const std::optional<ComposedNotice>& fromJob, const std::string& serverName,
                               const std::vector<std::string>& to, int64_t nowUnixMs);

// The one notice a job gets when it starts flapping (state/flapping.h):
// REASON says how much its state changed; RUN is the run that tipped it.
OutboxMail composeFlappingMail(const JobDefinition& job, const ClassifiedRun& run, const std::string& reason,
                               const std::string& serverName, const std::vector<std::string>& to);

// NOTE as a last paragraph of MAIL's body (what the notice gate did).
void appendNote(OutboxMail& mail, const std::string& note);

// "2026-11-24 22:41:07 UTC"
std::string formatUtc(int64_t unixMs);

}  // namespace checker
