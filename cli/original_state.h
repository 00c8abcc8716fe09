#pragma once
// The original Python Checker's state file, read by `checker import-state`.
//
// Format, as the original's jobstate.py writes it (serialize) and reads it
// (Parse): one line per job, fields separated by '|':
//
//   STATENAME|STATE|FIRSTFAILURETIME|LASTNOTIFYTIME|FRIENDLYNAME[|NUMFAILURES]
//
//   STATENAME         base64 of the job's class name and constructor
//                     arguments: the original's key; not used here (it
//                     cannot be mapped to a job of this checker).
//   STATE             "Succeeding" or "Failing" (the original read anything
//                     but "Succeeding" as failing; here it is malformed).
//   FIRSTFAILURETIME  when the current failing episode began, 0 when
//   LASTNOTIFYTIME    succeeding; when a failure notice last went out, 0
//                     when none this episode. Both are Python's time.time()
//                     written by str(): unix seconds (UTC) as a float
//                     ("1700000000.25", "1.7e+09" in theory) or the integer
//                     0 it starts with. Integers, decimals and exponents are
//                     accepted; negative, NaN or beyond the year 5000 are
//                     malformed (milliseconds would be).
//   FRIENDLYNAME      the job's getName(), with each '|' written as '#';
//                     read back with each '#' as '|', as the original does.
//   NUMFAILURES       consecutive failures (a decimal integer); absent in
//                     files of the original before it was added.
//
// Lines are stripped of surrounding whitespace first (as Python's strip());
// blank lines are skipped, not reported.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/job_definition.h"
#include "state/policy.h"

namespace checker::cli {

struct OriginalEntry {
  int line = 0;  // 1-based
  bool failing = false;
  int64_t firstFailureUnixMs = 0;
  int64_t lastNotifyUnixMs = 0;
  std::string friendlyName;            // with '#' read back as '|'
  std::optional<uint32_t> failures;  // NUMFAILURES when present
};

struct OriginalLine {
  std::optional<OriginalEntry> entry;  // a well-formed entry
  std::string error;                   // else why it is malformed ("" for a blank line)
  bool blank() const { return !entry && error.empty(); }
};

OriginalLine parseOriginalLine(std::string_view text, int lineNumber);

// Which configured job an entry is about. Candidates are tried in order; the
// first one that names exactly one job wins:
//   1. FRIENDLYNAME is a job's name as `checker check-config` prints it
//      (NAME, NAME[TARGET], "email self-check", "peer NAME"), or its id.
//   2. The original's own naming, "CLASS for REST", CLASS being a class as
//      Python prints it ("<class 'TCPServerChecker.ServerChecker'>", or
//      "TCPServerChecker.ServerChecker" for an old-style class):
//        REST ending in "(HOST:PORT)" (TCPServerChecker's "LABEL(HOST:PORT)")
//          -> the job with id tcp:HOST:PORT, else the job named LABEL;
//        otherwise (HTTPServerChecker's and PeerChecker's URL)
//          -> the job with id http:REST, else peer:REST, else named REST.
//   3. A bare CLASS (a JobBase subclass of its own): its last dotted part C
//      -> the email self-check (system:email) when C is EmailChecker, else
//      the job named C.
struct JobMatch {
  const JobDefinition* job = nullptr;  // nullptr: none, or ambiguous
  std::string via;                     // which rule matched, for the report
  std::string ambiguity;               // when a candidate named several jobs
};
JobMatch matchOriginalName(std::string_view friendlyName, const std::vector<JobDefinition>& jobs);

// The imported entry as the notification policy keeps it:
//   Succeeding -> ok, every count zero.
//   Failing    -> failing since FIRSTFAILURETIME, lastNotify LASTNOTIFYTIME,
//                 notifiedFailure when LASTNOTIFYTIME > 0, consecutive
//                 failures NUMFAILURES; without NUMFAILURES (or 0): the job's
//                 failures_before_notify when a notice went out (the original
//                 notifies only once the count reached it), else 1.
// So a job failing and already notified is not notified again on its next
// failure (state_change), or only once its reminder gap since LASTNOTIFYTIME
// has passed (5min, hour, ...), as the original would have done.
PolicyState importedPolicy(const OriginalEntry& entry, const NotifySettings& notify);

}  // namespace checker::cli
