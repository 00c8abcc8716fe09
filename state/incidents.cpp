#include "state/incidents.h"

#include <capnp/message.h>

#include <algorithm>
#include <limits>

#include "ipc/framing.h"
#include "ipc/state.capnp.h"

namespace checker {
namespace {

uint32_t plusOne(uint32_t n) { return n == std::numeric_limits<uint32_t>::max() ? n : n + 1; }

void addFailure(Incident& incident, const IncidentRun& run) {
  if (incident.failures == 0) incident.firstMessage = std::string(run.message);
  incident.failures = plusOne(incident.failures);
  incident.lastMessage = std::string(run.message);
  incident.lastFailureUnixMs = run.startedUnixMs;
}

}  // namespace

IncidentUpdate advanceIncident(std::optional<Incident> open, const IncidentRun& run) {
  IncidentUpdate update;
  const bool failing = run.after.health == JobHealth::failing;
  // The policy's episode start; a state without one starts at this run.
  const int64_t episodeStart = run.after.firstFailureUnixMs != 0 ? run.after.firstFailureUnixMs : run.startedUnixMs;
  if (open && failing && open->startUnixMs != episodeStart) {
    open->endUnixMs = std::max(run.startedUnixMs, open->startUnixMs + 1);  // another episode began: this one ended unseen
    update.closed = std::move(open);
    open.reset();
  } else if (open && !failing) {
    open->endUnixMs = run.startedUnixMs + run.durationMs;  // the recovering run's verdict
    if (open->endUnixMs <= open->startUnixMs) open->endUnixMs = open->startUnixMs + 1;  // a clock step: still closed
    if (run.noticeSent) open->notices = plusOne(open->notices);  // the recovery notice
    update.closed = std::move(open);
    return update;
  }
  if (!failing) return update;
  Incident incident = open ? std::move(*open) : Incident{};
  if (!open) incident.startUnixMs = episodeStart;
  if (run.failed) addFailure(incident, run);
  if (run.noticeSent) incident.notices = plusOne(incident.notices);
  update.open = std::move(incident);
  return update;
}

std::string encodeIncident(const Incident& incident) {
  capnp::MallocMessageBuilder message;
  auto i = message.initRoot<ipc::Incident>();
  i.setStartUnixMs(incident.startUnixMs);
  i.setEndUnixMs(incident.endUnixMs);
  i.setDurationMs(incident.durationMs());
  i.setFirstMessage(incident.firstMessage);
  i.setLastMessage(incident.lastMessage);
  i.setNotices(incident.notices);
  i.setFailures(incident.failures);
  i.setLastFailureUnixMs(incident.lastFailureUnixMs);
  return ipc::encode(message);
}

Incident decodeIncident(std::string_view value) {
  auto decoded = ipc::decode(value);
  auto i = decoded->root<ipc::Incident>();
  Incident incident;
  incident.startUnixMs = i.getStartUnixMs();
  incident.endUnixMs = i.getEndUnixMs();
  incident.firstMessage = i.getFirstMessage();
  incident.lastMessage = i.getLastMessage();
  incident.notices = i.getNotices();
  incident.failures = i.getFailures();
  incident.lastFailureUnixMs = i.getLastFailureUnixMs();
  return incident;
}

}  // namespace checker
