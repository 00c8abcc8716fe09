#include "supervisor/confirm_command.h"

#include <algorithm>

namespace checker {
namespace {

std::string ageText(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 10'000) return std::to_string(ms) + " ms ago";
  if (ms < 600'000) return std::to_string(ms / 1000) + " s ago";
  if (ms < 7'200'000) return std::to_string(ms / 60'000) + " min ago";
  return std::to_string(ms / 3'600'000) + " h ago";
}

}  // namespace

std::string confirmLine(const PeerView& view, int64_t nowUnixMs) {
  std::string line = "peer " + view.peer + ": " + verdictName(view.verdict);
  std::vector<std::string> details;
  if (view.ranNow) details.push_back("ran now");
  if (answered(view) && view.lastRunUnixMs > 0) details.push_back(ageText(nowUnixMs - view.lastRunUnixMs));
  if (!details.empty()) {
    line += " (";
    for (size_t i = 0; i < details.size(); ++i) line += (i ? ", " : "") + details[i];
    line += ")";
  }
  if (!view.message.empty()) line += ": " + view.message;
  return line;
}

void answerConfirmCommand(ipc::ConfirmRequest::Reader request, const RunEngine& engine, PeerLink& peers, Clock& clock,
                          ControlServer::Respond respond) {
  std::string asked = request.getJob();
  const JobDefinition* job = nullptr;
  std::optional<JobDefinition> found;
  engine.forEachLiveJob([&](const JobDefinition& j) {
    if (!found && (j.id() == asked || j.name() == asked)) found = j;
  });
  if (found) job = &*found;
  if (job == nullptr) return respond({false, "checkerd runs no job named '" + asked + "' (a job's name or id)"});
  std::vector<std::string> names;
  for (auto name : request.getPeers()) names.emplace_back(name.cStr());
  if (names.empty()) names = job->confirm().peers;
  if (names.empty()) {
    return respond({false, "job " + job->name() + " has no confirm_with: name the peers to ask with --peers"});
  }
  if (!peers.enabled()) return respond({false, "this instance runs no peerd: peers cannot be asked"});
  std::string name = job->name();
  peers.confirm(job->id(), names, clock.wallMs(), [respond, name, &clock](std::vector<PeerView> views) {
    bool all = std::all_of(views.begin(), views.end(), [](const PeerView& v) { return answered(v); });
    std::string text = "job " + name + ":";
    int64_t now = clock.wallMs();
    for (const PeerView& view : views) text += "\n" + confirmLine(view, now);
    respond({all, text});
  });
}

}  // namespace checker
