// The quorum of a peer confirmation; the rules are in peer_confirmation.h.
#include "supervisor/peer_confirmation.h"

namespace checker {
namespace {

// "a", "a and b", "a, b and c".
std::string spoken(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += names[i];
  }
  return text;
}

std::string viewText(const PeerView& view) {
  switch (view.verdict) {
    case PeerView::Verdict::failing: return view.peer + " sees it failing";
    case PeerView::Verdict::ok: return view.peer + " sees it ok";
    case PeerView::Verdict::neverRun: return view.peer + " has not run it yet";
    case PeerView::Verdict::unknownJob: return view.peer + " does not run it";
    case PeerView::Verdict::unreachable: return view.peer + " unreachable";
    case PeerView::Verdict::refused: return view.peer + " refused to answer";
  }
  return view.peer + " unreachable";
}

}  // namespace

ConfirmationOutcome decideConfirmation(const std::string& self, const std::vector<PeerView>& views,
                                       const ConfirmSettings& settings) {
  ConfirmationOutcome out;
  std::vector<std::string> failingFrom{self + " (here)"};
  std::vector<std::string> others;
  for (const PeerView& view : views) {
    const bool unanswered = !answered(view);
    if (view.verdict == PeerView::Verdict::failing) {
      failingFrom.push_back(view.peer);
    } else if (unanswered && !settings.holdWhenUnreachable) {
      failingFrom.push_back(view.peer + " (" + (view.verdict == PeerView::Verdict::refused ? "refused" : "unreachable") +
                            ", counted as failing)");
    } else {
      others.push_back(viewText(view));
    }
  }
  out.seeingFailure = static_cast<uint32_t>(failingFrom.size());
  const uint32_t quorum = settings.quorum == 0 ? 1 : settings.quorum;
  out.confirmed = out.seeingFailure >= quorum;
  std::string rest;
  for (const std::string& o : others) rest += (rest.empty() ? "" : "; ") + o;
  if (out.confirmed) {
    out.text = "failing from " + spoken(failingFrom) + (rest.empty() ? "" : "; " + rest);
  } else {
    out.text = "not confirmed: this vantage point only (" + std::to_string(out.seeingFailure) + " of " +
               std::to_string(quorum) + " needed see it failing; " + rest + ")";
  }
  return out;
}

}  // namespace checker
