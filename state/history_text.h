#pragma once
// A job's history in words, the same on the status pages (peerd/) and in
// `checker history` (cli/): a latency and an uptime. Pure.
#include <string>

#include "state/history_view.h"

namespace checker {

// A latency of MS milliseconds with two or three significant digits:
// "0 ms", "0.42 ms", "4.2 ms", "42 ms", "420 ms", "4.2 s", "42.0 s". The
// unit changes where the rounded figure would reach the next one (999.7 ms
// is "1.0 s", never "1000 ms").
std::string latencyText(double ms);

// "99.95 %" (two decimals); "100 %" only when no run failed, so a job that
// failed once is never rounded up to it; "-" without runs.
std::string uptimeText(const Uptime& uptime);

}  // namespace checker
