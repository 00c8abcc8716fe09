#include "peerd/run_bar.h"

#include <algorithm>

#include "peerd/text_escape.h"
#include "state/history_text.h"
#include "state/run_outcome.h"
#include "state/state_view.h"

namespace checker::peerd {

std::string renderRunBar(const std::vector<BarRun>& runs, size_t slots) {
  size_t shown = std::min(runs.size(), slots);
  // The bar is right-aligned by the style sheet: fewer runs leave its left
  // end empty without an element each (a page of 1,000 jobs stays small).
  std::string out = "<div class=\"bar\" role=\"list\" style=\"--slots:" + std::to_string(slots) +
                    "\" aria-label=\"the last " + std::to_string(shown) + (shown == 1 ? " run" : " runs") +
                    ", oldest first\">";
  for (size_t i = runs.size() - shown; i < runs.size(); ++i) {
    const BarRun& run = runs[i];
    std::string label = localTime(run.startedUnixMs) + ": " + outcomeName(run.outcome);
    if (run.latencyUs >= 0) label += ", " + latencyText(static_cast<double>(run.latencyUs) / 1000.0);
    // title: the tooltip, and the accessible name of a listitem without text.
    out += std::string("<span class=\"run ") + outcomeName(run.outcome) + "\" role=\"listitem\" title=\"" +
           htmlEscape(label) + "\"></span>";
  }
  return out + "</div>";
}

}  // namespace checker::peerd
