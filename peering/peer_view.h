#pragma once
// One peer's view of a job, as a confirmation gets it (issue 19): what the
// supervisor's alerting reads, with no libcurl or JSON behind it. Made by
// peerd from a verified confirm answer (peering/confirm_document.h), or
// from the reason there is none.
#include <cstdint>
#include <string>

namespace checker {

struct PeerView {
  enum class Verdict {
    failing,      // the peer runs the job and sees it failing
    ok,           // ... and sees it healthy
    neverRun,     // ... and has no result for it yet
    unknownJob,   // the peer runs no job with this identity
    unreachable,  // no verified answer in time: down, slow, unverifiable, busy
    refused,      // the peer refused to answer us: no secret with our key id (403)
  };
  std::string peer;  // the [peers] name
  Verdict verdict = Verdict::unreachable;
  int64_t lastRunUnixMs = 0;  // the peer's last run of the job; 0: none, or no answer
  bool ranNow = false;        // the peer ran it (or waited for its run) for this question
  std::string message;        // the run's message, or why there is no answer (one line)
};

// "failing", "ok", "never run", "unknown job", "unreachable", "refused".
inline const char* verdictName(PeerView::Verdict verdict) {
  switch (verdict) {
    case PeerView::Verdict::failing: return "failing";
    case PeerView::Verdict::ok: return "ok";
    case PeerView::Verdict::neverRun: return "never run";
    case PeerView::Verdict::unknownJob: return "unknown job";
    case PeerView::Verdict::unreachable: return "unreachable";
    case PeerView::Verdict::refused: return "refused";
  }
  return "unreachable";
}

// The peer answered (a verified view, whatever it says).
inline bool answered(const PeerView& view) {
  return view.verdict != PeerView::Verdict::unreachable && view.verdict != PeerView::Verdict::refused;
}

}  // namespace checker
