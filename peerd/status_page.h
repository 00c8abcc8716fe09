#pragma once
// peerd's HTML status page (`/` for a browser; peerd/routes.h): one page
// that reads at a glance. A banner (red when a job fails, the mail path is
// broken or peers are told anything but True), then
//   - the jobs checkerd runs now: failing ones first, highlighted, each with
//     its state, since when it fails, failures in a row, last run, outcome
//     and last message; jobs that have not run yet are named in one line
//     (they have no state to show);
//   - the email self-check: last result and when, and the mail health;
//   - the outbox: pending, the oldest's age, the last error, mail refused
//     for good;
//   - each alert channel: its type, last success, pending, last error
//     (never its URL or secret: the state does not hold them);
//   - each peer's last answer;
//   - the instance's name and when the page was made.
// Every text from the state or the config is escaped (peerd/text_escape.h).
// No JavaScript; a small inline style sheet; it reloads itself every 30 s.
// Pure: the same snapshot gives the same bytes (times in the local zone).
#include <cstddef>
#include <string>
#include <vector>

#include "peerd/status_snapshot.h"

namespace checker::peerd {

// At most this many healthy jobs are listed (failing ones always are); the
// rest are counted, and `checker status` lists them all.
inline constexpr size_t kMaxHealthyRows = 500;
// A last message is cut to this many bytes on the page.
inline constexpr size_t kMaxMessageBytes = 400;

// Which of JOBS (in their order) the page lists: every failing one, and the
// first kMaxHealthyRows of the others. The one rule for the page and for
// StateSource, which reads the bar's runs only for these.
std::vector<bool> listedOnPage(const std::vector<JobStatus>& jobs);

std::string renderStatusPage(const StatusSnapshot& snapshot);

}  // namespace checker::peerd
