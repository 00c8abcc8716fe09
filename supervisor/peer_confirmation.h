#pragma once
// Whether a job's failure is confirmed by its peers (confirm_with): from
// their views of the same job (peering/peer_view.h), this instance's own
// (failing, or it would not ask) and the job's quorum. Pure, for the tests.
//
// Counted as seeing it failing: this instance, and each peer that runs the
// job and sees it failing. A peer that cannot be asked (unreachable, or
// refusing us) counts as failing with confirm_unreachable = alert (the
// default: a peer that is gone must never silence an alert for good) and
// as not failing with hold. A peer that sees it ok, has not run it yet, or
// does not run it at all does not confirm.
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "peering/peer_view.h"

namespace checker {

struct ConfirmationOutcome {
  bool confirmed = false;
  uint32_t seeingFailure = 0;  // this instance included
  // "failing from alpha (here) and bravo; charlie unreachable" or
  // "not confirmed: this vantage point only (bravo sees it ok; ...)"
  std::string text;
};

ConfirmationOutcome decideConfirmation(const std::string& self, const std::vector<PeerView>& views,
                                       const ConfirmSettings& settings);

}  // namespace checker
